"""Daily partitions of the readings table on PostgreSQL, made ahead by the worker's job."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from smartgov import clock
from smartgov.operations import partitions


def test_the_worker_makes_todays_partition_and_the_days_ahead(client, db, database) -> None:  # type: ignore[no-untyped-def]
    if not database.is_postgres:
        pytest.skip("partitions exist on PostgreSQL only")
    today = clock.now().date()
    # Whatever an earlier test's worker round made goes first (the test database is shared), and the
    # job is forced (it runs at most once an hour per process).
    with database.engine.begin() as conn:
        for ahead in range(61):
            conn.execute(text(f'DROP TABLE IF EXISTS {partitions.SCHEMA}."{partitions.name_of(today + dt.timedelta(days=ahead))}"'))
    assert partitions.maintain(database, force=True) >= 1
    name = f"{partitions.SCHEMA}.{partitions.name_of(today)}"
    assert db.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is not None
    assert partitions.maintain(database, force=True) == 0  # made once
    tomorrow = partitions.name_of(today + dt.timedelta(days=1))
    assert db.scalar(text("SELECT to_regclass(:n)"), {"n": f"{partitions.SCHEMA}.{tomorrow}"}) is not None
