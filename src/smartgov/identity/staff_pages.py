"""Pages for people and roles (agency admins) and the agency tree (platform admins).

Mounted with identity's pages (``pages.router`` includes this router). Every handler asks a named
check of ``permissions`` (through ``staff``/``agencies``), runs one use case and commits once;
a refusal shows the form again with the error tied to its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import agency_tree, permissions, service, staff
from smartgov.identity.models import Role
from smartgov.identity.service import Principal
from smartgov.web.deps import SESSION_COOKIE, CurrentPrincipal, DbSession, client_ip
from smartgov.web.fields import Id, posted_number
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.pagination import Pagination
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

register(NavItem("/staff", N_("People and roles"), roles=frozenset({Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
                 signed_in=True, order=92))
register(NavItem("/agencies", N_("Agencies"), roles=frozenset({Role.PLATFORM_ADMIN}), signed_in=True, order=93))

STAFF_ROLES = (Role.OFFICIAL, Role.AGENCY_ADMIN)


def _screen(principal: Principal) -> None:
    permissions.require(permissions.can_see_staff_screen(principal))


# --------------------------------------------------------------------------- the list


@router.get("/staff", response_class=HTMLResponse)
def staff_list(request: Request, principal: CurrentPrincipal, db: DbSession, params: Pagination) -> HTMLResponse:
    """Staff of the caller's agencies, open invitations and MFA reset requests waiting for a second admin."""
    _screen(principal)
    rows, total = staff.staff_page(db, principal, limit=params.per_page, offset=params.offset)
    resets = staff.pending_resets(db, principal)
    names = {i: service.account_by_id(db, i) for r in resets for i in (r.account_id, r.requested_by)}
    return render(request, "identity/staff/list.html", {
        "rows": rows, "total": total, "page": params.page, "pages": max(1, -(-total // params.per_page)),
        "invitations": staff.pending_invitations(db, principal), "resets": resets, "names": names,
        "notice": request.query_params.get("done"),
    })


# --------------------------------------------------------------------------- invitations


def _invite_page(request: Request, db: DbSession, principal: Principal, status_code: int = 200,
                 **extra: Any) -> HTMLResponse:
    return render(request, "identity/staff/invite.html", {
        "agencies": staff.agencies_in_scope(db, principal), "roles": STAFF_ROLES, **extra,
    }, status_code=status_code)


@router.get("/staff/invite", response_class=HTMLResponse)
def invite_form(request: Request, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    _screen(principal)
    return _invite_page(request, db, principal, values={"role": Role.OFFICIAL.value})


@router.post("/staff/invite")
def invite(request: Request, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> Response:
    _screen(principal)
    values = {k: form.get(k, "").strip() for k in ("email", "role", "organization")}
    try:
        staff.invite(db, principal, email=values["email"], role=values["role"],
                     organization_id=posted_number(values["organization"], "organization"))
    except DomainError as exc:
        db.rollback()
        return _invite_page(request, db, principal, errors=field_errors(exc), values=values, status_code=422)
    db.commit()
    return RedirectResponse("/staff?done=invited", status_code=303)


@router.post("/staff/invitations/{invitation_id}/revoke")
def revoke_invitation(invitation_id: Id, principal: CurrentPrincipal, db: DbSession, _form: PostedForm) -> Response:
    _screen(principal)
    staff.revoke_invitation(db, principal, invitation_id)
    db.commit()
    return RedirectResponse("/staff?done=withdrawn", status_code=303)


@router.get("/invitation/{token}", response_class=HTMLResponse)
def accept_form(request: Request, token: str, db: DbSession) -> HTMLResponse:
    """The invitee's page: no sign-in, the link is the secret."""
    try:
        invitation = staff.open_invitation(db, token)
    except DomainError as exc:
        return render(request, "identity/staff/accept.html", {"invalid": exc.localized()}, status_code=exc.status)
    return render(request, "identity/staff/accept.html", {"invitation": invitation, "token": token})


@router.post("/invitation/{token}")
def accept(request: Request, token: str, db: DbSession, form: PostedForm) -> Response:
    try:
        account = staff.accept_invitation(db, token, username=form.get("username", ""),
                                          password=form.get("password", ""),
                                          password_again=form.get("password_again", ""),
                                          person={f: form.get(f, "") for f in staff.PERSON_FIELDS})
    except DomainError as exc:
        db.rollback()
        if exc.code == "invalid_invitation":
            return render(request, "identity/staff/accept.html", {"invalid": exc.localized()}, status_code=exc.status)
        return render(request, "identity/staff/accept.html", {
            "invitation": staff.open_invitation(db, token), "token": token, "errors": field_errors(exc),
            "values": {k: v for k, v in form.items() if "password" not in k and k != "csrf_token"}},
            status_code=exc.status if exc.status != 400 else 422)
    # Signed in with the password; the second factor is enrolled on the next page before anything else.
    raw, _sess = service.start_session(db, account, ip=client_ip(request), user_agent=request.headers.get("user-agent"),
                                       mfa_passed=False)
    db.commit()
    response = RedirectResponse("/mfa/setup?next=/account", status_code=303)
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, raw, max_age=settings.session_hours * 3600, httponly=True,
                        samesite="lax", secure=settings.session_cookie_secure, path="/")
    return response


# --------------------------------------------------------------------------- one colleague


def _person_page(request: Request, db: DbSession, principal: Principal, account_id: int, status_code: int = 200,
                 **extra: Any) -> HTMLResponse:
    account = staff.colleague(db, principal, account_id)
    ids = staff.scope(db, principal)
    resets = [r for r in staff.pending_resets(db, principal) if r.account_id == account.id]
    return render(request, "identity/staff/person.html", {
        "account": account, "grants": [g for g in account.grants if ids is None or g.organization_id in ids],
        "other_grants": sum(1 for g in account.grants if ids is not None and g.organization_id not in ids),
        "agencies": staff.agencies_in_scope(db, principal), "roles": STAFF_ROLES,
        "reset": resets[0] if resets else None,
        "requester": service.account_by_id(db, resets[0].requested_by) if resets else None,
        "sessions": len(service.live_sessions(db, account)), **extra,
    }, status_code=status_code)


@router.get("/staff/{account_id}", response_class=HTMLResponse)
def person(request: Request, account_id: Id, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    _screen(principal)
    return _person_page(request, db, principal, account_id, notice=request.query_params.get("done"))


def _act(request: Request, db: DbSession, principal: Principal, account_id: int, action: Any, done: str) -> Response:
    """Run one change on a colleague; a refusal shows their page again with the error at its field."""
    _screen(principal)
    try:
        action()
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.rollback()
        return _person_page(request, db, principal, account_id, errors=field_errors(exc),
                            status_code=exc.status if exc.status not in (400,) else 422)
    db.commit()
    return RedirectResponse(f"/staff/{account_id}?done={done}", status_code=303)


@router.post("/staff/{account_id}/roles")
def grant_role(request: Request, account_id: Id, principal: CurrentPrincipal, db: DbSession,
               form: PostedForm) -> Response:
    return _act(request, db, principal, account_id, lambda: staff.grant_role(
        db, principal, account_id, role=form.get("role", ""),
        organization_id=posted_number(form.get("organization", ""), "organization")), "granted")


@router.post("/staff/{account_id}/roles/{grant_id}/remove")
def revoke_role(request: Request, account_id: Id, grant_id: Id, principal: CurrentPrincipal, db: DbSession,
                _form: PostedForm) -> Response:
    return _act(request, db, principal, account_id, lambda: staff.revoke_role(db, principal, account_id, grant_id),
                "removed")


@router.post("/staff/{account_id}/deactivate")
def deactivate(request: Request, account_id: Id, principal: CurrentPrincipal, db: DbSession,
               _form: PostedForm) -> Response:
    return _act(request, db, principal, account_id, lambda: staff.deactivate(db, principal, account_id),
                "deactivated")


@router.post("/staff/{account_id}/mfa-reset")
def request_mfa_reset(request: Request, account_id: Id, principal: CurrentPrincipal, db: DbSession,
                      form: PostedForm) -> Response:
    return _act(request, db, principal, account_id,
                lambda: staff.request_mfa_reset(db, principal, account_id, form.get("reason", "")), "requested")


@router.post("/staff/mfa-resets/{reset_id}/{decision}")
def decide_mfa_reset(request: Request, reset_id: Id, decision: str, principal: CurrentPrincipal, db: DbSession,
                     _form: PostedForm) -> Response:
    """``approve`` (a second admin) or ``cancel`` a request to clear a colleague's second factor."""
    _screen(principal)
    account_id = staff.reset_subject(db, principal, reset_id)
    if decision == "approve":
        return _act(request, db, principal, account_id,
                    lambda: staff.approve_mfa_reset(db, principal, reset_id), "approved")
    if decision == "cancel":
        return _act(request, db, principal, account_id,
                    lambda: staff.cancel_mfa_reset(db, principal, reset_id), "cancelled")
    raise DomainError("invalid_decision", N_("Choose one of the allowed values."), field="decision", status=404)


# --------------------------------------------------------------------------- agencies (platform admins)


def _agencies_page(request: Request, db: DbSession, status_code: int = 200, **extra: Any) -> HTMLResponse:
    return render(request, "identity/staff/agencies.html", {"tree": agency_tree.tree(db), **extra},
                  status_code=status_code)


@router.get("/agencies", response_class=HTMLResponse)
def agency_list(request: Request, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    permissions.require(permissions.can_manage_agencies(principal))
    return _agencies_page(request, db, notice=request.query_params.get("done"))


@router.post("/agencies")
def create_agency(request: Request, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> Response:
    permissions.require(permissions.can_manage_agencies(principal))
    values = {k: form.get(k, "").strip() for k in ("code", "name_fa", "name_en", "parent")}
    try:
        org = agency_tree.create(db, principal, code=values["code"], name_fa=values["name_fa"],
                              name_en=values["name_en"], parent_id=posted_number(values["parent"], "parent"))
    except DomainError as exc:
        db.rollback()
        return _agencies_page(request, db, errors=field_errors(exc), values=values, status_code=422
                              if exc.status in (400, 404, 422) else exc.status)
    db.commit()
    return RedirectResponse(f"/agencies/{org.id}?done=created", status_code=303)


def _agency_page(request: Request, db: DbSession, org_id: int, status_code: int = 200, **extra: Any) -> HTMLResponse:
    org = agency_tree.agency(db, org_id)
    below = service.descendants(db, org)
    return render(request, "identity/staff/agency.html", {
        "org": org, "parents": [(o, d) for o, d in agency_tree.tree(db) if o.id not in below and o.active],
        **extra}, status_code=status_code)


@router.get("/agencies/{org_id}", response_class=HTMLResponse)
def agency_page(request: Request, org_id: Id, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    permissions.require(permissions.can_manage_agencies(principal))
    return _agency_page(request, db, org_id, notice=request.query_params.get("done"))


@router.post("/agencies/{org_id}/{change}")
def change_agency(request: Request, org_id: Id, change: str, principal: CurrentPrincipal, db: DbSession,
                  form: PostedForm) -> Response:
    """``rename``, ``move`` or ``deactivate`` an agency."""
    permissions.require(permissions.can_manage_agencies(principal))
    agency_tree.agency(db, org_id)  # 404 before anything else
    try:
        if change == "rename":
            agency_tree.rename(db, principal, org_id, name_fa=form.get("name_fa", ""), name_en=form.get("name_en", ""))
        elif change == "move":
            agency_tree.move(db, principal, org_id, parent_id=posted_number(form.get("parent", ""), "parent"))
        elif change == "deactivate":
            agency_tree.deactivate(db, principal, org_id)
        else:
            raise DomainError("invalid_change", N_("Choose one of the allowed values."), field="change", status=404)
    except DomainError as exc:
        if exc.status == 404 and exc.field != "parent":
            raise
        db.rollback()
        return _agency_page(request, db, org_id, errors=field_errors(exc),
                            values={k: form.get(k, "") for k in ("name_fa", "name_en", "parent")},
                            status_code=422 if exc.status in (400, 404, 422) else exc.status)
    db.commit()
    return RedirectResponse(f"/agencies/{org_id}?done={change}d", status_code=303)
