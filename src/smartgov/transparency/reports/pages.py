"""Public pages of the performance reports: the list, a report (HTML, its PDFs and signed record) and
the check of a report or of an uploaded report PDF. Included by ``transparency.pages``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import UploadFile

from smartgov.errors import DomainError
from smartgov.i18n import N_, get_language, gettext
from smartgov.web.deps import DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedFiles, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

from . import charts, service, view
from .models import PerformanceReport
from .quarters import Quarter

router = APIRouter(include_in_schema=False)
register(NavItem("/transparency/reports", N_("Performance reports"), order=17))
MAX_PDF = 20 * 1024 * 1024


def _one(db: DbSession, quarter: str, scope: str, revision: int | None) -> PerformanceReport:
    q = Quarter.parse(quarter)
    if revision is None:
        row = service.latest(db, q, scope[:64])
    else:
        row = next((r for r in service.revisions(db, q, scope[:64]) if r.revision == revision), None)
    if row is None:
        raise DomainError("report_not_found", N_("There is no such report."), field="report", status=404)
    return row


def _missing(request: Request, exc: DomainError) -> HTMLResponse:
    """The page saying the report asked for is not there (or the quarter is not one)."""
    return render(request, "transparency/reports/missing.html", {"errors": field_errors(exc)}, status_code=exc.status)


def _verdict(request: Request, check: service.Check, **more: Any) -> HTMLResponse:
    """The check of a stored report or of an uploaded PDF, its reason in the reader's language."""
    return render(request, "transparency/reports/verify.html",
                  {"check": check, "reason": gettext(check.reason), "errors": {}, **more})


def _context(row: PerformanceReport, lang: str) -> dict[str, Any]:
    document = row.record["document"]
    rows = view.rows(document, lang)
    intro, accuracy = view.forecasts(document, lang)
    return {
        "row": row, "head": view.heading(document, lang), "summary": view.summary(document, lang), "rows": rows,
        "sla": view.sla(document, lang), "participation": view.participation(document, lang),
        "charts": [(r, charts.columns(r.title, r.months, r.month_values, lang, target=r.target_value,
                                  places=r.places))
                   for r in rows],
        "forecast_intro": intro,
        "accuracy": [(a, charts.columns(a.title, a.labels, a.actual, lang, target=None, dim_before=0, places=0,
                                        line=a.predicted, described=view.accuracy_label(a, lang)) if a.weeks else None)
                     for a in accuracy],
        "base": f"/transparency/reports/{row.quarter}/{row.scope}", "key_id": row.record["key_id"],
    }


@router.get("/transparency/reports", response_class=HTMLResponse)
def report_list(request: Request, db: DbSession) -> HTMLResponse:
    """Every report's newest revision, newest quarter first."""
    lang = get_language()
    items = [(r, view.heading(r.record["document"], lang)) for r in service.reports(db)]
    return render(request, "transparency/reports/list.html", {"items": items})


@router.get("/transparency/reports/verify", response_class=HTMLResponse)
def verify_form(request: Request) -> HTMLResponse:
    return render(request, "transparency/reports/verify.html", {"check": None, "errors": {}})


@router.post("/transparency/reports/verify", response_class=HTMLResponse)
def verify_upload(request: Request, db: DbSession, form: PostedFiles) -> HTMLResponse:
    """Check an uploaded report PDF: the record it carries is a signed report and the file is one issued."""
    upload = form.get("file")
    data = upload.file.read(MAX_PDF + 1) if isinstance(upload, UploadFile) and upload.filename else b""
    error = None
    if not data:
        error = gettext("Choose a report PDF.")
    elif len(data) > MAX_PDF:
        error = gettext("The file must be no larger than {limit} KB.", limit=MAX_PDF // 1024)
    if error:
        return render(request, "transparency/reports/verify.html", {"check": None, "errors": {"file": error}},
                      status_code=422)
    return _verdict(request, service.verify_pdf(db, data))


@router.get("/transparency/reports/{quarter}/{scope}", response_class=HTMLResponse)
def report_page(quarter: str, scope: str, request: Request, db: DbSession,
                revision: Id | None = Query(None)) -> HTMLResponse:
    """A report in the reader's language, with links to its PDFs, its signed record and its check."""
    try:
        row = _one(db, quarter, scope, revision)
    except DomainError as exc:
        return _missing(request, exc)
    return render(request, "transparency/reports/report.html", _context(row, get_language()))


@router.get("/transparency/reports/{quarter}/{scope}/report-{lang}.pdf")
def report_pdf(quarter: str, scope: str, lang: str, db: DbSession, revision: Id | None = Query(None)) -> Response:
    """The Persian or English PDF, byte for byte as issued."""
    if lang not in ("fa", "en"):
        raise DomainError("lang_invalid", N_("Choose fa or en."), field="lang", status=404)
    row = _one(db, quarter, scope, revision)
    name = f"performance-{row.quarter}-{row.scope}-r{row.revision}-{lang}.pdf"
    return Response(row.pdf_fa if lang == "fa" else row.pdf_en, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/transparency/reports/{quarter}/{scope}/record.json")
def report_record(quarter: str, scope: str, db: DbSession, revision: Id | None = Query(None)) -> JSONResponse:
    """The signed record: the report, its Ed25519 signature and the key that made it."""
    return JSONResponse(_one(db, quarter, scope, revision).record)


@router.get("/transparency/reports/{quarter}/{scope}/verify", response_class=HTMLResponse)
def verify_page(quarter: str, scope: str, request: Request, db: DbSession,
                revision: Id | None = Query(None)) -> HTMLResponse:
    """Whether the stored report's signature holds (the PDF link's QR-less twin)."""
    try:
        row = _one(db, quarter, scope, revision)
    except DomainError as exc:
        return _missing(request, exc)
    return _verdict(request, service.verify(db, row), head=view.heading(row.record["document"], get_language()))

