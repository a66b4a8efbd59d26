"""An account proves its person (``identity.proof``) before it sees any personal record: a code sent
by SMS to the mobile number the population registry holds, asked for through the exchange, or an
official who saw the national card."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from smartgov import clock
from smartgov.events import EventRecord, OutboxMessage
from smartgov.exchange.models import PersonDataAccess
from smartgov.identity import PROOF_PURPOSE
from smartgov.identity.models import Account, ProofCode
from smartgov.services.models import Application
from tests.factories import (
    api_token,
    auth,
    create_account,
    create_person,
    csrf_of,
    in_a_loop_of_its_own,
    last_proof_code,
    population_registry,
    sent_sms,
)
from tests.insurance.support import arrange, give_record

API = "/api/v1"
REGISTRY_MOBILE = "09121112233"
STRANGERS_PHONE = "09350000000"
PASSWORD = "Strangers-pass-99"


def victim(db: Any) -> Any:
    """A person the platform knows (as the registry and the fund do) with ten insured years, no account yet."""
    world = arrange(db)
    population_registry(db)
    person = create_person(db, national_code="0499370899", birth_date=dt.date(1980, 2, 3), phone=REGISTRY_MOBILE,
                           registry_mobile=REGISTRY_MOBILE, first_name_fa="مریم", last_name_fa="کریمی")
    give_record(db, SimpleNamespace(person=person), world["shop_a"], 10)
    db.commit()
    return person


def registration(person: Any, username: str = "stranger1") -> dict[str, Any]:
    return {"national_code": person.national_code, "birth_date": person.birth_date.isoformat(),
            "first_name_fa": "غریبه", "last_name_fa": "ناشناس", "first_name_en": "Some", "last_name_en": "One",
            "phone": STRANGERS_PHONE, "username": username, "password": PASSWORD}


def register_by_api(client: Any, db: Any, person: Any, username: str = "stranger1") -> tuple[Account, dict[str, str]]:
    r = client.post(f"{API}/identity/register", json=registration(person, username))
    assert r.status_code == 201, r.text
    account = db.scalar(select(Account).where(Account.username == username))
    return account, auth(api_token(client, account, password=PASSWORD))


#: Every route of the citizen's own records, and what the API answers there once proven.
PERSONAL_READS = [
    ("GET", f"{API}/insurance/me", 200),
    ("GET", f"{API}/insurance/me/contributions", 200),
    ("GET", f"{API}/insurance/me/pension-estimate", 200),
    ("GET", f"{API}/services/catalog/pension-retirement/prefill", 200),
    ("GET", f"{API}/services/applications", 200),
    ("GET", f"{API}/exchange/my-data-access", 200),
]


def test_a_stranger_with_the_code_and_birth_date_sees_nothing_until_the_registrys_code(  # type: ignore[no-untyped-def]
        client, db, database, settings) -> None:
    person = victim(db)
    account, headers = register_by_api(client, db, person)
    assert account.person_id == person.id  # linked, not proven

    me = client.get(f"{API}/identity/me", headers=headers).json()
    assert (me["proven"], me["person"]) == (False, None)
    for method, path, _ in PERSONAL_READS:
        r = client.request(method, path, headers=headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "person_not_proven", (path, r.text)
    for lang, words in (("fa", "ثبت احوال"), ("en", "population registry")):
        r = client.get(f"{API}/insurance/me", headers={**headers, "Accept-Language": lang})
        assert words in r.json()["error"]["message"]
    r = client.patch(f"{API}/identity/me", headers=headers, json={"phone": STRANGERS_PHONE})
    assert r.status_code == 403  # the person's contact details are not the stranger's to change
    # browsing and drafts remain
    assert client.get(f"{API}/services/catalog").status_code == 200
    assert client.put(f"{API}/services/drafts/pension-retirement", headers=headers,
                      json={"answers": {"note": "later"}}).status_code == 200

    r = client.post(f"{API}/identity/me/proof/codes", headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["mobile_masked"] == "0912•••••33"
    sms = sent_sms(database, settings.data_dir)
    assert [to for to, _ in sms] == [REGISTRY_MOBILE]  # the registry's number, never the one the stranger typed
    # the registry was read through the exchange, and the person sees it in "who read my data"
    seen = db.scalars(select(PersonDataAccess).where(PersonDataAccess.national_code == person.national_code)).all()
    assert [a.purpose for a in seen] == [PROOF_PURPOSE]

    for _ in range(settings.login_max_failures):
        r = client.post(f"{API}/identity/me/proof", headers=headers, json={"code": "000000"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "bad_proof_code"
    code = last_proof_code(database, settings.data_dir, REGISTRY_MOBILE)
    r = client.post(f"{API}/identity/me/proof", headers=headers, json={"code": code})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0  # throttled: even the right code waits
    assert client.get(f"{API}/insurance/me", headers=headers).status_code == 403

    # The holder of the registry's phone types the code (after the wait, a fresh one).
    clock.advance(dt.timedelta(minutes=16))
    assert client.post(f"{API}/identity/me/proof/codes", headers=headers).status_code == 201
    code = last_proof_code(database, settings.data_dir, REGISTRY_MOBILE)
    r = client.post(f"{API}/identity/me/proof", headers=headers, json={"code": code.translate(str.maketrans(
        "0123456789", "۰۱۲۳۴۵۶۷۸۹"))})  # typed in Persian digits
    assert r.status_code == 200 and r.json()["proven"] is True
    assert r.json()["person"]["national_code"] == person.national_code
    for method, path, status in PERSONAL_READS:
        assert client.request(method, path, headers=headers).status_code == status, path
    assert client.get(f"{API}/insurance/me", headers=headers).json()["years"] == 10
    assert client.get(f"{API}/identity/me/proof", headers=headers).json()["method"] == "sms"


def test_the_stranger_on_the_pages_in_persian(client, db, database, settings) -> None:  # type: ignore[no-untyped-def]
    person = victim(db)
    form = {**registration(person), "birth_date": "1358/11/14", "password_again": PASSWORD}
    r = client.post("/register", data={**form, "csrf_token": csrf_of(client.get("/register").text)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/prove"
    page = client.get("/account/prove").text
    assert "ثابت کنید" in page and "۰۹۱۲•••••۳۳" in page  # the masked number, in Persian digits
    assert 'autocomplete="one-time-code"' in page and 'for="f-code"' in page

    for path in ("/insurance", "/insurance/pension", "/services/applications", "/account/data-access"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert f'href="/account/prove?next={path}"' in r.text and "ثبت احوال" in r.text
    account_page = client.get("/account").text
    assert person.national_code not in account_page and "۰۴۹۹۳۷۰۸۹۹" not in account_page
    assert REGISTRY_MOBILE not in account_page and 'href="/account/prove"' in account_page

    r = client.post("/account/prove", data={"code": "123", "next": "/insurance",
                                            "csrf_token": csrf_of(client.get("/account/prove").text)})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text and "کد نادرست" in r.text
    code = last_proof_code(database, settings.data_dir, REGISTRY_MOBILE)
    r = client.post("/account/prove", data={"code": code, "next": "/insurance",
                                            "csrf_token": csrf_of(client.get("/account/prove").text)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/insurance"
    records = client.get("/insurance")
    assert records.status_code == 200 and "۱۰ سال" in records.text and "کارگاه الف" in records.text  # ten years
    assert client.get("/insurance/pension").status_code == 200
    assert person.national_code in client.get("/account").text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))


def test_the_code_is_hashed_expires_works_once_and_a_new_one_replaces_it(  # type: ignore[no-untyped-def]
        client, db, database, settings) -> None:
    person = victim(db)
    _, headers = register_by_api(client, db, person)
    assert client.post(f"{API}/identity/me/proof/codes", headers=headers).status_code == 201
    first = last_proof_code(database, settings.data_dir, REGISTRY_MOBILE)
    stored = db.scalars(select(ProofCode)).all()
    assert len(stored) == 1 and first not in stored[0].code_hash and len(stored[0].code_hash) == 64
    # sealed in the event and the outbox (and so in the ledger): nowhere readable but on the phone
    db.expire_all()
    kept = [json.dumps(e.payload) for e in db.scalars(select(EventRecord))]
    kept += [json.dumps(m.payload) for m in db.scalars(select(OutboxMessage))]
    assert not [k for k in kept if first in k]

    r = client.post(f"{API}/identity/me/proof/codes", headers=headers)
    assert r.status_code == 429 and r.json()["error"]["code"] == "proof_code_limit" and r.headers["retry-after"]
    clock.advance(dt.timedelta(seconds=61))
    assert client.post(f"{API}/identity/me/proof/codes", headers=headers).status_code == 201
    second = last_proof_code(database, settings.data_dir, REGISTRY_MOBILE)
    if first != second:  # a new code replaces the old one
        assert client.post(f"{API}/identity/me/proof", headers=headers, json={"code": first}).status_code == 422
    clock.advance(dt.timedelta(minutes=11))  # codes last ten minutes
    assert client.post(f"{API}/identity/me/proof", headers=headers, json={"code": second}).status_code == 422
    assert client.post(f"{API}/identity/me/proof/codes", headers=headers).status_code == 201
    third = last_proof_code(database, settings.data_dir, REGISTRY_MOBILE)
    assert client.post(f"{API}/identity/me/proof", headers=headers, json={"code": third}).status_code == 200
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ProofCode).where(ProofCode.used_at.is_not(None))) == 1
    # proven: nothing more to send, and the used code proves nothing again
    r = client.post(f"{API}/identity/me/proof/codes", headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_proven"


def test_codes_per_person_per_day_are_limited_whatever_the_account(client, db, database, settings) -> None:  # type: ignore[no-untyped-def]
    person = victim(db)
    heads = [register_by_api(client, db, person, f"claimant{i}")[1] for i in range(2)]
    for i in range(settings.proof_codes_per_day):
        assert client.post(f"{API}/identity/me/proof/codes", headers=heads[i % 2]).status_code == 201
        clock.advance(dt.timedelta(seconds=settings.proof_code_resend_seconds + 1))
    r = client.post(f"{API}/identity/me/proof/codes", headers=heads[0])
    assert r.status_code == 429 and r.json()["error"]["code"] == "proof_code_limit"
    assert len(sent_sms(database, settings.data_dir)) == settings.proof_codes_per_day  # the phone is not flooded
    clock.advance(dt.timedelta(hours=24))
    assert client.post(f"{API}/identity/me/proof/codes", headers=heads[0]).status_code == 201


def test_without_a_registry_number_or_a_registry_the_person_is_sent_to_an_office(client, db) -> None:  # type: ignore[no-untyped-def]
    arrange(db)
    population_registry(db)
    unknown_mobile = create_person(db, registry_mobile=None)
    db.commit()
    _, headers = register_by_api(client, db, unknown_mobile)
    r = client.post(f"{API}/identity/me/proof/codes", headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_registry_mobile"
    # the registry was asked all the same: that read stays in the person's "who read my data"
    assert db.scalar(select(PersonDataAccess.purpose).where(
        PersonDataAccess.national_code == unknown_mobile.national_code)) == PROOF_PURPOSE
    # a national code the platform never knew: the registry knows no number for the details typed in
    fresh = {**registration(SimpleNamespace(national_code="0010350829", birth_date=dt.date(1990, 1, 1)), "newcomer")}
    assert client.post(f"{API}/identity/register", json=fresh).status_code == 201
    newcomer = auth(api_token(client, db.scalar(select(Account).where(Account.username == "newcomer")),
                              password=PASSWORD))
    r = client.post(f"{API}/identity/me/proof/codes", headers=newcomer)
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_registry_mobile"


def test_an_unreachable_registry_is_a_503_not_a_crash(client, db) -> None:  # type: ignore[no-untyped-def]
    arrange(db)  # no person-mobile service, no identity subsystem
    person = create_person(db, registry_mobile=REGISTRY_MOBILE)
    db.commit()
    _, headers = register_by_api(client, db, person)
    r = client.post(f"{API}/identity/me/proof/codes", headers=headers)
    assert r.status_code == 503 and r.json()["error"]["code"] == "registry_unavailable"


def test_an_official_proves_in_person_and_the_strangers_claims_close(client, db) -> None:  # type: ignore[no-untyped-def]
    person = victim(db)
    stranger, stranger_headers = register_by_api(client, db, person, "stranger1")
    # an unproven claim does not block the person's own registration
    _, owner_headers = register_by_api(client, db, person, "realowner")
    official = db.scalar(select(Account).where(Account.username == "official1"))
    body = {"national_code": person.national_code, "username": "realowner", "method": "in_person"}
    assert client.post(f"{API}/identity/proofs", headers=owner_headers, json=body).status_code == 403
    official_headers = auth(api_token(client, official))
    r = client.post(f"{API}/identity/proofs", headers=official_headers,
                    json={**body, "username": "boss"})  # someone else's account
    assert r.status_code == 400 and r.json()["error"]["field"] == "username"
    r = client.post(f"{API}/identity/proofs", headers=official_headers, json=body)
    assert r.status_code == 201 and (r.json()["proven"], r.json()["method"]) == (True, "in_person")
    assert client.get(f"{API}/insurance/me", headers=owner_headers).status_code == 200
    db.expire_all()
    assert db.get(Account, stranger.id).is_active is False  # one person, one account
    assert client.get(f"{API}/identity/me", headers=stranger_headers).status_code == 401
    r = client.post(f"{API}/identity/register", json=registration(person, "latecomer"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_registered"


def test_the_official_proves_a_person_on_a_page(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import page_login

    person = victim(db)
    register_by_api(client, db, person, "realowner")
    page_login(client, db.scalar(select(Account).where(Account.username == "official1")), "/account/proofs")
    form = client.get("/account/proofs").text
    r = client.post("/account/proofs", data={"national_code": person.national_code, "username": "realowner",
                                             "method": "in_person", "csrf_token": csrf_of(form)})
    assert r.status_code == 200 and "realowner" in r.text
    db.expire_all()
    assert db.scalar(select(Account.proof_method).where(Account.username == "realowner")) == "in_person"


@pytest.mark.parametrize("path", ["/services/applications", "/services/applications/{reference}"])
def test_an_unproven_account_cannot_submit_or_read_its_applications_on_either_path(  # type: ignore[no-untyped-def]
        client, db, database, path) -> None:
    """The submission is read two ways (with the session, or in one statement by ``services.intake`` on
    PostgreSQL) and so is the status read (``services.status``): the rule holds on each."""
    from smartgov.services import intake, pipeline
    from tests.services.helpers import arrange as arrange_services
    from tests.services.test_services_intake import tenant_body

    accounts = arrange_services(db)
    unproven = create_account(db, username="unproven", proven=False)
    db.commit()
    proven_headers = auth(api_token(client, accounts["citizen"]))
    headers = auth(api_token(client, unproven))
    raw = headers["Authorization"][7:]
    body = tenant_body(client, headers, unproven)  # uploads are part of a draft: allowed
    if database.hot_reads is not None:  # PostgreSQL: the fast path hands the unproven account to the general path
        found = in_a_loop_of_its_own(lambda: intake.read(database, raw, "address-change", body["answers"],
                                                         body["documents"], None))
        assert found.facts is None and found.route is pipeline.Route.SESSION_CALLER
    r = client.post(f"{API}/services/applications", headers=headers, json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "person_not_proven"
    assert db.scalar(select(func.count()).select_from(Application)) == 0

    mine = tenant_body(client, proven_headers, accounts["citizen"])
    r = client.post(f"{API}/services/applications", headers=proven_headers, json=mine)
    assert r.status_code == 201, r.text
    reference = r.json()["reference"]
    # an account that had applied before it had to prove its person (an old account after the upgrade)
    citizen = db.get(Account, accounts["citizen"].id)
    citizen.proven_at = None
    db.commit()
    r = client.get(API + path.format(reference=reference), headers=proven_headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "person_not_proven"
