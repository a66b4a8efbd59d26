"""Moving cases: automatic steps, people's actions, assignment, ratings (every step logged and published)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.errors import Conflict, DomainError, Forbidden, NotFound
from smartgov.i18n import N_
from smartgov.identity import (
    AccountView,
    OrganizationView,
    OrgKind,
    Principal,
)

from . import pipeline, registry
from .applicants import event_data, facts_for, notify_applicant
from .cases import APPLICANT, REQUEST_INFORMATION, RESPOND, TRANSFER, WITHDRAW, application_by_reference
from .catalog import definition_of, definition_row
from .definitions import (
    ServiceDefinition,
    Transition,
)
from .documents import issue_document
from .events import ASSIGNED, RATED, TRANSFERRED, TRANSITIONED
from .models import (
    Application,
    InfoRequest,
    Rating,
    StoredFile,
    TransitionLog,
)
from .permissions import STAFF_ROLES, supervised_branch_ids, works_on
from .uploads import file_meta
from .workflow import Workflow

log = logging.getLogger(__name__)

MAX_ANSWER_LENGTH = 4000


def is_paid(app: Any) -> bool:
    """Nothing to pay, or paid (``app`` is the case or a row with its ``fee`` and ``paid_at``)."""
    return app.fee == 0 or app.paid_at is not None


def application_data(app: Application) -> dict[str, Any]:
    """What workflow conditions read as ``application.*``."""
    return {
        "reference": app.reference, "state": app.state, "fee": app.fee, "computed": app.computed,
        "paid": is_paid(app),
        "submitted_at": clock.local(app.submitted_at).date().isoformat(),
    }


# --------------------------------------------------------------------------- transitions


def run_action(db: Session, app: Application, defn: ServiceDefinition, name: str, facts: dict[str, Any],
                transition: Transition | None, actor_id: int | None) -> None:
    handler = registry.action(name)
    if handler is None:
        raise DomainError("action_missing", N_("This step cannot be taken now; try again later."))
    ctx = registry.ActionContext(db=db, application=app, definition=defn, applicant=facts, transition=transition,
                                 actor_id=actor_id, now=clock.now())
    result = handler(ctx)
    if result is not None:
        app.computed = {**app.computed, name: result}


def _move(db: Session, app: Application, defn: ServiceDefinition, tr: Transition, *, actor_id: int | None,
          reason: str | None, automatic: bool, facts: dict[str, Any]) -> None:
    """Record one step: actions, then ``pipeline.move``'s rows (new state and deadlines, log, event),
    notifications and documents."""
    started = clock.now()
    for name in tr.actions:
        run_action(db, app, defn, name, facts, tr, actor_id)
    step = pipeline.move(app, defn, tr, now=clock.now(), started=started, automatic=automatic, actor_id=actor_id,
                         reason=reason)
    for column, value in step.changes.items():
        setattr(app, column, value)
    db.add(TransitionLog(application_id=app.id, **step.log))
    db.flush()
    events.publish(db, TRANSITIONED, actor_id=actor_id, **event_data(db, app), **step.data)
    if step.decided:
        notify_applicant(db, app, pipeline.DECIDED_TEMPLATE, **pipeline.decided_context(defn, tr.to, reason))
    if step.issues_document:
        issue_document(db, app, defn, reason=reason)


def run_automatic_steps(db: Session, app: Application, *, facts: dict[str, Any] | None = None) -> int:
    """Take every automatic transition whose condition holds, one after another; returns how many."""
    defn = definition_of(definition_row(db, app.definition_id))
    facts = facts if facts is not None else facts_for(db, app, defn)
    wf = Workflow.from_definition(defn)
    taken = 0
    while taken < 50:
        data = {"answers": app.answers, "applicant": facts, "application": application_data(app)}
        step = wf.automatic_step(app.state, data, clock.now())
        if step is None:
            break
        _move(db, app, defn, step, actor_id=None, reason=None, automatic=True, facts=facts)
        taken += 1
    return taken


def role_for(db: Session, principal: Principal, app: Application) -> str | None:
    """``applicant`` for the person who applied; ``None`` for an official (who holds the agency's roles)."""
    if app.applicant_id == principal.id:
        return APPLICANT
    return None


def available_actions(db: Session, principal: Principal, app: Application) -> list[Transition]:
    """The buttons this caller sees on a case."""
    defn = definition_of(definition_row(db, app.definition_id))
    wf = Workflow.from_definition(defn)
    if app.terminal:
        return []
    if role_for(db, principal, app) == APPLICANT:
        return applicant_actions(defn, app)
    if not works_on(db, principal, app):
        return []
    return [tr for tr in wf.spec.transitions
            if app.state in tr.from_ and not tr.automatic and any(r != APPLICANT for r in tr.roles)]


def applicant_actions(defn: ServiceDefinition, app: Any) -> list[Transition]:
    """What the applicant may do now (``app`` is the case or a row with its ``state`` and ``terminal``)."""
    return [] if app.terminal else Workflow.from_definition(defn).available_actions(app.state, APPLICANT)


def take_action(db: Session, principal: Principal, app: Application, action: str, *, reason: str | None = None,
                answer: str | None = None, answer_files: list[str] | None = None) -> Application:
    """Move a case by a person's action; decisions by officials need a reason, answers need text."""
    defn = definition_of(definition_row(db, app.definition_id))
    wf = Workflow.from_definition(defn)
    as_applicant = role_for(db, principal, app) == APPLICANT
    if as_applicant:
        role = APPLICANT
    else:
        if not works_on(db, principal, app):
            raise Forbidden()
        candidates = [tr for tr in wf.spec.transitions if app.state in tr.from_ and tr.action == action]
        role = next((r for tr in candidates for r in tr.roles if r != APPLICANT), "")
    target = wf.apply(app.state, action, role, reason)
    reason = (reason or "").strip() or None
    if not as_applicant and wf.is_terminal(target) and not reason:
        raise DomainError("reason_required", N_("Give a reason for this decision."), field="reason")
    tr = next(t for t in wf.spec.transitions if app.state in t.from_ and t.action == action and not t.automatic)
    now = clock.now()
    if action == REQUEST_INFORMATION:
        if not reason:
            raise DomainError("reason_required", N_("Write the question for the applicant."), field="reason")
        db.add(InfoRequest(application_id=app.id, question=reason, requested_by=principal.id, requested_at=now,
                           answer_files=[]))
    if action == RESPOND:
        _answer_request(db, principal, app, answer, answer_files or [])
    facts = facts_for(db, app, defn)
    _move(db, app, defn, tr, actor_id=principal.id, reason=reason, automatic=False, facts=facts)
    if action == REQUEST_INFORMATION:
        notify_applicant(db, app, "services.info_requested", question=reason)
    run_automatic_steps(db, app, facts=facts)
    return app


def _written(value: str | None, field: str, missing: str) -> str:
    """A required free text of a case (an answer, a reason), stripped: ``missing`` when empty, and
    at most ``MAX_ANSWER_LENGTH`` characters (refusal codes ``<field>_required``, ``<field>_too_long``)."""
    text = (value or "").strip()
    if not text:
        raise DomainError(f"{field}_required", missing, field=field)
    if len(text) > MAX_ANSWER_LENGTH:
        raise DomainError(f"{field}_too_long", N_("Enter no more than {max} characters."), field=field,
                          max=MAX_ANSWER_LENGTH)
    return text


def _answer_request(db: Session, principal: Principal, app: Application, answer: str | None,
                    file_ids: list[str]) -> InfoRequest:
    text = _written(answer, "answer", N_("Write your answer."))
    request = open_info_request(db, app)
    if request is None:
        raise Conflict("no_open_request", N_("There is no open question to answer."))
    files = []
    for file_id in file_ids[:10]:
        row = db.get(StoredFile, file_id)
        if row is None or row.owner_id != principal.id or row.application_id not in (None, app.id):
            raise DomainError("file_not_uploaded", N_("Upload this file first."), field="files")
        row.application_id = app.id
        files.append(file_meta(row))
    request.answer = text
    request.answer_files = files
    request.answered_at = clock.now()
    return request


def open_info_request(db: Session, app: Application) -> InfoRequest | None:
    return db.scalar(select(InfoRequest).where(InfoRequest.application_id == app.id,
                                               InfoRequest.answered_at.is_(None))
                     .order_by(InfoRequest.id.desc()).limit(1))


def answer_information_request(db: Session, principal: Principal, app: Application, answer: str,
                               files: list[str] | None = None) -> Application:
    """The applicant answers the open question; the case goes back to the official."""
    return take_action(db, principal, app, RESPOND, answer=answer, answer_files=files)


def withdraw(db: Session, principal: Principal, app: Application, reason: str | None = None) -> Application:
    """The applicant stops their application while it is still open."""
    return take_action(db, principal, app, WITHDRAW, reason=reason)


def rate(db: Session, principal: Principal, app: Application, score: int, comment: str | None) -> Rating:
    """One 1–5 rating per finished case, by its applicant."""
    if not app.terminal:
        raise Conflict("not_finished", N_("You can rate the service once your application is finished."))
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError("score_invalid", N_("Choose a score from 1 to 5."), field="score")
    comment = (comment or "").strip()[:MAX_ANSWER_LENGTH] or None
    if db.scalar(select(Rating.id).where(Rating.application_id == app.id)):
        raise Conflict("already_rated", N_("You have already rated this application."))
    rating = Rating(application_id=app.id, service_id=app.service_id, score=score, comment=comment,
                    created_at=clock.now())
    db.add(rating)
    db.flush()
    events.publish(db, RATED, actor_id=principal.id, application_id=app.id,
                   service_id=app.service_id, agency_id=app.agency_id, score=score)
    return rating


def _staff_principal(db: Session, account_id: int) -> Principal:
    principal = identity.principal_of(db, account_id)
    if principal is None:
        raise NotFound("account", field="assignee")
    return principal


def assign(db: Session, principal: Principal, app: Application, assignee_id: int | None) -> Application:
    """Claim (assignee = yourself), assign or reassign a case to staff of its branch; ``None`` releases."""
    if app.terminal:
        raise Conflict("workflow_closed", N_("This case is closed; no further action is possible."))
    if assignee_id is not None and not works_on(db, _staff_principal(db, assignee_id), app):
        raise DomainError("assignee_invalid", N_("Assign cases only to staff of the case's branch."), field="assignee")
    before = app.assignee_id
    if before == assignee_id:
        return app
    app.assignee_id = assignee_id
    app.updated_at = clock.now()
    action = "release" if assignee_id is None else ("claim" if assignee_id == principal.id and before is None
                                                    else ("assign" if before is None else "reassign"))
    db.add(TransitionLog(application_id=app.id, from_state=app.state, to_state=app.state, action=action,
                         actor_id=principal.id, automatic=False, internal=True,
                         reason=json.dumps({"from": before, "to": assignee_id}), at=clock.now()))
    events.publish(db, ASSIGNED, actor_id=principal.id, **event_data(db, app),
                   assignee_id=assignee_id, previous_assignee_id=before, action=action)
    return app


def transfer(db: Session, principal: Principal, app: Application, branch: OrganizationView,
             reason: str | None) -> Application:
    """Move an open case to another branch of its agency (the caller, a supervisor over both, is checked
    by ``permissions.can_transfer_case``); an assignee who does not work the new branch lets it go."""
    if app.terminal:
        raise Conflict("workflow_closed", N_("This case is closed; no further action is possible."))
    if branch.kind != OrgKind.AGENCY or branch.id not in identity.agency_subtree(db, app.agency_id):
        raise DomainError("branch_invalid", N_("Choose a branch of the agency that owns this service."),
                          field="branch")
    if branch.id == app.branch_id:
        raise DomainError("branch_unchanged", N_("The case is in this branch already."), field="branch")
    text = _written(reason, "reason", N_("Give a reason for the transfer."))
    before, now = app.branch_id, clock.now()
    app.branch_id = branch.id
    app.updated_at = now
    released = app.assignee_id
    if released is not None and not works_on(db, _staff_principal(db, released), app):
        app.assignee_id = None
    else:
        released = None
    db.add(TransitionLog(application_id=app.id, from_state=app.state, to_state=app.state, action=TRANSFER,
                         actor_id=principal.id, automatic=False, internal=True,
                         reason=json.dumps({"from": before, "to": branch.id, "reason": text}), at=now))
    events.publish(db, TRANSFERRED, actor_id=principal.id, **event_data(db, app),
                   from_branch_id=before, to_branch_id=branch.id, released_assignee_id=released, reason=text)
    return app


def transfer_target(db: Session, code: str) -> OrganizationView:
    """The branch a transfer names by its code (422 naming the field if there is none)."""
    try:
        found: OrganizationView | None = identity.organization_by_code(db, code.strip())
    except NotFound:
        found = None
    if found is None or found.kind != OrgKind.AGENCY:
        raise DomainError("branch_invalid", N_("Choose a branch of the agency that owns this service."),
                          field="branch")
    return found


def transfer_choices(db: Session, principal: Principal, app: Application) -> list[OrganizationView]:
    """Branches a supervisor may move the case to: those of its agency they oversee, but its own."""
    ids = (identity.agency_subtree(db, app.agency_id) & supervised_branch_ids(db, principal)) - {app.branch_id}
    found = identity.organization_views(db, ids).values()
    return sorted((org for org in found if org.kind == OrgKind.AGENCY), key=lambda org: org.code)


def case_staff(db: Session, app: Application) -> list[AccountView]:
    """Who may be assigned the case: the staff who work its branch (its officials, the supervisors above)."""
    if app.branch_id is None:
        return []
    above = identity.agency_ancestors(db, app.branch_id)
    staff = identity.staff_of(db, above[-1] if above else app.branch_id, STAFF_ROLES)
    acting = ((account, identity.principal_of(db, account.id)) for account in staff)
    return [account for account, principal in acting if principal is not None and works_on(db, principal, app)]


@dataclass(frozen=True)
class BulkResult:
    reference: str
    ok: bool
    state: str | None = None
    error: DomainError | None = None


def bulk_action(db: Session, principal: Principal, references: list[str], action: str,
                reason: str | None = None, assignee_id: int | None = None) -> list[BulkResult]:
    """The same action on many cases; each case succeeds or fails on its own (a savepoint each)."""
    if not references or len(references) > 100:
        raise DomainError("bulk_size", N_("Choose between 1 and 100 cases."), field="references")
    results = []
    for ref in dict.fromkeys(references):
        try:
            with db.begin_nested():
                app = application_by_reference(db, ref)
                if not works_on(db, principal, app) or role_for(db, principal, app) == APPLICANT:
                    raise NotFound("application")
                if action in ("claim", "assign"):
                    assign(db, principal, app, principal.id if action == "claim" else assignee_id)
                else:
                    take_action(db, principal, app, action, reason=reason)
            results.append(BulkResult(ref, True, app.state))
        except DomainError as exc:
            results.append(BulkResult(ref, False, None, exc))
    return results
