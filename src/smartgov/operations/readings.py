"""Readings and their rollups: stored once, summed per minute and per hour as they arrive.

A reading's key is what it is (entity, attribute, instant): the insert skips one already stored
(``ON CONFLICT DO NOTHING ... RETURNING``, the same statement on SQLite and PostgreSQL), and only
the rows really inserted are added to the rollups, so a message delivered twice counts once.
Rollups are upserted in key order (no two writers wait on each other in opposite orders).
On PostgreSQL a batch is ``COPY``ed (binary) into a temporary table of the connection, and one
statement inserts the new rows into the partitioned readings and upserts the rollups from exactly
the rows it inserted (``INSERT ... SELECT ... GROUP BY ... ON CONFLICT``): the database does the
per-row work, Python writes each row once. On SQLite the same function inserts with one
``executemany`` and sums the rollups in Python; the guarantees are the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import any_, bindparam, case, delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import Entity, Reading, Rollup

PERIODS = (60, 3600)


@dataclass(slots=True)
class Target:
    """What the ingest path reads and keeps of an entity, as plain columns (no ORM object: a batch
    names a thousand entities, and loading them as objects cost more than storing the readings)."""

    id: int
    organization_id: int
    type: str
    entity_id: str


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of one attribute of one entity at one instant."""

    entity: Entity | Target
    attribute: str
    observed_at: dt.datetime
    value: float | None
    text: str | None = None


def _insert(db: Session, model: Any) -> Any:
    dialect = db.get_bind().dialect.name
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))


def among(db: Session, column: Any, values: Iterable[Any]) -> Any:
    """``column IN values``; on PostgreSQL ``= ANY(array)``, one parameter instead of a thousand
    placeholders for the driver to split and the server to parse."""
    if db.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))


def store(db: Session, observations: Sequence[Observation]) -> list[Observation]:
    """Store readings not stored before and add them to the rollups; returns those newly stored."""
    if not observations:
        return []
    by_key = {(o.entity.id, o.attribute, o.observed_at): o for o in observations}
    inserted: Sequence[Any]
    if db.get_bind().dialect.name == "postgresql":
        inserted = _copy_in(db, by_key)
    else:
        stmt = _insert(db, Reading).on_conflict_do_nothing().returning(
            Reading.entity_pk, Reading.attribute, Reading.observed_at)
        rows = [{"entity_pk": k[0], "attribute": k[1], "observed_at": k[2], "value": o.value, "text": o.text}
                for k, o in by_key.items()]
        inserted = db.execute(stmt, rows).all() if len(rows) > 1 else db.execute(stmt.values(rows[0])).all()
    if len(inserted) == len(by_key):
        fresh = list(by_key.values())
    else:
        fresh = [by_key[(r[0], r[1], _utc(r[2]))] for r in inserted]
    if db.get_bind().dialect.name != "postgresql":
        add_to_rollups(db, fresh)
    return fresh


def _copy_in(db: Session, by_key: dict[tuple[int, str, dt.datetime], Observation]) -> Sequence[Any]:
    """PostgreSQL: COPY the batch into a session-local table, then one statement inserts what is new
    and adds exactly those rows to the minute and hour rollups (set-based, in key order)."""
    db.execute(_PG_INCOMING)
    raw = db.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(_PG_COPY) as copy:
        copy.set_types(["int4", "text", "timestamptz", "float8", "text"])
        write = copy.write_row
        for (pk, attribute, at), o in by_key.items():
            write((pk, attribute, at, o.value, o.text))
    return db.execute(_PG_MERGE).all()


# A table of this connection's session, emptied at each commit (and gone with a rollback).
_PG_INCOMING = text(
    "CREATE TEMP TABLE IF NOT EXISTS operations_incoming (entity_pk integer, attribute varchar(128), "
    "observed_at timestamptz, value float8, text varchar(256)) ON COMMIT DELETE ROWS")
_PG_COPY = "COPY operations_incoming (entity_pk, attribute, observed_at, value, text) FROM STDIN (FORMAT BINARY)"
_PG_MERGE = text(
    "WITH fresh AS (INSERT INTO operations_reading (entity_pk, attribute, observed_at, value, text) "
    "SELECT entity_pk, attribute, observed_at, value, text FROM operations_incoming "
    "ON CONFLICT DO NOTHING RETURNING entity_pk, attribute, observed_at, value), "
    "sums AS (INSERT INTO operations_rollup (entity_pk, attribute, period, bucket, count, total, minimum, maximum) "
    "SELECT f.entity_pk, f.attribute, p.period, s.epoch - s.epoch % p.period, count(*), sum(f.value), "
    "min(f.value), max(f.value) FROM fresh f "
    "CROSS JOIN LATERAL (SELECT floor(extract(epoch FROM f.observed_at))::bigint AS epoch) s "
    "CROSS JOIN (VALUES (60), (3600)) AS p(period) WHERE f.value IS NOT NULL "
    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
    "ON CONFLICT (entity_pk, attribute, period, bucket) DO UPDATE SET "
    "count = operations_rollup.count + excluded.count, total = operations_rollup.total + excluded.total, "
    "minimum = LEAST(operations_rollup.minimum, excluded.minimum), "
    "maximum = GREATEST(operations_rollup.maximum, excluded.maximum)) "
    "SELECT entity_pk, attribute, observed_at FROM fresh")


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def add_to_rollups(db: Session, fresh: Iterable[Observation]) -> None:
    """SQLite: per-minute and per-hour count, sum, minimum and maximum of the new numeric readings
    (PostgreSQL does it in the statement that inserts them, ``_PG_MERGE``)."""
    sums: dict[tuple[int, str, int, int], list[float]] = {}
    for o in fresh:
        if o.value is None:
            continue
        epoch = int(o.observed_at.timestamp())
        for period in PERIODS:
            key = (o.entity.id, o.attribute, period, epoch - epoch % period)
            acc = sums.get(key)
            if acc is None:
                sums[key] = [1, o.value, o.value, o.value]
            else:
                acc[0] += 1
                acc[1] += o.value
                acc[2] = min(acc[2], o.value)
                acc[3] = max(acc[3], o.value)
    if not sums:
        return
    stmt = _insert(db, Rollup)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[Rollup.entity_pk, Rollup.attribute, Rollup.period, Rollup.bucket],
        set_={"count": Rollup.count + excluded.count, "total": Rollup.total + excluded.total,
              "minimum": case((excluded.minimum < Rollup.minimum, excluded.minimum), else_=Rollup.minimum),
              "maximum": case((excluded.maximum > Rollup.maximum, excluded.maximum), else_=Rollup.maximum)})
    rows = [{"entity_pk": k[0], "attribute": k[1], "period": k[2], "bucket": k[3], "count": v[0], "total": v[1],
             "minimum": v[2], "maximum": v[3]} for k, v in sorted(sums.items())]
    for start in range(0, len(rows), 500):
        db.execute(stmt, rows[start:start + 500])


def forget(db: Session, entity_pk: int) -> None:
    """Drop an entity's readings and rollups (the entity is being deleted)."""
    db.execute(delete(Reading).where(Reading.entity_pk == entity_pk))
    db.execute(delete(Rollup).where(Rollup.entity_pk == entity_pk))
