"""The engine through its JSON API: a whole journey, idempotency, callbacks, boundaries between people."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from smartgov import clock
from smartgov.services.models import Application, Invoice, Payment
from tests.factories import api_token, auth

from .conftest import MINIMAL
from .helpers import PDF, address_answers, arrange

API = "/api/v1/services"


def tokens(client, accounts) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {name: auth(api_token(client, acc)) for name, acc in accounts.items()}


def upload(client, headers, field: str, name: str = "bill.pdf", data: bytes = PDF,  # type: ignore[no-untyped-def]
           mime: str = "application/pdf") -> dict:
    r = client.post(f"{API}/files", headers=headers, data={"service_id": "address-change", "field": field},
                    files={"file": (name, data, mime)})
    assert r.status_code == 201, r.text
    return r.json()


def test_catalog_search_in_both_languages(client, db) -> None:  # type: ignore[no-untyped-def]
    arrange(db)
    db.commit()
    assert client.get(f"{API}/catalog", params={"q": "نشانی"}).json()["total"] == 1
    assert client.get(f"{API}/catalog", params={"q": "ADDRESS"}).json()["items"][0]["id"] == "address-change"
    assert client.get(f"{API}/catalog", params={"q": "passport"}).json()["total"] == 0
    detail = client.get(f"{API}/catalog/address-change").json()
    assert detail["form"][0]["name"] == "national_code" and detail["workflow"]["states"][0]["id"] == "submitted"
    assert client.get(f"{API}/catalog/nothing").status_code == 404


def test_whole_address_change_journey(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "official")})
    prefill = client.get(f"{API}/catalog/address-change/prefill", headers=t["citizen"]).json()
    assert prefill["answers"]["national_code"] == accounts["citizen"].person.national_code
    assert prefill["eligibility_problems"] == []
    r = client.put(f"{API}/drafts/address-change", headers=t["citizen"], json={"answers": {"city": "قم"}})
    assert r.status_code == 200
    assert client.get(f"{API}/drafts/address-change", headers=t["citizen"]).json()["answers"] == {"city": "قم"}

    # a bad upload is refused with the field's own limits
    bad = client.post(f"{API}/files", headers=t["citizen"], data={"service_id": "address-change",
                      "field": "lease_contract"}, files={"file": ("a.exe", b"MZ", "application/x-msdownload")})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "file_type"
    answers = address_answers(accounts["citizen"], owns_home=False)
    answers["lease_contract"] = upload(client, t["citizen"], "lease_contract", "lease.pdf")
    body = {"service_id": "address-change", "answers": answers,
            "documents": {"proof_of_address": upload(client, t["citizen"], "documents.proof_of_address")}}
    r = client.post(f"{API}/applications", headers={**t["citizen"], "Idempotency-Key": "abc-1"}, json=body)
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]
    assert r.json()["state"] == "submitted" and r.json()["actions"][0]["action"] == "withdraw"
    assert r.json()["issued_documents"] == [] and r.json()["open_question"] is None
    again = client.post(f"{API}/applications", headers={**t["citizen"], "Idempotency-Key": "abc-1"}, json=body)
    assert again.status_code == 200 and again.json()["reference"] == ref
    assert db.scalar(select(func.count()).select_from(Application)) == 1
    assert client.get(f"{API}/drafts/address-change", headers=t["citizen"]).status_code == 404

    inbox = client.get(f"{API}/inbox", headers=t["official"]).json()
    assert [c["reference"] for c in inbox["items"]] == [ref] and inbox["items"][0]["seconds_left"] > 0
    assert client.post(f"{API}/applications/{ref}/claim", headers=t["official"]).json()["assignee_id"] == \
        accounts["official"].id
    r = client.post(f"{API}/applications/{ref}/transitions", headers=t["official"], json={"action": "start_review"})
    assert r.json()["state"] == "in_review"
    r = client.post(f"{API}/applications/{ref}/transitions", headers=t["official"],
                    json={"action": "request_information"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "reason"
    r = client.post(f"{API}/applications/{ref}/transitions", headers=t["official"],
                    json={"action": "request_information", "reason": "Send the whole lease, please."})
    assert r.json()["state"] == "awaiting_applicant"
    mine = client.get(f"{API}/applications/{ref}", headers=t["citizen"]).json()
    assert mine["open_question"] == "Send the whole lease, please."
    extra = upload(client, t["citizen"], "lease_contract", "whole-lease.pdf")
    r = client.post(f"{API}/applications/{ref}/answer", headers=t["citizen"],
                    json={"answer": "Attached.", "files": [extra["ref"]]})
    assert r.status_code == 200 and r.json()["state"] == "in_review"
    assert client.get(f"{API}/files/{extra['ref']}", headers=t["official"]).content == PDF
    r = client.post(f"{API}/applications/{ref}/transitions", headers=t["official"], json={"action": "approve"},
                    params={"lang": "en"})
    assert r.status_code == 400 and r.json()["error"]["message"] == "Give a reason for this decision."
    r = client.post(f"{API}/applications/{ref}/transitions", headers=t["official"],
                    json={"action": "approve", "reason": "Lease checked."})
    assert r.json()["state"] == "registered" and r.json()["terminal"]

    done = client.get(f"{API}/applications/{ref}", headers=t["citizen"]).json()
    doc = done["issued_documents"][0]
    pdf = client.get(doc["pdf_url"], headers=t["citizen"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    record = client.get(doc["json_url"], headers=t["citizen"]).json()
    assert record["algorithm"] == "Ed25519" and record["document"]["reference"] == ref
    assert client.get(f"{API}/verify/{doc['id']}").json()["valid"] is True
    assert client.post(f"{API}/verify", files={"file": ("d.pdf", pdf.content, "application/pdf")}).json()["valid"]
    record["document"]["outcome"]["label_en"] = "Rejected"
    r = client.post(f"{API}/verify", files={"file": ("d.json", json.dumps(record).encode(), "application/json")})
    assert r.json()["valid"] is False
    timeline = client.get(f"{API}/applications/{ref}/timeline", headers=t["citizen"]).json()
    assert [e["action"] for e in timeline] == ["submit", "start_review", "request_information", "respond",
                                                "respond", "approve"]
    assert "claim" in [e["action"] for e in client.get(f"{API}/applications/{ref}/timeline",
                                                        headers=t["official"]).json()]
    assert client.post(f"{API}/applications/{ref}/rating", headers=t["citizen"],
                       json={"score": 4, "comment": "خوب"}).status_code == 201
    stats = client.get(f"{API}/stats", headers=t["official"]).json()
    assert stats[0]["closed"] == 1 and stats[0]["automatic_share"] == 0.0 and stats[0]["mean_rating"] == 4.0


def test_people_cannot_reach_each_others_cases_and_files(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "other", "official", "stranger")})
    answers = address_answers(accounts["citizen"], owns_home=False)
    answers["lease_contract"] = upload(client, t["citizen"], "lease_contract")
    proof = upload(client, t["citizen"], "documents.proof_of_address")
    ref = client.post(f"{API}/applications", headers=t["citizen"], json={
        "service_id": "address-change", "answers": answers, "documents": {"proof_of_address": proof}}).json()["reference"]
    for who in ("other", "stranger"):
        assert client.get(f"{API}/applications/{ref}", headers=t[who]).status_code == 404
        assert client.get(f"{API}/applications/{ref}/timeline", headers=t[who]).status_code == 404
        assert client.post(f"{API}/applications/{ref}/withdraw", headers=t[who]).status_code == 404
        assert client.post(f"{API}/applications/{ref}/transitions", headers=t[who],
                           json={"action": "start_review"}).status_code == 404
        assert client.get(f"{API}/files/{proof['ref']}", headers=t[who]).status_code == 404
    assert client.get(f"{API}/inbox", headers=t["stranger"]).json()["total"] == 0
    assert client.get(f"{API}/inbox", headers=t["other"]).status_code == 403
    # the applicant cannot decide their own case, and a stolen file reference does not help another citizen
    assert client.post(f"{API}/applications/{ref}/transitions", headers=t["citizen"],
                       json={"action": "start_review"}).status_code == 403
    stolen = address_answers(accounts["other"])
    r = client.post(f"{API}/applications", headers=t["other"], json={
        "service_id": "address-change", "answers": stolen, "documents": {"proof_of_address": proof}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "documents.proof_of_address"
    assert client.get(f"{API}/applications", headers=t["other"]).json()["total"] == 0
    read_only = auth(api_token(client, accounts["citizen"], scopes=["read"]))
    assert client.post(f"{API}/applications/{ref}/withdraw", headers=read_only).status_code == 403
    assert client.get(f"{API}/applications/{ref}", headers=read_only).status_code == 200


def test_sla_breach_shows_when_the_clock_passes_the_deadline(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "official")})
    answers = address_answers(accounts["citizen"], owns_home=False)
    answers["lease_contract"] = upload(client, t["citizen"], "lease_contract")
    proof = upload(client, t["citizen"], "documents.proof_of_address")
    client.post(f"{API}/applications", headers=t["citizen"], json={
        "service_id": "address-change", "answers": answers, "documents": {"proof_of_address": proof}})
    assert client.get(f"{API}/inbox", headers=t["official"], params={"breached": True}).json()["total"] == 0
    clock.advance(dt.timedelta(hours=9))
    late = client.get(f"{API}/inbox", headers=t["official"], params={"breached": True}).json()
    assert late["total"] == 1 and late["items"][0]["breached"] and late["items"][0]["seconds_left"] < 0


def _paid_service(client, db, admin_headers) -> None:  # type: ignore[no-untyped-def]
    text = MINIMAL.replace("relationship: G2B", "relationship: G2C") + (
        "    - from: submitted\n      to: done\n      action: paid\n      automatic: true\n"
        "      condition: application.paid\n      label_fa: پرداخت شد\n      label_en: Paid\n")
    r = client.post(f"{API}/definitions", headers=admin_headers, json={"yaml": text, "source_name": "permit.yaml"})
    assert r.status_code == 201, r.text


def test_payment_callback_delivered_twice_credits_once(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "admin")})
    _paid_service(client, db, t["admin"])
    r = client.post(f"{API}/applications", headers=t["citizen"],
                    json={"service_id": "permit", "answers": {"workers": 2, "wage": 2000000}})
    app = r.json()
    assert app["fee"] == 140000 and app["invoices"][0]["status"] == "open" and not app["paid"]
    started = client.post(f"{API}/applications/{app['reference']}/pay", headers=t["citizen"]).json()
    token = started["redirect_url"].rsplit("/", 1)[1]
    from smartgov.services.payments import SimulatedGateway

    callback = SimulatedGateway().sign(token, "success", 140000, "SIM-TEST")
    forged = {**callback, "signature": "0" * 64}
    assert client.post(f"{API}/payments/callback/simulated", data=forged).status_code == 400
    first = client.post(f"{API}/payments/callback/simulated", data=callback)
    second = client.post(f"{API}/payments/callback/simulated", json=callback)
    assert first.status_code == second.status_code == 200 and second.json()["status"] == "succeeded"
    db.expire_all()
    assert db.scalar(select(Payment.callbacks)) == 2
    assert db.scalar(select(Invoice.status)).value == "paid"
    done = client.get(f"{API}/applications/{app['reference']}", headers=t["citizen"]).json()
    assert done["paid"] and done["state"] == "done"
    receipt = client.get(f"{API}/payments/{started['payment_id']}/receipt", headers=t["citizen"]).json()
    assert receipt["amount"] == 140000 and receipt["gateway_reference"] == "SIM-TEST"
    settled = [e for e in client.get(f"{API}/reconciliation", headers=t["admin"]).json()["payments"]]
    assert len(settled) == 1
    csv_text = client.get(f"{API}/reconciliation", headers=t["admin"], params={"format": "csv"}).text
    assert csv_text.startswith("record,invoice") and "succeeded" in csv_text and "mismatch," not in csv_text
    assert client.post(f"{API}/applications/{app['reference']}/pay", headers=t["citizen"]).status_code == 409


def test_publishing_definitions(client, db) -> None:  # type: ignore[no-untyped-def]
    from smartgov.identity import Role
    from tests.factories import create_account, create_agency

    accounts = arrange(db)
    create_agency(db, "other-agency")
    outsider = create_account(db, "otheradmin", Role.AGENCY_ADMIN, organization="other-agency")
    db.commit()
    t = tokens(client, {"admin": accounts["admin"], "citizen": accounts["citizen"], "outsider": outsider})
    broken = MINIMAL.replace("    - {id: done, terminal: true", "    - {id: done, terminal: yes_please")
    r = client.post(f"{API}/definitions", headers={**t["admin"], "Accept-Language": "en"},
                    json={"yaml": broken, "source_name": "permit.yaml"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "definition_invalid" and "permit.yaml:23: workflow.states[1].terminal" in r.json()["error"]["message"]
    assert client.post(f"{API}/definitions", headers=t["outsider"], json={"yaml": MINIMAL}).status_code == 403
    assert client.post(f"{API}/definitions", headers=t["citizen"], json={"yaml": MINIMAL}).status_code == 403
    r = client.post(f"{API}/definitions", headers=t["admin"], json={"yaml": MINIMAL, "publish": False})
    assert r.status_code == 201 and r.json()["status"] == "draft"
    assert client.get(f"{API}/catalog/permit").status_code == 404
    r = client.post(f"{API}/definitions/{r.json()['id']}/publish", headers=t["admin"])
    assert r.json()["status"] == "published"
    assert client.get(f"{API}/catalog/permit").json()["version"] == 2
    listed = client.get(f"{API}/definitions", headers=t["admin"]).json()
    assert {d["service_id"] for d in listed["items"]} >= {"address-change", "permit"}  # and other modules' services
    assert client.get(f"{API}/definitions", headers=t["outsider"]).json()["total"] == 0


def test_keys_are_public_and_rotation_keeps_documents_valid(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "admin")})
    proof = upload(client, t["citizen"], "documents.proof_of_address")
    app = client.post(f"{API}/applications", headers=t["citizen"], json={
        "service_id": "address-change", "answers": address_answers(accounts["citizen"]),
        "documents": {"proof_of_address": proof}}).json()
    doc_id = app["issued_documents"][0]["id"]
    assert app["decided_automatically"] is True
    old = client.get(f"{API}/keys").json()
    assert len(old) == 1 and old[0]["active"]
    assert client.post(f"{API}/keys/sso/rotate", headers=t["citizen"]).status_code == 403
    new = client.post(f"{API}/keys/sso/rotate", headers=t["admin"]).json()
    assert new["key_id"] != old[0]["key_id"]
    assert [k["active"] for k in client.get(f"{API}/keys", params={"agency": "sso"}).json()] == [False, True]
    assert client.get(f"{API}/verify/{doc_id}").json()["valid"] is True
    assert client.get(f"{API}/verify/{'0' * 32}").json()["valid"] is False


def test_an_officials_look_at_a_case_is_listed_in_who_read_my_data(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "official")})
    answers = address_answers(accounts["citizen"], owns_home=False)
    answers["lease_contract"] = upload(client, t["citizen"], "lease_contract", "lease.pdf")
    body = {"service_id": "address-change", "answers": answers,
            "documents": {"proof_of_address": upload(client, t["citizen"], "documents.proof_of_address")}}
    ref = client.post(f"{API}/applications", headers={**t["citizen"], "Idempotency-Key": "k-1"}, json=body).json()[
        "reference"]
    assert client.get(f"{API}/applications/{ref}", headers=t["citizen"]).status_code == 200  # own look: not logged
    before = client.get("/api/v1/exchange/my-data-access", headers=t["citizen"]).json()["total"]
    assert client.get(f"{API}/applications/{ref}", headers=t["official"]).status_code == 200
    log = client.get("/api/v1/exchange/my-data-access", headers=t["citizen"]).json()
    assert log["total"] == before + 1
    entry = log["items"][0]
    assert ref in json.dumps(entry, ensure_ascii=False) and "case-handling" in json.dumps(entry)
    # in words the citizen reads: what was opened and why, in their language
    assert entry["what_label"] == f"درخواست {ref.translate(str.maketrans('0123456789', '۰۱۲۳۴۵۶۷۸۹'))}"
    assert entry["purpose_label"] == "رسیدگی به درخواست"
    english = client.get("/api/v1/exchange/my-data-access", headers={**t["citizen"], "Accept-Language": "en"})
    assert english.json()["items"][0]["what_label"] == f"Application {ref}"
    assert english.json()["items"][0]["purpose_label"] == "Handling the application"


def test_decision_events_say_whether_the_sla_was_met(client, db) -> None:  # type: ignore[no-untyped-def]
    from smartgov.events import EventRecord

    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "official")})
    refs = []
    for key in ("sla-1", "sla-2"):
        answers = address_answers(accounts["citizen"], owns_home=False)
        answers["lease_contract"] = upload(client, t["citizen"], "lease_contract", "lease.pdf")
        body = {"service_id": "address-change", "answers": answers,
                "documents": {"proof_of_address": upload(client, t["citizen"], "documents.proof_of_address")}}
        refs.append(client.post(f"{API}/applications", headers={**t["citizen"], "Idempotency-Key": key},
                                json=body).json()["reference"])
    for ref in refs:
        client.post(f"{API}/applications/{ref}/transitions", headers=t["official"], json={"action": "start_review"})
    client.post(f"{API}/applications/{refs[0]}/transitions", headers=t["official"],
                json={"action": "approve", "reason": "Lease checked."})
    clock.advance(dt.timedelta(days=6))  # past the 120-hour whole-process target
    client.post(f"{API}/applications/{refs[1]}/transitions", headers=t["official"],
                json={"action": "approve", "reason": "Lease checked."})
    decided = {e.payload["reference"]: e.payload for e in db.scalars(
        select(EventRecord).where(EventRecord.name == "services.application_transitioned")) if e.payload["terminal"]}
    assert decided[refs[0]]["sla_met"] is True and decided[refs[0]]["state_sla_met"] is True
    assert decided[refs[1]]["sla_met"] is False and decided[refs[1]]["state_sla_met"] is False


def test_the_body_and_key_are_checked_and_documented_as_fastapi_would(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    headers = {**tokens(client, {"citizen": accounts["citizen"]})["citizen"], "Accept-Language": "en"}
    r = client.post(f"{API}/applications", headers=headers, json={"answers": []})
    assert r.status_code == 422
    assert {(d["code"], d["field"]) for d in r.json()["error"]["details"]} == {
        ("missing", "service_id"), ("dict_type", "answers")}
    r = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": "k" * 101},
                    json={"service_id": "address-change", "answers": {}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "header.idempotency-key"
    r = client.post(f"{API}/applications", headers={**headers, "Content-Type": "application/json"}, content=b"{nope")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["code"] == "json_invalid"
    spec = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/services/applications"]["post"]
    assert spec["parameters"][0]["name"] == "Idempotency-Key" and spec["parameters"][0]["schema"]["maxLength"] == 100
    body = spec["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["service_id", "answers"] and "organization" in body["properties"]
    assert set(spec["responses"]) >= {"200", "201", "422"}
