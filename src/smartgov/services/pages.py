"""HTML pages of the e-services engine: the applicant's journey, the official's inbox, verification.

GOV.UK-style: start page → questions → check your answers → confirmation. Everything works
without JavaScript: adding or removing a row of a repeating group is a form submit.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from smartgov import clock, digits, identity
from smartgov.digits import parse_date
from smartgov.errors import DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_, get_language, gettext, gregorian_to_jalali
from smartgov.identity import Role, can_use_personal_records, require
from smartgov.web.deps import AccountPrincipal, CurrentPrincipal, DbSession, OptionalPrincipal
from smartgov.web.fields import Id, posted_number
from smartgov.web.forms import PostedFiles, PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import ARROW_ON, render

from . import (
    definition_pages,
    documents,
    inbox_filters,
    inbox_pages,
    journey,
    payments,
    permissions,
    pipeline,
    service,
    start_pages,
    verify_pages,
)
from .config import services_settings
from .definitions import ChoiceField, FileField, GroupField, ServiceDefinition
from .forms import summarize
from .models import Application, PaymentStatus
from .workflow import Workflow

router = APIRouter(include_in_schema=False)

register(NavItem("/services", N_("Services"), order=10))
register(NavItem("/services/applications", N_("My applications"), roles=frozenset({Role.CITIZEN, Role.EMPLOYER}),
                 signed_in=True, order=20))
register(NavItem("/services/inbox", N_("Inbox"), roles=frozenset({Role.OFFICIAL, Role.AGENCY_ADMIN}), order=30))
register(NavItem("/services/admin/definitions", N_("Service definitions"),
                 roles=frozenset({Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}), order=40))
register(NavItem("/services/reconciliation", N_("Reconciliation"),
                 roles=frozenset({Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN, Role.AUDITOR}), order=45))
register(NavItem("/verify", N_("Check a document"), order=80))

MISMATCH_LABELS = {
    "amount_mismatch": N_("The gateway confirmed another amount than the invoice's."),
    "paid_twice": N_("The invoice was paid more than once: refund the extra payment."),
    "payment_not_credited": N_("A successful payment did not mark its invoice paid."),
    "paid_without_payment": N_("The invoice is marked paid without a successful payment."),
    "pending_too_long": N_("The gateway has not answered about this payment."),
}
PAYMENT_LABELS = {
    PaymentStatus.PENDING: N_("Waiting for the gateway"), PaymentStatus.SUCCEEDED: N_("Succeeded"),
    PaymentStatus.FAILED: N_("Failed"), PaymentStatus.TIMED_OUT: N_("Timed out"),
    PaymentStatus.MISMATCH: N_("Amount differs"),
}


# --------------------------------------------------------------------------- helpers


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def sla_text(app: Application) -> tuple[str, bool]:
    """"5 h 20 min left" or "late by 2 h", in the page's language."""
    left, late = service.sla(app)
    if left is None:
        return "", False
    minutes = abs(int(left.total_seconds())) // 60
    hours, mins = divmod(minutes, 60)
    if late:
        return gettext("Late by {hours} h {minutes} min", hours=hours, minutes=mins), True
    return gettext("{hours} h {minutes} min left", hours=hours, minutes=mins), False


def _defn(db: DbSession, app: Application) -> ServiceDefinition:
    return service.definition_of(service.definition_row(db, app.definition_id))


def _state_label(defn: ServiceDefinition, state: str | None) -> str:
    if not state:
        return ""
    s = Workflow.from_definition(defn).state(state)
    return s.label_fa if get_language() == "fa" else s.label_en


def _timeline(db: DbSession, app: Application, defn: ServiceDefinition, internal: bool) -> list[dict[str, Any]]:
    wf = Workflow.from_definition(defn)
    labels = {t.action: (t.label_fa if get_language() == "fa" else t.label_en) for t in wf.spec.transitions}
    labels.update(submit=gettext("Application submitted"), respond=gettext("Applicant replied"),
                  claim=gettext("Case claimed"), assign=gettext("Case assigned"), reassign=gettext("Case reassigned"),
                  release=gettext("Case released"), transfer=gettext("Case transferred"))
    out = []
    for e in service.timeline(db, app, internal=internal):
        text = _transfer_text(db, e.text) if e.kind == service.TRANSFER else e.text if e.kind != "assign" else None
        out.append({"at": e.at, "label": labels.get(e.action, e.action), "to": _state_label(defn, e.to_state),
                    "automatic": e.automatic, "text": text, "kind": e.kind})
    return out


def _transfer_text(db: DbSession, stored: str | None) -> str:
    """``From → To: reason`` of a transfer kept as JSON in the case's history (the arrow reads along the line)."""
    data = json.loads(stored or "{}")
    lang = get_language()
    names = [org.name(lang) if (org := identity.organization_view(db, data.get(k))) else "" for k in ("from", "to")]
    return f"{names[0]} {ARROW_ON} {names[1]}: {data.get('reason', '')}"


def _visible(db: DbSession, principal: Any, reference: str) -> Application:
    try:
        app = service.application_by_reference(db, reference)
    except NotFound:
        raise NotFound("application") from None
    if not permissions.can_view_application(db, principal, app):
        raise NotFound("application")
    return app


def _own(db: DbSession, principal: Any, reference: str) -> Application:
    """The application ``reference`` if the caller may act on it as its applicant (answer, withdraw, rate, pay)."""
    app = _visible(db, principal, reference)
    require(permissions.can_act_as_applicant(principal, app))
    return app


# --------------------------------------------------------------------------- catalog and start page


@router.get("/services", response_class=HTMLResponse)
def catalog_page(request: Request, db: DbSession, principal: OptionalPrincipal, q: str | None = None) -> HTMLResponse:
    q = (q or "")[:200]
    rows = service.catalog(db, q)
    agencies = identity.organization_views(db, {r.agency_id for r in rows})
    items = [(r, service.definition_of(r), agencies.get(r.agency_id)) for r in rows]
    return render(request, "services/catalog.html", {"items": items, "q": q})


# --------------------------------------------------------------------------- questions


def _facts(db: DbSession, principal: Any, defn: ServiceDefinition) -> dict[str, Any]:
    org = service.applicant_organization(principal, defn, None, db)
    facts = service.applicant_context(db, principal.account, defn, org).applicant
    db.commit()  # keeps the exchange message log and the who-read-my-data records of the prefill
    return facts


@router.get("/services/{service_id}/apply")
def begin(service_id: str, db: DbSession, principal: AccountPrincipal) -> Response:
    """Start (with what the platform knows filled in) or resume the saved answers."""
    row = service.published(db, service_id)
    defn = service.definition_of(row)
    if start_pages.cannot_apply(db, principal, defn):  # the start page says why, before any form
        db.commit()
        return RedirectResponse(f"/services/{service_id}", status_code=303)
    if service.get_draft(db, principal.account, service_id) is None:
        org = service.applicant_organization(principal, defn, None, db)
        known = service.applicant_context(db, principal.account, defn, org)
        service.save_draft(db, principal.account, service_id, known.answers)
        db.commit()
    return RedirectResponse(f"/services/{service_id}/apply/1", status_code=303)


def _page_context(db: DbSession, principal: Any, service_id: str, number: int) -> dict[str, Any]:
    row = service.published(db, service_id)
    defn = service.definition_of(row)
    pages = journey.question_pages(defn)
    if not 1 <= number <= len(pages):
        raise NotFound("page")
    draft = service.get_draft(db, principal.account, service_id)
    raw = dict(draft.answers) if draft else {}
    docs = dict(draft.documents) if draft else {}
    facts = _facts(db, principal, defn)
    today = clock.today()
    answers = journey.lenient_answers(defn, raw, applicant=facts, today=today)
    variables = {"answers": answers, "applicant": facts}
    page = pages[number - 1]
    shown = [f for f in page.fields if _shown(f, variables, today)]
    shown_docs = [d for d in defn.documents if page.documents and _shown(d, variables, today)]
    return {"row": row, "defn": defn, "pages": pages, "page": page, "number": number, "raw": raw, "docs": docs,
            "facts": facts, "answers": answers, "fields": shown, "doc_specs": shown_docs, "draft": draft}


def _shown(item: Any, variables: dict[str, Any], today: dt.date) -> bool:
    from .forms import is_visible

    return is_visible(item.when, variables, today)


@router.get("/services/{service_id}/apply/{number}", response_class=HTMLResponse)
def question_page(service_id: str, number: int, request: Request, db: DbSession,
                  principal: AccountPrincipal) -> HTMLResponse:
    ctx = _page_context(db, principal, service_id, number)
    if ctx["draft"] is None:
        return RedirectResponse(f"/services/{service_id}/apply", status_code=303)  # type: ignore[return-value]
    return render(request, "services/question.html", ctx)


def _group_rows(form: FormData, group: GroupField) -> list[dict[str, Any]]:
    count = form.get(f"{group.name}__rows")
    try:
        n = max(0, min(int(str(count)), group.max_items + 1))
    except ValueError:
        n = 0
    rows = []
    for i in range(n):
        row: dict[str, Any] = {}
        for sub in group.fields:
            key = f"{group.name}[{i}].{sub.name}"
            if isinstance(sub, ChoiceField) and sub.multiple:
                row[sub.name] = [v for v in form.getlist(key) if isinstance(v, str)]
            else:
                row[sub.name] = _text(form, key)
        rows.append(row)
    return rows


def _take_upload(db: DbSession, principal: Any, form: FormData, key: str, mime_types: tuple[str, ...],
                 max_size: int) -> dict[str, Any] | None:
    upload = form.get(key)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = upload.file.read(services_settings().upload_max_bytes + 1)
    row = service.store_upload(db, principal.account, name=upload.filename, mime=upload.content_type or "",
                               data=data, mime_types=mime_types, max_size=max_size, field=key)
    return service.file_meta(row)


@router.post("/services/{service_id}/apply/{number}")
def save_page(service_id: str, number: int, request: Request, db: DbSession,
              principal: AccountPrincipal, form: PostedFiles) -> Response:
    """Save this page's answers; add/remove group rows; on "continue" check the page and move on."""
    ctx = _page_context(db, principal, service_id, number)
    defn: ServiceDefinition = ctx["defn"]
    raw: dict[str, Any] = ctx["raw"]
    docs: dict[str, Any] = ctx["docs"]
    errors: list[DomainError] = []
    for fld in ctx["fields"]:
        try:
            if isinstance(fld, GroupField):
                rows = _group_rows(form, fld)
                for i, r in enumerate(rows):
                    for sub in fld.fields:
                        if isinstance(sub, FileField):
                            key = f"{fld.name}[{i}].{sub.name}"
                            got = _take_upload(db, principal, form, key, sub.mime_types, sub.max_size_bytes)
                            old = (raw.get(fld.name) or [{}] * (i + 1))
                            r[sub.name] = got or (old[i].get(sub.name) if i < len(old) else None)
                raw[fld.name] = rows
            elif isinstance(fld, FileField):
                got = _take_upload(db, principal, form, fld.name, fld.mime_types, fld.max_size_bytes)
                if got is not None:
                    raw[fld.name] = got
            elif isinstance(fld, ChoiceField) and fld.multiple:
                raw[fld.name] = [v for v in form.getlist(fld.name) if isinstance(v, str)]
            else:
                raw[fld.name] = _text(form, fld.name)
        except DomainError as exc:
            errors.append(exc)
    for spec in ctx["doc_specs"]:
        key = f"documents.{spec.id}"
        try:
            got = _take_upload(db, principal, form, key, spec.mime_types, spec.max_size_bytes)
            if got is not None:
                docs[spec.id] = got
        except DomainError as exc:
            errors.append(exc)
    add, remove = _text(form, "_add"), _text(form, "_remove")
    if add:
        group = defn.fields_by_name.get(add)
        if isinstance(group, GroupField):
            rows = list(raw.get(add) or [])
            if len(rows) < group.max_items:
                rows.append({})
            raw[add] = rows
    if remove and ":" in remove:
        name, _, typed = remove.partition(":")
        rows = list(raw.get(name) or [])
        index = digits.integer(typed, name)
        if index is not None and index < len(rows):
            rows.pop(index)
        raw[name] = rows
    service.save_draft(db, principal.account, service_id, raw, docs, replace=True)
    db.commit()
    if add or remove:
        return RedirectResponse(f"/services/{service_id}/apply/{number}#f-{add or remove.partition(':')[0]}",
                                status_code=303)
    errors += _page_errors(defn, ctx["page"], raw, docs, ctx["facts"])
    if errors:
        ctx = _page_context(db, principal, service_id, number)
        ctx["errors"] = field_errors(ValidationFailed(errors))
        return render(request, "services/question.html", ctx, status_code=422)
    return RedirectResponse(_next_page(defn, ctx["pages"], number, raw, ctx["facts"], service_id), status_code=303)


def _page_errors(defn: ServiceDefinition, page: journey.QuestionPage, raw: dict[str, Any], docs: dict[str, Any],
                 facts: dict[str, Any]) -> list[DomainError]:
    from .forms import clean_answers, clean_documents

    today = clock.today()
    problems: list[DomainError] = []
    try:
        cleaned = clean_answers(defn, raw, today=today, applicant=facts)
    except ValidationFailed as exc:
        problems += exc.errors
        cleaned = journey.lenient_answers(defn, raw, applicant=facts, today=today)
    if page.documents:
        try:
            clean_documents(defn, docs, answers=cleaned, today=today, applicant=facts)
        except ValidationFailed as exc:
            problems += exc.errors
    return [e for e in problems if e.field and journey.page_of_field([page], e.field) is not None]


def _next_page(defn: ServiceDefinition, pages: list[journey.QuestionPage], number: int, raw: dict[str, Any],
               facts: dict[str, Any], service_id: str) -> str:
    today = clock.today()
    answers = journey.lenient_answers(defn, raw, applicant=facts, today=today)
    for page in pages[number:]:
        if journey.page_is_shown(page, defn, answers, facts, today):
            return f"/services/{service_id}/apply/{page.number}"
    return f"/services/{service_id}/check"


# --------------------------------------------------------------------------- check, submit, confirmation


@router.get("/services/{service_id}/check", response_class=HTMLResponse)
def check_page(service_id: str, request: Request, db: DbSession, principal: AccountPrincipal) -> HTMLResponse:
    return _render_check(request, db, principal, service_id)


def _render_check(request: Request, db: DbSession, principal: Any, service_id: str,
                  extra: list[DomainError] | None = None, status: int = 200) -> HTMLResponse:
    from .eligibility import failed_rules
    from .forms import clean_answers, clean_documents, display_value

    row = service.published(db, service_id)
    defn = service.definition_of(row)
    pages = journey.question_pages(defn)
    draft = service.get_draft(db, principal.account, service_id)
    raw = draft.answers if draft else {}
    docs = draft.documents if draft else {}
    facts = _facts(db, principal, defn)
    today = clock.today()
    problems: list[DomainError] = list(extra or [])
    try:
        cleaned = clean_answers(defn, raw, today=today, applicant=facts)
    except ValidationFailed as exc:
        problems += exc.errors
        cleaned = journey.lenient_answers(defn, raw, applicant=facts, today=today)
    try:
        cleaned_docs = clean_documents(defn, docs, answers=cleaned, today=today, applicant=facts)
    except ValidationFailed as exc:
        problems += exc.errors
        cleaned_docs = {}
    if not problems:
        problems += failed_rules(defn, cleaned, today=today, applicant=facts)
    lang = get_language()
    summary = summarize(defn, cleaned, lang=lang, today=today, applicant=facts)
    page_by_name = {name: p.number for p in pages for name in p.names}
    doc_rows = [(d.title_fa if lang == "fa" else d.title_en,
                 display_value(_as_file_field(d), cleaned_docs[d.id], lang) if d.id in cleaned_docs
                 else gettext("Not provided")) for d in defn.documents]
    fee = None
    if not problems:
        try:
            fee = service.fee_of(db, defn, cleaned, facts, today)
        except DomainError as exc:
            problems.append(exc)
    problem_links = [(p.localized(), (f"/services/{service_id}/apply/{page.number}#f-{p.field}"
                                       if p.field and (page := journey.page_of_field(pages, p.field)) else None))
                     for p in problems]
    return render(request, "services/check.html", {
        "row": row, "defn": defn, "summary": summary, "page_by_name": page_by_name, "doc_rows": doc_rows,
        "docs_page": pages[-1].number if pages and pages[-1].documents else None, "problems": problem_links,
        "fee": fee, "idempotency_key": service.new_idempotency_key(),
        "proven": can_use_personal_records(principal.account),
    }, status_code=status)


def _as_file_field(doc: Any) -> FileField:
    return FileField(type="file", name=doc.id, label_fa=doc.title_fa, label_en=doc.title_en,
                     mime_types=doc.mime_types, max_size_bytes=doc.max_size_bytes)


@router.post("/services/{service_id}/submit")
def submit_page(service_id: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                form: PostedForm) -> Response:
    draft = service.get_draft(db, principal.account, service_id)
    try:
        key = pipeline.clean_key(form.get("idempotency_key"))
    except DomainError as exc:
        return _render_check(request, db, principal, service_id, [exc], status=422)
    if draft is None:
        app = service.existing_case(db, principal.id, key)
        if app is not None:
            return RedirectResponse(f"/services/applications/{app.reference}/confirmation", status_code=303)
        return RedirectResponse(f"/services/{service_id}", status_code=303)
    try:
        result = service.submit_application(db, principal, service_id, draft.answers, draft.documents,
                                            idempotency_key=key)
        db.commit()
    except DomainError as exc:
        db.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
        return _render_check(request, db, principal, service_id, errors, status=422)
    return RedirectResponse(f"/services/applications/{result.application.reference}/confirmation", status_code=303)


@router.get("/services/applications/{reference}/confirmation", response_class=HTMLResponse)
def confirmation(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    app = _visible(db, principal, reference)
    defn = _defn(db, app)
    return render(request, "services/confirmation.html", {
        "app": app, "defn": defn, "state": _state_label(defn, app.state),
        "invoice": service.open_invoice(db, app)})


# --------------------------------------------------------------------------- my applications


@router.get("/services/applications", response_class=HTMLResponse)
def my_applications(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    apps = service.my_applications(db, principal, limit=200)
    service.load_case_refs(db, apps)
    rows = [(a, _defn(db, a)) for a in apps]
    drafts = [(d, service.definition_of(service.definition_row(db, d.definition_id)))
              for d in service.drafts_of(db, principal.id)]
    return render(request, "services/applications.html", {
        "rows": [(a, d, _state_label(d, a.state)) for a, d in rows], "drafts": drafts})


@router.get("/services/applications/{reference}", response_class=HTMLResponse)
def application_page(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                     notice: str | None = None) -> Response:
    app = _visible(db, principal, reference)
    if app.applicant_id != principal.id:
        return RedirectResponse(f"/services/inbox/{app.reference}", status_code=303)
    return _render_application(request, db, principal, app, notice=notice)


def _render_application(request: Request, db: DbSession, principal: Any, app: Application, *,
                        errors: dict[str, str] | None = None, status: int = 200,
                        notice: str | None = None) -> HTMLResponse:
    defn = _defn(db, app)
    lang = get_language()
    rating = service.rating_of(db, app)
    actions = {t.action for t in service.available_actions(db, principal, app)}
    notices = {"paid": N_("Payment received. Thank you."), "failed": N_("The payment did not go through."),
               "answered": N_("Your answer was sent."), "withdrawn": N_("Your application was withdrawn."),
               "rated": N_("Thank you for rating this service.")}
    return render(request, "services/application.html", {
        "app": app, "defn": defn, "state": _state_label(defn, app.state),
        "summary": summarize(defn, app.answers, lang=lang, today=clock.local(app.submitted_at).date()),
        "timeline": _timeline(db, app, defn, internal=False), "invoices": service.invoices_of(db, app),
        "documents": documents.documents_of(db, app), "question": service.open_info_request(db, app),
        "can_withdraw": service.WITHDRAW in actions, "can_answer": service.RESPOND in actions,
        "can_rate": app.terminal and rating is None, "rating": rating, "errors": errors or {},
        "notice": gettext(notices[notice]) if notice in notices else None,
    }, status_code=status)


@router.post("/services/applications/{reference}/answer")
def answer_page(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                form: PostedFiles) -> Response:
    app = _own(db, principal, reference)
    try:
        ids = []
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            data = upload.file.read(services_settings().upload_max_bytes + 1)
            ids.append(service.store_upload(db, principal.account, name=upload.filename,
                                            mime=upload.content_type or "", data=data, field="file").id)
        service.answer_information_request(db, principal, app, _text(form, "answer"), ids)
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _render_application(request, db, principal, _visible(db, principal, reference),
                                   errors=field_errors(exc), status=422)
    return RedirectResponse(f"/services/applications/{reference}?notice=answered", status_code=303)


@router.post("/services/applications/{reference}/withdraw")
def withdraw_page(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    app = _own(db, principal, reference)
    if form.get("confirm") != "yes":
        return _render_application(request, db, principal, app, status=422, errors={
            "confirm": gettext("Tick the box to confirm you want to withdraw.")})
    service.withdraw(db, principal, app, form.get("reason") or None)
    db.commit()
    return RedirectResponse(f"/services/applications/{reference}?notice=withdrawn", status_code=303)


@router.post("/services/applications/{reference}/rate")
def rate_page(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
              form: PostedForm) -> Response:
    app = _own(db, principal, reference)
    try:
        score = int(form.get("score", "0"))
    except ValueError:
        score = 0
    try:
        service.rate(db, principal, app, score, form.get("comment"))
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _render_application(request, db, principal, app, errors=field_errors(exc), status=422)
    return RedirectResponse(f"/services/applications/{reference}?notice=rated", status_code=303)


# --------------------------------------------------------------------------- payments


@router.get("/services/applications/{reference}/pay", response_class=HTMLResponse)
def pay_page(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    app = _own(db, principal, reference)
    return render(request, "services/pay.html", {"app": app, "defn": _defn(db, app),
                                                 "invoice": service.open_invoice(db, app)})


@router.post("/services/applications/{reference}/pay")
def start_payment_page(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                       _form: PostedForm) -> Response:
    app = _own(db, principal, reference)
    invoice = service.open_invoice(db, app)
    if invoice is None:
        return RedirectResponse(f"/services/applications/{reference}", status_code=303)
    _payment, url = payments.start_payment(db, invoice)
    db.commit()
    return RedirectResponse(url, status_code=303)


@router.get("/services/gateway/simulated/{token}", response_class=HTMLResponse)
def gateway_page(token: str, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    """The simulated bank page: choose what the gateway should answer."""
    payment = payments.payment_by_token(db, "simulated", token)
    return render(request, "services/gateway.html", {"payment": payment, "outcomes": payments.OUTCOMES})


@router.post("/services/gateway/simulated/{token}")
def gateway_outcome(token: str, request: Request, db: DbSession, form: PostedForm) -> Response:
    """The simulated gateway answers: it signs a callback and delivers it (twice for "duplicate")."""
    outcome = form.get("outcome", "")
    payment = payments.payment_by_token(db, "simulated", token)
    _, app = payments.invoice_and_case(db, payment)
    assert app is not None
    if outcome not in payments.OUTCOMES:
        raise DomainError("outcome_invalid", N_("Choose one of the allowed values."), field="outcome")
    if outcome != "timeout":  # a timeout is a gateway that never calls back
        gw = payments.gateway("simulated")
        assert isinstance(gw, payments.SimulatedGateway)
        callback = gw.callback_for(payment, outcome)
        for _ in range(2 if outcome == "duplicate" else 1):
            payments.handle_callback(db, "simulated", callback)
            db.commit()
    return RedirectResponse(f"/services/payments/{payment.id}", status_code=303)


@router.get("/services/payments/{payment_id}", response_class=HTMLResponse)
def payment_page(payment_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    payment = payments.payment_row(db, payment_id)
    invoice, app = payments.invoice_and_case(db, payment)
    if payment is None or app is None or not permissions.can_view_application(db, principal, app):
        raise NotFound("payment")
    return render(request, "services/payment.html", {
        "payment": payment, "invoice": invoice, "app": app, "defn": _defn(db, app),
        "succeeded": payment.status == PaymentStatus.SUCCEEDED})


@router.get("/services/reconciliation", response_class=HTMLResponse)
def reconciliation_page(request: Request, db: DbSession, principal: CurrentPrincipal,
                        day: str | None = None) -> HTMLResponse:
    """One business day's invoices and payments, their totals and every mismatch, for finance staff."""
    require(permissions.can_view_reconciliation(principal))
    fa = get_language() == "fa"
    chosen, errors = clock.today(), {}
    if day:
        try:
            chosen = parse_date(day)  # 1405-09-15 is Jalali too, not AD 1405
        except ValueError:
            errors["day"] = gettext("Enter a real date, for example {example}.",
                                    example="1405/09/15" if fa else "2026-12-06")
    branches = permissions.branch_scope(db, principal)
    report = payments.reconciliation(db, chosen, branches)
    numbers = {i.id: i.number for i in report.invoices}
    missing = {p.invoice_id for p in report.payments if p.invoice_id not in numbers}
    numbers |= {i: "" for i in missing} | payments.invoice_numbers(db, missing)
    shown = gregorian_to_jalali(chosen) if fa else chosen.isoformat()
    return render(request, "services/reconciliation.html", {
        "report": report, "numbers": numbers, "mismatch_labels": MISMATCH_LABELS, "payment_labels": PAYMENT_LABELS,
        "errors": errors, "values": {"day": day if errors else shown},
        "csv_url": f"/api/v1/services/reconciliation?{urlencode({'day': chosen.isoformat(), 'format': 'csv'})}",
    }, status_code=422 if errors else 200)


# --------------------------------------------------------------------------- official inbox


@router.get("/services/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, db: DbSession, principal: CurrentPrincipal, state: str | None = None,
               service_id: str | None = None, breached: str | None = None, mine: str | None = None,
               sort: str = "deadline", page: int = 1, notice: str | None = None, q: str | None = None) -> HTMLResponse:
    """The caller's branches' cases: searched (reference, national code, name), filtered, saved searches."""
    require(permissions.can_use_inbox(principal))
    flag = {"yes": True, "no": False}.get(breached or "")
    sort = sort if sort in service.SORTS else "deadline"
    q = (q or "").strip()[:200]
    stmt = service.inbox_query(db, principal, state=state or None, service_id=service_id or None, breached=flag,
                               mine=mine == "1", sort=sort, q=q or None)
    from smartgov.web.pagination import PageParams, paginate

    params = PageParams(page=max(1, min(page, 10_000)), per_page=50)
    apps, total = paginate(db, stmt, params)
    service.load_case_refs(db, apps)
    assignees = {a.assignee_id for a in apps if a.assignee_id}
    found = identity.account_views(db, assignees)
    rows = []
    for a in apps:
        d = _defn(db, a)
        text, late = sla_text(a)
        rows.append({"app": a, "defn": d, "state": _state_label(d, a.state), "sla": text, "late": late,
                     "assignee": found.get(a.assignee_id) if a.assignee_id else None})
    published = service.catalog(db)
    fa = get_language() == "fa"
    titles = {r.service_id: r.title_fa if fa else r.title_en for r in published}
    # one choice per state id; services that name the same state differently show every name
    state_labels: dict[str, list[str]] = {}
    for r in published:
        for st in service.definition_of(r).workflow.states:
            names = state_labels.setdefault(st.id, [])
            if (label := st.label_fa if fa else st.label_en) not in names:
                names.append(label)
    bulk_actions: dict[str, str] = {}
    for r in published:
        for t in service.definition_of(r).workflow.transitions:
            if not t.automatic and any(role != service.APPLICANT for role in t.roles):
                bulk_actions.setdefault(t.action, t.label_fa if get_language() == "fa" else t.label_en)
    query = {k: v for k, v in {"q": q, "state": state, "service_id": service_id, "breached": breached, "mine": mine,
                               "sort": sort}.items() if v}
    pages = (total + params.per_page - 1) // params.per_page
    return render(request, "services/inbox.html", {
        "rows": rows, "total": total, "filters": query, "page": params.page,
        "services": sorted(titles.items(), key=lambda kv: kv[1]), "titles": titles,
        "states": sorted(((k, " / ".join(v)) for k, v in state_labels.items()), key=lambda kv: kv[1]),
        "pages": pages, "query": urlencode(query), "notice": notice, "bulk_actions": sorted(bulk_actions.items()),
        "stats": service.service_stats(db, permissions.branch_scope(db, principal)),
        "saved": inbox_filters.filters_of(db, principal.id), "q": q,
    })


@router.post("/services/inbox/bulk")
def bulk_page(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedFiles) -> Response:
    require(permissions.can_use_inbox(principal))
    refs = [v for v in form.getlist("references") if isinstance(v, str)]
    action = _text(form, "action")
    if not refs or not action:
        return RedirectResponse("/services/inbox?notice=nothing", status_code=303)
    results = service.bulk_action(db, principal, refs, action, _text(form, "reason") or None)
    db.commit()
    done = sum(r.ok for r in results)
    failed = [(r.reference, r.error.localized() if r.error else "") for r in results if not r.ok]
    return render(request, "services/bulk_result.html", {"done": done, "failed": failed, "action": action})


@router.get("/services/inbox/{reference}", response_class=HTMLResponse)
def case_page(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    app = _visible(db, principal, reference)
    require(permissions.can_use_inbox(principal))
    service.record_official_view(db, principal, app)
    db.commit()
    return _render_case(request, db, principal, app)


def _render_case(request: Request, db: DbSession, principal: Any, app: Application, *,
                 errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    defn = _defn(db, app)
    lang = get_language()
    wf = Workflow.from_definition(defn)
    agency = identity.organization_view(db, app.agency_id)
    can_work = permissions.can_work_case(db, principal, app)
    staff = service.case_staff(db, app) if can_work else []
    branches = [b for b in service.transfer_choices(db, principal, app)
                if permissions.can_transfer_case(db, principal, app, b)] if not app.terminal else []
    text, late = sla_text(app)
    applicant = identity.account_view(db, app.applicant_id)
    person = identity.person_profile(db, applicant.person_id) if applicant else None
    files = [(label, value) for label, value in _file_links(defn, app)]
    return render(request, "services/case.html", {
        "app": app, "defn": defn, "state": _state_label(defn, app.state), "agency": agency,
        "branch": identity.organization_view(db, app.branch_id), "branches": branches,
        "applicant": person.full_name(lang) if person else (applicant.username if applicant else ""),
        "summary": summarize(defn, app.answers, lang=lang, today=clock.local(app.submitted_at).date()),
        "files": files, "timeline": _timeline(db, app, defn, internal=True),
        "requests": service.info_requests(db, app), "invoices": service.invoices_of(db, app),
        "documents": documents.documents_of(db, app), "sla": text, "late": late,
        "actions": [(t, t.requires_reason or wf.is_terminal(t.to))
                    for t in service.available_actions(db, principal, app)]
        if can_work else [],
        "can_work": can_work, "staff": staff,
        "assignee": identity.account_view(db, app.assignee_id), "errors": errors or {},
    }, status_code=status)


def _file_links(defn: ServiceDefinition, app: Application) -> list[tuple[str, dict[str, Any]]]:
    lang = get_language()
    out = []
    for path, meta in pipeline.file_answers(defn, app.answers, app.documents):
        root = path.split("[", 1)[0].split(".", 1)[0]
        if root == "documents":
            doc = next((d for d in defn.documents if f"documents.{d.id}" == path), None)
            label = (doc.title_fa if lang == "fa" else doc.title_en) if doc else path
        else:
            fld = defn.fields_by_name.get(root)
            label = fld.label(lang) if fld else path
        out.append((label, meta))
    return out


@router.post("/services/inbox/{reference}/action")
def case_action(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                form: PostedForm) -> Response:
    app = _visible(db, principal, reference)
    require(permissions.can_work_case(db, principal, app))
    try:
        service.take_action(db, principal, app, form.get("action", ""), reason=form.get("reason"))
        db.commit()
    except DomainError as exc:
        db.rollback()
        errs = field_errors(exc)
        return _render_case(request, db, principal, _visible(db, principal, reference), errors=errs, status=422)
    return RedirectResponse(f"/services/inbox/{reference}", status_code=303)


@router.post("/services/inbox/{reference}/assign")
def case_assign(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                form: PostedForm) -> Response:
    app = _visible(db, principal, reference)
    require(permissions.can_work_case(db, principal, app))
    choice = form.get("assignee", "")
    assignee = principal.id if choice == "me" else posted_number(choice, "assignee")
    try:
        service.assign(db, principal, app, assignee)
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _render_case(request, db, principal, _visible(db, principal, reference), errors=field_errors(exc),
                            status=422)
    return RedirectResponse(f"/services/inbox/{reference}", status_code=303)


@router.post("/services/inbox/{reference}/transfer")
def case_transfer(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    app = _visible(db, principal, reference)
    try:
        branch = service.transfer_target(db, form.get("branch", ""))
    except DomainError as exc:
        return _render_case(request, db, principal, app, errors=field_errors(exc), status=422)
    require(permissions.can_transfer_case(db, principal, app, branch))
    try:
        service.transfer(db, principal, app, branch, form.get("reason"))
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _render_case(request, db, principal, _visible(db, principal, reference), errors=field_errors(exc),
                            status=422)
    return RedirectResponse(f"/services/inbox/{reference}", status_code=303)


# --------------------------------------------------------------------------- rooms of their own
# Mounted here, where their routes were, before the start page (routes are matched in order).

router.include_router(definition_pages.router)
router.include_router(verify_pages.router)
router.include_router(inbox_pages.router)


router.include_router(start_pages.router)  # last: the start page's path is a catch-all
