"""The engine's use cases on a real database: journey, idempotency, inbox, SLA, definitions, documents."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import func, select

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError, Forbidden, ValidationFailed
from smartgov.events import EventRecord, OutboxMessage
from smartgov.identity import Organization
from smartgov.services import DefinitionInvalid, documents, payments, register_action, service
from smartgov.services.models import (
    Application,
    DefinitionStatus,
    Invoice,
    InvoiceStatus,
    IssuedDocument,
    Payment,
    PaymentStatus,
    TransitionLog,
)

from .conftest import MINIMAL
from .helpers import address_answers, arrange, principal, upload


def submit(db, account, key: str | None = None, **kw):  # type: ignore[no-untyped-def]
    docs = {"proof_of_address": upload(db, account)}
    answers = address_answers(account, **kw)
    if kw.get("owns_home") is False:
        answers["lease_contract"] = upload(db, account, "lease.pdf")
    return service.submit_application(db, principal(account), "address-change", answers, docs, idempotency_key=key)


def events_named(db, name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e.payload for e in db.scalars(select(EventRecord).where(EventRecord.name == name).order_by(EventRecord.id))]


def test_home_owner_is_registered_automatically_with_a_signed_document(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    result = submit(session, a["citizen"], "key-1")
    app = result.application
    assert result.created and app.reference.startswith("SG-") and len(app.reference.split("-")[-1]) == 6
    assert app.state == "registered" and app.terminal and app.decided_automatically is True
    log = list(session.scalars(select(TransitionLog).where(TransitionLog.application_id == app.id)
                               .order_by(TransitionLog.id)))
    assert [(t.from_state, t.to_state, t.automatic) for t in log] == [
        (None, "submitted", False), ("submitted", "registered", True)]
    moved = events_named(session, "services.application_transitioned")
    assert moved[-1]["automatic"] is True and moved[-1]["agency"] == "sso" and moved[-1]["to_state"] == "registered"
    assert events_named(session, "services.application_submitted")[0]["service_id"] == "address-change"
    issued = documents.documents_of(session, app)
    assert len(issued) == 1 and issued[0].pdf_sha256 is None  # the PDF is made after commit
    assert documents.verify_document_id(session, issued[0].id).valid
    names = [e.name for e in session.scalars(select(EventRecord))]
    assert "services.document_issued" in names and names.count("notifications.email_requested") >= 3
    assert session.scalar(select(OutboxMessage.event_name).where(OutboxMessage.handler == "services.render_pdf")
                          ) == "services.document_issued"


def test_the_worker_makes_the_pdf_once_and_its_hash_goes_to_the_ledger(database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        doc_id = documents.documents_of(db, submit(db, arrange(db)["citizen"]).application)[0].id
    events.drain_outbox(database)
    with database.sessions() as db:
        doc = db.get(IssuedDocument, doc_id)
        assert doc.pdf_sha256 and doc.pdf_path == f"{doc_id}.pdf"
        data = documents.pdf_bytes(db, doc)  # read from the file, not made again
        assert hashlib.sha256(data).hexdigest() == doc.pdf_sha256 and documents.verify_upload(db, data).valid
        assert not db.new and not db.dirty
        rendered = events_named(db, "services.document_rendered")
        assert [(r["document_id"], r["pdf_sha256"]) for r in rendered] == [(doc_id, doc.pdf_sha256)]


def test_a_download_before_the_worker_makes_the_pdf_and_the_worker_then_leaves_it(database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        doc_id = documents.documents_of(db, submit(db, arrange(db)["citizen"]).application)[0].id
    with database.unit_of_work() as db:
        first = documents.pdf_bytes(db, db.get(IssuedDocument, doc_id))
    events.drain_outbox(database)
    with database.sessions() as db:
        assert documents.pdf_bytes(db, db.get(IssuedDocument, doc_id)) == first
        assert len(events_named(db, "services.document_rendered")) == 1


def test_same_idempotency_key_gives_one_application(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    first = submit(session, a["citizen"], "same-key")
    again = submit(session, a["citizen"], "same-key", city="اصفهان")
    assert not again.created and again.application.id == first.application.id
    assert session.scalar(select(func.count()).select_from(Application)) == 1
    # another person may use the same key for their own application
    other = submit(session, a["other"], "same-key", national_code=a["other"].person.national_code)
    assert other.created and other.application.id != first.application.id


def test_reference_numbers_count_up(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    refs = [submit(session, a["citizen"]).application.reference for _ in range(3)]
    seqs = [int(r.rsplit("-", 1)[1]) for r in refs]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]


def test_manual_journey_with_information_request(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    app = submit(session, a["citizen"], owns_home=False).application
    citizen, official = principal(a["citizen"]), principal(a["official"])
    assert app.state == "submitted" and app.sla_deadline is not None
    assert [t.action for t in service.available_actions(session, official, app)] == ["start_review"]
    assert [t.action for t in service.available_actions(session, citizen, app)] == ["withdraw"]
    with pytest.raises(Forbidden):
        service.take_action(session, principal(a["stranger"]), app, "start_review")
    with pytest.raises(Forbidden):
        service.take_action(session, citizen, app, "start_review")
    service.assign(session, official, app, official.id)
    service.take_action(session, official, app, "start_review")
    with pytest.raises(DomainError) as exc:
        service.take_action(session, official, app, "request_information")
    assert exc.value.field == "reason"
    service.take_action(session, official, app, "request_information", reason="The bill is unreadable.")
    assert app.state == "awaiting_applicant"
    with pytest.raises(DomainError):
        service.answer_information_request(session, citizen, app, "   ")
    service.answer_information_request(session, citizen, app, "Here is a clearer copy.",
                                       [upload(session, a["citizen"], "clear.pdf")["ref"]])
    assert app.state == "in_review"
    with pytest.raises(DomainError) as exc:
        service.take_action(session, official, app, "approve")  # a decision needs a reason
    assert exc.value.code == "reason_required"
    service.take_action(session, official, app, "approve", reason="Bill matches the address.")
    assert app.state == "registered" and app.decided_automatically is False
    with pytest.raises(Conflict):
        service.take_action(session, official, app, "reject", reason="late")
    entries = service.timeline(session, app)
    assert [e.kind for e in entries].count("answer") == 1
    assert "assign" not in [e.kind for e in entries]
    assert "claim" in [e.action for e in service.timeline(session, app, internal=True)]
    service.rate(session, citizen, app, 5, "Quick")
    with pytest.raises(Conflict):
        service.rate(session, citizen, app, 4, None)
    stats = {s.service_id: s for s in service.service_stats(session)}
    assert stats["address-change"].closed == 1 and stats["address-change"].automatic_share == 0
    assert stats["address-change"].mean_rating == 5


def test_withdraw_and_rating_rules(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    app = submit(session, a["citizen"], owns_home=False).application
    with pytest.raises(Conflict):
        service.rate(session, principal(a["citizen"]), app, 3, None)
    service.withdraw(session, principal(a["citizen"]), app)
    assert app.state == "withdrawn" and documents.documents_of(session, app) == []
    with pytest.raises(DomainError):
        service.rate(session, principal(a["citizen"]), app, 9, None)


def test_eligibility_and_answers_are_checked(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    with pytest.raises(ValidationFailed) as exc:
        submit(session, a["citizen"], national_code=a["other"].person.national_code)
    assert exc.value.errors[0].field == "eligibility.own_code"
    with pytest.raises(ValidationFailed) as exc:
        service.submit_application(session, principal(a["citizen"]), "address-change",
                                   address_answers(a["citizen"], postal_code="12"), {})
    assert {e.field for e in exc.value.errors} >= {"postal_code"}


def test_files_of_another_person_cannot_be_attached(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    theirs = upload(session, a["other"])
    with pytest.raises(ValidationFailed) as exc:
        service.submit_application(session, principal(a["citizen"]), "address-change",
                                   address_answers(a["citizen"]), {"proof_of_address": theirs})
    assert exc.value.errors[0].field == "documents.proof_of_address"
    with pytest.raises(DomainError) as err:
        service.store_upload(session, a["citizen"], name="x.pdf", mime="application/pdf", data=b"MZ not a pdf")
    assert err.value.code == "file_content"


def test_inbox_by_agency_filters_and_sla_breach(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    clock.freeze(dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC))
    app = submit(session, a["citizen"], owns_home=False).application
    official, stranger, admin = principal(a["official"]), principal(a["stranger"]), principal(a["admin"])
    assert list(session.scalars(service.inbox_query(session, official))) == [app]
    assert list(session.scalars(service.inbox_query(session, admin))) == [app]  # the agency above
    assert list(session.scalars(service.inbox_query(session, stranger))) == []
    assert list(session.scalars(service.inbox_query(session, official, breached=True))) == []
    left, late = service.sla(app)
    assert left == dt.timedelta(hours=8) and not late
    clock.advance(dt.timedelta(hours=8, minutes=1))
    assert list(session.scalars(service.inbox_query(session, official, breached=True))) == [app]
    assert service.sla(app)[1] is True
    assert list(session.scalars(service.inbox_query(session, official, mine=True))) == []
    service.assign(session, official, app, official.id)
    assert list(session.scalars(service.inbox_query(session, official, mine=True))) == [app]
    assert list(session.scalars(service.inbox_query(session, official, role="registry_clerk"))) == [app]
    assert list(session.scalars(service.inbox_query(session, official, role="applicant"))) == [app]
    assert list(session.scalars(service.inbox_query(session, official, state="in_review"))) == []
    with pytest.raises(DomainError):
        service.assign(session, official, app, a["stranger"].id)
    assert service.service_stats(session)[0].breached == 1


def test_bulk_action_reports_each_case(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    apps = [submit(session, a["citizen"], owns_home=False).application for _ in range(3)]
    official = principal(a["official"])
    service.take_action(session, official, apps[0], "start_review")
    results = service.bulk_action(session, official, [x.reference for x in apps] + ["SG-0000-999999"], "start_review")
    assert [r.ok for r in results] == [False, True, True, False]
    assert [x.state for x in apps] == ["in_review"] * 3
    results = service.bulk_action(session, official, [x.reference for x in apps], "reject")
    assert not any(r.ok for r in results) and results[0].error.code == "reason_required"
    results = service.bulk_action(session, official, [x.reference for x in apps], "reject", reason="Duplicate.")
    assert all(r.ok for r in results) and {x.state for x in apps} == {"rejected"}
    assert len(documents.documents_of(session, apps[0])) == 1  # a decision letter


def test_publish_rejects_invalid_yaml_with_line_numbers(session) -> None:  # type: ignore[no-untyped-def]
    arrange(session)
    broken = MINIMAL.replace("agency: SSO", "agency: SSO").replace("type: money", "type: monee")
    with pytest.raises(DefinitionInvalid) as exc:
        service.prepare_definition(session, broken, "permit.yaml")
    assert any(i.line == 14 and i.field.startswith("form[1]") for i in exc.value.issues), exc.value
    with pytest.raises(DefinitionInvalid) as exc:
        service.prepare_definition(session, MINIMAL.replace("agency: SSO", "agency: NOPE"), "permit.yaml")
    assert exc.value.issues[0].field == "agency" and exc.value.issues[0].line == 5
    hooked = MINIMAL.replace("      label_en: Approve\n", "      label_en: Approve\n      actions: [no_such_action]\n")
    with pytest.raises(DefinitionInvalid) as exc:
        service.prepare_definition(session, hooked, "permit.yaml")
    assert exc.value.issues[0].field == "workflow.transitions[0].actions[0]"
    assert "no_such_action" in str(exc.value)


def test_new_version_retires_the_old_one_and_open_cases_keep_theirs(session) -> None:  # type: ignore[no-untyped-def]
    arrange(session)
    defn, agency = service.prepare_definition(session, MINIMAL, "permit.yaml")
    v2 = service.store_definition(session, defn, agency, MINIMAL, "permit.yaml")
    assert v2.status == DefinitionStatus.PUBLISHED
    text3 = MINIMAL.replace("version: 2", "version: 3").replace("title_en: Permit", "title_en: Work permit")
    defn3, _ = service.prepare_definition(session, text3, "permit.yaml")
    draft = service.store_definition(session, defn3, agency, text3, "permit.yaml", publish=False)
    assert draft.status == DefinitionStatus.DRAFT and service.published(session, "permit").version == 2
    service.publish_definition(session, draft)
    assert v2.status == DefinitionStatus.RETIRED and service.published(session, "permit").version == 3
    with pytest.raises(Conflict):
        service.store_definition(session, defn, agency, MINIMAL + "\n", "permit.yaml")
    found = service.catalog(session, "work")
    # other modules' bundled services may match the word too; of these two only the permit does
    assert [d.service_id for d in found if d.service_id in ("permit", "address-change")] == ["permit"]
    assert [d.service_id for d in service.catalog(session, "نشانی")] == ["address-change"]
    assert [d.service_id for d in service.catalog(session, "نشاني")] == ["address-change"]  # Arabic yeh


def test_key_rotation_keeps_old_documents_valid_and_tampering_is_caught(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    old_doc = documents.documents_of(session, submit(session, a["citizen"]).application)[0]
    agency = session.get(Organization, old_doc.agency_id)
    new_key = documents.rotate_key(session, agency)
    new_doc = documents.documents_of(session, submit(session, a["citizen"]).application)[0]
    assert new_doc.key_id == new_key.key_id != old_doc.key_id
    assert documents.verify_document_id(session, old_doc.id).valid
    assert documents.verify_document_id(session, new_doc.id).valid
    record = documents.signed_record(old_doc)
    assert documents.verify_upload(session, json.dumps(record).encode()).valid
    tampered = copy.deepcopy(record)
    tampered["document"]["applicant"]["name_en"] = "Someone Else"
    result = documents.verify_upload(session, json.dumps(tampered).encode())
    assert not result.valid and "signature" in result.reason
    pdf = documents.pdf_bytes(session, old_doc)
    assert pdf.startswith(b"%PDF") and documents.verify_upload(session, pdf).valid
    changed = pdf.replace(b"/MediaBox [0 0 595.28", b"/MediaBox [0 0 595.29", 1)
    assert changed != pdf
    assert not documents.verify_upload(session, changed).valid
    assert not documents.verify_upload(session, b"%PDF-1.4 nothing").valid
    assert not documents.verify_upload(session, b"{not json").valid


def test_payment_callback_twice_credits_once(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    paid = MINIMAL.replace("relationship: G2B", "relationship: G2C") + (
        "    - from: submitted\n      to: done\n      action: paid\n      automatic: true\n"
        "      condition: application.paid\n      label_fa: پرداخت شد\n      label_en: Paid\n")
    defn, agency = service.prepare_definition(session, paid, "permit.yaml")
    service.store_definition(session, defn, agency, paid, "permit.yaml")
    app = service.submit_application(session, principal(a["citizen"]), "permit", {"workers": 3, "wage": 1000000}).application
    invoice = session.scalar(select(Invoice).where(Invoice.application_id == app.id))
    assert invoice.amount == 70000 and invoice.status == InvoiceStatus.OPEN and app.state == "submitted"
    payment, url = payments.start_payment(session, invoice)
    assert url == f"/services/gateway/simulated/{payment.token}"
    gw = payments.gateway("simulated")
    callback = gw.callback_for(payment, "success")
    with pytest.raises(payments.CallbackRejected):
        payments.handle_callback(session, "simulated", {**callback, "amount": "1"})
    payments.handle_callback(session, "simulated", callback)
    payments.handle_callback(session, "simulated", callback)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.callbacks == 2
    assert invoice.status == InvoiceStatus.PAID and app.state == "done" and app.decided_automatically
    assert len(events_named(session, "services.payment_settled")) == 1
    with pytest.raises(Conflict):
        payments.start_payment(session, invoice)
    report = payments.reconciliation(session, clock.today())
    assert report.collected_total == 70000 and report.mismatches == []
    assert "payment," in payments.reconciliation_csv(session, report)


def test_a_payment_just_after_midnight_in_tehran_is_on_that_days_report(session) -> None:  # type: ignore[no-untyped-def]
    """Business days and reference years follow the platform's time zone, not UTC."""
    clock.freeze(dt.datetime(2026, 3, 20, 21, 0, tzinfo=dt.UTC))  # 00:30 on 1 Farvardin 1405 in Tehran
    a = arrange(session)
    paid = MINIMAL.replace("relationship: G2B", "relationship: G2C")
    defn, agency = service.prepare_definition(session, paid, "permit.yaml")
    service.store_definition(session, defn, agency, paid, "permit.yaml")
    app = service.submit_application(session, principal(a["citizen"]), "permit", {"workers": 3, "wage": 1000000}).application
    assert "-1405-" in app.reference  # the new Jalali year has begun in Tehran (UTC still says 29 Esfand 1404)
    invoice = session.scalar(select(Invoice).where(Invoice.application_id == app.id))
    payment, _ = payments.start_payment(session, invoice)
    payments.handle_callback(session, "simulated", payments.gateway("simulated").callback_for(payment, "success"))
    assert payments.reconciliation(session, dt.date(2026, 3, 21)).collected_total == invoice.amount
    assert payments.reconciliation(session, dt.date(2026, 3, 20)).collected_total == 0


def test_reconciliation_lists_mismatches(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    defn, agency = service.prepare_definition(session, MINIMAL.replace("relationship: G2B", "relationship: G2C"), "p.yaml")
    service.store_definition(session, defn, agency, MINIMAL.replace("relationship: G2B", "relationship: G2C"), "p.yaml")
    app = service.submit_application(session, principal(a["citizen"]), "permit", {"workers": 1, "wage": 100000}).application
    invoice = session.scalar(select(Invoice).where(Invoice.application_id == app.id))
    gw = payments.gateway("simulated")
    wrong, _ = payments.start_payment(session, invoice)
    payments.handle_callback(session, "simulated", gw.sign(wrong.token, "success", 1, "SIM-1"))
    assert wrong.status == PaymentStatus.MISMATCH and invoice.status == InvoiceStatus.OPEN
    failed, _ = payments.start_payment(session, invoice)
    payments.handle_callback(session, "simulated", gw.callback_for(failed, "failure"))
    assert failed.status == PaymentStatus.FAILED
    stale, _ = payments.start_payment(session, invoice)
    clock.advance(dt.timedelta(hours=1))
    kinds = {m.kind for m in payments.reconciliation(session, clock.local(stale.created_at).date()).mismatches}
    assert kinds == {"amount_mismatch", "pending_too_long"}
    assert payments.expire_stale_payments(session) == 1 and stale.status == PaymentStatus.TIMED_OUT
    assert session.scalar(select(func.count()).select_from(Payment)) == 3


def test_domain_actions_and_document_fields(session) -> None:  # type: ignore[no-untyped-def]
    from smartgov.services import DocumentField, register_document_fields

    a = arrange(session)
    calls = []

    def compute(ctx):  # type: ignore[no-untyped-def]
        calls.append(ctx.transition.action if ctx.transition else "submit")
        return {"amount": ctx.answers["wage"] // 10}

    register_action("test_compute", compute)
    register_document_fields("permit-letter", lambda ctx: [
        DocumentField("مبلغ", "Amount", ctx.computed["test_compute"]["amount"])])
    text = MINIMAL.replace("      label_en: Approve\n", "      label_en: Approve\n      actions: [test_compute]\n") + (
        "output:\n  template: permit-letter\n  title_fa: مجوز\n  title_en: Permit letter\n")
    text = text.replace("relationship: G2B", "relationship: G2C").replace("  formula: floor(answers.wage * 7 / 100)",
                                                                          "  amount: 0")
    defn, agency = service.prepare_definition(session, text, "p.yaml")
    service.store_definition(session, defn, agency, text, "p.yaml")
    app = service.submit_application(session, principal(a["citizen"]), "permit", {"workers": 2, "wage": 500000}).application
    service.take_action(session, principal(a["official"]), app, "approve", reason="ok")
    assert calls == ["approve"] and app.computed["test_compute"] == {"amount": 50000}
    doc = documents.documents_of(session, app)[0]
    assert doc.payload["fields"] == [{"label_fa": "مبلغ", "label_en": "Amount", "value_en": "50,000",
                                      "value_fa": "۵۰٬۰۰۰"}]
