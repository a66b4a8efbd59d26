"""The exchange admin screens for access rights (who may call which service, for which purposes, on
which legal basis), the purpose register, and message monitoring with filters and every refusal
reason in words.

Rights and purposes ask ``permissions.can_administer_exchange``; monitoring stays readable by
auditors too (``can_view_monitoring``), as it was before it had filters.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.errors import DomainError, NotFound
from smartgov.exchange import administration as admin
from smartgov.exchange import permissions, service
from smartgov.exchange.admin_pages import BASE, administrator, errors_of, page, shown_again
from smartgov.i18n import N_, get_language, isolate
from smartgov.identity import require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import Collected, PostedForm
from smartgov.web.pagination import PageNumber, PageParams, paginate

router = APIRouter(include_in_schema=False)
RIGHTS = f"{BASE}/access-rights"
PURPOSES = f"{BASE}/purposes"
PER_PAGE = 50
Choice = Annotated[str, Query(max_length=200)]


def _choose(value: str, allowed: Any, field: str, found: Collected) -> str | None:
    """``value`` if it is one of ``allowed`` (blank: no choice), else an error on ``field``."""
    value = value.strip()
    if not value:
        return None
    if value not in allowed:
        found.add(field, N_("Choose one of the allowed values."))
        return None
    return value


# --------------------------------------------------------------------------- access rights


def purpose_options(purposes: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, label in the page's language) of every purpose, by code."""
    lang = get_language()
    return [(code, f"{p.label(lang)} ({isolate(code)})") for code, p in sorted(purposes.items())]


def _subsystem_choices(db: Session) -> list[tuple[str, str]]:
    lang = get_language()
    return [(str(s.id), f"{s.address} — {s.member.name(lang)}") for s in admin.subsystems(db)]


@router.get(RIGHTS, response_class=HTMLResponse)
def rights(request: Request, db: DbSession, principal: CurrentPrincipal, client: Choice = "", service_code: Choice = "",
           purpose: Choice = "", state: Choice = "") -> HTMLResponse:
    """Every access right, narrowed by client, service, purpose or state; each revocable."""
    administrator(principal)
    clients = _subsystem_choices(db)
    codes = admin.service_codes(db)
    purposes = service.purpose_labels(db)
    found = Collected()
    where = admin.RightFilter(
        client_id=int(c) if (c := _choose(client, {k for k, _ in clients}, "client", found)) else None,
        service_code=_choose(service_code, codes, "service_code", found),
        purpose=_choose(purpose, purposes, "purpose", found),
        state=_choose(state, admin.RIGHT_STATES, "state", found))
    today = clock.today()
    values = {"client": client, "service_code": service_code, "purpose": purpose, "state": state}
    return page(request, "exchange/admin/rights.html", {
        "rights": admin.rights(db, where, today) if not found.errors else [], "clients": clients,
        "code_options": [(c, c) for c in codes], "purpose_options": purpose_options(purposes),
        "purposes": purposes, "today": today, "right_state": admin.right_state, "states": admin.RIGHT_STATES,
        "values": values, "errors": {e.field or "_form": e.localized() for e in found.errors},
    }, 422 if found.errors else 200)


def _grant_form(request: Request, db: Session, values: dict[str, str], errors: dict[str, str] | None = None,
                status_code: int = 200) -> HTMLResponse:
    lang = get_language()
    services = [(str(s.id), f"{s.address} — {s.name(lang)}") for s in service.services(db) if s.is_active]
    return page(request, "exchange/admin/grant.html", {
        "values": values, "errors": errors or {}, "clients": _subsystem_choices(db), "services": services,
        "purposes": sorted(service.purpose_labels(db).values(), key=lambda p: p.code),
    }, status_code)


@router.get(f"{RIGHTS}/new", response_class=HTMLResponse)
def new_right(request: Request, db: DbSession, principal: CurrentPrincipal, client: Choice = "",
              service_id: Choice = "") -> HTMLResponse:
    """The grant form (a client or service may come chosen from another screen)."""
    administrator(principal)
    return _grant_form(request, db, {"client": client, "service": service_id})


@router.post(f"{RIGHTS}/new")
def grant(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """Grant a client subsystem a service for the chosen purposes, on a legal basis, between dates."""
    administrator(principal)
    found = Collected()
    client = _pick(db, form.get("client", ""), admin.subsystem_by_id, "client", found)
    svc = _pick(db, form.get("service", ""), admin.service_by_id, "service", found)
    basis_fa = found.text(form, "legal_basis_fa", max_len=2000)
    basis_en = found.text(form, "legal_basis_en", max_len=2000)
    chosen = sorted(k.removeprefix("purpose_") for k, v in form.items() if k.startswith("purpose_") and v)
    if not chosen:
        found.add("purposes", N_("Choose at least one purpose."))
    start = found.day(form, "valid_from")
    end = found.day(form, "valid_until")
    try:
        found.check()
        right = service.grant_access(db, client, svc, legal_basis_fa=basis_fa, legal_basis_en=basis_en,
                                     purposes=chosen, valid_from=start, valid_until=end, actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        if exc.status == 403:
            raise
        return _grant_form(request, db, shown_again(form, ("valid_from", "valid_until")),
                           errors_of(exc, {"legal_basis": "legal_basis_fa"}), 422)
    db.commit()
    return RedirectResponse(f"{RIGHTS}?done=granted#right-{right.id}", status_code=303)


def _pick(db: Session, raw: str, by_id: Any, field: str, found: Collected) -> Any:
    """The record whose id was chosen in a select, or an error on ``field``."""
    raw = raw.strip()
    if raw.isascii() and raw.isdigit() and len(raw) < 10:
        try:
            return by_id(db, int(raw))
        except NotFound:
            pass
    found.add(field, N_("Choose one of the allowed values."))
    return None


@router.post(f"{RIGHTS}/{{right_id}}/revoke")
def revoke(right_id: Id, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """End an access right at once; requests relying on it are refused from now on."""
    administrator(principal)
    service.revoke_access(db, right_id, actor_id=principal.id)
    db.commit()
    return RedirectResponse(f"{RIGHTS}?done=revoked#right-{right_id}", status_code=303)


# --------------------------------------------------------------------------- purposes


def _purposes_page(request: Request, db: Session, values: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, "exchange/admin/purposes.html", {
        "purposes": sorted(service.purpose_labels(db).values(), key=lambda p: p.code),
        "values": values or {}, "errors": errors or {}}, status_code)


@router.get(PURPOSES, response_class=HTMLResponse)
def purposes(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """The purpose register: every purpose a request may state, in Persian and English."""
    administrator(principal)
    return _purposes_page(request, db)


@router.post(PURPOSES)
def register_purpose(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    administrator(principal)
    try:
        admin.register_purpose(db, form.get("code", ""), form.get("label_fa", ""), form.get("label_en", ""),
                               actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        if exc.status == 403:
            raise
        return _purposes_page(request, db, form, errors_of(exc), 422)
    db.commit()
    return RedirectResponse(f"{PURPOSES}?done=registered", status_code=303)


# --------------------------------------------------------------------------- monitoring with filters


@router.get("/exchange/monitoring", response_class=HTMLResponse)
def monitoring(request: Request, db: DbSession, principal: CurrentPrincipal, member: Choice = "",
               service_code: Choice = "", purpose: Choice = "", outcome: Choice = "", reason: Choice = "",
               since: Choice = "", until: Choice = "", page_number: Annotated[PageNumber, Query(alias="page")] = 1,
               ) -> HTMLResponse:
    """Counts per service on both sides, and the message log narrowed by member, service, purpose,
    outcome, reason and Jalali dates, with every refusal reason in words."""
    require(permissions.can_view_monitoring(principal))
    members = {m.address: m for m in service.members(db)}
    codes = admin.service_codes(db)
    purposes = service.purpose_labels(db)
    reasons = admin.reason_choices()
    found = Collected()
    form = {"since": since, "until": until}
    start, end = found.day(form, "since"), found.day(form, "until")
    if start and end and end < start:
        found.add("until", N_("The end date is before the start date."))
    where = admin.MessageFilter(
        member=_choose(member, members, "member", found),
        service_code=_choose(service_code, codes, "service_code", found),
        purpose=_choose(purpose, purposes, "purpose", found),
        outcome=_choose(outcome, admin.OUTCOMES, "outcome", found),
        reason=_choose(reason, reasons, "reason", found), since=start, until=end)
    values = {"member": member, "service_code": service_code, "purpose": purpose, "outcome": outcome,
              "reason": reason, **shown_again(form, ("since", "until"))}
    rows: list[Any] = []
    total = 0
    params = PageParams(page=page_number, per_page=PER_PAGE)
    if not found.errors:
        rows, total = paginate(db, admin.messages_stmt(where), params)
    query = {k: v for k, v in {"member": member, "service_code": service_code, "purpose": purpose,
                                "outcome": outcome, "reason": reason, "since": since, "until": until}.items() if v}
    lang = get_language()
    return page(request, "exchange/monitoring.html", {
        "provider": service.monitoring(db, side="provider"), "client": service.monitoring(db, side="client"),
        "recent": rows, "total": total, "page_number": params.page, "pages": (total + PER_PAGE - 1) // PER_PAGE,
        "query": lambda p: urlencode({**query, "page": p}), "filtered": bool(query),
        "members": [(a, f"{a} — {m.name(lang)}") for a, m in members.items()],
        "code_options": [(c, c) for c in codes], "purpose_options": purpose_options(purposes),
        "purposes": purposes, "reasons": reasons, "outcomes": admin.OUTCOMES, "reason_label": admin.reason_label,
        "values": values, "errors": {e.field or "_form": e.localized() for e in found.errors},
        "can_administer": permissions.can_administer_exchange(principal),
    }, 422 if found.errors else 200)
