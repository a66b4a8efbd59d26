"""Month cells and cuts (``analytics_rollup_month``, ``analytics_rollup_cut``): every answer read through
them equals the day cells' answer, and the migration that adds them fills them from the day cells stored."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select, text

from smartgov import analytics
from smartgov.analytics import rollups
from smartgov.analytics import service as kpis
from smartgov.analytics.catalogue import defaults
from smartgov.analytics.models import Rollup, RollupCut, RollupMonth
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
    """Answers from day cells alone: no range holds a whole month, no cut answers anything."""
    monkeypatch.setattr(kpis, "whole_months", lambda start, end: (end, end))
    monkeypatch.setattr(kpis, "_cut", lambda group, filters: None)
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
        filters: list[dict[str, object]] = [{}, {"service": "svc.b"}, {"agency_id": 1}, {"branch_id": 3},
                                            {"channel": "api"}, {"service": "svc.a", "branch_id": 2}]
        with database.sessions() as db:
            for i, (start, end) in enumerate(ranges):
                for code in codes:
                    for grain in ("month", "week", "day") if i < 2 else ("month",):
                        for where in filters:
                            found.append(analytics.series(db, code, start=start, end=end, grain=grain, **where))
                    found.append(kpis.value(db, code, start=start, end=end))
                    found.append(kpis.value(db, code, start=start, end=end, agency_id=1))
                    for by in ("service", "agency", "branch", "channel"):
                        found.append(analytics.breakdown(db, code, by=by, start=start, end=end))
                    found.append(analytics.breakdown(db, code, by="branch", start=start, end=end, agency_id=1))
        return found

    kpis._RESULTS.clear()
    through_months = answers()
    assert any(p.value for points in through_months if isinstance(points, list) for p in points
               if isinstance(p, analytics.Point))  # the history counts: the comparison is not of empty answers
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


def _stored(database: Database) -> list[tuple[object, ...]]:
    with database.sessions() as db:
        months = [("m", *r) for r in db.execute(select(
            RollupMonth.measure, RollupMonth.day, RollupMonth.service, RollupMonth.agency_id, RollupMonth.branch_id,
            RollupMonth.channel, RollupMonth.bucket, RollupMonth.count, RollupMonth.total))]
        cuts = [("c", *r) for r in db.execute(select(
            RollupCut.measure, RollupCut.grain, RollupCut.dim, RollupCut.day, RollupCut.key, RollupCut.channel,
            RollupCut.bucket, RollupCut.count, RollupCut.total))]
    return sorted(months, key=repr) + sorted(cuts, key=repr)


def test_the_migration_fills_month_cells_and_cuts_from_stored_day_cells(database: Database) -> None:
    """Drop the new tables and run the migration's upgrade again over the stored day cells."""
    import importlib

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    _history(database)
    expected = _stored(database)
    migration = importlib.import_module("smartgov.migrations.versions.0025_rollup_months")
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE analytics_rollup_month"))
        conn.execute(text("DROP TABLE analytics_rollup_cut"))
        with Operations.context(MigrationContext.configure(conn)):
            migration.upgrade()
    again = _stored(database)
    assert again == expected and len([r for r in expected if r[0] == "c"]) > 50
