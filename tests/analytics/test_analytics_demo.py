"""The demo leaves two years of history in the rollups, with a weekly rhythm and a Nowruz dip."""

from __future__ import annotations

import datetime as dt
import random

from smartgov import analytics, clock
from smartgov.analytics import demo as history
from smartgov.db import Database
from tests.factories import create_agency


def test_demo_history_is_counted_by_the_rollups(database: Database) -> None:
    with database.unit_of_work() as db:
        create_agency(db, "sso")
        for code, _ in history.BRANCHES:
            create_agency(db, code, parent="sso")
    with database.unit_of_work() as db:
        history.load(db, random.Random(1), 0)
    with database.unit_of_work() as db:
        history.load(db, random.Random(1), 0)  # idempotent
    today = clock.local(clock.now()).date()
    with database.sessions() as db:
        days = analytics.series(db, "applications_received", start=today - dt.timedelta(days=700), end=today)
        decided = analytics.series(db, "applications_decided", start=today - dt.timedelta(days=700), end=today,
                                   grain="month")
        p50 = analytics.series(db, "processing_days_p50", start=today - dt.timedelta(days=365), end=today,
                               grain="month")
    total = sum(p.value or 0 for p in days)
    assert 10000 < total < 20000
    fridays = [p.value or 0 for p in days if p.period.weekday() == 4]
    others = [p.value or 0 for p in days if p.period.weekday() in (5, 6, 0, 1)]
    assert sum(fridays) / len(fridays) < 0.5 * sum(others) / len(others)
    assert sum(p.value or 0 for p in decided) > 0.8 * total
    assert all(p.value is None or 2 < p.value < 8 for p in p50)
