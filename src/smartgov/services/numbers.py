"""Reference and invoice numbers: consecutive per year, never held across a submission."""

from __future__ import annotations

import datetime as dt
import functools
import logging

import jdatetime
from sqlalchemy import update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.db import database_of

from .models import (
    Counter,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- numbers


def _next_value(db: Session, name: str) -> int:
    """Increment a named counter, creating it on first use.

    On PostgreSQL the increment commits at once on its own connection: holding the counter's
    row lock until the whole submission commits made every submission wait for the one before
    (bench/RESULTS.md). A rolled-back submission therefore leaves a gap in the numbers, which
    reference and invoice numbers may have; the numbers stay unique and increasing. SQLite has a
    single writer anyway, so there the counter stays inside the caller's transaction.
    """
    bind = db.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
        database = database_of(db)
        # autocommit: the UPDATE … RETURNING is its own transaction, one round trip (and with the
        # database's bookkeeping connection, no fsync: see Database.bookkeeping)
        conn = database.bookkeeping() if database is not None else None
        if conn is None:
            conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
        with conn:
            return _increment(conn, name, "postgresql")
    return _increment(db, name, bind.dialect.name)


def _increment(conn: Session | Connection, name: str, dialect: str) -> int:
    stmt = update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    value = conn.execute(stmt).scalar()
    if value is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        conn.execute(insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
        value = conn.execute(stmt).scalar()
    assert value is not None
    return int(value)


def next_number(db: Session, fmt: str, now: dt.datetime | None = None) -> str:
    """A number like ``SG-1405-000123`` from a format with ``{jyear}`` and ``{seq}``."""
    jyear, counter = number_counter(fmt, now or clock.now())
    return fmt.format(jyear=jyear, seq=_next_value(db, counter))


def number_counter(fmt: str, now: dt.datetime) -> tuple[int, str]:
    """(Jalali year, counter name) of a number made at ``now``: numbers restart each year."""
    jyear = _jalali_year(clock.local(now).date())
    return jyear, fmt.split("{seq", 1)[0].format(jyear=jyear)[:64]


@functools.lru_cache(maxsize=64)
def _jalali_year(day: dt.date) -> int:
    return int(jdatetime.date.fromgregorian(date=day).year)
