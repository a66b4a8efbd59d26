"""The message endpoint refuses every bad message, logs it, and shows it in monitoring."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from smartgov import clock
from smartgov.events import EventRecord
from smartgov.exchange import envelope as env
from smartgov.exchange import service
from smartgov.exchange.models import ExchangeMessage
from smartgov.i18n import gettext
from smartgov.identity import Role
from tests.exchange.support import login, member, registry, request
from tests.factories import api_token, auth, create_account, create_person


@pytest.fixture
def setup(database):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        reg = registry(db)
        code = create_person(db).national_code
        admin = create_account(db, username="admin1", role=Role.PLATFORM_ADMIN)
        member(db, "inta", ["tax"])  # a member without any access right
    return reg, code, admin


def _post(client, message):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/exchange/messages", json=message, headers={"Accept-Language": "en"})


def _refusal_logged(db, message_id: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    row = db.scalar(select(ExchangeMessage).where(ExchangeMessage.message_id == message_id,
                                                  ExchangeMessage.outcome == "refused"))
    assert row is not None and row.reason == reason and row.direction == "in"
    events = [e.payload for e in db.scalars(select(EventRecord).where(EventRecord.name == "exchange.request_refused"))]
    assert any(p["message_id"] == message_id and p["reason"] == reason for p in events)


def test_a_valid_request_is_answered_with_a_signed_response(client, db, database, setup) -> None:  # type: ignore[no-untyped-def]
    reg, code, _admin = setup
    s = db
    message = request(s, s.merge(reg.client), s.merge(reg.service), code)
    r = _post(client, message)
    assert r.status_code == 200, r.text
    answer = env.SignedMessage.model_validate(r.json())
    assert answer.envelope["in_reply_to"] == message["envelope"]["message_id"]
    assert answer.envelope["body"]["national_code"] == code
    s = db
    provider = service.subsystem(s, "IR/GOV/nocr/registry")
    key = next(k for k in provider.keys if k.key_id == answer.signature.key_id)
    assert env.verify(answer, key.public_key)


@pytest.mark.parametrize("case, status, reason", [
    ("unknown_client", 403, "unknown_client"),
    ("tampered", 403, "bad_signature"),
    ("wrong_key", 403, "bad_signature"),
    ("replayed", 409, "replayed"),
    ("expired", 400, "expired"),
    ("future", 400, "issued_in_future"),
    ("purpose", 403, "purpose_not_allowed"),
    ("no_right", 403, "no_access_right"),
])
def test_bad_messages_are_refused_logged_and_monitored(case, status, reason, client, db, database, setup) -> None:  # type: ignore[no-untyped-def]
    reg, code, admin = setup
    token = api_token(client, admin, scopes=["read"])
    s = db
    sub, svc = s.merge(reg.client), s.merge(reg.service)
    if case == "unknown_client":
        private, public = env.new_keypair()
        message = request(s, sub, svc, code, client_address=env.ClientAddress.parse("IR/GOV/rogue/x"),
                          private=(env.key_id(public), private))
    elif case == "tampered":
        message = request(s, sub, svc, code)
        message["envelope"]["person"] = create_person(s).national_code
        s.commit()
    elif case == "wrong_key":  # another member's genuine key, claiming to be SSO
        message = request(s, sub, svc, code, private=service.signing_key(s, service.subsystem(s, "IR/GOV/inta/tax")))
    elif case == "replayed":
        message = request(s, sub, svc, code)
        assert _post(client, message).status_code == 200
    elif case == "expired":
        message = request(s, sub, svc, code)
        clock.advance(dt.timedelta(minutes=2, seconds=1))
    elif case == "future":
        message = request(s, sub, svc, code, issued_at=clock.now() + dt.timedelta(minutes=5))
    elif case == "purpose":
        message = request(s, sub, svc, code, purpose="tax-assessment")
    else:
        message = request(s, service.subsystem(s, "IR/GOV/inta/tax"), svc, code)
    r = _post(client, message)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == reason
    _refusal_logged(db, message["envelope"]["message_id"], reason)
    stats = client.get("/api/v1/exchange/monitoring", headers=auth(token)).json()
    person_status = next(s for s in stats["provider"] if s["service_code"] == "person-status")
    assert person_status["refused"] >= 1 and person_status["reasons"][reason] == 1
    log = client.get("/api/v1/exchange/message-log?outcome=refused", headers=auth(token)).json()
    assert any(m["message_id"] == message["envelope"]["message_id"] and m["reason"] == reason for m in log["items"])
    # and on the monitoring page, the reason in words (the raw code is only a filter's option value)
    login(client, admin, "/exchange/monitoring")
    page = client.get("/exchange/monitoring?outcome=refused")
    assert page.status_code == 200 and gettext(service.REASONS[reason][1], "fa") in page.text
    assert reason not in re.sub(r"<[^>]+>", "", page.text)


def test_malformed_messages_are_refused_and_logged(client, db, setup) -> None:  # type: ignore[no-untyped-def]
    r = _post(client, {"envelope": {"message_id": "abc", "kind": "request"}, "signature": {"key_id": "x", "value": "y"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed"
    assert db.scalar(select(ExchangeMessage.reason).where(ExchangeMessage.message_id == "abc")) == "malformed"
    assert client.post("/api/v1/exchange/messages", content=b"not json",
                       headers={"content-type": "application/json"}).status_code == 422


def test_refusal_messages_are_localized(client, db, setup) -> None:  # type: ignore[no-untyped-def]
    reg, code, _admin = setup
    s = db
    message = request(s, s.merge(reg.client), s.merge(reg.service), code, purpose="tax-assessment")
    r = client.post("/api/v1/exchange/messages", json=message, headers={"Accept-Language": "fa"})
    assert r.status_code == 403 and "هدف" in r.json()["error"]["message"]


def test_registry_api_is_for_admins_and_auditors(client, db, setup) -> None:  # type: ignore[no-untyped-def]
    _reg, _code, admin = setup
    citizen = create_account(db, username="cit1")
    db.commit()
    citizen_token = api_token(client, citizen)
    for path in ("members", "services", "access-rights", "monitoring", "message-log", "flags"):
        assert client.get(f"/api/v1/exchange/{path}", headers=auth(citizen_token)).status_code == 403, path
    token = api_token(client, admin)
    members = client.get("/api/v1/exchange/members", headers=auth(token)).json()
    assert {m["address"] for m in members} == {"IR/GOV/sso", "IR/GOV/nocr", "IR/GOV/inta"}
    assert all(m["hosted_here"] for m in members)
    body = {"client": "IR/GOV/inta/tax", "service": "IR/GOV/nocr/registry/person-status/v1",
            "legal_basis_fa": "قانون مالیات‌ها", "legal_basis_en": "Tax law", "purposes": ["tax-assessment"]}
    assert client.post("/api/v1/exchange/access-rights", json=body, headers=auth(citizen_token)).status_code == 403
    r = client.post("/api/v1/exchange/access-rights", json=body, headers=auth(token))
    assert r.status_code == 201, r.text
    bad = client.post("/api/v1/exchange/access-rights", json={**body, "purposes": ["spying"]}, headers=auth(token))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "purposes"
    right_id = r.json()["id"]
    assert client.delete(f"/api/v1/exchange/access-rights/{right_id}", headers=auth(token)).json()["revoked_at"]
    names = set(db.scalars(select(EventRecord.name)))
    assert {"exchange.access_right_granted", "exchange.access_right_revoked"} <= names
    # the public configuration carries public keys only
    config = client.get("/api/v1/exchange/configuration").json()
    assert config["protocol"] == env.PROTOCOL and "sealed" not in str(config)
