"""Month cells (``analytics_rollup_month``): every answer read through them equals the day cells' answer,
and the migration that adds them fills them from the day cells already stored."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select, text

from smartgov import analytics
from smartgov.analytics import rollups
from smartgov.analytics import service as kpis
from smartgov.analytics.catalogue import defaults
from smartgov.analytics.models import Rollup, RollupMonth
from smartgov.db import Database

from .helpers import at, moved, submitted

START = dt.date(2026, 1, 10)  # 20 Dey 1404: the events cover parts of five Jalali months


def _history(database: Database) -> None:
    rng = random.Random(7)
    for case_id in range(1, 90):
        when = at(START + dt.timedelta(days=rng.randrange(120)), rng.randrange(8, 20))
        submitted(database, case_id, when, service=rng.choice(["svc.a", "svc.b"]), branch=rng.choice([2, 3]),
                  channel=rng.choice(["web", "api", "counter"]))
        if case_id % 3:
            moved(database, case_id, when, when + dt.timedelta(days=rng.randrange(1, 40), hours=3),
                  sla_met=bool(case_id % 2))
    rollups.roll_pending(database, batch=25)


def _days_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers from day cells alone: no range holds a whole month."""
    monkeypatch.setattr(kpis, "whole_months", lambda start, end: (end, end))
    kpis._RESULTS.clear()


def test_answers_through_month_cells_equal_the_day_cells(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _history(database)
    rng = random.Random(11)
    ranges = [(START, START + dt.timedelta(days=150)), (dt.date(2026, 1, 21), dt.date(2026, 3, 20)),
              *[(START + dt.timedelta(days=a), START + dt.timedelta(days=a + b))
                for a, b in ((rng.randrange(140), rng.randrange(90)) for _ in range(6))]]
    codes = [k.code for k in defaults()]

    def answers() -> list[object]:
        found: list[object] = []
        with database.sessions() as db:
            for start, end in ranges:
                for code in codes:
                    found.append(analytics.series(db, code, start=start, end=end, grain="month"))
                    found.append(kpis.value(db, code, start=start, end=end))
                    found.append(analytics.breakdown(db, code, by="service", start=start, end=end))
        return found

    kpis._RESULTS.clear()
    through_months = answers()
    _days_only(monkeypatch)
    assert answers() == through_months


def test_a_year_reads_month_cells_and_the_days_around_them(database: Database) -> None:
    _history(database)
    with database.sessions() as db:
        assert kpis.whole_months(dt.date(2026, 1, 10), dt.date(2026, 3, 20)) == (dt.date(2026, 1, 21),
                                                                               dt.date(2026, 3, 21))
        assert kpis.whole_months(None, dt.date(2026, 2, 19)) == (None, dt.date(2026, 2, 20))
        assert kpis.whole_months(dt.date(2026, 1, 22), dt.date(2026, 2, 10)) == (dt.date(2026, 2, 20),
                                                                               dt.date(2026, 1, 21))
        days = db.scalar(select(func.sum(Rollup.count)).where(Rollup.measure == "received"))
        months = db.scalar(select(func.sum(RollupMonth.count)).where(RollupMonth.measure == "received"))
        assert days == months == 89
        assert db.scalar(select(func.count()).select_from(RollupMonth)) < db.scalar(
            select(func.count()).select_from(Rollup))


def test_the_migration_fills_month_cells_from_stored_day_cells(database: Database) -> None:
    """Drop the month table and run the migration's upgrade again over the stored day cells."""
    import importlib

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    _history(database)
    with database.sessions() as db:
        expected = sorted(tuple(r) for r in db.execute(select(
            RollupMonth.measure, RollupMonth.day, RollupMonth.service, RollupMonth.agency_id, RollupMonth.branch_id,
            RollupMonth.channel, RollupMonth.bucket, RollupMonth.count, RollupMonth.total)))
    migration = importlib.import_module("smartgov.migrations.versions.0025_rollup_months")
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE analytics_rollup_month"))
        with Operations.context(MigrationContext.configure(conn)):
            migration.upgrade()
    with database.sessions() as db:
        again = sorted(tuple(r) for r in db.execute(select(
            RollupMonth.measure, RollupMonth.day, RollupMonth.service, RollupMonth.agency_id, RollupMonth.branch_id,
            RollupMonth.channel, RollupMonth.bucket, RollupMonth.count, RollupMonth.total)))
    assert again == expected and len(expected) > 10
