"""The submission pipeline: facts read before, one pure planning step, then one of two writers.

A citizen's submission is planned once, whoever writes it::

    reader (ORM session, or one hot statement)  →  Facts
    plan(facts)          the one checking step (``check``: answers, documents, ``RULES``, uploads, fee)
                         and everything the submission will store, as a typed ``Plan``
    route(definition, plan)  which writer takes it, and for the unit of work the named reason why
    writer               ``submission.write_plan`` (the ORM's unit of work) or
                         ``intake.write_group`` (the group writer, PostgreSQL)

Nothing here opens a session or does I/O: the facts carry what was read (the caller, the
published version, the prefill, the uploads the body names, the time), so a rule added to
``RULES`` refuses the same request on both writers and on both databases, and a test can look
at a plan's rows without any database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smartgov import clock, events
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_
from smartgov.notifications import EMAIL_REQUESTED, SMS_REQUESTED, email_request, sms_request
from smartgov.settings import public_url

from . import registry, routing, signed
from .definitions import FileField, GroupField, ServiceDefinition, Transition, issue_states
from .eligibility import ensure_eligible
from .events import SUBMITTED, TRANSITIONED
from .fees import compute_fee
from .forms import clean_answers, clean_documents
from .workflow import Workflow

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 100  # characters (the column's length)
SUBMITTED_TEMPLATE = "services.submitted"


# --------------------------------------------------------------------------- the idempotency key


def clean_key(raw: str | None) -> str:
    """The Idempotency-Key as stored ("" when none was sent); too long is a 422, never cut."""
    key = (raw or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise DomainError("idempotency_key_invalid", N_("The idempotency key is too long."), field="Idempotency-Key")
    return key


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class PersonRecord:
    """The applicant's person as the identity prefill reads it (read model, not a table row)."""

    national_code: str
    first_name_fa: str
    last_name_fa: str
    first_name_en: str | None
    last_name_en: str | None
    birth_date: dt.date
    gender: str | None
    province: str | None
    phone: str | None
    email: str | None


PERSON_COLUMNS = tuple(f.name for f in dataclasses.fields(PersonRecord))


@dataclass(frozen=True)
class AccountRecord:
    """The caller's account as the pipeline needs it."""

    id: int
    username: str
    language: str
    person_id: int | None


@dataclass(frozen=True)
class Version:
    """The published version of the service, and its agency's code."""

    id: int
    service_id: str
    version: int
    agency_id: int
    agency_code: str | None


@dataclass(frozen=True)
class Upload:
    """An uploaded file the body names, as stored."""

    id: str
    owner_id: int
    application_id: int | None
    name: str
    mime: str
    size: int


@dataclass(frozen=True)
class SigningKeyRecord:
    """An agency's active signing key as stored (its private half sealed)."""

    key_id: str
    private_key_encrypted: str


FeeQuote = Callable[[dict[str, Any], dict[str, Any], dt.date], int]
"""A definition's fee provider bound by the reader to its session (``None``: the definition has none)."""


@dataclass(frozen=True)
class Facts:
    """Everything a submission is judged on, read before planning."""

    account: AccountRecord
    email: str | None  # where the "received" message goes (the person's, if any)
    phone: str | None
    version: Version
    definition: ServiceDefinition
    organization_id: int | None  # the business of a G2B application
    prefill: Mapping[str, Any]  # applicant.* facts from every prefill provider
    answers: Mapping[str, Any]
    documents: Mapping[str, Any]
    key: str  # the Idempotency-Key sent, cleaned ("" if none)
    uploads: Mapping[str, Upload]  # the uploads the body names (``offered_refs``), by id
    now: dt.datetime
    new_key: str  # the key stored when none was sent (made by the reader: planning draws no randomness)
    branch_id: int  # the branch the case goes to (``routing``, decided by the reader: planning reads nothing)
    quote: FeeQuote | None = None
    # what a document signed at once names, and the agency's key (the hot reader reads them; without
    # them a case decided at once with a document goes to the unit of work)
    agency: signed.Party | None = None
    holder: signed.Holder | None = None
    signing_key: SigningKeyRecord | None = None
    #: How the application arrived, for analytics: "web" (a browser), "api" (a token), "sms", "branch".
    channel: str = "web"

    @property
    def today(self) -> dt.date:
        return clock.local(self.now).date()


def offered_refs(answers: Any, documents: Any) -> list[str]:
    """Upload ids anywhere a file answer may be (a question, a group's row, a document), before any check.

    The readers read these uploads before planning; a file answer the checks find elsewhere
    is refused as not uploaded.
    """
    if not isinstance(answers, dict) or not isinstance(documents, dict):
        return []
    found: list[str] = []
    for value in (*answers.values(), *documents.values()):
        for item in value if isinstance(value, list) else (value,):
            for meta in (item, *item.values()) if isinstance(item, dict) else ():
                if isinstance(meta, dict) and isinstance(meta.get("ref"), str):
                    found.append(meta["ref"])
    return list(dict.fromkeys(found))


# --------------------------------------------------------------------------- the checking step


@dataclass(frozen=True)
class Checked:
    """The answers and documents as cleaned, and the uploads they bind."""

    answers: dict[str, Any]
    documents: dict[str, Any]
    files: tuple[str, ...]


Rule = Callable[[Facts, Checked], None]
"""A refusal rule: raises a ``DomainError`` (a 4xx) to refuse the submission."""


def _eligible(facts: Facts, checked: Checked) -> None:
    ensure_eligible(facts.definition, checked.answers, today=facts.today, applicant=dict(facts.prefill))


#: The refusal rules over cleaned answers, in order. A rule added here refuses the same request
#: whichever writer would have taken it (``tests/services/test_services_pipeline.py``).
RULES: list[Rule] = [_eligible]


def check(facts: Facts) -> Checked:
    """The one checking step: clean answers and documents, run ``RULES``, check the uploads."""
    defn, today, applicant = facts.definition, facts.today, dict(facts.prefill)
    if not isinstance(facts.answers, dict) or not isinstance(facts.documents, dict):
        raise DomainError("answers_invalid", N_("The answers must be a set of fields."), field="answers")
    cleaned = clean_answers(defn, facts.answers, today=today, applicant=applicant)
    docs = clean_documents(defn, facts.documents or {}, answers=cleaned, today=today, applicant=applicant)
    checked = Checked(cleaned, docs, ())
    for rule in RULES:
        rule(facts, checked)
    files = checked_files(facts.account.id, file_answers(defn, cleaned, docs), facts.uploads)
    return dataclasses.replace(checked, files=tuple(dict.fromkeys(f.id for f in files)))


def file_answers(defn: ServiceDefinition, answers: dict[str, Any],
                 documents: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every file answer as (field path, its upload's metadata): questions, groups' rows, documents."""
    found: list[tuple[str, dict[str, Any]]] = []
    for fld in defn.form:
        value = answers.get(fld.name)
        if isinstance(fld, FileField) and isinstance(value, dict):
            found.append((fld.name, value))
        elif isinstance(fld, GroupField) and isinstance(value, list):
            for i, row in enumerate(value):
                for sub in fld.fields:
                    if isinstance(sub, FileField) and isinstance(row.get(sub.name), dict):
                        found.append((f"{fld.name}[{i}].{sub.name}", row[sub.name]))
    found.extend((f"documents.{k}", v) for k, v in documents.items())
    return found


def file_refs(answered: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The upload ids file answers name."""
    return [v["ref"] for _, v in answered if isinstance(v.get("ref"), str)]


def checked_files(account_id: int, answered: list[tuple[str, dict[str, Any]]],
                  found: Mapping[str, Upload]) -> list[Upload]:
    """The uploads of ``answered``, or every problem as a 422: each must be the applicant's, unbound,
    and described as stored."""
    rows: list[Upload] = []
    errors: list[DomainError] = []
    for path, value in answered:
        ref = value.get("ref")
        row = found.get(ref) if isinstance(ref, str) else None
        if row is None or row.owner_id != account_id or row.application_id is not None:
            errors.append(DomainError("file_not_uploaded", N_("Upload this file first."), field=path))
            continue
        if row.name != value.get("name") or row.size != value.get("size") or row.mime != value.get("mime"):
            errors.append(DomainError("file_mismatch", N_("The file details do not match the upload."), field=path))
            continue
        rows.append(row)
    if errors:
        raise ValidationFailed(errors)
    return rows


def fee(defn: ServiceDefinition, answers: dict[str, Any], applicant: dict[str, Any], today: dt.date,
        quote: FeeQuote | None) -> int:
    """The fee in rial: the definition's provider (through ``quote``) or its formula."""
    if defn.fee is not None and defn.fee.provider:
        if quote is None:
            raise DomainError("fee_provider_missing", N_("The fee of this service cannot be computed now."))
        amount = int(quote(answers, applicant, today))
        if amount < 0:
            raise DomainError("fee_out_of_range", N_("The fee formula gave an amount out of range: {amount}."),
                              amount=amount)
        return amount
    return compute_fee(defn, answers, today=today, applicant=applicant)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class CaseRow:
    """A case's columns, named as on ``Application``; ``id`` and ``reference`` are set by the writer."""

    definition_id: int
    service_id: str
    version: int
    agency_id: int
    branch_id: int
    applicant_id: int
    person_id: int | None
    organization_id: int | None
    answers: dict[str, Any]
    documents: dict[str, Any]
    computed: dict[str, Any]
    state: str
    terminal: bool
    state_entered_at: dt.datetime
    sla_deadline: dt.datetime | None
    idempotency_key: str
    fee: int
    due_at: dt.datetime | None
    submitted_at: dt.datetime
    updated_at: dt.datetime
    assignee_id: int | None = None
    paid_at: dt.datetime | None = None
    decided_automatically: bool | None = None
    closed_at: dt.datetime | None = None
    id: int | None = None
    reference: str | None = None

    def columns(self) -> dict[str, Any]:
        """The columns to insert (``id`` only once the writer has one).

        A shallow copy: ``dataclasses.asdict`` deep-copies the answers and documents, which was a
        sixth of a submission's CPU on the group writer's path; the plan is not changed afterwards.
        """
        found = {f.name: getattr(self, f.name) for f in _CASE_FIELDS}
        for name in ("id", "reference"):
            if found[name] is None:
                del found[name]
        return found


_CASE_FIELDS = dataclasses.fields(CaseRow)


def case_row(facts: Facts, checked: Checked, amount: int) -> CaseRow:
    """The new case's row: the one place a submission's case columns are decided."""
    defn, now, version = facts.definition, facts.now, facts.version
    wf = Workflow.from_definition(defn)
    return CaseRow(
        definition_id=version.id, service_id=version.service_id, version=version.version,
        agency_id=version.agency_id, branch_id=facts.branch_id, applicant_id=facts.account.id,
        person_id=facts.account.person_id,
        organization_id=facts.organization_id, answers=checked.answers, documents=checked.documents, computed={},
        state=wf.initial, terminal=False, state_entered_at=now, sla_deadline=wf.sla_deadline(now, wf.initial),
        idempotency_key=facts.key or facts.new_key, fee=amount,
        due_at=now + dt.timedelta(hours=defn.workflow.sla_hours) if defn.workflow.sla_hours else None,
        submitted_at=now, updated_at=now)


@dataclass(frozen=True)
class InvoicePlan:
    """The invoice a fee makes (its number is taken by the writer)."""

    amount: int
    description: str


class Need(enum.StrEnum):
    """What a plan needs from the database beyond inserting its rows."""

    ACTIONS_ON_SUBMIT = "actions_on_submit"  # a domain module's action runs in the submitting transaction
    INVOICE_NUMBER = "invoice_number"  # an invoice is numbered and stored
    DECIDED_AT_ONCE = "decided_at_once"  # an automatic step fires at once (the plan holds it: ``step``)
    AUTOMATIC_STEPS = "automatic_steps"  # more than that step: its actions, or further automatic steps
    SIGNED_DOCUMENT = "signed_document"  # the step issues the output document (signed in the writer's transaction)
    READS_APPLICATION = "reads_application"  # an automatic step's condition reads the stored case


@dataclass(frozen=True)
class Plan:
    """What a submission stores, decided before any write."""

    facts: Facts
    answers: dict[str, Any]
    documents: dict[str, Any]
    fee: int
    invoice: InvoicePlan | None
    files: tuple[str, ...]  # upload ids to bind to the case
    case: CaseRow
    first_step: dict[str, Any]  # the transition log row of the submission but its ``application_id``
    on_submit: tuple[str, ...]  # actions run in the submitting transaction
    decided_at_once: Transition | None  # the first automatic step out of the first state, if one fires
    step: Move | None = None  # that step's rows
    needs: frozenset[Need] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        """The idempotency key the case is stored with (the one sent, or one made for it)."""
        return self.case.idempotency_key

    def numbered(self, case_id: int, reference: str) -> CaseRow:
        """The case row once the writer has its id and reference."""
        return dataclasses.replace(self.case, id=case_id, reference=reference)

    def final(self, case: CaseRow) -> CaseRow:
        """The numbered case as stored: after the step decided at once, if any."""
        return dataclasses.replace(case, **self.step.changes) if self.step is not None else case

    def events(self, case: Any, document: dict[str, Any] | None = None) -> list[events.Event]:
        """The submission's events in the order the unit of work publishes them, at the submission's
        instant: ``SUBMITTED`` for the numbered ``case`` (``CaseRow`` or ``Application``) and the
        "received" messages; then, for a step decided at once, ``TRANSITIONED``, the decision's
        messages and, with the signed ``document`` payload, ``signed.ISSUED`` and its messages."""
        facts, now = self.facts, self.case.submitted_at
        code, defn = facts.version.agency_code, facts.definition
        found = self.submitted_events(case)
        if self.step is not None:
            moved = self.final(case)
            found.append(events.Event(TRANSITIONED, {**case_event_data(moved, code), **self.step.data},
                                      occurred_at=now))
            if self.step.decided:
                found += self._messages(case.reference, DECIDED_TEMPLATE, decided_context(defn, moved.state, None))
            if document is not None:
                found.append(events.Event(signed.ISSUED, {**case_event_data(moved, code),
                                                          **signed.issued_event_data(document)}, occurred_at=now))
                found += self._messages(case.reference, signed.ISSUED_TEMPLATE, signed.issued_context(document))
        return found

    def submitted_events(self, case: Any) -> list[events.Event]:
        """``SUBMITTED`` and the "received" messages: what the unit of work publishes itself (the step's
        events it publishes as every step's, in ``casework``)."""
        facts, defn = self.facts, self.facts.definition
        return [events.Event(SUBMITTED, submitted_event_data(case, facts.version.agency_code, defn, facts.channel),
                             actor_id=facts.account.id, occurred_at=self.case.submitted_at),
                *self._messages(case.reference, SUBMITTED_TEMPLATE, submitted_context(defn))]

    def _messages(self, reference: str, template: str, context: dict[str, Any]) -> list[events.Event]:
        facts = self.facts
        return [events.Event(name, data, occurred_at=self.case.submitted_at) for name, data in applicant_messages(
            facts.account.language, facts.email, facts.phone, reference, template, context,
            account_id=facts.account.id)]

    def event_count(self) -> int:
        """How many events ``events`` makes (a writer takes their ids before building them)."""
        messages = bool(self.facts.email) + bool(self.facts.phone)
        found = 1 + messages
        if self.step is not None:
            found += 1 + (messages if self.step.decided else 0)
            found += 1 + messages if self.step.issues_document else 0
        return found

    def document_payload(self, case: CaseRow, document_id: str) -> dict[str, Any]:
        """The signed fields of the document a step decided at once issues (``case``: as stored)."""
        facts = self.facts
        assert facts.agency is not None and facts.holder is not None and facts.signing_key is not None
        return signed.payload_of(case, facts.definition, document_id=document_id, key_id=facts.signing_key.key_id,
                                 reason=None, issued=self.case.submitted_at, agency=facts.agency,
                                 holder=facts.holder, business=None, fields=[])


def plan(facts: Facts) -> Plan:
    """Check a submission and decide everything it stores. Pure: raises the 4xx of the checks."""
    defn = facts.definition
    checked = check(facts)
    amount = fee(defn, checked.answers, dict(facts.prefill), facts.today, facts.quote)
    case = case_row(facts, checked, amount)
    wf = Workflow.from_definition(defn)
    step = wf.automatic_step(wf.initial, {"answers": checked.answers, "applicant": dict(facts.prefill)}, facts.now)
    moved = move(case, defn, step, now=facts.now, started=facts.now, automatic=True, actor_id=None,
                 reason=None) if step is not None else None
    more = step is not None and (bool(step.actions) or (not wf.is_terminal(step.to) and any(
        tr.automatic for tr in wf.spec.transitions if step.to in tr.from_)))
    needs = {need for need, present in (
        (Need.ACTIONS_ON_SUBMIT, bool(defn.workflow.on_submit)),
        (Need.INVOICE_NUMBER, amount > 0),
        (Need.DECIDED_AT_ONCE, step is not None),
        (Need.AUTOMATIC_STEPS, more),
        (Need.SIGNED_DOCUMENT, moved is not None and moved.issues_document),
        (Need.READS_APPLICATION, reads_application(defn)),
    ) if present}
    return Plan(
        facts=facts, answers=checked.answers, documents=checked.documents, fee=amount,
        invoice=InvoicePlan(amount, f"{defn.id}: {defn.title_en}"[:300]) if amount > 0 else None,
        files=checked.files, case=case, first_step=first_step(case, facts.account.id),
        on_submit=tuple(defn.workflow.on_submit), decided_at_once=step, step=moved, needs=frozenset(needs))


def reads_application(defn: ServiceDefinition) -> bool:
    """Whether an automatic step out of the first state reads ``application.*`` (the stored case)."""
    wf = Workflow.from_definition(defn)
    return any(tr.automatic and tr.condition is not None and "application" in tr.condition.roots()
               for tr in wf.spec.transitions if wf.initial in tr.from_)


def first_step(case: Any, actor_id: int) -> dict[str, Any]:
    """The transition log row of a submission (``case``: a ``CaseRow`` or ``Application``)."""
    return {"application_id": case.id, "from_state": None, "to_state": case.state, "action": "submit",
            "actor_id": actor_id, "automatic": False, "internal": False, "reason": None, "at": case.submitted_at}


def case_event_data(app: Any, agency_code: str | None) -> dict[str, Any]:
    """The common part of every application event (``app``: ``Application`` or a ``CaseRow`` with its id)."""
    return {
        "application_id": app.id, "reference": app.reference, "service_id": app.service_id,
        "version": app.version, "agency_id": app.agency_id, "agency": agency_code,
        "applicant_id": app.applicant_id, "state": app.state, "branch_id": app.branch_id,
        "submitted_at": app.submitted_at.isoformat(),
    }


def submitted_event_data(app: Any, agency_code: str | None, defn: ServiceDefinition,
                         channel: str = "web") -> dict[str, Any]:
    """The data of ``SUBMITTED``: the common part and what analytics of submissions read."""
    return {**case_event_data(app, agency_code), "fee": app.fee, "relationship": defn.relationship,
            "organization_id": app.organization_id, "channel": channel}


def submitted_context(defn: ServiceDefinition) -> dict[str, Any]:
    """What the "received" message says beside the reference and link."""
    return {"service_fa": defn.title_fa, "service_en": defn.title_en}


def applicant_messages(language: str, email: str | None, phone: str | None, reference: str, template: str,
                       context: dict[str, Any], *, account_id: int | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The (event name, data) of the e-mail and SMS an applicant is sent about their case (``account_id``:
    theirs, so both also land in their notification centre)."""
    context.setdefault("reference", reference)
    context.setdefault("link", public_url(f"/services/applications/{reference}"))
    found: list[tuple[str, dict[str, Any]]] = []
    if email:
        found.append((EMAIL_REQUESTED, email_request(to=email, template=template, lang=language, context=context,
                                                     account_id=account_id)))
    if phone:
        found.append((SMS_REQUESTED, sms_request(to=phone, template=template, lang=language, context=context,
                                                 account_id=account_id)))
    return found


# --------------------------------------------------------------------------- a workflow step as rows

DECIDED_TEMPLATE = "services.decided"
WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Move:
    """One workflow step as data: the case's new columns, its log row, its event's data, what follows."""

    changes: dict[str, Any]  # the case's columns after the step
    log: dict[str, Any]  # the transition log row but its ``application_id``
    data: dict[str, Any]  # what ``TRANSITIONED`` says beside the case's common part
    decided: bool  # a decision (terminal, not a withdrawal): the applicant is told (``decided_context``)
    issues_document: bool  # the definition's output document is issued in the new state


def move(case: Any, defn: ServiceDefinition, tr: Transition, *, now: dt.datetime, started: dt.datetime,
         automatic: bool, actor_id: int | None, reason: str | None) -> Move:
    """The step ``tr`` of ``case`` (an ``Application`` or a ``CaseRow``) taken at ``now``; ``started``: when
    the step began (its actions run in between). Every writer of a step takes these rows."""
    wf = Workflow.from_definition(defn)
    terminal = wf.is_terminal(tr.to)
    changes: dict[str, Any] = {"state": tr.to, "state_entered_at": now, "updated_at": now, "terminal": terminal,
                               "sla_deadline": None if terminal else wf.sla_deadline(now, tr.to)}
    if terminal:
        changes.update(closed_at=now, decided_automatically=automatic)
    log = {"from_state": case.state, "to_state": tr.to, "action": tr.action, "actor_id": actor_id,
           "automatic": automatic, "internal": False, "reason": reason, "at": now}
    # SLA facts for analytics: whether the step beat its state's deadline, and for a final
    # decision whether the whole process beat its target (keys only when a deadline existed).
    sla: dict[str, Any] = {}
    if case.sla_deadline is not None:
        sla["state_sla_met"] = now <= case.sla_deadline
    if terminal and case.due_at is not None:
        sla.update(due_at=case.due_at.isoformat(), sla_met=now <= case.due_at)
    # whether the case now waits on its applicant (sent back for correction): first-time-right reads it
    awaits_applicant = not terminal and any(t.action != WITHDRAW for t in wf.available_actions(tr.to, "applicant"))
    data = {"from_state": case.state, "to_state": tr.to, "action": tr.action, "automatic": automatic,
            "terminal": terminal, "reason": reason, "fee": case.fee, "awaits_applicant": awaits_applicant,
            "waited_seconds": int((started - case.state_entered_at).total_seconds()), **sla}
    return Move(changes, log, data, decided=terminal and tr.action != WITHDRAW,
                issues_document=tr.to in issue_states(defn))


def decided_context(defn: ServiceDefinition, state_id: str, reason: str | None) -> dict[str, Any]:
    """What the "a decision on your application" message says."""
    state = Workflow.from_definition(defn).state(state_id)
    return {"state_fa": state.label_fa, "state_en": state.label_en, "reason": reason or ""}


# --------------------------------------------------------------------------- which writer


class Route(enum.StrEnum):
    """Which writer takes a submission; every value but ``GROUP`` names why the unit of work does."""

    GROUP = "group"  # the group writer (PostgreSQL)
    NO_GROUP_WRITER = "no_group_writer"  # SQLite (one writer at a time) or no hot reads configured
    SESSION_CALLER = "session_caller"  # a signed-in browser, an unknown or dead token: the session answers
    KEY_USED = "key_used"  # the key was used before: the first case is the answer
    MANY_UPLOADS = "many_uploads"  # more uploads named than one hot statement reads
    BUSINESS = "business"  # G2B: the business is chosen from the caller's roles, read with the session
    PREFILL_READS_DATABASE = "prefill_reads_database"  # a prefill provider reads with the session
    FEE_PROVIDER = "fee_provider"  # a domain module's fee provider reads with the session
    ROUTING_RULE = "routing_rule"  # a domain module's routing rule reads with the session (``routing``)
    SUBSCRIBER_IN_TRANSACTION = "subscriber_in_transaction"  # a subscriber runs in the submitting transaction
    ACTIONS_ON_SUBMIT = "actions_on_submit"  # Need.ACTIONS_ON_SUBMIT
    READS_APPLICATION = "reads_application"  # Need.READS_APPLICATION
    INVOICE = "invoice"  # Need.INVOICE_NUMBER
    DECIDED_AT_ONCE = "decided_at_once"  # Need.AUTOMATIC_STEPS: the step runs actions or more steps follow
    DOCUMENT_FIELDS = "document_fields"  # a domain module's document hook (fields, on issue) needs the session
    NO_SIGNING_KEY = "no_signing_key"  # the agency has no active key yet (the unit of work makes one)


#: How many submissions took each route in this process (``smartgov`` logs them at debug level).
ROUTED: Counter[Route] = Counter()

_BY_NEED = {Need.ACTIONS_ON_SUBMIT: Route.ACTIONS_ON_SUBMIT, Need.READS_APPLICATION: Route.READS_APPLICATION,
            Need.INVOICE_NUMBER: Route.INVOICE, Need.AUTOMATIC_STEPS: Route.DECIDED_AT_ONCE}
_NEED_ORDER = (Need.ACTIONS_ON_SUBMIT, Need.READS_APPLICATION, Need.INVOICE_NUMBER, Need.AUTOMATIC_STEPS)


def route(definition: ServiceDefinition | None, the_plan: Plan | None = None, *, group_writer: bool = True,
          caller: Route | None = None) -> Route:
    """The writer of a submission: ``Route.GROUP``, or the reason the unit of work takes it.

    Asked once before planning (``the_plan`` ``None``: can the facts be read without a session?)
    and once with the plan (can the group writer store all of it?). ``caller`` is the hot
    reader's verdict on the caller (``SESSION_CALLER``, ``KEY_USED``, ``MANY_UPLOADS``).
    """
    found = _route(definition, the_plan, group_writer, caller)
    if the_plan is not None or found is not Route.GROUP:
        ROUTED[found] += 1
        log.debug("submission routed: %s", found.value)
    return found


def _route(definition: ServiceDefinition | None, the_plan: Plan | None, group_writer: bool,
           caller: Route | None) -> Route:
    if not group_writer:
        return Route.NO_GROUP_WRITER
    if caller is not None:
        return caller
    if definition is None:
        return Route.SESSION_CALLER  # no such service: the session answers the 404
    found = _version_route(definition)
    if found is not Route.GROUP:
        return found
    # what is registered is looked at each time: modules may add to it
    if registry.prefill_reads_database(definition):
        return Route.PREFILL_READS_DATABASE
    if any(events.sync_handlers(name) for name in (SUBMITTED, EMAIL_REQUESTED, SMS_REQUESTED)):
        return Route.SUBSCRIBER_IN_TRANSACTION
    if the_plan is not None:
        for need in _NEED_ORDER:
            if need in the_plan.needs:
                return _BY_NEED[need]
        if the_plan.step is not None and any(events.sync_handlers(name) for name in (TRANSITIONED, signed.ISSUED)):
            return Route.SUBSCRIBER_IN_TRANSACTION
        if Need.SIGNED_DOCUMENT in the_plan.needs:
            assert definition.output is not None
            template = definition.output.template
            if (registry.document_fields_provider(template) is not None
                    or registry.document_issued_handler(template) is not None):
                return Route.DOCUMENT_FIELDS
            facts = the_plan.facts
            if facts.signing_key is None or facts.agency is None or facts.holder is None:
                return Route.NO_SIGNING_KEY
    return Route.GROUP


#: What a version itself asks for, by the parsed definition's identity (hashing a definition, a
#: frozen model, walks all of it; the definition is kept in the entry, so its id is not reused).
_BY_VERSION: dict[int, tuple[ServiceDefinition, Route]] = {}


def _version_route(definition: ServiceDefinition) -> Route:
    found = _BY_VERSION.get(id(definition))
    if found is None or found[0] is not definition:
        if len(_BY_VERSION) >= 1000:
            _BY_VERSION.clear()
        if definition.relationship == "G2B":
            route_ = Route.BUSINESS
        elif definition.fee is not None and definition.fee.provider:
            route_ = Route.FEE_PROVIDER
        elif not routing.built_in(definition):
            route_ = Route.ROUTING_RULE
        elif definition.workflow.on_submit:
            route_ = Route.ACTIONS_ON_SUBMIT
        elif reads_application(definition):
            route_ = Route.READS_APPLICATION
        else:
            route_ = Route.GROUP
        found = _BY_VERSION[id(definition)] = (definition, route_)
    return found[1]
