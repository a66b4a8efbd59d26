"""Every other KPI from hand-made events, and an id committed late by a concurrent transaction (PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from smartgov import analytics, clock, events
from smartgov.analytics import rollups
from smartgov.db import Database
from smartgov.exchange.events import ACCESS_FLAGGED, REQUEST_REFUSED, REQUEST_SERVED
from smartgov.participation.events import COMMENT_POSTED, PETITION_OVERDUE, PETITION_RESPONDED, VOTE_CAST
from smartgov.services.events import PAYMENT_SETTLED, RATED

from .helpers import at, publish_at, submitted

D1 = dt.date(2026, 3, 1)
D2 = D1 + dt.timedelta(days=1)


def _one(database: Database, code: str, **filters: object) -> tuple[float | None, int]:
    with database.sessions() as db:
        points = analytics.series(db, code, start=D1, end=D2, grain="month", **filters)  # type: ignore[arg-type]
    assert len(points) == 1
    return points[0].value, points[0].count


def test_satisfaction_payments_and_participation(database: Database) -> None:
    for score in (5, 4, 2):
        publish_at(database, at(D1), RATED, application_id=1, service_id="svc.a", agency_id=1, score=score)
    publish_at(database, at(D1), PAYMENT_SETTLED, application_id=1, service_id="svc.a", agency_id=1, branch_id=2,
               amount=150000)
    publish_at(database, at(D2), PAYMENT_SETTLED, application_id=2, service_id="svc.a", agency_id=1, branch_id=2,
               amount=50000)
    for _ in range(3):
        publish_at(database, at(D1), COMMENT_POSTED, comment_id=1)
    publish_at(database, at(D1), VOTE_CAST, box_kind="poll", box_id=1, tracker="t")
    publish_at(database, at(D1), PETITION_RESPONDED, petition_id=1, late=False)
    publish_at(database, at(D1), PETITION_RESPONDED, petition_id=2, late=True)
    publish_at(database, at(D2), PETITION_OVERDUE, petition_id=3, organization_id=1, due_at=None)
    publish_at(database, at(D2), PETITION_RESPONDED, petition_id=4, late=False)
    rollups.roll_pending(database)
    assert _one(database, "satisfaction") == (pytest.approx(11 / 3), 3)
    assert _one(database, "payments_collected") == (200000.0, 2)
    assert _one(database, "comments_posted") == (3.0, 3)
    assert _one(database, "votes_cast") == (1.0, 1)
    assert _one(database, "petitions_answered_on_time") == (50.0, 4)


def test_exchange_who_read_my_data_and_ledger_size(database: Database) -> None:
    for name in (REQUEST_SERVED, REQUEST_SERVED, REQUEST_SERVED, REQUEST_REFUSED):
        publish_at(database, at(D1), name, service="registry.person", message_id="m")
    publish_at(database, at(D2), ACCESS_FLAGGED, flag_id=1, access_id=1)
    rollups.roll_pending(database)
    assert _one(database, "exchange_requests") == (4.0, 4)
    assert _one(database, "exchange_refusals") == (25.0, 4)
    assert _one(database, "data_access_requests") == (1.0, 1)
    with database.sessions() as db:
        size = analytics.series(db, "ledger_size", start=D1, end=D2)
    assert [p.value for p in size] == [4.0, 5.0]  # every event, cumulated


def test_kpis_are_bilingual_data_with_unit_direction_and_target(database: Database) -> None:
    with database.sessions() as db:
        found = analytics.kpis(db)
        assert analytics.kpi(db, "sla_compliance").target == 90
    codes = {k.code for k in found}
    assert {"applications_received", "applications_decided", "processing_days_p50", "processing_days_p90",
            "sla_compliance", "backlog", "backlog_age_days", "first_time_right", "satisfaction",
            "payments_collected", "digital_share", "cost_per_service", "comments_posted", "votes_cast",
            "petitions_answered_on_time", "exchange_requests", "exchange_refusals", "data_access_requests",
            "ledger_size"} <= codes
    for k in found:
        assert k.title["fa"] and k.title["en"] and k.definition["fa"] and k.definition["en"]
        assert any("\u0600" <= ch <= "\u06ff" for ch in k.title["fa"])  # Persian, not a copy of the English
        assert k.unit in ("count", "days", "percent", "rial", "score") and k.direction in ("up", "down")


def test_an_id_committed_by_a_slower_transaction_is_counted(database: Database) -> None:
    """Two concurrent transactions on PostgreSQL: the one that took the smaller id commits last."""
    if not database.is_postgres:
        pytest.skip("ids commit out of order on PostgreSQL only (SQLite has one writer at a time)")
    from smartgov.services.events import SUBMITTED

    slow = database.sessions()
    try:
        slow_event = events.publish(slow, SUBMITTED, application_id=1, service_id="svc.a", agency_id=1, branch_id=2,
                                    channel="web", submitted_at=clock.now().isoformat())
        slow.flush()  # the smaller id is taken, not committed
        fast = submitted(database, 2, clock.now())
        assert fast > int(slow_event.id or 0)
        assert rollups.roll_pending(database) == 1  # only the committed one, past the gap
        slow.commit()
    finally:
        slow.close()
    rollups.roll_pending(database)
    today = rollups.day_of(clock.now())
    with database.sessions() as db:
        assert analytics.series(db, "applications_received", start=today, end=today)[0].value == 2.0
    rollups.roll_pending(database)
    with database.sessions() as db:
        assert analytics.series(db, "applications_received", start=today, end=today)[0].value == 2.0
