"""Submitting through the unit of work: the session reads the facts, ``pipeline.plan`` checks and
plans, ``write_plan`` stores the plan (the group writer is ``intake``)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.identity import (
    Principal,
)

from . import pipeline, registry, routing
from .applicants import agency_code, applicant_context, applicant_organization, delete_draft
from .casework import run_action, run_automatic_steps
from .catalog import definition_of, published
from .config import services_settings
from .definitions import (
    ServiceDefinition,
)
from .models import (
    Application,
    StoredFile,
    TransitionLog,
)
from .numbers import next_number
from .payments import create_invoice

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Submitted:
    application: Application
    created: bool


def existing_case_query(applicant_id: Any, key: Any) -> Select[Any]:
    """The case an applicant stored with an idempotency key: the one "key already used" check (the
    hot reader correlates it into its statement)."""
    return select(Application).where(Application.applicant_id == applicant_id, Application.idempotency_key == key)


def existing_case(db: Session, applicant_id: int, key: str) -> Application | None:
    """The case ``applicant_id`` submitted with ``key`` before, if any."""
    return db.scalar(existing_case_query(applicant_id, key)) if key else None


def submit_application(
    db: Session, principal: Principal, service_id: str, answers: dict[str, Any],
    documents: dict[str, Any] | None = None, *, idempotency_key: str | None = None,
    organization_code: str | None = None,
) -> Submitted:
    """Check and accept an application; the same idempotency key again returns the first one unchanged.

    The facts are read with the session, the plan made by ``pipeline.plan`` (the checks every
    writer shares) and written by the unit of work (``write_plan``).
    """
    account = principal.account
    key = pipeline.clean_key(idempotency_key)
    existing = existing_case(db, account.id, key)
    if existing is not None:
        return Submitted(existing, False)
    facts = read_facts(db, principal, service_id, answers, documents or {}, key, organization_code)
    plan = pipeline.plan(facts)
    try:
        with db.begin_nested():
            app = write_plan(db, plan)
    except IntegrityError:
        # the same key raced in from another request: answer with the application that won
        existing = existing_case(db, account.id, plan.key)
        if existing is None:
            raise
        return Submitted(existing, False)
    delete_draft(db, account, service_id)
    return Submitted(app, True)


def read_facts(db: Session, principal: Principal, service_id: str, answers: Any, documents: Any, key: str,
               organization_code: str | None = None) -> pipeline.Facts:
    """What ``pipeline.plan`` judges a submission on, read with the session (every kind of caller)."""
    account = principal.account
    row = published(db, service_id)
    defn = definition_of(row)
    org = applicant_organization(principal, defn, organization_code, db)
    prefill = applicant_context(db, account, defn, org).applicant
    refs = pipeline.offered_refs(answers, documents)
    uploads = {f.id: upload_record(f) for f in db.scalars(select(StoredFile).where(StoredFile.id.in_(refs)))} \
        if refs else {}
    person = identity.person_profile(db, account.person_id)
    # routing is decided once, here, before planning (a domain rule reads the answers as sent)
    branch_id = routing.route(db, defn, row.agency_id, answers if isinstance(answers, dict) else {}, prefill, org)
    return pipeline.Facts(
        account=pipeline.AccountRecord(account.id, account.username, account.language, account.person_id),
        email=person.email if person else None, phone=person.phone if person else None,
        version=pipeline.Version(row.id, row.service_id, row.version, row.agency_id, agency_code(db, row.agency_id)),
        definition=defn, organization_id=org.id if org else None, prefill=prefill, answers=answers,
        documents=documents, key=key, uploads=uploads, now=clock.now(), new_key=uuid.uuid4().hex,
        branch_id=branch_id, quote=fee_quote(db, defn), channel="api" if principal.via_token else "web")


def upload_record(row: StoredFile) -> pipeline.Upload:
    return pipeline.Upload(row.id, row.owner_id, row.application_id, row.name, row.mime, row.size)


def fee_quote(db: Session, defn: ServiceDefinition) -> pipeline.FeeQuote | None:
    """The definition's fee provider bound to the session (``None``: a formula, or no such provider)."""
    provider = registry.fee_provider(defn.fee.provider) if defn.fee is not None and defn.fee.provider else None
    if provider is None:
        return None

    def quote(answers: dict[str, Any], applicant: dict[str, Any], today: dt.date) -> int:
        return int(provider(registry.FeeContext(db=db, definition=defn, answers=answers, applicant=applicant,
                                                today=today)))
    return quote


def fee_of(db: Session, defn: ServiceDefinition, answers: dict[str, Any], facts: dict[str, Any],
           today: dt.date) -> int:
    """The fee of cleaned answers (the check page shows it before submitting)."""
    return pipeline.fee(defn, answers, facts, today, fee_quote(db, defn))


def write_plan(db: Session, plan: pipeline.Plan) -> Application:
    """The unit of work's writer: store a plan through the session, then run what needs the ORM
    (actions on submit, the invoice's number, automatic steps with their documents)."""
    facts, defn = plan.facts, plan.facts.definition
    app = Application(reference=next_number(db, services_settings().reference_format, plan.case.submitted_at),
                      **plan.case.columns())
    db.add(app)
    db.flush()
    for ref in plan.files:
        stored = db.get(StoredFile, ref)
        assert stored is not None  # read with the facts, in this transaction
        stored.application_id = app.id
    db.add(TransitionLog(**pipeline.first_step(app, facts.account.id)))
    applicant = dict(facts.prefill)
    for name in plan.on_submit:
        run_action(db, app, defn, name, applicant, None, facts.account.id)
    if plan.invoice is not None:
        create_invoice(db, app, defn)
    for evt in plan.submitted_events(app):
        events.publish_event(db, evt)
    run_automatic_steps(db, app, facts=applicant)
    return app
