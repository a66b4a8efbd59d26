"""The exchange's part of a person's home page: a summary of who read their data lately.

Only what the person may see on ``/account/data-access`` (hidden investigative reads stay hidden
until their date), grouped so repeated reads of one record by one agency read as one line.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, identity
from smartgov.i18n import format_number, gettext

if TYPE_CHECKING:
    from smartgov.identity import Principal
from smartgov.web.panels import Figure, Panel, Row

from . import permissions, privacy
from .api import access_rows
from .models import PersonDataAccess

RECENT = dt.timedelta(days=30)
READ = 50  # the latest reads summarised
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
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for row in access_rows(db, list(db.scalars(stmt.limit(READ)))):
        key = (row.agency_name or row.agency_code or "", row.what_label, row.purpose_label)
        grouped.setdefault(key, []).append(row)
    rows = []
    for (agency, what, purpose), reads in list(grouped.items())[:SHOWN]:
        text = gettext("{agency} read {what} ({purpose})", agency=agency, what=what, purpose=purpose)
        if len(reads) > 1:
            text += " " + gettext("({n} times)", n=format_number(len(reads)))
        rows.append(Row(text, "/account/data-access", when=reads[0].at, when_label=gettext("Last read")))
    figures = [Figure(gettext("Reads of your data in the last 30 days"), count, "/account/data-access"),
               Figure(gettext("Agencies that read it"), agencies, "/account/data-access")]
    return [Panel("data-access", gettext("Who read your data"), rows, figures=figures,
                  empty=gettext("No agency has read your data."), more_href="/account/data-access",
                  more_text=gettext("See every read, and flag one you think was wrong"), order=60)]
