"""HTML pages of the social-security domain: my insurance record, the pension estimate with its
working, the employer's wage-report upload with a per-row/column error table, and the claims
officer's approved amounts. Filing, paying and deciding are the engine's pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from smartgov import digits, identity
from smartgov.errors import DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import OrganizationView, Principal, Role, require
from smartgov.services import application_by_reference, submit_application
from smartgov.web import csrf
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.forms import PostedFiles, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

from . import permissions, service
from .api import _record_official_view, cell_errors
from .hooks import EN_MONTHS, FA_MONTHS, MEDICAL_SERVICE, PENSION_SERVICE, WAGE_SERVICE, month_name

router = APIRouter(include_in_schema=False)

register(NavItem("/insurance", N_("My insurance"), roles=frozenset({Role.CITIZEN}), signed_in=True, order=25))
register(NavItem("/insurance/employer", N_("Wage reports"), roles=frozenset({Role.EMPLOYER}), signed_in=True,
                 order=26))


@router.get("/insurance", response_class=HTMLResponse)
def my_insurance(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """My record: totals, employers and the month-by-month contribution history (newest first)."""
    require(permissions.can_view_own_record(principal))
    person = identity.person_profile(db, principal.account.person_id)
    assert person is not None  # can_view_own_record
    months = service.monthly_record(db, person.national_code)
    try:
        summary = service.record_summary(db, person.national_code, months)
    except NotFound:
        summary = None
    months = list(reversed(months)) if summary else []
    return render(request, "insurance/record.html", {"summary": summary, "years": by_year(months),
                                                     "month_name": month_name})


def by_year(months: list[service.MonthRecord]) -> list[dict[str, Any]]:
    """Months grouped by Jalali year (in the order given) with the year's totals: decades of
    history read year by year instead of as one table of hundreds of rows."""
    years: dict[int, list[service.MonthRecord]] = {}
    for m in months:
        years.setdefault(m.year, []).append(m)
    return [{"year": year, "months": rows, "days": sum(m.days for m in rows), "wage": sum(m.wage for m in rows),
             "insured_share": sum(m.insured_share for m in rows),
             "employer_share": sum(m.employer_share for m in rows)} for year, rows in years.items()]


@router.get("/insurance/pension", response_class=HTMLResponse)
def pension_estimate(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Could I retire now, and with what pension? The working, step by step."""
    require(permissions.can_view_own_record(principal))
    person = identity.person_profile(db, principal.account.person_id)
    assert person is not None  # can_view_own_record
    try:
        assessment = service.pension_estimate(db, person)
    except NotFound:
        assessment = None
    steps = [s.as_dict() for s in assessment.pension.steps] if assessment and assessment.pension else []
    ways = []
    if assessment:
        for rule in service.parameters().retirement_rules:  # each is one way to qualify
            reasons = [r for r in assessment.eligibility.reasons if r.rule == rule.code]
            if reasons:
                ways.append({"rule": rule, "met": all(r.met for r in reasons), "reasons": reasons})
    return render(request, "insurance/pension.html", {"a": assessment, "steps": steps, "ways": ways,
                                                      "service_id": PENSION_SERVICE})


# --------------------------------------------------------------------------- employers


def _businesses(db: DbSession, principal: Principal) -> list[OrganizationView]:
    found = identity.organization_views(db, principal.org_ids(Role.EMPLOYER))
    return [found[i] for i in sorted(found)]


def _employer_page(request: Request, db: DbSession, principal: Principal, *, errors: dict[str, str] | None = None,
                   cells: list[Any] | None = None, values: dict[str, str] | None = None,
                   status: int = 200) -> HTMLResponse:
    businesses = [(o, service.workshops_of(db, o.id), list(db.scalars(service.wage_reports_query(o.id).limit(24))))
                  for o in _businesses(db, principal)]
    shops = {w.id: w for _o, ws, _r in businesses for w in ws}
    return render(request, "insurance/employer.html", {
        "businesses": businesses, "shop_by_id": shops, "errors": errors or {}, "cells": cells or [],
        "values": values or {}, "months": list(zip(FA_MONTHS, EN_MONTHS, strict=True)), "month_name": month_name,
    }, status_code=status)


@router.get("/insurance/employer", response_class=HTMLResponse)
def employer_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    require(bool(principal.org_ids(Role.EMPLOYER)))
    return _employer_page(request, db, principal)


@router.post("/insurance/employer/wage-reports")
def file_wage_report(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedFiles) -> Response:
    """Upload and file the month's CSV; a bad file is refused whole, with every error by row and column."""
    require(permissions.can_check_wage_report(principal))
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}
    try:
        shop = service.workshop_by_code(db, values.get("workshop_code", ""))
    except DomainError as exc:  # digits of a script we do not accept
        return _employer_page(request, db, principal, values=values, status=422, errors=field_errors(exc))
    if shop is None or shop.organization_id not in principal.org_ids(Role.EMPLOYER):
        return _employer_page(request, db, principal, values=values, status=422,
                              errors={"workshop_code": DomainError("workshop_unknown", N_(
                                  "This is not a workshop of your business.")).localized()})
    org = identity.organization_view(db, shop.organization_id)
    assert org is not None
    upload = form.get("report_file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError("required", N_("Upload the wage report file."), field="report_file")
        from smartgov.services import service as engine

        data = upload.file.read(10 * 1024 * 1024 + 1)
        stored = engine.store_upload(db, principal.account, name=upload.filename, mime="text/csv", data=data,
                                     max_size=10 * 1024 * 1024, field="report_file")
        result = submit_application(db, principal, WAGE_SERVICE, {
            "workshop_code": shop.code, "year": values.get("year", ""), "month": values.get("month", ""),
            "report_file": engine.file_meta(stored)}, idempotency_key=values.get("idempotency_key") or None,
            organization_code=org.code)
        db.commit()
    except DomainError as exc:
        db.rollback()
        table = cell_errors(exc) if isinstance(exc, ValidationFailed) and any(
            (e.field or "").startswith("report_file: row") for e in exc.errors) else []
        errors = {} if table else field_errors(exc)
        return _employer_page(request, db, principal, errors=errors, cells=table, values=values, status=422)
    return RedirectResponse(f"/services/applications/{result.application.reference}", status_code=303)


# --------------------------------------------------------------------------- officials


@router.get("/insurance/medical-claims/{reference}", response_class=HTMLResponse)
def claim_review(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    app = _visible(db, principal, reference, MEDICAL_SERVICE)
    claim = service.claim_by_reference(db, app.reference)
    _record_official_view(db, principal, app, claim.national_code, "insurance.medical_claim")
    return _claim_page(request, db, principal, app)


def _claim_page(request: Request, db: DbSession, principal: Principal, app: Any, *,
                errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    claim = service.claim_by_reference(db, app.reference)
    return render(request, "insurance/claim.html", {
        "app": app, "claim": claim, "items": service.claim_items(db, claim), "errors": errors or {},
        "can_review": permissions.can_review_claim(db, principal, app) and claim.status.value == "proposed",
    }, status_code=status)


@router.post("/insurance/medical-claims/{reference}")
def claim_amounts(reference: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedFiles) -> Response:
    app = _visible(db, principal, reference, MEDICAL_SERVICE)
    require(permissions.can_review_claim(db, principal, app))
    amounts: dict[int, int] = {}
    try:
        for key, value in form.items():
            if key.startswith("approved_") and isinstance(value, str):
                position = key.removeprefix("approved_")
                field = f"items[{position}].approved_amount"
                amount, index = digits.whole_number(value, field), digits.integer(position, field)
                if amount is None or index is None:
                    raise DomainError("approved_invalid", N_("Amount must be a whole number of rials."), field=field)
                amounts[index] = amount
        service.set_approved_amounts(db, service.claim_by_reference(db, app.reference), amounts)
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _claim_page(request, db, principal, app, errors=field_errors(exc), status=422)
    return RedirectResponse(f"/services/inbox/{app.reference}", status_code=303)


def _visible(db: DbSession, principal: Principal, reference: str, service_id: str) -> Any:
    try:
        app = application_by_reference(db, reference)
    except NotFound:
        raise NotFound("application") from None
    if app.service_id != service_id or not permissions.can_view_case(db, principal, app):
        raise NotFound("application")
    return app
