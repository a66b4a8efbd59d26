"""Helpers for the ledger's database tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartgov import events
from smartgov.db import Database

# The test modules publish names of their own; publish refuses a name nobody declared.
events.declare("test.ledger_probe", "Published by the tests only.")
events.declare("test.slow", "Published by the tests only.")
events.declare("test.fast", "Published by the tests only.")


def publish(database: Database, count: int, name: str = "test.ledger_probe", **data: Any) -> list[int]:
    """Publish ``count`` events in one committed transaction; returns their ids."""
    with database.unit_of_work() as db:
        published = [events.publish(db, name, seq=i, **data) for i in range(count)]
    return [e.id for e in published]  # type: ignore[misc]  # known once the commit has flushed them


def ledger_rows(db: Any) -> list[Any]:
    from smartgov.ledger.models import LedgerEntry

    db.expire_all()
    return list(db.scalars(select(LedgerEntry).order_by(LedgerEntry.leaf_index)))
