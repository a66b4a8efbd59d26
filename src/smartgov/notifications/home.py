"""The notification centre's part of a person's home page: the latest messages and how many are unread."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from smartgov.i18n import format_number, gettext
from smartgov.web.panels import Figure, Panel, Row

from . import inbox

SHOWN = 5


class Caller(Protocol):
    """The signed-in caller (``identity.Principal``; named by shape: identity imports this module)."""

    @property
    def id(self) -> int: ...


def home_panel(db: Session, principal: Caller) -> list[Panel]:
    """The caller's own latest messages (every account has a centre, so every role sees this panel)."""
    rows, _total = inbox.messages(db, principal.id, limit=SHOWN)
    unread = inbox.unread_count(db, principal.id)
    shown = [Row(m.subject, m.link or "/notifications", when=m.created_at, when_label=gettext("Received"),
                 status=gettext("Unread") if m.read_at is None else None, tone="warn" if m.read_at is None else "")
             for m in rows]
    figures = [Figure(gettext("Unread messages"), unread, "/notifications?unread=1", tone="warn" if unread else "")]
    more = (gettext("All notifications ({n} unread)", n=format_number(unread)) if unread
            else gettext("All notifications"))
    return [Panel("notifications", gettext("Latest notifications"), shown, figures=figures,
                  empty=gettext("No messages yet."), more_href="/notifications", more_text=more, order=40)]
