"""Many rows into one table, skipping the ones whose key is already there: PostgreSQL ``COPY``,
SQLite batched inserts.

Used by the modules' bulk surfaces (``identity.bulk``, ``insurance.bulkimport``), each for its own
tables. On PostgreSQL a batch is first copied straight into the table under a savepoint — the
fast path, as fast as a raw ``COPY``; a batch holding a key already stored (a re-run, a resumed
file, two files naming one person) makes that copy fail on the unique index, and the batch is
then copied into a temporary staging table and moved with ``INSERT … SELECT … ON CONFLICT DO
NOTHING`` (set-based, the same rows). On SQLite, one prepared ``INSERT … ON CONFLICT DO
NOTHING`` per batch. Either way the caller's transaction holds the rows; nothing commits here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from sqlalchemy import Table
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignoring(db: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in ``columns`` order) into ``table``; rows whose unique key is already
    stored (or repeated in ``rows``) are skipped. Returns how many rows were inserted."""
    if not rows:
        return 0
    conn = db.connection()
    if conn.dialect.name != "postgresql":
        raw = conn.connection.driver_connection
        before = raw.total_changes  # type: ignore[union-attr]
        conn.execute(sqlite_insert(table).on_conflict_do_nothing(), [dict(zip(columns, r, strict=True)) for r in rows])
        return int(raw.total_changes - before)  # type: ignore[union-attr]
    names = ", ".join(columns)
    raw = conn.connection.driver_connection
    db.flush()
    try:
        # psycopg's own savepoint (the connection is inside the session's transaction), released
        # or rolled back before SQLAlchemy sees the connection again
        with raw.transaction(), raw.cursor() as cur:  # type: ignore[union-attr]
            with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return int(cur.rowcount)
    except psycopg.errors.UniqueViolation:
        pass  # some key is already stored: the same rows, set-based, skipping those
    stage = f"bulk_stage_{table.name}"
    with raw.cursor() as cur:  # type: ignore[union-attr]
        # names from the caller's own Table and column list, never from input
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {names} FROM {table.name} WITH NO DATA")  # noqa: S608
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage} ON CONFLICT DO NOTHING")  # noqa: S608
        inserted = int(cur.rowcount)
        cur.execute(f"TRUNCATE {stage}")
    return inserted
