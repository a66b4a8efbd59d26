"""Live indicators read the event store; without data they say so instead of showing a number."""

from __future__ import annotations

import datetime as dt

import pytest

from smartgov import clock, events
from smartgov.assessment import indicators
from smartgov.assessment.indicators import Reading, Scope
from tests.factories import create_agency


def decided(db, agency_id: int, app_id: int, hours: float, automatic: bool, **extra) -> None:  # type: ignore[no-untyped-def]
    submitted = clock.now()
    events.publish(db, "services.application_submitted", application_id=app_id, agency_id=agency_id,
                   service_id="pension", submitted_at=submitted.isoformat())
    clock.advance(dt.timedelta(hours=hours))
    events.publish(db, "services.application_transitioned", application_id=app_id, agency_id=agency_id,
                   service_id="pension", submitted_at=submitted.isoformat(), terminal=True, action="approve",
                   automatic=automatic, **extra)


def test_indicators_from_service_events_and_no_data_otherwise(db) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    a, b = create_agency(db, "ag-a"), create_agency(db, "ag-b")
    scope = Scope(org_ids=frozenset({a.id}), total_services=4, operating_cost_rial=9_000_000)
    empty = {i["key"]: i for i in indicators.live_indicators(db, scope)}
    assert all(i["value"] is None and i["n"] == 0 and i["display"] for i in empty.values())
    events.publish(db, "services.definition_published", service_id="pension", agency_id=a.id)
    for n, (hours, auto) in enumerate([(1, True), (2, True), (10, False)]):
        decided(db, a.id, n, hours, auto, sla_met=hours < 5)
    decided(db, b.id, 99, 100, False)  # another agency: not counted
    events.publish(db, "services.application_rated", application_id=0, agency_id=a.id, score=4)
    events.publish(db, "services.application_rated", application_id=1, agency_id=a.id, score=5)
    db.commit()
    got = {i["key"]: i for i in indicators.live_indicators(db, scope)}
    assert got["digitization_rate"]["value"] == pytest.approx(25.0)
    assert got["processing_time_median"]["value"] == pytest.approx(2.0)
    assert got["processing_time_p90"]["value"] == pytest.approx(8.4)
    assert got["automatic_decisions"]["value"] == pytest.approx(200 / 3)
    assert got["sla_compliance"]["value"] == pytest.approx(200 / 3)
    assert got["satisfaction"]["value"] == pytest.approx(4.5)
    assert got["cost_per_service"]["value"] == pytest.approx(3_000_000)
    assert got["availability"]["value"] is None
    indicators.register_provider("availability", lambda db, s: Reading(99.5, 720, "uptime"))
    try:
        assert {i["key"]: i for i in indicators.live_indicators(db, scope)}["availability"]["value"] == 99.5
    finally:
        indicators._providers.pop("availability")
    with pytest.raises(KeyError):
        indicators.register_provider("unknown", lambda db, s: None)


def test_rating_a_case_moves_the_satisfaction_indicator(database) -> None:  # type: ignore[no-untyped-def]
    """The indicator listens for the name the services module publishes when an applicant rates a case."""
    from smartgov.services import service
    from tests.services.helpers import address_answers, arrange, principal, upload

    def satisfaction(s, scope: Scope) -> dict:  # type: ignore[no-untyped-def]
        return {i["key"]: i for i in indicators.live_indicators(s, scope)}["satisfaction"]

    with database.sessions() as s:
        accounts = arrange(s)
        citizen = principal(accounts["citizen"])
        app = service.submit_application(s, citizen, "address-change", address_answers(accounts["citizen"]),
                                         {"proof_of_address": upload(s, accounts["citizen"])}).application
        scope = Scope(org_ids=frozenset({app.agency_id}))
        assert satisfaction(s, scope)["value"] is None
        assert app.terminal  # the owner of the home is registered at once, by the service's rules
        service.rate(s, citizen, app, 4, "Quick and clear.")
        s.commit()
    with database.sessions() as s:
        got = satisfaction(s, scope)
        assert (got["value"], got["n"]) == (4.0, 1)
        assert satisfaction(s, Scope(org_ids=frozenset({app.agency_id + 1000})))["value"] is None
