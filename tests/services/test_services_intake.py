"""Submissions written in groups without the ORM (``services.intake``): the general path's rows and answers."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.events import EventRecord, OutboxMessage
from smartgov.identity import Principal
from smartgov.identity.models import Account, ApiToken
from smartgov.services import documents, intake, pipeline, service
from smartgov.services.models import Application, Draft, IssuedDocument, StoredFile, TransitionLog
from tests.factories import api_token, auth, in_a_loop_of_its_own

from .conftest import MINIMAL
from .helpers import address_answers, arrange
from .test_services_api import API, tokens, upload
from .test_services_status import general_answer


@pytest.fixture(autouse=True)
def _postgres_only(database) -> None:  # type: ignore[no-untyped-def]
    if not database.is_postgres:
        pytest.skip("intake is PostgreSQL's: on SQLite, with one writer at a time, every submission is the general path's")


def tenant_body(client, headers, account: Account) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answers = address_answers(account, owns_home=False)
    answers["lease_contract"] = upload(client, headers, "lease_contract", name="lease.pdf")
    return {"service_id": "address-change", "answers": answers,
            "documents": {"proof_of_address": upload(client, headers, "documents.proof_of_address")}}


def written(database) -> int:  # type: ignore[no-untyped-def]
    found = database.memo.get("services.intake.writer")
    return found.written if found is not None else 0


def rows_of(db: Session, case_id: int) -> dict[str, Any]:
    """Everything a submission stored, without what differs between two cases by nature."""
    db.expire_all()
    case = db.get(Application, case_id)
    assert case is not None
    refs = {f.id: f"upload of {f.name}" for f in db.scalars(  # names differ within a case
        select(StoredFile).where(StoredFile.application_id == case_id))}

    def same(value: Any) -> Any:  # another case's id, reference and uploads, named alike
        if isinstance(value, dict):
            return {k: same(v) for k, v in value.items()}
        if isinstance(value, list):
            return [same(v) for v in value]
        if value == case.reference:
            return "REFERENCE"
        if isinstance(value, str) and case.reference in value:
            return value.replace(case.reference, "REFERENCE")
        return refs.get(value, value) if isinstance(value, str) else value

    columns = {c.key: getattr(case, c.key) for c in Application.__table__.columns
               if c.key not in ("id", "reference", "idempotency_key")}
    steps = [(s.from_state, s.to_state, s.action, s.actor_id, s.automatic, s.internal, s.reason, s.at)
             for s in db.scalars(select(TransitionLog).where(TransitionLog.application_id == case_id))]
    evts = [e for e in db.scalars(select(EventRecord).order_by(EventRecord.id))
            if e.payload.get("application_id") == case_id or case.reference in str(e.payload)]
    outbox = [(m.handler, m.event_name, m.status, m.attempts, m.available_at, m.created_at, m.delivered_at,
               m.last_error, same({**m.payload, "data": {**m.payload["data"], "application_id": None}}))
              for m in db.scalars(select(OutboxMessage).where(OutboxMessage.event_id.in_([e.id for e in evts]))
                                  .order_by(OutboxMessage.id))]
    return {
        "case": same(columns),
        "steps": steps,
        "events": [(e.name, e.actor_id, e.occurred_at, same({**e.payload, "application_id": None})) for e in evts],
        "outbox": outbox,
        "files": sorted(refs.values()),
    }


def test_a_submission_stores_what_the_general_path_stores_and_answers_alike(client, db, database) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    citizen = accounts["citizen"]
    clock.freeze(clock.now())  # the same instants in both cases' rows
    headers = tokens(client, {"citizen": citizen})["citizen"]
    assert client.put(f"{API}/drafts/address-change", headers=headers,
                      json={"answers": {"city": "Tabriz"}}).status_code == 200
    fast_body = tenant_body(client, headers, citizen)
    general_body = tenant_body(client, headers, citizen)

    r = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": "fast-1"}, json=fast_body)
    assert r.status_code == 201, r.text
    assert written(database) == 1
    assert db.scalar(select(Draft).where(Draft.account_id == citizen.id)) is None  # the draft it came from is gone
    fast = db.scalar(select(Application).where(Application.reference == r.json()["reference"]))
    assert r.json() == general_answer(db, citizen, fast.reference, "fa")

    db.expire_all()
    account = db.get(Account, citizen.id)
    general = service.submit_application(db, Principal(account=account, scopes={"read", "write"}, via_token=True),
                                         "address-change", general_body["answers"], general_body["documents"],
                                         idempotency_key="fast-1-general").application
    db.commit()
    assert fast.reference != general.reference
    mine, theirs = rows_of(db, fast.id), rows_of(db, general.id)
    assert len(mine["events"]) == 3 and len(mine["outbox"]) == 2 and len(mine["files"]) == 2
    assert mine == theirs

    again = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": "fast-1"}, json=fast_body)
    assert again.status_code == 200 and again.json()["reference"] == fast.reference  # the key was used: the first case
    assert written(database) == 1


def test_checks_answer_as_the_general_path_does(client, db, database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "other")})
    body = tenant_body(client, t["citizen"], accounts["citizen"])
    others = tenant_body(client, t["other"], accounts["other"])
    read_only = auth(api_token(client, accounts["citizen"], scopes=["read"]))
    cases: list[tuple[dict[str, str], dict[str, Any]]] = [
        (t["citizen"], {**body, "answers": {**body["answers"], "postal_code": "12"}}),
        (t["citizen"], {**body, "answers": {**body["answers"], "national_code": accounts["other"].person.national_code}}),
        (t["citizen"], {**body, "answers": {**body["answers"], "lease_contract": others["answers"]["lease_contract"]}}),
        (t["citizen"], {**body, "documents": {}}),
        (t["citizen"], {**body, "service_id": "no-such-service"}),
        (read_only, body),
        ({"Authorization": "Bearer sgp_nonsense"}, body),
        ({**t["citizen"], "Idempotency-Key": "x" * 101}, body),
    ]

    def answers() -> list[tuple[int, Any]]:
        return [(r.status_code, r.json()) for r in
                (client.post(f"{API}/applications", headers={**h, "Accept-Language": "en"}, json=b) for h, b in cases)]

    planned: list[str] = []
    read = intake.read

    async def reading(*a: Any) -> intake.HotRead:
        found = await read(*a)
        if found.facts is not None:
            planned.append(found.facts.key)
        return found

    monkeypatch.setattr(intake, "read", reading)
    fast = answers()
    assert len(planned) == 4  # the four bad answers were planned from the hot read (and refused by the plan)
    # now every request is read with the session
    async def to_the_unit_of_work(*_a: Any) -> intake.HotRead:
        return intake.HotRead(pipeline.Route.SESSION_CALLER)

    monkeypatch.setattr(intake, "read", to_the_unit_of_work)
    assert fast == answers()
    assert len(planned) == 4
    assert [status for status, _ in fast] == [422, 422, 422, 422, 404, 403, 401, 422]
    assert written(database) == 0
    assert db.scalar(select(StoredFile.application_id).where(StoredFile.id == body["answers"]["lease_contract"]["ref"])) \
        is None


def test_what_the_general_path_must_do_goes_there(client, db, database) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "admin")})
    owner = tenant_body(client, t["citizen"], accounts["citizen"])
    owner["answers"].update(owns_home=True)
    del owner["answers"]["lease_contract"]
    r = client.post(f"{API}/applications", headers=t["citizen"], json=owner)
    assert r.status_code == 201 and r.json()["state"] == "registered" and r.json()["issued_documents"]
    text_ = MINIMAL.replace("relationship: G2B", "relationship: G2C")  # a fee: an invoice to make
    assert client.post(f"{API}/definitions", headers=t["admin"],
                       json={"yaml": text_, "source_name": "permit.yaml"}).status_code == 201
    r = client.post(f"{API}/applications", headers=t["citizen"],
                    json={"service_id": "permit", "answers": {"workers": 2, "wage": 2000000}})
    assert r.status_code == 201 and r.json()["invoices"][0]["status"] == "open"
    seen: list[str] = []
    events.subscribe(pipeline.SUBMITTED, lambda _db, evt: seen.append(evt.data["reference"]))
    try:  # a subscriber that must run in the submitting transaction
        r = client.post(f"{API}/applications", headers=t["citizen"], json=tenant_body(client, t["citizen"],
                                                                                      accounts["citizen"]))
    finally:
        events._sync[pipeline.SUBMITTED].pop()
    assert r.status_code == 201 and seen == [r.json()["reference"]]
    assert written(database) == 0


def test_a_group_is_one_transaction_and_its_failures_go_alone(client, db, database) -> None:  # type: ignore[no-untyped-def]
    """Five submissions in one group; one's key was taken meanwhile and another's upload was bound
    meanwhile: the group is refused, the other three are written, and those two are answered
    ``None`` (the general path answers them as it always does)."""
    accounts = arrange(db)
    db.commit()
    citizen = accounts["citizen"]
    raw = api_token(client, citizen)
    bodies = [tenant_body(client, auth(raw), citizen) for _ in range(5)]
    items = [in_a_loop_of_its_own(lambda b=b, i=i: intake.prepare(database, raw, b["service_id"], b["answers"],
                                                                  b["documents"], f"key-{i}"))
             for i, b in enumerate(bodies)]
    assert all(items)
    r = client.post(f"{API}/applications", headers={**auth(raw), "Idempotency-Key": "key-1"},
                    json=tenant_body(client, auth(raw), citizen))  # key-1 is taken now
    assert r.status_code == 201
    db.execute(update(StoredFile).where(StoredFile.id == bodies[3]["answers"]["lease_contract"]["ref"])
               .values(application_id=db.scalar(select(Application.id).where(Application.idempotency_key == "key-1"))))
    db.commit()

    writer = intake.Writer(database)
    try:
        async def submit_all() -> list[intake.Written | None]:
            return list(await asyncio.gather(*(writer.submit(item) for item in items)))  # type: ignore[arg-type]

        results = in_a_loop_of_its_own(submit_all)
    finally:
        writer.close()
    assert [r is not None for r in results] == [True, False, True, False, True]
    assert writer.written == 3
    db.expire_all()
    stored = db.scalars(select(Application.idempotency_key).where(Application.applicant_id == citizen.id)).all()
    assert sorted(stored) == ["key-0", "key-1", "key-2", "key-4"]
    for result in results:
        if result is not None:  # each with its uploads, log and events
            assert len(rows_of(db, result.case.id)["files"]) == 2
            assert result.case.reference == db.get(Application, result.case.id).reference


def test_the_token_is_stamped_and_the_writer_stops_with_its_database(client, db, database) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    raw = api_token(client, accounts["citizen"])
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.account_id == accounts["citizen"].id))
    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=None))
    db.commit()
    body = tenant_body(client, auth(raw), accounts["citizen"])
    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=None))
    db.commit()
    assert client.post(f"{API}/applications", headers=auth(raw), json=body).status_code == 201
    assert written(database) == 1
    db.expire_all()
    assert db.get(ApiToken, token_id).last_used_at is not None
    writer = database.memo["services.intake.writer"]
    database.dispose()
    assert not writer._thread.is_alive()


def test_nobody_submits_with_someone_elses_upload(client, db, database) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "other")})
    mine = tenant_body(client, t["citizen"], accounts["citizen"])
    theirs = tenant_body(client, t["other"], accounts["other"])
    theirs["answers"]["lease_contract"] = mine["answers"]["lease_contract"]
    theirs["documents"] = mine["documents"]
    r = client.post(f"{API}/applications", headers=t["other"], json=theirs)
    assert r.status_code == 422, r.text
    assert {(d["code"], d["field"]) for d in r.json()["error"]["details"]} == {
        ("file_not_uploaded", "lease_contract"), ("file_not_uploaded", "documents.proof_of_address")}
    db.expire_all()
    assert db.scalars(select(StoredFile.application_id).where(StoredFile.owner_id == accounts["citizen"].id)).all() \
        == [None, None]
    assert db.scalar(select(Application).where(Application.applicant_id == accounts["other"].id)) is None
    assert written(database) == 0


def test_the_writer_survives_its_connection_being_killed(client, db, database) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    headers = tokens(client, {"citizen": accounts["citizen"]})["citizen"]
    assert client.post(f"{API}/applications", headers=headers,
                       json=tenant_body(client, headers, accounts["citizen"])).status_code == 201
    killed = db.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = 'smartgov-intake' AND datname = current_database()")).all()
    db.commit()
    assert killed == [(True,)]
    r = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": "after-restart"},
                    json=tenant_body(client, headers, accounts["citizen"]))
    assert r.status_code == 201, r.text
    assert written(database) == 2  # written by the writer, on a new connection
    assert db.scalar(select(Application.reference).where(Application.idempotency_key == "after-restart")) \
        == r.json()["reference"]



def test_a_case_decided_at_once_is_signed_by_the_group_writer_as_by_the_unit_of_work(
        client, db, database) -> None:  # type: ignore[no-untyped-def]
    """A home owner's address change is registered at once with a signed confirmation: the group
    writer stores the same case, steps, events, outbox rows and document as the unit of work."""
    accounts = arrange(db)
    db.commit()
    citizen = accounts["citizen"]
    clock.freeze(clock.now())
    headers = tokens(client, {"citizen": citizen})["citizen"]

    def owner_body() -> dict[str, Any]:
        body = tenant_body(client, headers, citizen)
        body["answers"].update(owns_home=True)
        del body["answers"]["lease_contract"]
        return body

    first = client.post(f"{API}/applications", headers=headers, json=owner_body())
    assert first.status_code == 201 and written(database) == 0  # the agency had no key: the unit of work made it
    r = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": "owner-1"}, json=owner_body())
    assert r.status_code == 201, r.text
    assert written(database) == 1 and r.json()["state"] == "registered" and r.json()["issued_documents"]
    fast = db.scalar(select(Application).where(Application.reference == r.json()["reference"]))
    assert r.json() == general_answer(db, citizen, fast.reference, "fa")

    db.expire_all()
    account = db.get(Account, citizen.id)
    body = owner_body()
    general = service.submit_application(db, Principal(account=account, scopes={"read", "write"}, via_token=True),
                                         "address-change", body["answers"], body["documents"],
                                         idempotency_key="owner-1-general").application
    db.commit()
    mine, theirs = rows_of(db, fast.id), rows_of(db, general.id)
    assert [e[0] for e in mine["events"]] == [
        pipeline.SUBMITTED, "notifications.email_requested", "notifications.sms_requested",
        "services.application_transitioned", "notifications.email_requested", "notifications.sms_requested",
        "services.document_issued", "notifications.email_requested", "notifications.sms_requested"]

    issued = list(db.scalars(select(IssuedDocument).where(IssuedDocument.application_id.in_([fast.id, general.id]))))

    def unnamed(rows: dict[str, Any]) -> str:
        """The rows with each document's id, and the hash of its payload (which holds the id), named alike."""
        text_ = re.sub(r"'payload_sha256': '[0-9a-f]{64}'", "'payload_sha256': HASH", str(rows))
        for doc in issued:
            text_ = text_.replace(doc.id, "DOCUMENT")
        return text_

    assert len({e[3].get("payload_sha256") for e in mine["events"] + theirs["events"]} - {None}) == 2
    assert unnamed(mine) == unnamed(theirs)
    docs = {d.application_id: d for d in db.scalars(select(IssuedDocument).where(
        IssuedDocument.application_id.in_([fast.id, general.id])))}
    shown = [{**docs[case].payload, "document_id": None, "verify_url": None, "reference": None}
             for case in (fast.id, general.id)]
    assert shown[0] == shown[1]
    for doc in docs.values():
        assert doc.key_id == docs[general.id].key_id and doc.issued_at == docs[general.id].issued_at
        assert documents.verify_record(db, documents.signed_record(doc)).valid
