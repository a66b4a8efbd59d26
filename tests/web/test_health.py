"""The worker's availability probe: once a minute, down when the server does not answer."""

from __future__ import annotations

import datetime as dt

from smartgov import clock, health


def test_probes_measure_availability(database, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    answers = iter([(True, 12), (False, None), (True, 9), (True, 11)])
    monkeypatch.setattr(health, "check", lambda base_url, timeout=5.0: next(answers))
    start = clock.now()
    assert health.availability(db) is None  # no probes: no number
    assert health.probe(database) == 1
    assert health.probe(database) == 0  # at most one a minute
    for _ in range(3):
        clock.advance(dt.timedelta(minutes=1))
        assert health.probe(database) == 1
    assert health.availability(db, since=start) == (75.0, 4)
    assert health.availability(db, since=clock.now() + dt.timedelta(minutes=1)) is None


def test_a_server_that_does_not_answer_counts_as_down() -> None:
    assert health.check("http://127.0.0.1:9", timeout=0.5) == (False, None)  # nothing listens on port 9


def test_the_probe_reads_the_real_health_route(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_the_assessment_shows_measured_availability(database, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov.assessment import indicators

    scope = indicators.Scope(org_ids=None)
    assert indicators.availability(db, scope) is None  # "no data yet", never 0
    monkeypatch.setattr(health, "check", lambda base_url, timeout=5.0: (True, 5))
    health.probe(database)
    reading = indicators.availability(db, scope)
    assert reading is not None and reading.value == 100.0
