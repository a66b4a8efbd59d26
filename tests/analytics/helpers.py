"""Hand-made events for the analytics tests, published through ``events.publish`` at chosen instants."""

from __future__ import annotations

import datetime as dt
from typing import Any

from smartgov import clock, events
from smartgov.db import Database
from smartgov.services.events import SUBMITTED, TRANSITIONED

TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """``hour`` o'clock in Tehran on ``day`` (a fixed offset: Iran keeps no summer time since 1401)."""
    return dt.datetime.combine(day, dt.time(hour), TEHRAN).astimezone(dt.UTC)


def publish_at(database: Database, when: dt.datetime, name: str, **data: Any) -> int:
    clock.freeze(when)
    try:
        with database.unit_of_work() as db:
            evt = events.publish(db, name, **data)
        return int(evt.id or 0)
    finally:
        clock.freeze(None)


def submitted(database: Database, case_id: int, when: dt.datetime, *, service: str = "svc.a", agency: int = 1,
              branch: int = 2, channel: str = "web") -> int:
    return publish_at(database, when, SUBMITTED, application_id=case_id, reference=f"R-{case_id}",
                      service_id=service, version=1, agency_id=agency, agency="a", applicant_id=7, state="submitted",
                      branch_id=branch, submitted_at=when.isoformat(), fee=0, relationship="G2C",
                      organization_id=None, channel=channel)


def moved(database: Database, case_id: int, submitted_at: dt.datetime, when: dt.datetime, *, to: str = "approved",
          action: str = "approve", terminal: bool = True, service: str = "svc.a", agency: int = 1, branch: int = 2,
          awaits_applicant: bool = False, **extra: Any) -> int:
    return publish_at(database, when, TRANSITIONED, application_id=case_id, reference=f"R-{case_id}",
                      service_id=service, version=1, agency_id=agency, agency="a", applicant_id=7, state=to,
                      branch_id=branch, submitted_at=submitted_at.isoformat(), from_state="in_review", to_state=to,
                      action=action, automatic=False, terminal=terminal, reason=None, fee=0,
                      awaits_applicant=awaits_applicant, waited_seconds=0, **extra)
