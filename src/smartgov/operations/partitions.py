"""The readings table's partitions on PostgreSQL (one per UTC day) and retention on both databases.

The migration makes ``operations_reading`` a table partitioned by ``observed_at`` with a default
partition, so no reading is ever refused for want of a partition; the worker creates each day's
partition ahead of time and drops those past the retention. Partitions live in the schema
``operations_partitions``, out of the way of the ORM's metadata. On SQLite the same retention
deletes old rows.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import delete, text

from smartgov import clock
from smartgov.db import Database

from .config import operations_settings
from .models import Reading, Rollup

SCHEMA = "operations_partitions"
_last_run: dict[str, float] = {}
EVERY_SECONDS = 3600


def name_of(day: dt.date) -> str:
    return f"reading_{day:%Y%m%d}"


def maintain(database: Database, *, force: bool = False) -> int:
    """Create the coming days' partitions and drop expired data; at most once an hour per process."""
    key = str(database.engine.url)
    if not force and time.monotonic() - _last_run.get(key, -EVERY_SECONDS) < EVERY_SECONDS:
        return 0
    _last_run[key] = time.monotonic()
    settings = operations_settings()
    today = clock.now().astimezone(dt.UTC).date()
    horizon = today - dt.timedelta(days=settings.retention_days)
    changed = 0
    with database.unit_of_work() as db:
        if database.is_postgres:
            for offset in range(-1, settings.partitions_ahead_days + 1):
                changed += ensure(db, today + dt.timedelta(days=offset))
            for name in db.scalars(text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'operations_reading'")):
                if name.startswith("reading_") and name[8:].isdigit() and \
                        dt.datetime.strptime(name[8:], "%Y%m%d").date() < horizon:
                    db.execute(text(f'DROP TABLE "{SCHEMA}"."{name}"'))
                    changed += 1
        else:
            changed += db.execute(delete(Reading).where(Reading.observed_at < _midnight(horizon))).rowcount or 0
        cut = int(_midnight(horizon).timestamp())
        db.execute(delete(Rollup).where(Rollup.period == 60, Rollup.bucket < cut))
    return changed


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def ensure(db: object, day: dt.date) -> int:
    """The partition of ``day`` (PostgreSQL); 1 if it was made now.

    A day whose rows already went to the default partition (written before the worker ran) is
    left there: making its partition would have to move them, and nothing is lost either way.
    """
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    name = name_of(day)
    exists = db.scalar(text("SELECT to_regclass(:n)"), {"n": f"{SCHEMA}.{name}"})
    if exists:
        return 0
    start, end = _midnight(day), _midnight(day + dt.timedelta(days=1))
    stray = db.scalar(text(f'SELECT 1 FROM "{SCHEMA}".reading_default '  # noqa: S608 - a constant schema name
                           "WHERE observed_at >= :s AND observed_at < :e LIMIT 1"), {"s": start, "e": end})
    if stray:
        return 0
    db.execute(text(f'CREATE TABLE "{SCHEMA}"."{name}" PARTITION OF operations_reading '
                    f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"))
    return 1
