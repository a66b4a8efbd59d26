"""HTML pages: the citizen's "who read my data" with its flag form, the exchange registry and the
data-protection officer's queue. Monitoring and the admin screens are in ``rights_pages`` and
``admin_pages``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov import clock, identity
from smartgov.digits import jalali_to_gregorian, parse_date
from smartgov.errors import DomainError
from smartgov.exchange import permissions, privacy, service
from smartgov.exchange.api import access_group_rows, access_rows, own_national_code
from smartgov.i18n import N_, get_language
from smartgov.identity import Principal, Role, require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.pagination import PageNumber, PageParams, paginate_rows
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

_STAFF = frozenset({Role.PLATFORM_ADMIN, Role.AUDITOR})
register(NavItem("/account/data-access", N_("Who read my data"), roles=frozenset({Role.CITIZEN}), order=85))
register(NavItem("/exchange/registry", N_("Data exchange"), roles=_STAFF, order=70))
register(NavItem("/exchange/monitoring", N_("Exchange monitoring"), roles=_STAFF, order=71))
register(NavItem("/exchange/data-protection", N_("Data protection"), roles=_STAFF, order=72))

PER_PAGE = 50


# --------------------------------------------------------------------------- citizen


def _data_access_page(request: Request, db: DbSession, principal: Principal, page: int = 1,
                      status_code: int = 200, **extra: Any) -> HTMLResponse:
    code = own_national_code(db, principal)
    params = PageParams(page=max(1, page), per_page=PER_PAGE)
    groups, total = paginate_rows(db, privacy.grouped_accesses_stmt(code, principal.id), params)
    return render(request, "exchange/data_access.html", {
        "rows": access_group_rows(db, groups), "total": total, "page": params.page,
        "pages": (total + PER_PAGE - 1) // PER_PAGE, **extra,
    }, status_code=status_code)


@router.get("/account/data-access", response_class=HTMLResponse)
def data_access(request: Request, principal: CurrentPrincipal, db: DbSession, page: PageNumber = 1) -> HTMLResponse:
    return _data_access_page(request, db, principal, page)


@router.get("/account/data-access/{access_id}/flag", response_class=HTMLResponse)
def flag_form(access_id: Id, request: Request, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    row = privacy.visible_access(db, own_national_code(db, principal), access_id)
    return render(request, "exchange/flag.html", {"row": access_rows(db, [row])[0]})


@router.post("/account/data-access/{access_id}/flag")
def flag(access_id: Id, request: Request, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> Response:
    code = own_national_code(db, principal)
    require(permissions.can_flag_access(principal))
    try:
        privacy.flag_access(db, principal.id, code, access_id, form.get("reason", ""))
        db.commit()
    except DomainError as exc:
        db.rollback()
        if exc.status == 404:
            raise
        row = privacy.visible_access(db, code, access_id)
        return render(request, "exchange/flag.html", {"row": access_rows(db, [row])[0], "errors": field_errors(exc),
                                                      "values": {"reason": form.get("reason", "")}},
                      status_code=422)
    return RedirectResponse("/account/data-access?flagged=1", status_code=303)


# --------------------------------------------------------------------------- registry and monitoring


@router.get("/exchange/registry", response_class=HTMLResponse)
def registry(request: Request, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    require(permissions.can_view_registry(principal))
    return render(request, "exchange/registry.html", {
        "members": service.members(db), "services": service.services(db), "rights": service.access_rights(db),
        "purposes": service.purpose_labels(db), "today": clock.today(),
    })



# --------------------------------------------------------------------------- data-protection officer


def _dpo_page(request: Request, db: DbSession, principal: Principal, status_code: int = 200,
              **extra: Any) -> HTMLResponse:
    flags = list(db.scalars(privacy.flags_stmt().limit(200)))
    return render(request, "exchange/data_protection.html", {
        "flags": flags, "flag_rows": {f.id: access_rows(db, [f.access], admin=True)[0] for f in flags},
        "hidden": access_rows(db, privacy.hidden_accesses(db), admin=True),
        "can_act": permissions.can_resolve_flag(principal), **extra,
    }, status_code=status_code)


@router.get("/exchange/data-protection", response_class=HTMLResponse)
def data_protection(request: Request, principal: CurrentPrincipal, db: DbSession,
                    national_code: str | None = None) -> HTMLResponse:
    require(permissions.can_view_data_protection(principal))
    extra: dict[str, Any] = {"values": {"national_code": national_code or ""}}
    if national_code:
        try:
            code = identity.check_national_code(national_code)
        except DomainError as exc:
            return _dpo_page(request, db, principal, errors=field_errors(exc), status_code=422, **extra)
        rows = list(db.scalars(privacy.all_accesses_stmt(code).limit(200)))
        privacy.record_access(db, code, principal.id, None, "exchange.access_log", "data-protection-review")
        db.commit()
        extra.update(person_code=code, person_rows=access_rows(db, rows, admin=True))
    return _dpo_page(request, db, principal, **extra)


@router.post("/exchange/data-protection/flags/{flag_id}/resolve")
def resolve(flag_id: Id, request: Request, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> Response:
    require(permissions.can_resolve_flag(principal))
    try:
        privacy.resolve_flag(db, flag_id, form.get("resolution", ""), principal.id)
        db.commit()
    except DomainError as exc:
        db.rollback()
        if exc.status == 404:
            raise
        errors = {f"resolution-{flag_id}" if k == "resolution" else k: v for k, v in field_errors(exc).items()}
        return _dpo_page(request, db, principal, errors=errors, status_code=422)
    return RedirectResponse("/exchange/data-protection?resolved=1", status_code=303)


def _parse_date(text: str) -> dt.datetime:
    try:
        day = jalali_to_gregorian(text) if get_language() == "fa" else parse_date(text)
    except ValueError as exc:
        raise DomainError("invalid_date", N_("Enter a real date, for example {example}."), field="hidden_until",
                          example="1406/01/15" if get_language() == "fa" else "2027-04-04") from exc
    return clock.day_start(day)


@router.post("/exchange/data-protection/accesses/{access_id}/hide")
def hide(access_id: Id, request: Request, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> Response:
    require(permissions.can_hide_access(principal))
    try:
        privacy.hide_access(db, access_id, _parse_date(form.get("hidden_until", "")), form.get("reason", ""),
                            principal.id)
        db.commit()
    except DomainError as exc:
        db.rollback()
        if exc.status == 404:
            raise
        return _dpo_page(request, db, principal, errors=field_errors(exc), status_code=422,
                         values={"hidden_until": form.get("hidden_until", ""), "reason": form.get("reason", "")})
    return RedirectResponse("/exchange/data-protection?hidden=1", status_code=303)



# The admin screens (``admin_pages``, ``rights_pages``: issue 18) are mounted with these pages: one router per module.
from smartgov.exchange import admin_pages, rights_pages  # noqa: E402 - after the pages they link to

router.include_router(admin_pages.router)
router.include_router(rights_pages.router)
