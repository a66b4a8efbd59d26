"""Public pages that check a signed document (included by ``pages``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from smartgov.errors import DomainError
from smartgov.i18n import (
    get_language,
    gettext,
    localize_digits,
)
from smartgov.web.deps import DbSession, OptionalPrincipal, client_ip
from smartgov.web.forms import PostedFiles, PostedForm, field_errors
from smartgov.web.templating import render

from . import documents, permissions

router = APIRouter(include_in_schema=False)


# --------------------------------------------------------------------------- verification (public)


def _verification_view(result: documents.Verification, document_id: str | None = None,
                       errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The verdict, and either the whole signed content or, by default, the masked summary."""
    doc = result.document or {}
    lang = get_language()
    rows: list[tuple[str, str]] = []
    if not result.disclosed and result.summary:
        brief = result.summary
        holder = brief["holder"]
        rows = [
            (gettext("Document"), brief.get(f"title_{lang}") or ""),
            (gettext("Agency"), brief["agency"].get(f"name_{lang}") or ""),
            (gettext("Issued"), _issued(brief.get("issued_at"))),
            (gettext("Holder"), holder[f"initials_{lang}"]),
            (gettext("National code"), localize_digits(holder["national_code"])),
            (gettext("Signing key"), str(brief.get("key_id") or "")),
        ]
    elif doc:
        rows = [
            (gettext("Document"), doc.get(f"title_{lang}", "")),
            (gettext("Reference number"), localize_digits(str(doc.get("reference", "")))),
            (gettext("Agency"), (doc.get("agency") or {}).get(f"name_{lang}", "")),
            (gettext("Applicant"), (doc.get("applicant") or {}).get(f"name_{lang}", "")),
            (gettext("National code"), localize_digits(str((doc.get("applicant") or {}).get("national_code") or ""))),
            (gettext("Outcome"), (doc.get("outcome") or {}).get(f"label_{lang}", "")),
            (gettext("Issued"), _issued(doc.get("issued_at"))),
            (gettext("Signing key"), str(doc.get("key_id", ""))),
        ]
        rows += [(f.get(f"label_{lang}", ""), f.get(f"value_{lang}", "")) for f in doc.get("fields", [])
                 if isinstance(f, dict)]
    return {"result": result, "reason": gettext(result.reason), "rows": rows, "document_id": document_id,
            "errors": errors or {}}


def _issued(value: Any) -> str:
    from smartgov.i18n import format_datetime

    try:
        return format_datetime(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, principal: OptionalPrincipal) -> HTMLResponse:
    return render(request, "services/verify.html", {"result": None})


def _may_read(db: DbSession, principal: OptionalPrincipal, document_id: str) -> bool:
    doc = documents.find(db, document_id)
    return doc is not None and permissions.can_read_document(db, principal, doc)


@router.get("/verify/{document_id}", response_class=HTMLResponse)
def verify_page(document_id: str, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    """Valid or not, with a masked holder; the content for who may see the case."""
    result = documents.verify_document_id(db, document_id, disclose=_may_read(db, principal, document_id))
    return render(request, "services/verify.html", _verification_view(result, document_id))


@router.post("/verify/{document_id}", response_class=HTMLResponse)
def verify_with_code_page(document_id: str, request: Request, db: DbSession, principal: OptionalPrincipal,
                          form: PostedForm) -> HTMLResponse:
    """The whole content for whoever types the verification code printed on the document."""
    try:
        result = documents.verify_document_id(db, document_id, disclose=_may_read(db, principal, document_id),
                                              code=form.get("code", ""), ip=client_ip(request))
    except DomainError as exc:
        result = documents.verify_document_id(db, document_id)
        return render(request, "services/verify.html", _verification_view(result, document_id, field_errors(exc)),
                      status_code=exc.status)
    return render(request, "services/verify.html", _verification_view(result, document_id))


@router.post("/verify", response_class=HTMLResponse)
def verify_upload_page(request: Request, db: DbSession, principal: OptionalPrincipal,
                       form: PostedFiles) -> HTMLResponse:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(request, "services/verify.html", {"result": None,
                                                         "errors": {"file": gettext("Choose a PDF or JSON file.")}},
                      status_code=422)
    data = upload.file.read(documents.MAX_VERIFY_BYTES + 1)
    try:
        result = documents.verify_upload(db, data)
    except DomainError as exc:
        return render(request, "services/verify.html", {"result": None, "errors": field_errors(exc)},
                      status_code=422)
    return render(request, "services/verify.html", _verification_view(result))


# The start page's path would swallow /services/applications, /services/inbox…: it goes last.
