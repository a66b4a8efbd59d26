"""HTML pages of the identity module: sign-in, MFA, registration, password reset, my account."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from typing import Annotated, Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov import digits
from smartgov.digits import parse_date
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, gettext
from smartgov.identity import permissions, proof, service
from smartgov.identity.models import OFFICIAL_PROOF_METHODS, Account, Role
from smartgov.identity.service import Principal
from smartgov.web.deps import (
    SESSION_COOKIE,
    AccountPrincipal,
    CurrentPrincipal,
    DbSession,
    client_ip,
    resolve_principal,
)
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm, field_errors, safe_next
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

# Role and scope names are shown as ``_(role.value)``; naming them here lets ``make messages``
# extract them, so their translations are kept.
SHOWN_NAMES = (N_("citizen"), N_("employer"), N_("official"), N_("agency_admin"), N_("auditor"),
               N_("platform_admin"), N_("read"), N_("write"))
#: How an account was proven, in words (``models.PROOF_METHODS``).
PROOF_LABELS = {
    "sms": N_("A code sent to the mobile number in the population registry"),
    "in_person": N_("An official saw the national card"),
    "letter": N_("An official checked a letter"),
    "registry": N_("An official checked the population registry"),
    "admin": N_("Created by an administrator"),
    "demo": N_("Demo account"),
}

register(NavItem("/", N_("Home"), order=0))
#: Where signing in lands when no page asked for it: the person's home (``smartgov.home``).
AFTER_SIGN_IN = "/home"
register(NavItem("/account", N_("My account"), signed_in=True, order=90))
register(NavItem("/account/proofs", N_("Prove a person"),
                 roles=frozenset({Role.OFFICIAL, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}), signed_in=True, order=91))


def _refusal_headers(exc: DomainError) -> dict[str, str] | None:
    """``Retry-After`` of a throttled or rate-limited refusal, for the page that shows it."""
    return getattr(exc, "headers", None)


def _refusal_status(exc: DomainError) -> int:
    """A refused code or form: 429 while throttled (with ``Retry-After``), otherwise 422."""
    return 429 if exc.status == 429 else 422


def _session_cookie(response: Response, request: Request, raw: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, raw, max_age=settings.session_hours * 3600, httponly=True,
                        samesite="lax", secure=settings.session_cookie_secure, path="/")


def pending_account(request: Request, db: DbSession) -> Account:
    """The account half-way through sign-in (password done, MFA not yet)."""
    principal = resolve_principal(request, db)
    account = principal.account if principal else getattr(request.state, "pending_account", None)
    if account is None:
        from smartgov.web.deps import Unauthenticated

        raise Unauthenticated()
    return account


PendingAccount = Annotated[Account, Depends(pending_account)]


# --------------------------------------------------------------------------- sign in / out


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "identity/login.html", {"next": safe_next(next, AFTER_SIGN_IN)})


@router.post("/login")
def login(request: Request, db: DbSession, form: PostedForm) -> Response:
    next_url = safe_next(form.get("next"), AFTER_SIGN_IN)
    try:
        result = service.authenticate(db, form.get("username", ""), form.get("password", ""), client_ip(request))
    except DomainError as exc:  # the throttle has already committed the failure
        return render(request, "identity/login.html",
                      {"errors": field_errors(exc), "values": {"username": form.get("username", "")},
                       "next": next_url}, status_code=exc.status if exc.status != 401 else 400,
                      headers=_refusal_headers(exc))
    raw, _sess = service.start_session(db, result.account, ip=client_ip(request),
                                       user_agent=request.headers.get("user-agent"), mfa_passed=not result.needs_mfa)
    db.commit()
    if result.needs_mfa:
        target = "/mfa/verify" if result.account.mfa_enabled else "/mfa/setup"
        response = RedirectResponse(f"{target}?next={next_url}", status_code=303)
    else:
        response = RedirectResponse(next_url, status_code=303)
    _session_cookie(response, request, raw)
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, _form: PostedForm) -> Response:
    resolve_principal(request, db)
    sess = getattr(request.state, "login_session", None)
    if sess is not None:
        service.end_session(db, sess)
        db.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --------------------------------------------------------------------------- registration


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request) -> HTMLResponse:
    return render(request, "identity/register.html")


def _parse_birth_date(text: str, lang: str) -> dt.date:
    """The platform's one reading of a typed date (``digits.parse_date``): Jalali for 13xx/14xx, else ISO."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise DomainError("invalid_date", N_("Enter a real date, for example {example}."), field="birth_date",
                          example="1370/06/31" if lang == "fa" else "1991-09-22") from exc


@router.post("/register")
def register_account(request: Request, db: DbSession, form: PostedForm) -> Response:
    from smartgov.i18n import get_language

    lang = get_language()
    required = ("national_code", "first_name_fa", "last_name_fa", "first_name_en", "last_name_en",
                "birth_date", "username", "password")
    data: dict[str, Any] = {k: form.get(k, "").strip() for k in required if k != "password"}
    data.update(password=form.get("password", ""), phone=form.get("phone") or None,
                email=form.get("email") or None, language=lang)
    # Collect every problem at once, so the person fixes the form in one pass.
    errors = [DomainError("required", N_("This field is required."), field=f) for f in required
              if not form.get(f, "").strip()]
    checks = [
        lambda: data["national_code"] and service.check_national_code(data["national_code"]),
        lambda: data["phone"] and digits.phone(data["phone"]),
        lambda: data["username"] and service.check_username(data["username"]),
        lambda: data["password"] and service.check_password(data["password"], username=data["username"]),
    ]
    for check in checks:
        try:
            check()
        except DomainError as exc:
            errors.append(exc)
    if data["birth_date"]:
        try:
            data["birth_date"] = _parse_birth_date(data["birth_date"], lang)
        except DomainError as exc:
            errors.append(exc)
    if form.get("password") != form.get("password_again"):
        errors.append(DomainError("password_mismatch", N_("The two passwords differ."), field="password_again"))
    try:
        if errors:
            raise ValidationFailed(errors)
        account = service.register_citizen(db, data)
    except DomainError as exc:
        db.rollback()
        values = {k: v for k, v in form.items() if "password" not in k}
        return render(request, "identity/register.html", {"errors": field_errors(exc), "values": values},
                      status_code=422)
    # Signed in at once, and the first code on its way: the next page asks for it.
    raw, _sess = service.start_session(db, account, ip=client_ip(request), user_agent=request.headers.get("user-agent"),
                                       mfa_passed=True)
    # No number in the registry, or it is unreachable: the proof page says so when the code is asked again.
    with suppress(DomainError):
        proof.send_code(db, account)
    db.commit()  # with the registry's answer logged either way
    response = RedirectResponse("/account/prove", status_code=303)
    _session_cookie(response, request, raw)
    return response


# --------------------------------------------------------------------------- MFA


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def _mfa_passed(request: Request, db: DbSession, next_url: str | None) -> Response:
    """The sign-in's second step is done (set up or verified): the session may act; on to ``next``."""
    sess = getattr(request.state, "login_session", None)
    if sess is not None:
        sess.mfa_passed = True
    db.commit()
    return RedirectResponse(safe_next(next_url, AFTER_SIGN_IN), status_code=303)


@router.get("/mfa/setup", response_class=HTMLResponse)
def mfa_setup_form(request: Request, account: PendingAccount, db: DbSession, next: str | None = None) -> Response:
    if account.mfa_enabled:
        return RedirectResponse("/mfa/verify", status_code=303)
    if not account.mfa_secret:
        service.begin_mfa_setup(db, account)
        db.commit()
    uri = service.provisioning_uri(account)
    return render(request, "identity/mfa_setup.html",
                  {"secret": account.mfa_secret, "qr": _qr_svg(uri), "next": safe_next(next)})


@router.post("/mfa/setup")
def mfa_setup(request: Request, account: PendingAccount, db: DbSession, form: PostedForm) -> Response:
    try:
        service.confirm_mfa_setup(db, account, form.get("code", ""), client_ip(request))
    except DomainError as exc:
        return render(request, "identity/mfa_setup.html",
                      {"secret": account.mfa_secret, "qr": _qr_svg(service.provisioning_uri(account)),
                       "errors": field_errors(exc), "next": safe_next(form.get("next"))},
                      status_code=_refusal_status(exc), headers=_refusal_headers(exc))
    return _mfa_passed(request, db, form.get("next"))


@router.get("/mfa/verify", response_class=HTMLResponse)
def mfa_verify_form(request: Request, account: PendingAccount, next: str | None = None) -> Response:
    if not account.mfa_enabled:
        return RedirectResponse("/mfa/setup", status_code=303)
    return render(request, "identity/mfa_verify.html", {"next": safe_next(next)})


@router.post("/mfa/verify")
def mfa_verify(request: Request, account: PendingAccount, db: DbSession, form: PostedForm) -> Response:
    try:
        service.verify_mfa(db, account, form.get("code", ""), client_ip(request))
    except DomainError as exc:
        return render(request, "identity/mfa_verify.html",
                      {"errors": field_errors(exc), "next": safe_next(form.get("next"))},
                      status_code=_refusal_status(exc), headers=_refusal_headers(exc))
    return _mfa_passed(request, db, form.get("next"))


# --------------------------------------------------------------------------- password reset


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_form(request: Request) -> HTMLResponse:
    return render(request, "identity/forgot.html")


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(request: Request, db: DbSession, form: PostedForm) -> HTMLResponse:
    ident = form.get("username_or_email", "").strip()
    if not ident:
        return render(request, "identity/forgot.html",
                      {"errors": {"username_or_email": gettext("This field is required.")}}, status_code=422)
    service.request_password_reset(db, ident)
    db.commit()
    return render(request, "identity/forgot.html", {"sent": True})


@router.get("/password/reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, token: str) -> HTMLResponse:
    return render(request, "identity/reset.html", {"token": token})


@router.post("/password/reset/{token}")
def reset(request: Request, token: str, db: DbSession, form: PostedForm) -> Response:
    try:
        if form.get("password") != form.get("password_again"):
            raise DomainError("password_mismatch", N_("The two passwords differ."), field="password_again")
        service.reset_password(db, token, form.get("password", ""), client_ip(request))
        db.commit()
    except DomainError as exc:
        db.rollback()  # a bad link's failure is already committed by the throttle
        return render(request, "identity/reset.html", {"token": token, "errors": field_errors(exc)},
                      status_code=_refusal_status(exc), headers=_refusal_headers(exc))
    return render(request, "identity/login.html",
                  {"notice": gettext("Your password has been changed. Sign in with the new one."), "next": "/account"})


# --------------------------------------------------------------------------- my account


def _account_page(request: Request, db: DbSession, principal: Principal, status_code: int = 200,
                  **extra: Any) -> HTMLResponse:
    current = getattr(request.state, "login_session", None)
    proven = permissions.can_use_personal_records(principal.account)
    return render(request, "identity/account.html", {
        "account": principal.account, "person": principal.account.person if proven else None, "proven": proven,
        "proof_label": PROOF_LABELS.get(principal.account.proof_method or ""),
        "tokens": service.list_tokens(db, principal.account),
        "sessions": service.live_sessions(db, principal.account),
        "current_session_id": current.id if current else None, **extra,
    }, status_code=status_code)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, principal: AccountPrincipal, db: DbSession) -> HTMLResponse:
    return _account_page(request, db, principal)


@router.post("/account/profile")
def update_profile(request: Request, principal: AccountPrincipal, db: DbSession, form: PostedForm) -> Response:
    try:
        # an account that has not proven its person has no contact fields on the page: it changes its language
        service.update_profile(db, principal.account, phone=form.get("phone"), email=form.get("email"),
                               language=form.get("language"))
        if form.get("email"):
            from pydantic import TypeAdapter, ValidationError
            from pydantic.networks import EmailStr

            try:
                TypeAdapter(EmailStr).validate_python(form["email"])
            except ValidationError as err:
                raise DomainError("invalid_email", N_("Enter a valid e-mail address."), field="email") from err
        db.commit()
    except DomainError as exc:
        db.rollback()
        db.refresh(principal.account)
        return _account_page(request, db, principal, errors=field_errors(exc), status_code=422)
    return RedirectResponse("/account?saved=1", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(request: Request, principal: AccountPrincipal, db: DbSession, form: PostedForm) -> HTMLResponse:
    scopes = ["read", "write"] if form.get("scope") == "write" else ["read"]
    try:
        raw, _token = service.create_api_token(db, principal.account, name=form.get("name") or "api",
                                               scopes=scopes, expires_in_days=90)
    except DomainError as exc:
        db.rollback()
        return _account_page(request, db, principal, errors=field_errors(exc), status_code=422)
    db.commit()
    return _account_page(request, db, principal, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: Id, request: Request, principal: AccountPrincipal, db: DbSession,
                 _form: PostedForm) -> Response:
    permissions.require(permissions.can_manage_own_account(principal))
    service.revoke_token(db, principal.account, token_id)
    db.commit()
    return RedirectResponse("/account#tokens", status_code=303)


@router.post("/account/sessions/{session_id}/revoke")
def revoke_session(session_id: Id, request: Request, principal: AccountPrincipal, db: DbSession,
                   _form: PostedForm) -> Response:
    service.revoke_session(db, principal.account, session_id)
    db.commit()
    return RedirectResponse("/account#sessions", status_code=303)


# --------------------------------------------------------------------------- proving the person


def _prove_page(request: Request, db: DbSession, account: Account, next_url: str, *, status_code: int = 200,
                errors: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> HTMLResponse:
    return render(request, "identity/prove.html", {
        "pending": proof.pending(db, account), "next": next_url, "errors": errors or {},
    }, status_code=status_code, headers=headers)


@router.get("/account/prove", response_class=HTMLResponse)
def prove_form(request: Request, principal: AccountPrincipal, db: DbSession, next: str | None = None) -> Response:
    """Prove you are this person: the code sent to the registry's mobile number, or an office."""
    if permissions.can_use_personal_records(principal.account):
        return RedirectResponse(safe_next(next), status_code=303)
    return _prove_page(request, db, principal.account, safe_next(next))


@router.post("/account/prove")
def prove(request: Request, principal: AccountPrincipal, db: DbSession, form: PostedForm) -> Response:
    next_url = safe_next(form.get("next"))
    try:
        proof.confirm_code(db, principal.account, form.get("code", ""), client_ip(request))
    except DomainError as exc:  # a wrong code is already counted (and committed) by the throttle
        return _prove_page(request, db, principal.account, next_url, errors=field_errors(exc),
                           status_code=_refusal_status(exc), headers=_refusal_headers(exc))
    db.commit()
    return RedirectResponse(next_url, status_code=303)


@router.post("/account/prove/code")
def send_proof_code(request: Request, principal: AccountPrincipal, db: DbSession, form: PostedForm) -> Response:
    next_url = safe_next(form.get("next"))
    try:
        proof.send_code(db, principal.account)
    except DomainError as exc:
        db.commit()  # the registry's answer stays logged (see proof.send_code)
        return _prove_page(request, db, principal.account, next_url, errors={"_form": exc.localized()},
                           status_code=exc.status, headers=_refusal_headers(exc))
    db.commit()
    return RedirectResponse(f"/account/prove?next={quote(next_url)}", status_code=303)


@router.get("/account/proofs", response_class=HTMLResponse)
def official_proof_form(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    """An official proves the account of a person standing at the counter with their national card."""
    permissions.require(permissions.can_prove_people(principal))
    return render(request, "identity/official_proof.html",
                  {"methods": OFFICIAL_PROOF_METHODS, "labels": PROOF_LABELS})


@router.post("/account/proofs", response_class=HTMLResponse)
def official_proof(request: Request, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> HTMLResponse:
    permissions.require(permissions.can_prove_people(principal))
    values = {k: form.get(k, "").strip() for k in ("national_code", "username", "method")}
    try:
        account = proof.prove_in_person(db, principal, values["national_code"], values["username"],
                                        values["method"])
    except DomainError as exc:
        db.rollback()
        return render(request, "identity/official_proof.html", {
            "methods": OFFICIAL_PROOF_METHODS, "labels": PROOF_LABELS, "errors": field_errors(exc),
            "values": values}, status_code=422)
    db.commit()
    return render(request, "identity/official_proof.html", {
        "methods": OFFICIAL_PROOF_METHODS, "labels": PROOF_LABELS, "proven_username": account.username})


# People and roles, agencies and the audit log: their own files, mounted with identity's pages.
from smartgov.identity import audit_pages, staff_pages  # noqa: E402 - after this router exists

router.include_router(staff_pages.router)
router.include_router(audit_pages.router)
