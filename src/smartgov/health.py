"""Availability probes: the worker asks the public health route once a minute and keeps the answer.

The share of successful probes in a period is the platform's measured availability (shown by the
assessment module's live indicators). A probe that cannot connect counts as down.
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
from sqlalchemy import Boolean, Integer, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from smartgov import clock, events
from smartgov.db import Base, Database
from smartgov.settings import get_settings

PROBE_INTERVAL = dt.timedelta(minutes=1)


class HealthProbe(Base):
    """One check of ``GET {base_url}/api/v1/health`` made by the worker."""

    __tablename__ = "kernel_health_probe"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[int | None]


def check(base_url: str, timeout: float = 5.0) -> tuple[bool, int | None]:
    """Ask the health route; (answered 200 in time, milliseconds)."""
    start = time.perf_counter()
    try:
        response = httpx.get(base_url.rstrip("/") + "/api/v1/health", timeout=timeout)
    except httpx.HTTPError:
        return False, None
    return response.status_code == 200, int((time.perf_counter() - start) * 1000)


def probe(database: Database) -> int:
    """Periodic job: at most one probe per minute; returns 1 when it probed."""
    with database.unit_of_work() as db:
        last = db.scalar(select(func.max(HealthProbe.at)))
        now = clock.now()
        if last is not None and now - last < PROBE_INTERVAL:
            return 0
        ok, latency = check(get_settings().base_url)
        db.add(HealthProbe(at=now, ok=ok, latency_ms=latency))
    return 1


def availability(db: Session, since: dt.datetime | None = None,
                 until: dt.datetime | None = None) -> tuple[float, int] | None:
    """Percent of successful probes in the period and how many there were; ``None`` without probes."""
    stmt = select(func.count(), func.sum(func.cast(HealthProbe.ok, Integer)))
    if since is not None:
        stmt = stmt.where(HealthProbe.at >= since)
    if until is not None:
        stmt = stmt.where(HealthProbe.at < until)
    total, up = db.execute(stmt).one()
    if not total:
        return None
    return 100.0 * (up or 0) / total, int(total)


events.register_periodic("health.probe", probe)
