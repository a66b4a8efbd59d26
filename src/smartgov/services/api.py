"""JSON API of the e-services engine under ``/api/v1/services``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from smartgov import clock, identity
from smartgov.db import Database
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_, get_language
from smartgov.identity import organization_by_code, require
from smartgov.web.deps import (
    AccountPrincipal,
    CurrentPrincipal,
    DbSession,
    OptionalPrincipal,
    bearer_token,
    client_ip,
    current_principal,
    request_session,
)
from smartgov.web.fields import Id
from smartgov.web.pagination import Page, Pagination, page_of, paginate
from smartgov.web.routing import ModuleRouter

from . import documents, intake, payments, permissions, pipeline, service, status
from .config import services_settings
from .definitions import ServiceDefinition, Transition
from .models import Application, Definition, Invoice, InvoiceStatus, IssuedDocument, Payment, StoredFile
from .schemas import (
    ActionPublic,
    AnswerIn,
    ApplicationIn,
    ApplicationPublic,
    AssignIn,
    BulkIn,
    BulkResultPublic,
    CaseSummary,
    DefinitionDetail,
    DefinitionIn,
    DefinitionPublic,
    DocumentPublic,
    DocumentSummaryPublic,
    DraftIn,
    DraftPublic,
    FilePublic,
    InvoicePublic,
    KeyPublic,
    MismatchPublic,
    PaymentPublic,
    PaymentStarted,
    PrefillPublic,
    RatingIn,
    RatingPublic,
    ReceiptPublic,
    ReconciliationPublic,
    ServicePublic,
    ServiceStatsPublic,
    TimelineEntryPublic,
    TransferIn,
    TransitionIn,
    VerificationCodeIn,
    VerificationPublic,
    WithdrawIn,
)
from .workflow import Workflow

router = ModuleRouter(prefix="/api/v1/services", tags=["services"])


# --------------------------------------------------------------------------- shaping


def _agency_code(db: DbSession, agency_id: int) -> str:
    return service.agency_code(db, agency_id) or ""


def service_public(db: DbSession, row: Definition) -> ServicePublic:
    defn = service.definition_of(row)
    fee = None if defn.fee is not None and defn.fee.amount is None else (defn.fee.amount if defn.fee else 0)
    return ServicePublic(id=row.service_id, version=row.version, title_fa=defn.title_fa, title_en=defn.title_en,
                         description_fa=defn.description_fa, description_en=defn.description_en,
                         agency=_agency_code(db, row.agency_id), relationship=defn.relationship, fee=fee,
                         sla_hours=defn.workflow.sla_hours)


def definition_public(db: DbSession, row: Definition) -> DefinitionPublic:
    return DefinitionPublic(id=row.id, service_id=row.service_id, version=row.version, status=row.status.value,
                            agency=_agency_code(db, row.agency_id), title_fa=row.title_fa, title_en=row.title_en,
                            created_at=row.created_at, published_at=row.published_at)


def definition_detail(db: DbSession, row: Definition) -> DefinitionDetail:
    defn = service.definition_of(row)
    dumped = defn.model_dump(mode="json", by_alias=True, exclude_none=True)
    return DefinitionDetail(**definition_public(db, row).model_dump(), source=row.source, form=dumped["form"],
                            documents=dumped["documents"], workflow=dumped["workflow"])


def _state_label(defn: ServiceDefinition, state: str) -> str:
    s = Workflow.from_definition(defn).state(state)
    return s.label_fa if get_language() == "fa" else s.label_en


def document_public(doc: Any) -> DocumentPublic:
    return DocumentPublic(id=doc.id, title_fa=doc.payload["title_fa"], title_en=doc.payload["title_en"],
                          issued_at=doc.issued_at, key_id=doc.key_id,
                          pdf_url=f"/api/v1/services/documents/{doc.id}/pdf",
                          json_url=f"/api/v1/services/documents/{doc.id}", verify_url=f"/verify/{doc.id}")


def invoice_public(inv: Any) -> InvoicePublic:
    # ``inv`` is the ORM row or a plain row (``status.invoices``), whose status is the stored text
    return InvoicePublic(number=inv.number, amount=inv.amount, status=InvoiceStatus(inv.status).value,
                         created_at=inv.created_at, paid_at=inv.paid_at)


def application_public(db: DbSession, principal: Any, app: Application,
                       facts: service.CaseFacts | None = None) -> ApplicationPublic:
    """The case as its applicant or an official sees it; ``facts``, when known, saves a query."""
    # Keep the row referenced: the session's identity map holds rows weakly, and
    # available_actions() below looks the same definition up again (a second SELECT otherwise).
    row = service.definition_row(db, app.definition_id)
    defn = service.definition_of(row)
    facts = facts or service.case_facts(db, app)
    return present_application(
        app, defn, _agency_code(db, app.agency_id), facts, service.available_actions(db, principal, app),
        invoices=service.invoices_of(db, app) if app.fee else [],
        issued=documents.documents_of(db, app) if facts.has_documents else [])


def applications_public(db: DbSession, principal: Any, apps: list[Application]) -> list[ApplicationPublic]:
    """``application_public`` for a page of cases: a query per kind of fact, not per case."""
    service.load_case_refs(db, apps)
    facts = service.case_facts_for(db, apps)
    invoices = service.invoices_for(db, [a.id for a in apps if a.fee])
    issued = documents.documents_for(db, [a.id for a in apps if facts[a.id].has_documents])
    return [present_application(a, service.definition_of(service.definition_row(db, a.definition_id)),
                                _agency_code(db, a.agency_id), facts[a.id], service.available_actions(db, principal, a),
                                invoices=invoices.get(a.id, []), issued=issued.get(a.id, []))
            for a in apps]


def present_application(app: Any, defn: ServiceDefinition, agency: str, facts: service.CaseFacts,
                        actions: list[Transition], *, invoices: list[Any], issued: list[Any]) -> ApplicationPublic:
    """The answer for a case: ``app`` is the ORM row or a plain row with its columns (``status.own_case``)."""
    left, late = service.sla(app)
    return ApplicationPublic(
        reference=app.reference, service_id=app.service_id, version=app.version, state=app.state,
        state_label=_state_label(defn, app.state), terminal=app.terminal, agency=agency,
        answers=app.answers, documents=app.documents, computed=app.computed, fee=app.fee,
        paid=service.is_paid(app), submitted_at=app.submitted_at, updated_at=app.updated_at,
        sla_deadline=app.sla_deadline, due_at=app.due_at, breached=late,
        seconds_left=int(left.total_seconds()) if left is not None else None, assignee_id=app.assignee_id,
        decided_automatically=app.decided_automatically,
        invoices=[invoice_public(i) for i in invoices], issued_documents=[document_public(d) for d in issued],
        actions=[ActionPublic(action=t.action, to=t.to, label_fa=t.label_fa, label_en=t.label_en,
                              requires_reason=t.requires_reason or Workflow.from_definition(defn).is_terminal(t.to))
                 for t in actions],
        open_question=facts.open_question,
    )


def case_summary(db: DbSession, app: Application) -> CaseSummary:
    defn = service.definition_of(service.definition_row(db, app.definition_id))
    left, late = service.sla(app)
    return CaseSummary(reference=app.reference, service_id=app.service_id, state=app.state,
                       state_label=_state_label(defn, app.state), submitted_at=app.submitted_at,
                       sla_deadline=app.sla_deadline, seconds_left=int(left.total_seconds()) if left else None,
                       breached=late, assignee_id=app.assignee_id)


def payment_public(db: DbSession, p: Payment) -> PaymentPublic:
    inv = db.get(Invoice, p.invoice_id)
    return PaymentPublic(id=p.id, invoice=inv.number if inv else "", amount=p.amount, paid_amount=p.paid_amount,
                         status=p.status.value, gateway=p.gateway, gateway_reference=p.gateway_reference,
                         created_at=p.created_at, settled_at=p.settled_at)


def visible_application(db: DbSession, principal: Any, reference: str) -> Application:
    """The case if the caller may see it; 404 otherwise (its existence is not revealed)."""
    app = service.application_by_reference(db, reference)
    if not permissions.can_view_application(db, principal, app):
        raise NotFound("application")
    return app


# --------------------------------------------------------------------------- the status read
# First of the module's routes: routes are matched in order, and this is the most frequent request.


@router.get("/applications/{reference}", response_model=ApplicationPublic)
async def get_application(reference: str, request: Request) -> Any:
    """One application: state, SLA, invoices, documents and what you may do now."""
    # An applicant's own case with a token (the read citizens repeat) is one statement, two more
    # for a case with invoices or documents: on PostgreSQL lock-free ones under a timeout, awaited
    # on the event loop (``HotReads.aall``: cheaper than the hand-off to a thread; on SQLite, whose
    # reads take the database lock, each goes to a thread). The token's usage stamp (a write) and
    # every other caller go to the thread pool.
    raw_token = bearer_token(request)
    if raw_token is not None:
        database = request.app.state.db
        own = await status.own_case(database, raw_token, reference)
        if own is not None:
            shown = await _own_answer(database, own)
            if own.stamp_due:
                await run_in_threadpool(identity.store_token_use, database, own.token_id, clock.now())
            return Response(shown.model_dump_json(), media_type="application/json")
    return await run_in_threadpool(_application_view, request, reference)


async def _own_answer(database: Database, own: status.OwnCase) -> ApplicationPublic:
    """The answer for the caller's own case (``status.own_case``), as ``application_public`` gives it."""
    case = own.case
    defn = status.definition(database, case.definition_id)
    return present_application(
        case, defn, case.agency_code, own.facts, service.applicant_actions(defn, case),
        invoices=await status.invoices(database, case.id) if case.fee else [],
        issued=await status.issued_documents(database, case.id) if own.facts.has_documents else [])


def _application_view(request: Request, reference: str) -> ApplicationPublic:
    with request_session(request) as db:
        principal = current_principal(request, db)
        app, facts = service.application_with_facts(db, reference)
        if not permissions.can_view_application(db, principal, app):
            raise NotFound("application")
        service.record_official_view(db, principal, app)
        shown = application_public(db, principal, app, facts)  # before the commit, which ends any transaction
        db.commit()
        return shown


# --------------------------------------------------------------------------- submitting
# Second of the routes: the most frequent write.


#: The submission reads its body and key itself (below); this is what FastAPI would have documented.
_SUBMIT_OPENAPI: dict[str, Any] = {
    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                    "description": "Retry safely: same key, one application.",
                    "schema": {"type": "string", "maxLength": pipeline.MAX_IDEMPOTENCY_KEY,
                               "title": "Idempotency-Key"}}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": ApplicationIn.model_json_schema()}}},
}


@router.post("/applications", status_code=201, response_model=ApplicationPublic, openapi_extra=_SUBMIT_OPENAPI,
             responses={200: {"description": "The same Idempotency-Key was used before: the first application."},
                        422: {"description": "The body, the key or the answers are not valid; the error lists each "
                                             "field."}})
async def submit(request: Request) -> Any:
    """Submit an application; automatic steps run at once, a fee makes an invoice."""
    # The usual submission with a token (no action on submit, no fee, nothing decided at once) is
    # checked on the event loop and written with the others waiting at that moment in one
    # transaction (``intake``, PostgreSQL); every other goes to the thread pool, and so does the
    # token's usage stamp. An answer is sent only after its case is committed. The body and the key
    # are read here rather than declared as parameters: FastAPI's resolution of them was a tenth
    # of the route's CPU.
    body, idempotency_key = await _submission(request)
    database = request.app.state.db
    raw_token = bearer_token(request)
    hot = None
    if raw_token is not None and database.hot_reads is not None:
        hot = await intake.read(database, raw_token, body.service_id, body.answers, body.documents, idempotency_key)
        now = clock.now()
        if hot.stamp_due(now):
            await run_in_threadpool(identity.store_token_use, database, hot.token_id, now)
    if hot is not None and hot.facts is not None:
        plan = pipeline.plan(hot.facts)  # the checks every writer shares: their 4xx
        if pipeline.route(plan.facts.definition, plan) is pipeline.Route.GROUP:
            written = await intake.writer(database).submit(plan)
            if written is not None:
                return Response(_intake_answer(written).model_dump_json(), status_code=201,
                                media_type="application/json")
            idempotency_key = plan.key  # the same key: were the case stored after all, it is the answer
    return await run_in_threadpool(_submit, request, body, idempotency_key)


async def _submission(request: Request) -> tuple[ApplicationIn, str | None]:
    """The body and the Idempotency-Key, or the 422 FastAPI gives for them."""
    errors: list[dict[str, Any]] = []
    key = request.headers.get("idempotency-key")
    limit = pipeline.MAX_IDEMPOTENCY_KEY
    if key is not None and len(key) > limit:
        errors.append({"type": "string_too_long", "loc": ("header", "idempotency-key"), "input": key,
                       "msg": f"String should have at most {limit} characters", "ctx": {"max_length": limit}})
    try:
        body = ApplicationIn.model_validate_json(await request.body())
    except ValidationError as exc:
        errors.extend({**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False))
    if errors:
        raise RequestValidationError(errors)
    return body, key


def _intake_answer(written: intake.Written) -> ApplicationPublic:
    """The answer for a case ``intake`` wrote, as ``application_public`` gives it for a new case."""
    case, facts = written.case, written.plan.facts
    defn = facts.definition
    issued = [IssuedDocument(**written.document)] if written.document else []
    return present_application(case, defn, facts.version.agency_code or "", service.CaseFacts(None, bool(issued)),
                               service.applicant_actions(defn, case), invoices=[], issued=issued)


def _submit(request: Request, body: ApplicationIn, idempotency_key: str | None) -> Any:
    with request_session(request) as db:
        principal = current_principal(request, db)
        require(permissions.can_write(principal))
        result = service.submit_application(db, principal, body.service_id, body.answers, body.documents,
                                            idempotency_key=idempotency_key, organization_code=body.organization)
        facts = service.fresh_case_facts(db, result.application) if result.created else None
        shown = application_public(db, principal, result.application, facts)  # same transaction: no second BEGIN
        db.commit()
    if not result.created:
        return JSONResponse(shown.model_dump(mode="json"), status_code=200)
    return shown


# --------------------------------------------------------------------------- catalog and definitions


@router.get("/catalog", response_model=Page[ServicePublic])
def catalog(
    db: DbSession, pagination: Pagination,
    q: Annotated[str | None, Query(max_length=200, description="Words in Persian or English.")] = None,
    relationship: Annotated[Literal["G2C", "G2B", "G2E"] | None, Query()] = None,
) -> dict[str, Any]:
    """Published services, searchable in Persian and English."""
    rows, total = paginate(db, service.catalog_query(q, relationship), pagination)
    return page_of([service_public(db, r) for r in rows], total, pagination)


@router.get("/catalog/{service_id}", response_model=DefinitionDetail)
def catalog_entry(service_id: str, db: DbSession) -> DefinitionDetail:
    """The live version of one service with its form schema, documents and workflow."""
    return definition_detail(db, service.published(db, service_id))


@router.get("/catalog/{service_id}/prefill", response_model=PrefillPublic)
def prefill(service_id: str, principal: CurrentPrincipal, db: DbSession,
            organization: Annotated[str | None, Query(max_length=40)] = None) -> PrefillPublic:
    """Answers the platform already knows for you, and eligibility rules you do not meet."""
    defn = service.definition_of(service.published(db, service_id))
    org = service.applicant_organization(principal, defn, organization, db)
    known = service.applicant_context(db, principal.account, defn, org)
    problems = service.eligibility_problems(db, principal.account, defn, None, org)
    db.commit()  # keeps the exchange message log and the who-read-my-data records of the prefill
    return PrefillPublic(answers=known.answers, eligibility_problems=[
        {"code": p.code, "field": p.field, "message": p.localized()} for p in problems])


@router.get("/definitions", response_model=Page[DefinitionPublic])
def list_definitions(principal: CurrentPrincipal, db: DbSession, pagination: Pagination,
                     service_id: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
    """Every stored version (drafts, published, retired) of services you may manage."""
    stmt = select(Definition).order_by(Definition.service_id, Definition.version.desc())
    if service_id:
        stmt = stmt.where(Definition.service_id == service_id)
    rows = [r for r in db.scalars(stmt)
            if permissions.can_publish_definition(db, principal, identity.organization_view(db, r.agency_id))]  # type: ignore[arg-type]
    page = rows[pagination.offset: pagination.offset + pagination.per_page]
    return page_of([definition_public(db, r) for r in page], len(rows), pagination)


@router.post("/definitions", status_code=201, response_model=DefinitionPublic)
def create_definition(body: DefinitionIn, principal: CurrentPrincipal, db: DbSession) -> DefinitionPublic:
    """Store a new version from YAML (published at once unless `publish` is false).

    Invalid definitions answer 422 naming the file, line and field of every problem.
    """
    defn, agency = service.prepare_definition(db, body.yaml, body.source_name)
    require(permissions.can_publish_definition(db, principal, agency))
    row = service.store_definition(db, defn, agency, body.yaml, body.source_name, actor_id=principal.id,
                                   publish=body.publish)
    db.commit()
    return definition_public(db, row)


def _managed_definition(db: DbSession, principal: Any, definition_id: int) -> Definition:
    row = service.definition_row(db, definition_id)
    require(permissions.can_publish_definition(db, principal, identity.organization_view(db, row.agency_id)))  # type: ignore[arg-type]
    return row


@router.get("/definitions/{definition_id}", response_model=DefinitionDetail)
def get_definition(definition_id: Id, principal: CurrentPrincipal, db: DbSession) -> DefinitionDetail:
    """One stored version with its YAML source."""
    return definition_detail(db, _managed_definition(db, principal, definition_id))


@router.post("/definitions/{definition_id}/publish", response_model=DefinitionPublic)
def publish_definition(definition_id: Id, principal: CurrentPrincipal, db: DbSession) -> DefinitionPublic:
    """Publish a draft version; the previously published version is retired."""
    row = service.publish_definition(db, _managed_definition(db, principal, definition_id), actor_id=principal.id)
    db.commit()
    return definition_public(db, row)


@router.post("/definitions/{definition_id}/retire", response_model=DefinitionPublic)
def retire_definition(definition_id: Id, principal: CurrentPrincipal, db: DbSession) -> DefinitionPublic:
    """Take a version off the catalog; open cases continue under it."""
    row = service.retire_definition(db, _managed_definition(db, principal, definition_id), actor_id=principal.id)
    db.commit()
    return definition_public(db, row)


# --------------------------------------------------------------------------- drafts and files


@router.get("/drafts/{service_id}", response_model=DraftPublic)
def get_draft(service_id: str, principal: AccountPrincipal, db: DbSession) -> DraftPublic:
    """Your saved answers for a service (404 if none)."""
    draft = service.get_draft(db, principal.account, service_id)
    if draft is None:
        raise NotFound("draft")
    return DraftPublic(service_id=draft.service_id, answers=draft.answers, documents=draft.documents,
                       updated_at=draft.updated_at)


@router.put("/drafts/{service_id}", response_model=DraftPublic)
def save_draft(service_id: str, body: DraftIn, principal: AccountPrincipal, db: DbSession) -> DraftPublic:
    """Save answers so far (not checked until you submit); merged with what was saved unless `replace`."""
    require(permissions.can_write(principal))
    draft = service.save_draft(db, principal.account, service_id, body.answers, body.documents, replace=body.replace)
    db.commit()
    return DraftPublic(service_id=draft.service_id, answers=draft.answers, documents=draft.documents,
                       updated_at=draft.updated_at)


@router.delete("/drafts/{service_id}", status_code=204)
def delete_draft(service_id: str, principal: AccountPrincipal, db: DbSession) -> Response:
    """Throw away your saved answers."""
    require(permissions.can_write(principal))
    service.delete_draft(db, principal.account, service_id)
    db.commit()
    return Response(status_code=204)


@router.post("/files", status_code=201, response_model=FilePublic)
def upload_file(
    principal: AccountPrincipal, db: DbSession, file: Annotated[UploadFile, File()],
    service_id: Annotated[str | None, Form(max_length=64)] = None,
    field: Annotated[str | None, Form(max_length=200, description="`name`, `group[0].sub` or `documents.<id>`")]
    = None,
) -> FilePublic:
    """Upload a file for a question; the type and size limits of that question are checked."""
    require(permissions.can_write(principal))
    mime_types, max_size = None, None
    if service_id:
        mime_types, max_size = service.upload_limits(service.definition_of(service.published(db, service_id)), field)
    data = file.file.read(services_settings().upload_max_bytes + 1)
    row = service.store_upload(db, principal.account, name=file.filename or "", mime=file.content_type or "",
                               data=data, mime_types=mime_types, max_size=max_size)
    db.commit()
    return FilePublic(**service.file_meta(row))


@router.get("/files/{ref}")
def download_file(ref: str, principal: CurrentPrincipal, db: DbSession) -> Response:
    """An uploaded file: for the uploader and the officials of the case it belongs to."""
    row: StoredFile = service.file_row(db, ref)
    app = db.get(Application, row.application_id) if row.application_id else None
    if not permissions.can_download_file(db, principal, row, app):
        raise NotFound("file")
    return Response(service.file_bytes(row), media_type=row.mime, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(row.name)}",
        "Cache-Control": "private, no-store"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


# --------------------------------------------------------------------------- applications


@router.get("/applications", response_model=Page[ApplicationPublic])
def my_applications(principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Your applications, newest first."""
    rows, total = paginate(db, service.my_applications_query(principal), pagination)
    return page_of(applications_public(db, principal, rows), total, pagination)


@router.get("/applications/{reference}/timeline", response_model=list[TimelineEntryPublic])
def get_timeline(reference: str, principal: CurrentPrincipal, db: DbSession) -> list[TimelineEntryPublic]:
    """Every step of the case (officials also see assignments)."""
    app = visible_application(db, principal, reference)
    internal = app.applicant_id != principal.id
    service.record_official_view(db, principal, app)
    db.commit()
    return [TimelineEntryPublic(**e.__dict__) for e in service.timeline(db, app, internal=internal)]


@router.post("/applications/{reference}/transitions", response_model=ApplicationPublic)
def transition(reference: str, body: TransitionIn, principal: CurrentPrincipal, db: DbSession) -> ApplicationPublic:
    """Take a workflow action (approve, reject with a reason, request_information with the question…)."""
    app = visible_application(db, principal, reference)
    require(permissions.can_work_case(db, principal, app) or permissions.can_act_as_applicant(principal, app))
    service.take_action(db, principal, app, body.action, reason=body.reason)
    db.commit()
    return application_public(db, principal, app)


@router.post("/applications/{reference}/answer", response_model=ApplicationPublic)
def answer(reference: str, body: AnswerIn, principal: CurrentPrincipal, db: DbSession) -> ApplicationPublic:
    """Answer the official's open question (with uploaded files if needed)."""
    app = visible_application(db, principal, reference)
    require(permissions.can_act_as_applicant(principal, app))
    service.answer_information_request(db, principal, app, body.answer, body.files)
    db.commit()
    return application_public(db, principal, app)


@router.post("/applications/{reference}/withdraw", response_model=ApplicationPublic)
def withdraw(reference: str, principal: CurrentPrincipal, db: DbSession,
             body: WithdrawIn | None = None) -> ApplicationPublic:
    """Withdraw your open application."""
    app = visible_application(db, principal, reference)
    require(permissions.can_act_as_applicant(principal, app))
    service.withdraw(db, principal, app, body.reason if body else None)
    db.commit()
    return application_public(db, principal, app)


@router.post("/applications/{reference}/rating", status_code=201, response_model=RatingPublic)
def rate(reference: str, body: RatingIn, principal: CurrentPrincipal, db: DbSession) -> RatingPublic:
    """Rate the service 1–5 once your application is finished."""
    app = visible_application(db, principal, reference)
    require(permissions.can_act_as_applicant(principal, app))
    rating = service.rate(db, principal, app, body.score, body.comment)
    db.commit()
    return RatingPublic(score=rating.score, comment=rating.comment, created_at=rating.created_at)


@router.post("/applications/{reference}/assign", response_model=ApplicationPublic)
def assign(reference: str, body: AssignIn, principal: CurrentPrincipal, db: DbSession) -> ApplicationPublic:
    """Assign or reassign a case to staff of its branch (null releases it)."""
    app = visible_application(db, principal, reference)
    require(permissions.can_work_case(db, principal, app))
    service.assign(db, principal, app, body.assignee_id)
    db.commit()
    return application_public(db, principal, app)


@router.post("/applications/{reference}/claim", response_model=ApplicationPublic)
def claim(reference: str, principal: CurrentPrincipal, db: DbSession) -> ApplicationPublic:
    """Take a case yourself."""
    app = visible_application(db, principal, reference)
    require(permissions.can_work_case(db, principal, app))
    service.assign(db, principal, app, principal.id)
    db.commit()
    return application_public(db, principal, app)


@router.post("/applications/{reference}/transfer", response_model=ApplicationPublic)
def transfer(reference: str, body: TransferIn, principal: CurrentPrincipal, db: DbSession) -> ApplicationPublic:
    """Move a case to another branch of its agency: supervisors, between branches they oversee."""
    app = visible_application(db, principal, reference)
    branch = service.transfer_target(db, body.branch)
    require(permissions.can_transfer_case(db, principal, app, branch))
    service.transfer(db, principal, app, branch, body.reason)
    db.commit()
    return application_public(db, principal, app)


@router.post("/applications/{reference}/pay", status_code=201, response_model=PaymentStarted)
def pay(reference: str, principal: CurrentPrincipal, db: DbSession) -> PaymentStarted:
    """Start paying the open invoice; send the payer to `redirect_url`."""
    app = visible_application(db, principal, reference)
    require(permissions.can_act_as_applicant(principal, app))
    invoice = service.open_invoice(db, app)
    if invoice is None:
        raise DomainError("nothing_to_pay", N_("There is nothing to pay for this application."), status=409)
    payment, url = payments.start_payment(db, invoice)
    db.commit()
    return PaymentStarted(payment_id=payment.id, invoice=invoice.number, amount=payment.amount, redirect_url=url)


# --------------------------------------------------------------------------- inbox


@router.get("/inbox", response_model=Page[CaseSummary])
def inbox(
    principal: CurrentPrincipal, db: DbSession, pagination: Pagination,
    state: Annotated[str | None, Query(max_length=64)] = None,
    service_id: Annotated[str | None, Query(alias="service", max_length=64)] = None,
    breached: Annotated[bool | None, Query(description="Only late (true) or on-time (false) cases.")] = None,
    mine: Annotated[bool, Query(description="Only cases assigned to you.")] = False,
    role: Annotated[str | None, Query(max_length=64, description="Cases where this workflow role can act.")] = None,
    closed: Annotated[bool, Query(description="Include finished cases.")] = False,
    sort: Annotated[Literal["deadline", "newest", "oldest", "reference"], Query()] = "deadline",
) -> dict[str, Any]:
    """Cases of your branch (a supervisor: every branch below theirs), most urgent first, with SLA countdown."""
    require(permissions.can_use_inbox(principal))
    stmt = service.inbox_query(db, principal, state=state, service_id=service_id, breached=breached, mine=mine,
                               role=role, include_closed=closed, sort=sort)
    rows, total = paginate(db, stmt, pagination)
    service.load_case_refs(db, rows)
    return page_of([case_summary(db, a) for a in rows], total, pagination)


@router.post("/inbox/bulk", response_model=list[BulkResultPublic])
def bulk(body: BulkIn, principal: CurrentPrincipal, db: DbSession) -> list[BulkResultPublic]:
    """One action on many cases; each succeeds or fails on its own."""
    require(permissions.can_use_inbox(principal) and permissions.can_write(principal))
    results = service.bulk_action(db, principal, body.references, body.action, body.reason)
    db.commit()
    return [BulkResultPublic(reference=r.reference, ok=r.ok, state=r.state,
                             error=r.error.envelope()["error"] if r.error else None) for r in results]


@router.get("/stats", response_model=list[ServiceStatsPublic])
def stats(principal: CurrentPrincipal, db: DbSession) -> list[ServiceStatsPublic]:
    """Per service: cases, finished, share decided automatically, SLA breaches, mean rating."""
    require(permissions.can_use_inbox(principal))
    branches = permissions.branch_scope(db, principal)
    return [ServiceStatsPublic(service_id=s.service_id, total=s.total, closed=s.closed, automatic=s.automatic,
                               automatic_share=s.automatic_share, breached=s.breached, mean_rating=s.mean_rating)
            for s in service.service_stats(db, branches)]


# --------------------------------------------------------------------------- payments


async def _callback_fields(request: Request) -> dict[str, str]:
    """A gateway's callback as text fields, from JSON or a form (read on the event loop)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(await request.body())
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise payments.CallbackRejected()
    else:
        data = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return {k: str(v) for k, v in data.items()}


@router.post("/payments/callback/{gateway}", response_model=PaymentPublic)
def payment_callback(gateway: str, db: DbSession,
                     data: Annotated[dict[str, str], Depends(_callback_fields)]) -> PaymentPublic:
    """Where a gateway confirms a payment (form or JSON, HMAC-signed); delivering it twice credits once."""
    payment = payments.handle_callback(db, gateway, data)
    db.commit()
    return payment_public(db, payment)


def _visible_payment(db: DbSession, principal: Any, payment_id: int) -> Payment:
    payment = db.get(Payment, payment_id)
    invoice = db.get(Invoice, payment.invoice_id) if payment else None
    app = db.get(Application, invoice.application_id) if invoice else None
    if payment is None or app is None or not permissions.can_view_application(db, principal, app):
        raise NotFound("payment")
    return payment


@router.get("/payments/{payment_id}", response_model=PaymentPublic)
def get_payment(payment_id: Id, principal: CurrentPrincipal, db: DbSession) -> PaymentPublic:
    """One payment attempt and its status."""
    return payment_public(db, _visible_payment(db, principal, payment_id))


@router.get("/payments/{payment_id}/receipt", response_model=ReceiptPublic)
def get_receipt(payment_id: Id, principal: CurrentPrincipal, db: DbSession) -> ReceiptPublic:
    """The receipt of a successful payment."""
    return ReceiptPublic(**payments.receipt(db, _visible_payment(db, principal, payment_id)))


@router.get("/reconciliation", response_model=ReconciliationPublic,
            responses={200: {"content": {"text/csv": {}}}})
def reconciliation(
    principal: CurrentPrincipal, db: DbSession,
    day: Annotated[dt.date | None, Query(
        description="Business day in the platform time zone (SMARTGOV_TIMEZONE), ISO; today by default.")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Daily reconciliation: invoices, payments, totals and every mismatch (JSON or CSV)."""
    require(permissions.can_view_reconciliation(principal))
    branches = permissions.branch_scope(db, principal)
    report = payments.reconciliation(db, day or clock.today(), branches)
    if format == "csv":
        return Response(payments.reconciliation_csv(db, report), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="reconciliation-{report.day.isoformat()}.csv"'})
    return ReconciliationPublic(
        day=report.day, invoiced_total=report.invoiced_total, collected_total=report.collected_total,
        invoices=[invoice_public(i) for i in report.invoices],
        payments=[payment_public(db, p) for p in report.payments],
        mismatches=[MismatchPublic(**m.__dict__) for m in report.mismatches])


# --------------------------------------------------------------------------- documents


def _visible_document(db: DbSession, principal: Any, document_id: str) -> Any:
    doc = documents.document(db, document_id)
    app = db.get(Application, doc.application_id)
    if app is None or not permissions.can_view_application(db, principal, app):
        raise NotFound("document")
    return doc


@router.get("/documents/{document_id}")
def get_document(document_id: str, principal: CurrentPrincipal, db: DbSession) -> dict[str, Any]:
    """The signed JSON record: `document`, `signature` (base64 Ed25519), `key_id`, `algorithm`."""
    return documents.signed_record(_visible_document(db, principal, document_id))


@router.get("/documents/{document_id}/pdf")
def get_document_pdf(document_id: str, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The document as PDF (Persian and English, with a QR code to the verify page)."""
    doc = _visible_document(db, principal, document_id)
    data = documents.pdf_bytes(db, doc)
    db.commit()  # made here if the worker has not made it yet
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{doc.payload["reference"]}.pdf"'})


def verification_public(result: documents.Verification) -> VerificationPublic:
    from smartgov.i18n import gettext

    return VerificationPublic(valid=result.valid, reason=gettext(result.reason), document=result.document,
                              summary=DocumentSummaryPublic.model_validate(result.summary) if result.summary else None,
                              disclosed=result.disclosed, key_id=result.key_id, checked=result.checked)


def _may_read(db: DbSession, principal: Any, document_id: str) -> bool:
    doc = documents.find(db, document_id)
    return doc is not None and permissions.can_read_document(db, principal, doc)


@router.get("/verify/{document_id}", response_model=VerificationPublic)
def verify(document_id: str, db: DbSession, principal: OptionalPrincipal) -> VerificationPublic:
    """Public: is this document genuine? No sign-in needed.

    Anyone gets validity, type, issuer, date and a masked holder (`summary`); the whole content
    (`document`) only those who may see the case. Others post the verification code printed on
    the document to `POST /verify/{document_id}`.
    """
    return verification_public(documents.verify_document_id(db, document_id,
                                                            disclose=_may_read(db, principal, document_id)))


@router.post("/verify/{document_id}", response_model=VerificationPublic)
def verify_with_code(document_id: str, body: VerificationCodeIn, request: Request, db: DbSession,
                     principal: OptionalPrincipal) -> VerificationPublic:
    """Public: the whole content of a document, for whoever has its verification code.

    A wrong code answers 422 (field `code`); after too many wrong codes from one address, 429.
    """
    return verification_public(documents.verify_document_id(
        db, document_id, disclose=_may_read(db, principal, document_id), code=body.code, ip=client_ip(request)))


@router.post("/verify", response_model=VerificationPublic)
def verify_file(db: DbSession, file: Annotated[UploadFile, File()]) -> VerificationPublic:
    """Public: upload a PDF or signed JSON to check whether it was changed."""
    data = file.file.read(documents.MAX_VERIFY_BYTES + 1)
    return verification_public(documents.verify_upload(db, data))


@router.get("/keys", response_model=list[KeyPublic])
def keys(db: DbSession, agency: Annotated[str | None, Query(max_length=40)] = None) -> list[KeyPublic]:
    """Public keys of every agency, current and retired, to check signatures offline."""
    org = organization_by_code(db, agency) if agency else None
    return [KeyPublic(key_id=k.key_id, agency=_agency_code(db, k.agency_id), public_key=k.public_key,
                      active=k.active, created_at=k.created_at, retired_at=k.retired_at)
            for k in documents.public_keys(db, org)]


@router.post("/keys/{agency}/rotate", status_code=201, response_model=KeyPublic)
def rotate(agency: str, principal: CurrentPrincipal, db: DbSession) -> KeyPublic:
    """Make a new signing key for the agency; documents signed before keep verifying."""
    org = organization_by_code(db, agency)
    require(permissions.can_manage_keys(db, principal, org))
    key = documents.rotate_key(db, org, actor_id=principal.id)
    db.commit()
    return KeyPublic(key_id=key.key_id, agency=org.code, public_key=key.public_key, active=key.active,
                     created_at=key.created_at, retired_at=key.retired_at)


