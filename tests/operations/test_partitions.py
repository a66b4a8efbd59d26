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
    assert partitions.maintain(database) >= 1
    name = f"{partitions.SCHEMA}.{partitions.name_of(today)}"
    assert db.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is not None
    assert partitions.maintain(database) == 0  # made once
    tomorrow = partitions.name_of(today + dt.timedelta(days=1))
    assert db.scalar(text("SELECT to_regclass(:n)"), {"n": f"{partitions.SCHEMA}.{tomorrow}"}) is not None
