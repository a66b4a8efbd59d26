"""The exchange's part of a person's home page: a summary of who read their data lately.

Only what the person may see on ``/account/data-access`` (hidden investigative reads stay hidden
until their date), grouped as that page groups them: repeated reads of one record by one reader for
one purpose are one line with their count, and the panel's lines are the page's first lines.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, identity
from smartgov.i18n import format_number, gettext

if TYPE_CHECKING:
    from smartgov.identity import Principal
from smartgov.web.panels import Figure, Panel, Row

from . import permissions, privacy
from .api import access_group_rows
from .models import PersonDataAccess

RECENT = dt.timedelta(days=30)
SHOWN = 4


def home_panel(db: Session, principal: Principal) -> list[Panel]:
    """For a person with their own records: reads in the last 30 days and the latest, grouped."""
    if not permissions.can_view_own_data_access(principal):
        return []
    person = identity.person_profile(db, principal.account.person_id)
    if person is None:
        return []
    stmt = privacy.visible_accesses_stmt(person.national_code)
    recent = stmt.where(PersonDataAccess.at >= clock.now() - RECENT).order_by(None).subquery()
    count = int(db.scalar(select(func.count()).select_from(recent)) or 0)
    agencies = int(db.scalar(select(func.count(func.distinct(recent.c.agency_code)))) or 0)
    rows = []
    # the first lines of /account/data-access, grouped the same way (privacy.GROUP_KEY)
    groups = list(db.execute(privacy.grouped_accesses_stmt(person.national_code).limit(SHOWN)))
    for g in access_group_rows(db, groups):
        text = gettext("{agency} read {what} ({purpose})", agency=g.agency_name or g.agency_code or "",
                       what=g.what_label, purpose=g.purpose_label)
        if g.reads > 1:
            text += " " + gettext("({n} times)", n=format_number(g.reads))
        rows.append(Row(text, "/account/data-access", when=g.last_at, when_label=gettext("Last read")))
    figures = [Figure(gettext("Reads of your data in the last 30 days"), count, "/account/data-access"),
               Figure(gettext("Agencies that read it"), agencies, "/account/data-access")]
    return [Panel("data-access", gettext("Who read your data"), rows, figures=figures,
                  empty=gettext("No agency has read your data."), more_href="/account/data-access",
                  more_text=gettext("See every read, and flag one you think was wrong"), order=60)]
