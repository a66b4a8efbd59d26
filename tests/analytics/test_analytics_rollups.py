"""Rollups from hand-made events: each KPI's value, incremental == rebuild, ids committed out of order."""

from __future__ import annotations

import datetime as dt

from smartgov import analytics, clock
from smartgov.analytics import rollups
from smartgov.db import Database

from .helpers import at, moved, submitted

D1 = dt.date(2026, 3, 1)  # a Sunday
D2 = D1 + dt.timedelta(days=1)


def _values(points: list[analytics.Point]) -> list[float | None]:
    return [p.value for p in points]


def test_received_and_decided_per_day_service_and_channel(database: Database) -> None:
    submitted(database, 1, at(D1), channel="web")
    submitted(database, 2, at(D1), channel="api", service="svc.b")
    submitted(database, 3, at(D2), channel="api")
    moved(database, 1, at(D1), at(D2, 12))
    assert rollups.roll_pending(database) == 4
    with database.sessions() as db:
        received = analytics.series(db, "applications_received", start=D1, end=D2)
        assert [(p.period, p.value, p.count) for p in received] == [(D1, 2.0, 2), (D2, 1.0, 1)]
        assert _values(analytics.series(db, "applications_decided", start=D1, end=D2)) == [0.0, 1.0]
        assert _values(analytics.series(db, "applications_received", start=D1, end=D2, channel="api")) == [1.0, 1.0]
        assert _values(analytics.series(db, "applications_received", start=D1, end=D2, service="svc.b")) == [1.0, 0.0]
        assert _values(analytics.series(db, "applications_received", start=D1, end=D2, branch_id=99)) == [0.0, 0.0]
        by_service = analytics.breakdown(db, "applications_received", by="service", start=D1, end=D2)
        assert [(k, p.value) for k, p in by_service] == [("svc.a", 2.0), ("svc.b", 1.0)]
        by_channel = analytics.breakdown(db, "applications_received", by="channel", start=D1, end=D2)
        assert [(k, p.value) for k, p in by_channel] == [("api", 2.0), ("web", 1.0)]
        assert analytics.series(db, "digital_share", start=D1, end=D2)[0].value == 100.0
    assert rollups.roll_pending(database) == 0  # nothing counted twice


def test_the_day_is_tehrans(database: Database) -> None:
    # 23:00 in Tehran on D1 is 19:30 UTC, still D1; 02:00 in Tehran on D2 is 22:30 UTC on D1: counted on D2
    submitted(database, 1, at(D1, 23))
    submitted(database, 2, at(D2, 2))
    rollups.roll_pending(database)
    with database.sessions() as db:
        assert _values(analytics.series(db, "applications_received", start=D1, end=D2)) == [1.0, 1.0]


def test_weeks_start_on_saturday_and_months_are_jalali(database: Database) -> None:
    saturday = dt.date(2026, 2, 28)
    submitted(database, 1, at(saturday - dt.timedelta(days=1)))  # Friday: the week before
    submitted(database, 2, at(saturday))
    submitted(database, 3, at(saturday + dt.timedelta(days=6)))  # Friday: same week
    rollups.roll_pending(database)
    with database.sessions() as db:
        weeks = analytics.series(db, "applications_received", start=saturday - dt.timedelta(days=1),
                                 end=saturday + dt.timedelta(days=6), grain="week")
        assert [(p.period, p.value) for p in weeks] == [(saturday - dt.timedelta(days=7), 1.0), (saturday, 2.0)]
        months = analytics.series(db, "applications_received", start=saturday - dt.timedelta(days=1),
                                  end=saturday + dt.timedelta(days=6), grain="month")
        # Esfand 1404 began on 2026-02-20
        assert [(p.period, p.value) for p in months] == [(dt.date(2026, 2, 20), 3.0)]


def test_processing_time_percentiles_come_from_the_histogram(database: Database) -> None:
    start = at(D1)
    for case_id, days in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], start=1):
        submitted(database, case_id, start)
        moved(database, case_id, start, start + dt.timedelta(days=days, hours=-1))
    rollups.roll_pending(database)
    with database.sessions() as db:
        end = D1 + dt.timedelta(days=12)
        p50 = analytics.series(db, "processing_days_p50", start=D1, end=end, grain="month")
        p90 = analytics.series(db, "processing_days_p90", start=D1, end=end, grain="month")
    values = [p.value for p in p50 if p.value is not None]
    assert len(values) == 1 and 4.0 <= values[0] <= 5.0  # the fifth of ten took 5 days less an hour
    values90 = [p.value for p in p90 if p.value is not None]
    assert len(values90) == 1 and 8.0 <= values90[0] <= 10.0
    assert sum(p.count for p in p50) == 10


def test_sla_first_time_right_and_backlog(database: Database) -> None:
    start = at(D1)
    for case_id in (1, 2, 3, 4):
        submitted(database, case_id, start)
    moved(database, 2, start, at(D1, 12), to="awaiting_applicant", action="request_information", terminal=False,
          awaits_applicant=True)
    moved(database, 1, start, at(D2), sla_met=True, due_at=at(D2, 20).isoformat())
    moved(database, 2, start, at(D2), sla_met=False, due_at=at(D1, 20).isoformat())
    moved(database, 3, start, at(D2), to="withdrawn", action="withdraw")
    rollups.roll_pending(database)
    with database.sessions() as db:
        assert _values(analytics.series(db, "sla_compliance", start=D1, end=D2)) == [None, 50.0]
        assert _values(analytics.series(db, "first_time_right", start=D1, end=D2)) == [None, 50.0]
        assert _values(analytics.series(db, "backlog", start=D1, end=D2)) == [4.0, 1.0]
        later = D2 + dt.timedelta(days=3)
        age = analytics.series(db, "backlog_age_days", start=later, end=later)
        assert [(p.value, p.count) for p in age] == [(4.0, 1)]  # case 4, submitted on D1, open 4 days later
        # backlog from before the range is carried in
        assert _values(analytics.series(db, "backlog", start=later, end=later)) == [1.0]


def test_incremental_equals_rebuild(database: Database) -> None:
    start = at(D1)
    for case_id in range(1, 30):
        submitted(database, case_id, start + dt.timedelta(hours=case_id), channel="api" if case_id % 3 else "web")
        if case_id % 2:
            moved(database, case_id, start, start + dt.timedelta(days=case_id % 7, hours=case_id))
        if case_id % 10 == 0:
            rollups.roll_pending(database, batch=7)  # counted in several rounds and small batches
    rollups.roll_pending(database, batch=7)
    incremental = _snapshot(database)
    assert rollups.rebuild(database, batch=5) > 0
    assert _snapshot(database) == incremental


def _snapshot(database: Database) -> list[tuple]:
    from sqlalchemy import select

    from smartgov.analytics.models import Rollup, RollupCut, RollupMonth

    with database.sessions() as db:
        cells = [(table.__tablename__, r.measure, r.day, r.service, r.agency_id, r.branch_id, r.channel,
                  r.bucket, r.count, round(r.total, 6)) for table in (Rollup, RollupMonth)
                 for r in db.scalars(select(table))]
        cuts = [("cut", r.measure, r.grain, r.dim, r.day, r.key, r.channel, r.bucket, r.count, round(r.total, 6))
                for r in db.scalars(select(RollupCut))]
        return sorted(cells, key=repr) + sorted(cuts, key=repr)


def test_an_id_that_commits_late_is_counted_once(database: Database) -> None:
    """Simulated on every backend: the event with the smaller id appears after a larger one was counted."""
    from sqlalchemy import delete, select

    from smartgov.events import EventRecord

    first = submitted(database, 1, at(D1))
    second = submitted(database, 2, at(D1))
    with database.unit_of_work() as db:  # take the first away, as if its transaction had not committed
        row = db.scalars(select(EventRecord).where(EventRecord.id == first)).one()
        saved = {c: getattr(row, c) for c in ("id", "name", "payload", "actor_id", "occurred_at")}
        db.execute(delete(EventRecord).where(EventRecord.id == first))
    assert rollups.roll_pending(database) == 1
    with database.unit_of_work() as db:
        db.add(EventRecord(**saved))  # now it commits
    rollups.roll_pending(database)
    with database.sessions() as db:
        assert analytics.series(db, "applications_received", start=D1, end=D1)[0].value == 2.0
    rollups.roll_pending(database)
    with database.sessions() as db:
        assert analytics.series(db, "applications_received", start=D1, end=D1)[0].value == 2.0
    assert second > first


def test_a_gap_that_never_commits_is_forgotten_after_the_grace(database: Database) -> None:
    from sqlalchemy import delete

    from smartgov.analytics.models import Watermark
    from smartgov.events import EventRecord

    first = submitted(database, 1, at(D1))
    submitted(database, 2, at(D1))
    with database.unit_of_work() as db:
        db.execute(delete(EventRecord).where(EventRecord.id == first))  # rolled back: never commits
    rollups.roll_pending(database)
    with database.sessions() as db:
        assert db.get(Watermark, rollups.WATERMARK).gaps
    clock.advance(rollups.GAP_GRACE + dt.timedelta(seconds=1))
    rollups.roll_pending(database)
    with database.sessions() as db:
        assert db.get(Watermark, rollups.WATERMARK).gaps == {}
