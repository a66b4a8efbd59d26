"""An official's saved inbox searches: named, kept per account, run again with one link.

Every read and change is scoped to the caller's account (another's filter is not found, 404); a
filter stores only the inbox's own parameters, and running it applies the inbox's rule of which
branches the caller sees, so a saved filter never widens what anyone may read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import Principal

from .events import INBOX_FILTER_DELETED, INBOX_FILTER_SAVED
from .models import InboxFilter

#: The inbox parameters a filter may keep (anything else posted is dropped).
KEYS = ("q", "state", "service_id", "breached", "mine", "sort")
MAX_FILTERS = 30


def filters_of(db: Session, account_id: int) -> list[InboxFilter]:
    """The caller's saved filters, by name."""
    return list(db.scalars(select(InboxFilter).where(InboxFilter.account_id == account_id)
                           .order_by(InboxFilter.name)))


def save_filter(db: Session, principal: Principal, name: str, query: dict[str, Any]) -> InboxFilter:
    """Keep the inbox's current search under ``name`` (the same name again replaces it)."""
    name = " ".join(name.split())[:80]
    if not name:
        raise DomainError("required", N_("Give the filter a name."), field="filter_name")
    kept = {k: str(v)[:200] for k, v in query.items() if k in KEYS and v}
    if not kept:
        raise DomainError("empty_filter", N_("Search or choose a filter first, then save it."), field="filter_name")
    row = db.scalar(select(InboxFilter).where(InboxFilter.account_id == principal.id, InboxFilter.name == name))
    if row is None:
        count = db.scalar(select(func.count(InboxFilter.id)).where(InboxFilter.account_id == principal.id)) or 0
        if count >= MAX_FILTERS:
            raise Conflict("too_many_filters", N_("You have kept as many filters as allowed; delete one first."))
        row = InboxFilter(account_id=principal.id, name=name, query=kept, created_at=clock.now())
        db.add(row)
    else:
        row.query = kept
    db.flush()
    events.publish(db, INBOX_FILTER_SAVED, actor_id=principal.id, filter_id=row.id, filter_name=name)
    return row


def delete_filter(db: Session, principal: Principal, filter_id: int) -> None:
    """Remove one of the caller's filters (404 for anyone else's)."""
    row = db.get(InboxFilter, filter_id)
    if row is None or row.account_id != principal.id:
        raise NotFound("filter")
    db.delete(row)
    events.publish(db, INBOX_FILTER_DELETED, actor_id=principal.id, filter_id=filter_id)
