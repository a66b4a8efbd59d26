"""Two smartgov instances, each with its own database and keys, exchange both ways over HTTP."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from smartgov.exchange import providers, service
from smartgov.exchange.models import ExchangeKey, ExchangeMessage, PersonDataAccess
from tests.exchange.support import member, purposes, serve
from tests.factories import create_person


def _history(db, code: str, params: dict) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return {"national_code": code, "total_days": 60,
            "records": [{"employer_code": "emp-1", "year": 1403, "month": m, "days": 30, "wage_rial": 150_000_000}
                        for m in (1, 2)]}


def test_round_trip_both_ways_over_http(app, database, peer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(providers._providers, "contribution-history", _history)
    # Instance A hosts the social-security organization; instance B the civil registry.
    with database.unit_of_work() as a:
        purposes(a)
        sso = member(a, "sso", ["pension", "contributions"])
        service.create_service(a, service.subsystem(a, "IR/GOV/sso/contributions"), code="contribution-history",
                               name_fa="سابقه", name_en="History", response_schema=providers.CONTRIBUTION_HISTORY_SCHEMA)
        person_a = create_person(a)
        code = person_a.national_code
        assert sso.is_local
    with peer.database.unit_of_work() as b:
        purposes(b)
        member(b, "nocr", ["registry"])
        service.create_service(b, service.subsystem(b, "IR/GOV/nocr/registry"), code="person-status",
                               name_fa="وضعیت", name_en="Status", response_schema=providers.PERSON_STATUS_SCHEMA)
        create_person(b, national_code=code, first_name_en="Nasrin")
    with serve(peer.app) as url_b, serve(app) as url_a:
        config_a = httpx.get(f"{url_a}/api/v1/exchange/configuration").json()
        config_b = httpx.get(f"{url_b}/api/v1/exchange/configuration").json()
        with database.unit_of_work() as a:
            service.import_configuration(a, config_b, url_b)
        with peer.database.unit_of_work() as b:
            service.import_configuration(b, config_a, url_a)
            service.grant_access(b, service.subsystem(b, "IR/GOV/sso/pension"),
                                 service.services_by_code(b, "person-status")[0], legal_basis_fa="قانون",
                                 legal_basis_en="Law", purposes=["pension-claim"])
        with database.unit_of_work() as a:
            service.grant_access(a, service.subsystem(a, "IR/GOV/nocr/registry"),
                                 service.services_by_code(a, "contribution-history")[0], legal_basis_fa="قانون",
                                 legal_basis_en="Law", purposes=["tax-assessment"])
        # A → B: the pension office asks the civil registry
        with database.unit_of_work() as a:
            got = service.fetch(a, "IR/GOV/sso/pension", "person-status", code, "pension-claim")
        assert got.ok, got.reason
        assert got.data["first_name_en"] == "Nasrin"  # B's data, not A's
        # B → A: the registry asks the social-security organization
        with peer.database.unit_of_work() as b:
            back = service.fetch(b, "IR/GOV/nocr/registry", "contribution-history", code, "tax-assessment")
        assert back.ok, back.reason
        assert back.data["total_days"] == 60
        # and a refusal travels back as a reason code
        with database.unit_of_work() as a:
            refused = service.fetch(a, "IR/GOV/sso/pension", "person-status", code, "tax-assessment")
        assert not refused.ok and refused.reason == "purpose_not_allowed"
    # each instance signs with its own keys; only the public halves crossed over
    with database.sessions() as a, peer.database.sessions() as b:
        mine_a = {k.key_id for k in a.scalars(select(ExchangeKey).where(ExchangeKey.sealed_private_key.is_not(None)))}
        mine_b = {k.key_id for k in b.scalars(select(ExchangeKey).where(ExchangeKey.sealed_private_key.is_not(None)))}
        assert mine_a and mine_b and not mine_a & mine_b
        assert {k.key_id for k in b.scalars(select(ExchangeKey))} >= mine_a
        served_b = b.scalar(select(ExchangeMessage).where(ExchangeMessage.outcome == "served"))
        assert served_b.client == "IR/GOV/sso/pension" and served_b.service_code == "person-status"
        refused_b = b.scalar(select(ExchangeMessage).where(ExchangeMessage.outcome == "refused"))
        assert refused_b.reason == "purpose_not_allowed"
        # who read my data: recorded where the data was read, and on the asking side's portal too
        assert b.scalar(select(PersonDataAccess.purpose).where(PersonDataAccess.agency_code == "sso")) == \
            "pension-claim"
        assert {(r.agency_code, r.what) for r in a.scalars(select(PersonDataAccess))} == {
            ("sso", "person-status"), ("nocr", "contribution-history")}

