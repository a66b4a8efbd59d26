"""Receiving and sending signed messages in one instance (members hosted here, loopback path)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from smartgov import clock
from smartgov.events import EventRecord
from smartgov.exchange import envelope as env
from smartgov.exchange import providers, service
from smartgov.exchange.models import ExchangeMessage, ExchangeSeenMessage, PersonDataAccess
from tests.exchange.support import member, registry, request
from tests.factories import create_person


def test_fetch_signs_checks_logs_and_records_the_read(database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        registry(db)
        person = create_person(db, first_name_en="Leila")
        code = person.national_code
    with database.unit_of_work() as db:
        result = service.fetch(db, "IR/GOV/sso/pension", "person-status", code, "pension-claim", actor_account_id=None)
    assert result.ok, result.reason
    assert result.data["first_name_en"] == "Leila" and result.data["status"] == "registered"
    with database.sessions() as db:
        log = {(m.direction, m.kind, m.outcome) for m in db.scalars(select(ExchangeMessage))}
        assert log == {("out", "request", "sent"), ("in", "request", "served"), ("out", "response", "sent"),
                       ("in", "response", "ok")}
        served = db.scalar(select(ExchangeMessage).where(ExchangeMessage.outcome == "served"))
        assert served.signed_message["envelope"]["person"] == code  # the message as signed is kept
        assert served.envelope_sha256 == env.digest(served.signed_message["envelope"])
        access = db.scalar(select(PersonDataAccess))
        assert (access.national_code, access.agency_code, access.what, access.purpose, access.source) == (
            code, "sso", "person-status", "pension-claim", "exchange")
        names = set(db.scalars(select(EventRecord.name)))
        assert {"exchange.request_served", "exchange.fetch_completed"} <= names
        event = db.scalar(select(EventRecord).where(EventRecord.name == "exchange.request_served"))
        assert code not in str(event.payload)  # no personal data in the ledger's events
        assert db.scalar(select(func.count()).select_from(ExchangeSeenMessage)) == 1


def test_fetch_reports_refusals_without_raising(database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        registry(db)
        code = create_person(db).national_code
    with database.unit_of_work() as db:
        assert service.fetch(db, "IR/GOV/sso/pension", "person-status", code, "tax-assessment").reason == \
            "purpose_not_allowed"
        assert service.fetch(db, "IR/GOV/sso/pension", "income-record", code, "pension-claim").reason == \
            "unknown_service"
        assert service.fetch(db, "IR/GOV/sso/pension", "person-status", "0012345679", "pension-claim").reason == \
            "not_found"
    with database.sessions() as db:
        assert db.scalar(select(func.count()).select_from(PersonDataAccess)) == 0
        reasons = set(db.scalars(select(ExchangeMessage.reason).where(ExchangeMessage.direction == "in",
                                                                      ExchangeMessage.kind == "request")))
        assert reasons == {"purpose_not_allowed", "not_found"}


def test_a_provider_answer_that_breaks_the_schema_is_not_forwarded(database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(providers._providers, "person-status", lambda db, code, params: {"national_code": code})
    with database.unit_of_work() as db:
        registry(db)
        code = create_person(db).national_code
    with database.unit_of_work() as db:
        result = service.fetch(db, "IR/GOV/sso/pension", "person-status", code, "pension-claim")
    assert not result.ok and result.reason == "provider_error"


def test_rotated_keys_keep_verifying_what_they_signed_before(database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        reg = registry(db)
        code = create_person(db).national_code
        old = service.signing_key(db, reg.client)
        before = request(db, reg.client, reg.service, code, private=old)
        new = service.rotate_key(db, reg.client)
        assert new.key_id != old[0] and sum(k.retired_at is None for k in reg.client.keys) == 1
        assert service.receive(db, before).accepted  # signed before the rotation
        clock.advance(dt.timedelta(seconds=1))
        after = request(db, reg.client, reg.service, code, private=old)
        outcome = service.receive(db, after)
        assert outcome.error is not None and outcome.error.code == "bad_signature"
        assert service.receive(db, request(db, reg.client, reg.service, code)).accepted


def test_remote_subsystems_cannot_make_keys(database) -> None:  # type: ignore[no-untyped-def]
    from smartgov.errors import DomainError

    with database.unit_of_work() as db:
        remote = service.create_member(db, instance="EE", member_class="GOV", member_code="x", name_fa="x",
                                       name_en="x", server_url="http://127.0.0.1:9")
        sub = service.create_subsystem(db, remote, "s")
        assert sub.keys == []
        with pytest.raises(DomainError, match="imported"):
            service.rotate_key(db, sub)


def test_configuration_round_trip_between_registries(database, db) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as s:
        registry(s)
        config = service.export_configuration(s)
    assert {m["member_code"] for m in config["members"]} == {"sso", "nocr"}
    assert all("sealed" not in str(m) for m in config["members"])
    with database.unit_of_work() as s:
        from smartgov.errors import Conflict

        with pytest.raises(Conflict):
            service.import_configuration(s, config, "http://127.0.0.1:9")
        s.rollback()
    with database.unit_of_work() as s:
        member(s, "inta", ["tax"])
        assert service.find_subsystem(s, "IR/GOV/inta/tax") is not None


def test_seen_message_ids_are_purged_only_once_their_messages_expired(database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        reg = registry(db)
        code = create_person(db).national_code
        message = request(db, reg.client, reg.service, code)
        assert service.receive(db, message).accepted
    assert service.purge_seen_messages(database) == 0
    clock.advance(service.DEFAULT_TTL + service.CLOCK_SKEW + dt.timedelta(seconds=1))
    assert service.purge_seen_messages(database) == 1
    with database.unit_of_work() as db:  # the replay is still refused, now because it expired
        outcome = service.receive(db, message)
        assert outcome.error is not None and outcome.error.code == "expired"
