"""Once only: the e-services engine's prefill asks the exchange instead of the applicant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from smartgov import clock
from smartgov.exchange import prefill
from smartgov.exchange.models import ExchangeMessage, PersonDataAccess
from smartgov.services import definition_of, published, sync_bundled_definitions
from tests.exchange.support import registry
from tests.factories import create_account


def test_prefill_fetches_through_the_exchange_once_and_records_the_read(database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov.services import service as engine

    monkeypatch.setitem(prefill._sources, "address-change", [prefill.PrefillSource(
        service_code="person-status", purpose="pension-claim", fact="person_status",
        answers={"national_code": "national_code"})])
    with database.unit_of_work() as db:
        registry(db)  # agencies sso and nocr, members, person-status, SSO's right for pension claims
        account = create_account(db, username="maryam", first_name_en="Maryam")
        sync_bundled_definitions(db)
        account_id, code = account.id, account.person.national_code
    for _ in range(2):  # e.g. two pages of the same journey
        with database.unit_of_work() as db:
            from smartgov.identity.models import Account

            account = db.get(Account, account_id)
            defn = definition_of(published(db, "address-change"))
            known = engine.applicant_context(db, account, defn)
            assert known.applicant["person_status"]["first_name_en"] == "Maryam"
            assert known.answers["national_code"] == code
            assert "exchange_errors" not in known.applicant
    with database.sessions() as db:
        # asked once (the second page reused the verified answer), recorded once, with its purpose
        assert db.scalar(select(func.count()).select_from(ExchangeMessage).where(
            ExchangeMessage.outcome == "served")) == 1
        access = db.scalar(select(PersonDataAccess).where(PersonDataAccess.national_code == code))
        assert (access.agency_code, access.what, access.purpose) == ("sso", "person-status", "pension-claim")
    # after the reuse window the exchange is asked again
    clock.advance(prefill.PREFILL_MAX_AGE + dt.timedelta(seconds=1))
    with database.unit_of_work() as db:
        engine.applicant_context(db, db.get(Account, account_id), defn)
    with database.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ExchangeMessage).where(
            ExchangeMessage.outcome == "served")) == 2


def test_a_refused_source_leaves_the_fact_empty_with_the_reason(database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov.identity.models import Account
    from smartgov.services import service as engine

    monkeypatch.setitem(prefill._sources, "address-change", [prefill.PrefillSource(
        service_code="person-status", purpose="tax-assessment", fact="person_status")])
    with database.unit_of_work() as db:
        registry(db)
        account_id = create_account(db, username="maryam").id
        sync_bundled_definitions(db)
    with database.unit_of_work() as db:
        defn = definition_of(published(db, "address-change"))
        known = engine.applicant_context(db, db.get(Account, account_id), defn)
    assert known.applicant["person_status"] is None
    assert known.applicant["exchange_errors"] == {"person_status": "purpose_not_allowed"}
