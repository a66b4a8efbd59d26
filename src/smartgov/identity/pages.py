"""HTML pages of the identity module: sign-in, MFA, registration, password reset, my account."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, gettext, parse_date
from smartgov.identity import permissions, service
from smartgov.identity.models import Account
from smartgov.identity.service import Principal
from smartgov.web.deps import SESSION_COOKIE, CurrentPrincipal, DbSession, resolve_principal
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm, field_errors, safe_next
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

# Role and scope names are shown as ``_(role.value)``; naming them here lets ``make messages``
# extract them, so their translations are kept.
SHOWN_NAMES = (N_("citizen"), N_("employer"), N_("official"), N_("agency_admin"), N_("auditor"),
               N_("platform_admin"), N_("read"), N_("write"))

register(NavItem("/", N_("Home"), order=0))
register(NavItem("/account", N_("My account"), signed_in=True, order=90))


def _ip(request: Request) -> str:
    return request.client.host if request.client else "-"


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
    return render(request, "identity/login.html", {"next": safe_next(next)})


@router.post("/login")
def login(request: Request, db: DbSession, form: PostedForm) -> Response:
    next_url = safe_next(form.get("next"))
    try:
        result = service.authenticate(db, form.get("username", ""), form.get("password", ""), _ip(request))
    except DomainError as exc:
        db.commit()  # the failed attempt counts towards throttling
        return render(request, "identity/login.html",
                      {"errors": field_errors(exc), "values": {"username": form.get("username", "")},
                       "next": next_url}, status_code=exc.status if exc.status != 401 else 400)
    raw, _sess = service.start_session(db, result.account, ip=_ip(request),
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
    """The platform's one reading of a typed date (``i18n.parse_date``): Jalali for 13xx/14xx, else ISO."""
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
        service.register_citizen(db, data)
        db.commit()
    except DomainError as exc:
        db.rollback()
        values = {k: v for k, v in form.items() if "password" not in k}
        return render(request, "identity/register.html", {"errors": field_errors(exc), "values": values},
                      status_code=422)
    return render(request, "identity/login.html", {
        "notice": gettext("Your account is ready. Sign in."),
        "values": {"username": data["username"].lower()}, "next": "/account",
    })


# --------------------------------------------------------------------------- MFA


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


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
        service.confirm_mfa_setup(db, account, form.get("code", ""))
    except DomainError as exc:
        db.commit()
        return render(request, "identity/mfa_setup.html",
                      {"secret": account.mfa_secret, "qr": _qr_svg(service.provisioning_uri(account)),
                       "errors": field_errors(exc), "next": safe_next(form.get("next"))}, status_code=422)
    sess = getattr(request.state, "login_session", None)
    if sess is not None:
        sess.mfa_passed = True
    db.commit()
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


@router.get("/mfa/verify", response_class=HTMLResponse)
def mfa_verify_form(request: Request, account: PendingAccount, next: str | None = None) -> Response:
    if not account.mfa_enabled:
        return RedirectResponse("/mfa/setup", status_code=303)
    return render(request, "identity/mfa_verify.html", {"next": safe_next(next)})


@router.post("/mfa/verify")
def mfa_verify(request: Request, account: PendingAccount, db: DbSession, form: PostedForm) -> Response:
    try:
        service.verify_mfa(db, account, form.get("code", ""), _ip(request))
    except DomainError as exc:
        db.commit()
        return render(request, "identity/mfa_verify.html",
                      {"errors": field_errors(exc), "next": safe_next(form.get("next"))},
                      status_code=429 if exc.status == 429 else 422)
    sess = getattr(request.state, "login_session", None)
    if sess is not None:
        sess.mfa_passed = True
    db.commit()
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


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
    service.request_password_reset(db, ident, request.app.state.settings.base_url)
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
        service.reset_password(db, token, form.get("password", ""))
        db.commit()
    except DomainError as exc:
        db.rollback()
        return render(request, "identity/reset.html", {"token": token, "errors": field_errors(exc)}, status_code=422)
    return render(request, "identity/login.html",
                  {"notice": gettext("Your password has been changed. Sign in with the new one."), "next": "/account"})


# --------------------------------------------------------------------------- my account


def _account_page(request: Request, db: DbSession, principal: Principal, status_code: int = 200,
                  **extra: Any) -> HTMLResponse:
    current = getattr(request.state, "login_session", None)
    return render(request, "identity/account.html", {
        "account": principal.account, "person": principal.account.person,
        "tokens": service.list_tokens(db, principal.account),
        "sessions": service.live_sessions(db, principal.account),
        "current_session_id": current.id if current else None, **extra,
    }, status_code=status_code)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    return _account_page(request, db, principal)


@router.post("/account/profile")
def update_profile(request: Request, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> Response:
    try:
        service.update_profile(db, principal.account, phone=form.get("phone", ""), email=form.get("email", ""),
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
def create_token(request: Request, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> HTMLResponse:
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
def revoke_token(token_id: Id, request: Request, principal: CurrentPrincipal, db: DbSession,
                 _form: PostedForm) -> Response:
    permissions.require(permissions.can_manage_own_account(principal))
    service.revoke_token(db, principal.account, token_id)
    db.commit()
    return RedirectResponse("/account#tokens", status_code=303)


@router.post("/account/sessions/{session_id}/revoke")
def revoke_session(session_id: Id, request: Request, principal: CurrentPrincipal, db: DbSession,
                   _form: PostedForm) -> Response:
    service.revoke_session(db, principal.account, session_id)
    db.commit()
    return RedirectResponse("/account#sessions", status_code=303)
