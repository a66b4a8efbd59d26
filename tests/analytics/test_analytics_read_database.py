"""Dashboards' reads go through SMARTGOV_READ_DATABASE_URL (a replica), defaulting to the main database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from smartgov import analytics
from smartgov.analytics import rollups
from smartgov.db import Database, dispose_read_databases
from smartgov.settings import Settings

from .helpers import at, submitted

D1 = dt.date(2026, 3, 1)
Q = {"start": D1.isoformat(), "end": D1.isoformat()}
URL = "/api/v1/analytics/kpis/applications_received/series"


def test_reads_come_from_the_read_database(client: TestClient, database: Database, settings: Settings,
                                           tmp_path: Path) -> None:
    if database.is_postgres:
        pytest.skip("a copy of the database file stands for the replica (SQLite)")
    submitted(database, 1, at(D1))
    rollups.roll_pending(database)
    replica = tmp_path / "replica.sqlite"
    with sqlite3.connect(make_url(database.url).database) as source, sqlite3.connect(replica) as copy:
        source.backup(copy)  # the replica, as of now
    submitted(database, 2, at(D1))
    rollups.roll_pending(database)
    assert client.get(URL, params=Q).json()["points"][0]["value"] == 2.0  # default: the main database
    settings.read_database_url = f"sqlite:///{replica}"
    try:
        assert client.get(URL, params=Q).json()["points"][0]["value"] == 1.0  # the replica's figure
        with analytics.read_session() as db:
            assert analytics.series(db, "applications_received", start=D1, end=D1)[0].value == 1.0
    finally:
        settings.read_database_url = None
        dispose_read_databases()


def test_the_read_session_is_read_only_on_postgresql(database: Database) -> None:
    if not database.is_postgres:
        pytest.skip("PostgreSQL: read-only transactions")
    from sqlalchemy.exc import InternalError, OperationalError, ProgrammingError

    with analytics.read_session() as db, pytest.raises((InternalError, OperationalError, ProgrammingError)):
        db.execute(text("BEGIN"))
        db.execute(text("DELETE FROM analytics_rollup"))
    dispose_read_databases()
