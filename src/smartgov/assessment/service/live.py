"""Live indicators of the round's agency (and its sub-agencies) beside the survey scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from smartgov import clock, identity
from smartgov.assessment import indicators
from smartgov.assessment.models import AssessmentRound


def subtree(db: Session, org_id: int) -> frozenset[int]:
    """The agency and every agency below it (identity keeps the tree)."""
    return frozenset(identity.agency_subtree(db, org_id))


def indicator_scope(db: Session, rnd: AssessmentRound) -> indicators.Scope:
    """The agency and its sub-agencies, over the year up to the round's close (or now)."""
    until = rnd.closed_at or clock.now()
    return indicators.Scope(
        org_ids=subtree(db, rnd.organization_id),
        since=until - dt.timedelta(days=365),
        until=until,
        total_services=rnd.total_services,
        operating_cost_rial=rnd.operating_cost_rial,
    )


def live_indicators(db: Session, rnd: AssessmentRound) -> list[dict[str, Any]]:
    """Live platform indicators for the round's agency, with definitions; ``None`` values mean no data yet."""
    return indicators.live_indicators(db, indicator_scope(db, rnd))
