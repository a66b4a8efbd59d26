"""The submission pipeline (``services.pipeline``): one checking step, a plan, two writers that store it.

These run on SQLite and, with ``SMARTGOV_TEST_DATABASE_URL``, on PostgreSQL too: the rule that a
refusal added to the checking step refuses the same request whichever writer would take it, and
that a writer stores exactly the rows of its plan, is checked on both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import DomainError
from smartgov.events import EventRecord, OutboxMessage
from smartgov.identity import Principal
from smartgov.services import intake, pipeline, service
from smartgov.services.models import Application, StoredFile, TransitionLog
from tests.factories import api_token, auth, in_a_loop_of_its_own

from .conftest import definition_with
from .helpers import arrange
from .test_services_api import API
from .test_services_intake import tenant_body, written


def refuse_tabriz(facts: pipeline.Facts, checked: pipeline.Checked) -> None:
    """The experiment's new rule: no moves to Tabriz this week."""
    if checked.answers.get("city") == "Tabriz":
        raise DomainError("city_closed", "Moves to this city are not taken this week.", field="city")


def test_a_rule_added_to_the_checking_step_refuses_the_same_request_on_both_writers(
        client, db, database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    citizen = accounts["citizen"]
    raw = api_token(client, citizen)
    headers = {**auth(raw), "Accept-Language": "en"}
    monkeypatch.setattr(pipeline, "RULES", [*pipeline.RULES, refuse_tabriz])
    planned_hot: list[str] = []
    read = intake.read

    async def reading(*a: Any) -> intake.HotRead:
        found = await read(*a)
        if found.facts is not None:
            planned_hot.append(found.facts.key)
        return found

    monkeypatch.setattr(intake, "read", reading)
    body = tenant_body(client, headers, citizen)
    body["answers"]["city"] = "Tabriz"
    first = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": "tabriz-1"}, json=body)
    assert first.status_code == 400 and "city" in first.text, first.text
    # the group writer's route on PostgreSQL (planned from the hot read); SQLite has only the unit of work
    assert planned_hot == (["tabriz-1"] if database.is_postgres else [])

    # the same request, sent to the unit of work whatever the database
    async def to_the_unit_of_work(*_a: Any) -> intake.HotRead:
        return intake.HotRead(pipeline.Route.SESSION_CALLER)

    monkeypatch.setattr(intake, "read", to_the_unit_of_work)
    second = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": "tabriz-1"}, json=body)
    assert (second.status_code, second.json()) == (first.status_code, first.json())
    with pytest.raises(DomainError):  # and the use case itself, as pages and other modules call it
        service.submit_application(db, Principal(account=citizen, scopes={"read", "write"}, via_token=True),
                                   "address-change", body["answers"], body["documents"])
    db.rollback()
    assert db.scalar(select(Application.id).where(Application.applicant_id == citizen.id)) is None

    # without the rule, the same request is taken, by the group writer where there is one
    monkeypatch.setattr(intake, "read", reading)
    monkeypatch.setattr(pipeline, "RULES", [r for r in pipeline.RULES if r is not refuse_tabriz])
    taken = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": "tabriz-1"}, json=body)
    assert taken.status_code == 201, taken.text
    assert written(database) == (1 if database.is_postgres else 0)


def stored_rows(db: Session, case_id: int) -> dict[str, Any]:
    """What a writer stored for a case: its row, first step, events and outbox rows."""
    db.expire_all()
    case = db.get(Application, case_id)
    assert case is not None
    evts = [e for e in db.scalars(select(EventRecord).order_by(EventRecord.id))
            if e.payload.get("application_id") == case_id or case.reference in str(e.payload)]
    return {
        "case": {c.key: getattr(case, c.key) for c in Application.__table__.columns},
        "steps": [{c.key: getattr(s, c.key) for c in TransitionLog.__table__.columns if c.key != "id"}
                  for s in db.scalars(select(TransitionLog).where(TransitionLog.application_id == case_id))],
        "events": [{"name": e.name, "payload": e.payload, "actor_id": e.actor_id, "occurred_at": e.occurred_at}
                   for e in evts],
        "outbox": [{"handler": m.handler, "event_name": m.event_name, "payload": m.payload, "status": m.status,
                    "attempts": m.attempts, "available_at": m.available_at, "created_at": m.created_at}
                   for m in db.scalars(select(OutboxMessage).where(OutboxMessage.event_id.in_([e.id for e in evts]))
                                       .order_by(OutboxMessage.id))],
        "files": sorted(db.scalars(select(StoredFile.id).where(StoredFile.application_id == case_id))),
    }


def planned_rows(plan: pipeline.Plan, case_id: int, reference: str) -> dict[str, Any]:
    """The same, as the plan says they are to be stored once the case has its id and reference."""
    case = plan.numbered(case_id, reference)
    built = [events.rows(evt) for evt in plan.submitted_events(case)]
    return {
        "case": case.columns(),
        "steps": [{**plan.first_step, "application_id": case_id}],
        "events": [row for row, _ in built],
        "outbox": [{k: v for k, v in row.items() if k != "event_id"} for _, boxed in built for row in boxed],
        "files": sorted(plan.files),
    }


def test_each_writer_stores_the_rows_of_its_plan(client, db, database) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    citizen = accounts["citizen"]
    raw = api_token(client, citizen)
    clock.freeze(clock.now().replace(microsecond=0))
    body = tenant_body(client, auth(raw), citizen)
    principal = Principal(account=citizen, scopes={"read", "write"}, via_token=True)

    # the unit of work (every database)
    facts = service.read_facts(db, principal, "address-change", body["answers"], body["documents"], "uow-1")
    plan = pipeline.plan(facts)
    assert pipeline.route(plan.facts.definition, plan) is pipeline.Route.GROUP  # the group writer could take it
    app = service.write_plan(db, plan)
    db.commit()
    assert app.reference.startswith("SG-")
    assert stored_rows(db, app.id) == planned_rows(plan, app.id, app.reference)
    assert len(plan.files) == 2 and len(stored_rows(db, app.id)["events"]) == 3

    if not database.is_postgres:
        return
    # the group writer, from facts read in one statement
    other = tenant_body(client, auth(raw), citizen)
    group_plan = in_a_loop_of_its_own(lambda: intake.prepare(database, raw, "address-change", other["answers"],
                                                             other["documents"], "group-1"))
    assert group_plan is not None
    channel = intake._Channel(database)
    try:
        [done] = intake.write_group(channel, [group_plan])
    finally:
        channel.close()
    case_id, reference = done.case.id, done.case.reference
    assert case_id is not None and reference is not None
    assert stored_rows(db, case_id) == planned_rows(group_plan, case_id, reference)
    # and both plans are the same but for what differs between two cases by nature
    mine, theirs = planned_rows(plan, 0, "R"), planned_rows(group_plan, 0, "R")
    for rows in (mine, theirs):
        rows["case"] = {k: v for k, v in rows["case"].items() if k not in ("idempotency_key", "answers", "documents")}
        rows["files"] = len(rows["files"])
    assert mine == theirs


# --------------------------------------------------------------------------- planning without a database

NOW = dt.datetime(2024, 9, 1, 8, 30, tzinfo=dt.UTC)


def facts_for(defn: Any, answers: dict[str, Any], **changes: Any) -> pipeline.Facts:
    facts = pipeline.Facts(
        account=pipeline.AccountRecord(7, "citizen7", "fa", 70), email="c7@example.org", phone=None,
        version=pipeline.Version(3, defn.id, defn.version, 11, "sso"), definition=defn, organization_id=None,
        prefill={"account_id": 7}, answers=answers, documents={}, key="", uploads={}, now=NOW, new_key="k" * 32,
        branch_id=12)
    return dataclasses.replace(facts, **changes)


def test_a_plan_is_made_without_a_database() -> None:
    defn = definition_with(fee="  formula: floor(answers.wage * 7 / 100)\n",
                           form_yaml="  - {name: wage, type: money, label_fa: دستمزد, label_en: Wage}\n")
    plan = pipeline.plan(facts_for(defn, {"wage": 2_000_000}))
    assert plan.fee == 140_000 and plan.invoice == pipeline.InvoicePlan(140_000, "permit: Permit")
    assert plan.case.state == "submitted" and plan.case.idempotency_key == "k" * 32
    assert plan.case.sla_deadline == NOW + dt.timedelta(hours=24)
    assert (plan.case.agency_id, plan.case.branch_id) == (11, 12)  # the branch is a fact routing decided
    assert plan.first_step == {"application_id": None, "from_state": None, "to_state": "submitted",
                               "action": "submit", "actor_id": 7, "automatic": False, "internal": False,
                               "reason": None, "at": NOW}
    assert plan.needs == {pipeline.Need.INVOICE_NUMBER}
    case = plan.numbered(41, "SG-1403-000041")
    [submitted, mail] = plan.events(case)
    assert (submitted.name, submitted.actor_id, submitted.occurred_at) == (pipeline.SUBMITTED, 7, NOW)
    assert submitted.data["reference"] == "SG-1403-000041" and submitted.data["fee"] == 140_000
    assert mail.data["to"] == "c7@example.org" and plan.event_count() == 2
    with pytest.raises(DomainError):
        pipeline.plan(facts_for(defn, {"wage": "a lot"}))


def test_which_writer_takes_a_plan_is_one_function_with_named_reasons() -> None:
    workers = "  - {name: workers, type: number, label_fa: کارگران, label_en: Workers}\n"
    free = definition_with(form_yaml=workers, fee="").model_copy(update={"relationship": "G2C"})
    plan = pipeline.plan(facts_for(free, {"workers": 2}))
    assert pipeline.route(free, plan) is pipeline.Route.GROUP
    assert pipeline.route(free, plan, group_writer=False) is pipeline.Route.NO_GROUP_WRITER
    assert pipeline.route(free, caller=pipeline.Route.KEY_USED) is pipeline.Route.KEY_USED
    assert pipeline.route(definition_with(form_yaml=workers, fee="")) is pipeline.Route.BUSINESS
    paid = definition_with().model_copy(update={"relationship": "G2C"})
    assert pipeline.route(paid) is pipeline.Route.GROUP  # the version alone does not say
    assert pipeline.route(paid, pipeline.plan(facts_for(paid, {"workers": 2, "wage": 1000}))) is pipeline.Route.INVOICE
    before = pipeline.ROUTED[pipeline.Route.INVOICE]
    pipeline.route(paid, pipeline.plan(facts_for(paid, {"workers": 2, "wage": 1000})))
    assert pipeline.ROUTED[pipeline.Route.INVOICE] == before + 1  # counted


def test_the_idempotency_key_is_checked_in_one_place() -> None:
    assert pipeline.clean_key("  abc ") == "abc" and pipeline.clean_key(None) == ""
    assert pipeline.clean_key("x" * pipeline.MAX_IDEMPOTENCY_KEY) == "x" * 100
    with pytest.raises(DomainError) as refused:
        pipeline.clean_key("x" * 101)
    assert refused.value.code == "idempotency_key_invalid"


DECIDED_AT_ONCE = """\
id: parking
version: 1
title_fa: پارک
title_en: Parking permit
agency: SSO
relationship: G2C
form:
  - {name: plate, type: text, label_fa: پلاک, label_en: Plate}
workflow:
  sla_hours: 48
  states:
    - {id: submitted, initial: true, sla_hours: 8, label_fa: ثبت, label_en: Submitted}
    - {id: granted, terminal: true, label_fa: صادر شد, label_en: Granted}
  transitions:
    - {from: submitted, to: granted, action: grant, automatic: true, condition: answers.plate != "",
       label_fa: صدور, label_en: Grant}
output:
  template: parking-permit
  title_fa: مجوز پارک
  title_en: Parking permit
"""


def test_a_case_decided_at_once_is_planned_with_its_step_and_document() -> None:
    from smartgov.services import parse_definition, signed

    defn = parse_definition(DECIDED_AT_ONCE, "parking.yaml")
    facts = facts_for(defn, {"plate": "12ب345"})
    plan = pipeline.plan(facts)
    assert plan.needs == {pipeline.Need.DECIDED_AT_ONCE, pipeline.Need.SIGNED_DOCUMENT}
    assert plan.step is not None and plan.step.decided and plan.step.issues_document
    assert pipeline.route(defn, plan) is pipeline.Route.NO_SIGNING_KEY  # the unit of work makes the key
    keyed = pipeline.plan(dataclasses.replace(
        facts, agency=signed.Party("sso", "تأمین", "SSO"), holder=signed.Holder("0012345678", "مریم", "Maryam"),
        signing_key=pipeline.SigningKeyRecord("sso-1", "sealed")))
    assert pipeline.route(defn, keyed) is pipeline.Route.GROUP
    case = keyed.final(keyed.numbered(5, "SG-1403-000005"))
    assert (case.state, case.terminal, case.closed_at, case.decided_automatically) == ("granted", True, NOW, True)
    assert keyed.step is not None and keyed.step.log["from_state"] == "submitted"
    payload = keyed.document_payload(case, "d" * 32)
    assert payload["reference"] == "SG-1403-000005" and payload["outcome"]["state"] == "granted"
    made = keyed.events(keyed.numbered(5, "SG-1403-000005"), payload)
    assert [e.name for e in made] == [pipeline.SUBMITTED, "notifications.email_requested",
                                      pipeline.TRANSITIONED, "notifications.email_requested",
                                      signed.ISSUED, "notifications.email_requested"]
    assert len(made) == keyed.event_count()
    assert made[0].data["state"] == "submitted" and made[2].data["state"] == "granted"


def test_no_module_subscribes_in_the_transaction_to_what_every_submission_publishes() -> None:
    """A synchronous subscriber to a submission's or a decision's events sends every such submission of
    every service to the unit of work (``pipeline.route``): modules react to one service's cases with a
    workflow action of that service, or after commit (``events.subscribe_async``)."""
    from smartgov import app as _app  # noqa: F401 - imports every module, as a server does
    from smartgov import events
    from smartgov.services import signed

    names = (pipeline.SUBMITTED, pipeline.TRANSITIONED, signed.ISSUED, "notifications.email_requested",
             "notifications.sms_requested")
    assert {name: events.sync_handlers(name) for name in names} == {name: [] for name in names}
