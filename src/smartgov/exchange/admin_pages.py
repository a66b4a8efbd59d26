"""The exchange admin screens (an X-Road-style central server) in the browser: members and their
subsystems, each subsystem's signing keys and the data services it offers.

Plain forms without JavaScript; each POST is one transaction through ``service`` or
``administration`` that commits, or refuses with every field at fault named and what was typed shown
again. Every route asks ``permissions.can_administer_exchange`` first. Access rights, purposes and the
filtered message log are in ``rights_pages``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from smartgov import clock, identity
from smartgov.errors import DomainError, NotFound
from smartgov.exchange import administration as admin
from smartgov.exchange import permissions, service
from smartgov.exchange.models import ExchangeMember, ExchangeSubsystem
from smartgov.exchange.providers import provider_for
from smartgov.exchange.purposes import check_code
from smartgov.i18n import N_, get_language, gettext, isolate, localize_digits
from smartgov.identity import Principal, Role, require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import Collected, PostedForm, example_day, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/exchange/admin"
register(NavItem(BASE, N_("Exchange admin"), roles=frozenset({Role.PLATFORM_ADMIN}), signed_in=True, order=69))

MEMBER_CLASSES = {"GOV": N_("Government"), "COM": N_("Commercial"), "NGO": N_("Non-governmental"),
                  "ORG": N_("Other organization")}
SCHEMA_EXAMPLE = '{\n  "type": "object",\n  "required": ["national_code"],\n  "properties": {\n' \
                 '    "national_code": {"type": "string"}\n  }\n}'
DONE = {"created": N_("Created."), "saved": N_("Saved."), "deactivated": N_("Deactivated."),
        "reactivated": N_("Reactivated."), "rotated": N_("A new signing key was made; the old one is retired."),
        "withdrawn": N_("The service is withdrawn."), "reoffered": N_("The service is offered again."),
        "granted": N_("The access right is granted."), "revoked": N_("The access right is revoked."),
        "registered": N_("Registered.")}


def administrator(principal: Principal) -> None:
    """403 unless the principal runs the exchange (before anything is read)."""
    require(permissions.can_administer_exchange(principal))


# --------------------------------------------------------------------------- reading a form


def shown_day(value: dt.date | None) -> str:
    """A date as a form shows it: Jalali with Persian digits in Persian, ISO in English."""
    if value is None:
        return ""
    if get_language() == "fa":
        from smartgov.i18n import gregorian_to_jalali

        return localize_digits(gregorian_to_jalali(value), "fa")
    return value.isoformat()


def shown_again(form: dict[str, str], day_fields: tuple[str, ...] = ()) -> dict[str, str]:
    """What was typed, for the form shown again: dates in the page's digits."""
    return {k: localize_digits(v) if k in day_fields else v for k, v in form.items()}


def errors_of(exc: DomainError, names: dict[str, str] | None = None) -> dict[str, str]:
    """``{page field: message}``: a service's field names renamed to the form's where they differ."""
    names = names or {}
    return {names.get(k, k): v for k, v in field_errors(exc).items()}


def page(request: Request, template: str, ctx: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    done = request.query_params.get("done", "")
    ctx.update({"base": BASE, "done": gettext(DONE[done]) if done in DONE else "", "example_day": example_day(),
                "options": lambda labels: [(k, gettext(v)) for k, v in labels.items()]})
    return render(request, template, ctx, status_code=status_code)


def _agencies(db: Session) -> list[tuple[str, str]]:
    lang = get_language()
    return [("", gettext("None"))] + [(o.code, f"{o.name(lang)} ({isolate(o.code)})") for o in identity.agencies(db)]


# --------------------------------------------------------------------------- home: the members


@router.get(BASE, response_class=HTMLResponse)
def home(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Every member with its subsystems and state; links to rights, purposes and monitoring."""
    administrator(principal)
    return page(request, "exchange/admin/home.html", {"members": service.members(db)})


# --------------------------------------------------------------------------- members


def _member_form(request: Request, db: Session, member: ExchangeMember | None, values: dict[str, str],
                 errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, "exchange/admin/member.html", {
        "member": member, "values": values, "errors": errors or {}, "agencies": _agencies(db),
        "classes": MEMBER_CLASSES,
    }, status_code)


def _member_values(member: ExchangeMember) -> dict[str, str]:
    return {"name_fa": member.name_fa, "name_en": member.name_en,
            "organization_code": member.organization_code or "", "server_url": member.server_url or ""}


@router.get(f"{BASE}/members/new", response_class=HTMLResponse)
def new_member(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    administrator(principal)
    return _member_form(request, db, None, {"instance": "IR", "member_class": "GOV"})


@router.post(f"{BASE}/members/new")
def create_member(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """Register a member (hosted here when no server address is given)."""
    administrator(principal)
    found = Collected()
    for field in ("instance", "member_code"):
        found.take(check_code, form.get(field, ""), field)
    if form.get("member_class", "") not in MEMBER_CLASSES:
        found.add("member_class", N_("Choose one of the allowed values."))
    names = found.take(admin.check_names, form.get("name_fa", ""), form.get("name_en", ""))
    url = found.take(admin.check_server_url, form.get("server_url", ""))
    org = form.get("organization_code", "").strip() or None
    if org:
        found.take(admin.check_agency, db, org)
    try:
        found.check()
        assert names is not None
        member = service.create_member(
            db, instance=form.get("instance", ""), member_class=form.get("member_class", ""),
            member_code=form.get("member_code", ""), name_fa=names[0], name_en=names[1], organization_code=org,
            server_url=url, actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        if exc.status == 403:
            raise
        return _member_form(request, db, None, form, errors_of(exc), 422)
    db.commit()
    return RedirectResponse(f"{BASE}/members/{member.id}?done=created", status_code=303)


@router.get(f"{BASE}/members/{{member_id}}", response_class=HTMLResponse)
def member_page(member_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """A member: its names, agency and address (editable), its subsystems, deactivation."""
    administrator(principal)
    member = admin.member_by_id(db, member_id)
    return _member_form(request, db, member, _member_values(member))


@router.post(f"{BASE}/members/{{member_id}}")
def update_member(member_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    administrator(principal)
    member = admin.member_by_id(db, member_id)
    try:
        admin.update_member(db, member, name_fa=form.get("name_fa", ""), name_en=form.get("name_en", ""),
                            organization_code=form.get("organization_code"), server_url=form.get("server_url"),
                            actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        return _member_form(request, db, admin.member_by_id(db, member_id), form, errors_of(exc), 422)
    db.commit()
    return RedirectResponse(f"{BASE}/members/{member_id}?done=saved", status_code=303)


def _change(change: str) -> bool:
    """``deactivate`` → False, ``reactivate`` → True; anything else is no route (404)."""
    if change not in ("deactivate", "reactivate"):
        raise NotFound("page")
    return change == "reactivate"


@router.post(f"{BASE}/members/{{member_id}}/{{change}}")
def member_state(member_id: Id, change: str, db: DbSession, principal: CurrentPrincipal,
                 form: PostedForm) -> Response:
    """Deactivate a member (none of its subsystems calls or answers) or reactivate it."""
    administrator(principal)
    active = _change(change)
    admin.set_member_active(db, admin.member_by_id(db, member_id), active, actor_id=principal.id)
    db.commit()
    return RedirectResponse(f"{BASE}/members/{member_id}?done={change}d", status_code=303)


@router.post(f"{BASE}/members/{{member_id}}/subsystems/new")
def add_subsystem(member_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    """Add a subsystem; one hosted here gets its first signing key at once."""
    administrator(principal)
    member = admin.member_by_id(db, member_id)
    try:
        sub = service.create_subsystem(db, member, form.get("subsystem_code", ""), actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        member = admin.member_by_id(db, member_id)
        return _member_form(request, db, member, {**_member_values(member), **form}, errors_of(exc), 422)
    db.commit()
    return RedirectResponse(f"{BASE}/subsystems/{sub.id}?done=created", status_code=303)


# --------------------------------------------------------------------------- subsystems: keys and services


def _subsystem_page(request: Request, db: Session, sub: ExchangeSubsystem, values: dict[str, str] | None = None,
                    errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, "exchange/admin/subsystem.html", {
        "sub": sub, "member": sub.member, "keys": sorted(sub.keys, key=lambda k: k.id, reverse=True),
        "services": admin.services_of(db, sub), "answered_here": lambda code: provider_for(code) is not None,
        "values": values or {"service_version": "v1", "response_schema": SCHEMA_EXAMPLE},
        "errors": errors or {}, "rights": [r for r in service.access_rights(db) if r.client_subsystem_id == sub.id],
        "purposes": service.purpose_labels(db), "today": clock.today(), "right_state": admin.right_state,
        "right_states": admin.RIGHT_STATES, "schema_text": schema_text,
    }, status_code)


@router.get(f"{BASE}/subsystems/{{subsystem_id}}", response_class=HTMLResponse)
def subsystem_page(subsystem_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """A subsystem: its keys (active and retired), the services it offers, the rights it holds."""
    administrator(principal)
    return _subsystem_page(request, db, admin.subsystem_by_id(db, subsystem_id))


@router.post(f"{BASE}/subsystems/{{subsystem_id}}/rotate-key")
def rotate_key(subsystem_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
               form: PostedForm) -> Response:
    """A new signing key; the old one is retired (its private half destroyed, its public half kept)."""
    administrator(principal)
    sub = admin.subsystem_by_id(db, subsystem_id)
    try:
        service.rotate_key(db, sub, actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        return _subsystem_page(request, db, admin.subsystem_by_id(db, subsystem_id),
                               errors={"_form": field_errors(exc).popitem()[1]}, status_code=422)
    db.commit()
    return RedirectResponse(f"{BASE}/subsystems/{subsystem_id}?done=rotated", status_code=303)


@router.post(f"{BASE}/subsystems/{{subsystem_id}}/{{change}}")
def subsystem_state(subsystem_id: Id, change: str, db: DbSession, principal: CurrentPrincipal,
                    form: PostedForm) -> Response:
    """Deactivate a subsystem (it neither calls nor answers) or reactivate it."""
    administrator(principal)
    active = _change(change)
    admin.set_subsystem_active(db, admin.subsystem_by_id(db, subsystem_id), active, actor_id=principal.id)
    db.commit()
    return RedirectResponse(f"{BASE}/subsystems/{subsystem_id}?done={change}d", status_code=303)


@router.post(f"{BASE}/subsystems/{{subsystem_id}}/services/new")
def register_service(subsystem_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                     form: PostedForm) -> Response:
    """Offer a data service from this subsystem, with the JSON schema its answers must follow."""
    administrator(principal)
    sub = admin.subsystem_by_id(db, subsystem_id)
    found = Collected()
    names = found.take(admin.check_names, form.get("name_fa", ""), form.get("name_en", ""))
    schema = found.take(admin.check_schema, form.get("response_schema", ""))
    try:
        found.check()
        assert names is not None and schema is not None
        svc = service.create_service(db, sub, code=form.get("service_code", ""),
                                     version=form.get("service_version", "") or "v1", name_fa=names[0],
                                     name_en=names[1], response_schema=schema, actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        return _subsystem_page(request, db, admin.subsystem_by_id(db, subsystem_id), form, errors_of(exc), 422)
    db.commit()
    return RedirectResponse(f"{BASE}/subsystems/{subsystem_id}?done=created#service-{svc.id}", status_code=303)


@router.post(f"{BASE}/services/{{service_id}}/{{change}}")
def service_state(service_id: Id, change: str, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    """Withdraw a data service (requests for it are refused) or offer it again."""
    administrator(principal)
    if change not in ("withdraw", "reoffer"):
        raise NotFound("page")
    svc = admin.service_by_id(db, service_id)
    admin.set_service_offered(db, svc, change == "reoffer", actor_id=principal.id)
    db.commit()
    done = "reoffered" if change == "reoffer" else "withdrawn"
    return RedirectResponse(f"{BASE}/subsystems/{svc.subsystem_id}?done={done}#service-{svc.id}", status_code=303)


def schema_text(schema: dict[str, Any]) -> str:
    """A service's response schema as the page shows it."""
    return json.dumps(schema, ensure_ascii=False, indent=2)
