"""Agencies' operating costs, typed by their admins per period (rial), audited with an event.

``cost_per_service`` divides the cost rolled up from ``OPERATING_COST_SET`` (the change of amount,
so a correction replaces the figure) by the applications the agency decided in the period.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.db import INT8_MAX
from smartgov.errors import DomainError
from smartgov.i18n import N_

from .events import OPERATING_COST_SET
from .models import OperatingCost

MAX_PERIOD_DAYS = 366


def set_cost(db: Session, *, agency_id: int, period_start: dt.date, period_end: dt.date, amount: int,
             actor_id: int, note: str | None = None) -> OperatingCost:
    """Enter (or correct) ``agency_id``'s operating cost for the period starting ``period_start``."""
    if period_end < period_start:
        raise DomainError("period_invalid", N_("The period ends before it starts."), field="period_end", status=422)
    if (period_end - period_start).days >= MAX_PERIOD_DAYS:
        raise DomainError("period_too_long", N_("A period is at most a year."), field="period_end", status=422)
    if not 0 <= amount <= INT8_MAX:
        raise DomainError("amount_invalid", N_("Enter an amount in rial as a whole number, like 1500000."),
                          field="amount", status=422)
    row = db.scalars(select(OperatingCost).where(OperatingCost.agency_id == agency_id,
                                                 OperatingCost.period_start == period_start)
                     .with_for_update()).first()
    previous = row.amount if row is not None else 0
    if row is None:
        row = OperatingCost(agency_id=agency_id, period_start=period_start)
        db.add(row)
    row.period_end, row.amount, row.note = period_end, amount, (note or None)
    row.entered_by, row.entered_at = actor_id, clock.now()
    events.publish(db, OPERATING_COST_SET, actor_id=actor_id, agency_id=agency_id,
                   period_start=period_start.isoformat(), period_end=period_end.isoformat(), amount=amount,
                   previous_amount=previous)
    db.flush()
    return row


def costs(db: Session, agency_ids: set[int] | None) -> list[OperatingCost]:
    """Entered costs of ``agency_ids`` (``None``: every agency), latest period first."""
    stmt = select(OperatingCost).order_by(OperatingCost.period_start.desc(), OperatingCost.agency_id).limit(500)
    if agency_ids is not None:
        stmt = stmt.where(OperatingCost.agency_id.in_(agency_ids))
    return list(db.scalars(stmt))
