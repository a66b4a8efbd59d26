"""JSON API of the identity module under ``/api/v1/identity``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from sqlalchemy import select

from smartgov.errors import DomainError
from smartgov.identity import permissions, service
from smartgov.identity.models import Account, Organization, OrgKind
from smartgov.identity.schemas import (
    AccountCreate,
    AccountPublic,
    GrantPublic,
    OrganizationPublic,
    PasswordResetConfirm,
    PasswordResetRequest,
    PersonPublic,
    ProfileUpdate,
    RegistrationIn,
    SessionPublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
)
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.pagination import Page, Pagination, page_of, paginate
from smartgov.web.routing import ModuleRouter

router = ModuleRouter(prefix="/api/v1/identity", tags=["identity"])


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def account_public(account: Account) -> AccountPublic:
    return AccountPublic(
        id=account.id, username=account.username, language=account.language, mfa_enabled=account.mfa_enabled,
        roles=[GrantPublic(role=g.role, organization=g.organization.code if g.organization else None)
               for g in account.grants],
        person=PersonPublic.model_validate(account.person) if account.person else None,
    )


def org_public(db: DbSession, org: Organization) -> OrganizationPublic:
    parent = db.get(Organization, org.parent_id) if org.parent_id else None
    return OrganizationPublic(code=org.code, kind=org.kind.value, name_fa=org.name_fa, name_en=org.name_en,
                              parent=parent.code if parent else None, registration_number=org.registration_number)


@router.post("/register", status_code=201, response_model=AccountPublic)
def register(body: RegistrationIn, db: DbSession) -> AccountPublic:
    """Register as a citizen with a national code (linked to a known person if the birth date matches)."""
    account = service.register_citizen(db, body.model_dump())
    db.commit()
    return account_public(account)


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def create_token(body: TokenCreate, request: Request, db: DbSession) -> TokenCreated:
    """Log in with password (and TOTP for officials and admins) and get a personal API token, shown once.

    Repeated failures for one account or one IP answer 429 until the window passes.
    """
    ip = client_ip(request)
    try:
        result = service.authenticate(db, body.username, body.password, ip)
        if result.needs_mfa:
            if not result.account.mfa_enabled:
                raise DomainError("mfa_setup_required",
                                  "Set up two-step verification on the website before using the API.",
                                  field="otp", status=403)
            service.verify_mfa(db, result.account, body.otp or "", ip)
    except DomainError:
        db.commit()  # keep the record of the failed attempt for throttling and audit
        raise
    raw, token = service.create_api_token(db, result.account, name=body.name, scopes=list(body.scopes),
                                          expires_in_days=body.expires_in_days)
    db.commit()
    return TokenCreated(token=raw, **TokenPublic.model_validate(token).model_dump())


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(principal: CurrentPrincipal, db: DbSession) -> list[TokenPublic]:
    """Your tokens (never their secrets)."""
    return [TokenPublic.model_validate(t) for t in service.list_tokens(db, principal.account)]


@router.delete("/tokens/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: Id, principal: CurrentPrincipal, db: DbSession) -> TokenPublic:
    """Revoke one of your tokens; it stops working at once."""
    permissions.require(permissions.can_manage_own_account(principal))
    token = service.revoke_token(db, principal.account, token_id)
    db.commit()
    return TokenPublic.model_validate(token)


@router.get("/me", response_model=AccountPublic)
def me(principal: CurrentPrincipal) -> AccountPublic:
    """The calling account, its roles and its person record."""
    return account_public(principal.account)


@router.patch("/me", response_model=AccountPublic)
def update_me(body: ProfileUpdate, principal: CurrentPrincipal, db: DbSession) -> AccountPublic:
    """Change your phone, e-mail or language."""
    permissions.require(permissions.can_manage_own_account(principal))
    service.update_profile(db, principal.account, phone=body.phone, email=body.email, language=body.language)
    db.commit()
    return account_public(principal.account)


@router.get("/me/sessions", response_model=list[SessionPublic])
def my_sessions(principal: CurrentPrincipal, db: DbSession) -> list[SessionPublic]:
    """Your signed-in browser sessions."""
    return [SessionPublic(id=s.id, ip=s.ip, user_agent=s.user_agent, created_at=s.created_at,
                          last_seen_at=s.last_seen_at, current=False)
            for s in service.live_sessions(db, principal.account)]


@router.post("/password-reset", status_code=202)
def password_reset(body: PasswordResetRequest, request: Request, db: DbSession) -> dict[str, Any]:
    """Ask for a reset link by e-mail. The answer is the same whether or not the account exists."""
    service.request_password_reset(db, body.username_or_email, request.app.state.settings.base_url)
    db.commit()
    return {"accepted": True}


@router.post("/password-reset/confirm", response_model=AccountPublic)
def password_reset_confirm(body: PasswordResetConfirm, db: DbSession) -> AccountPublic:
    """Set a new password with the single-use token from the e-mail."""
    account = service.reset_password(db, body.token, body.password)
    db.commit()
    return account_public(account)


@router.get("/organizations", response_model=Page[OrganizationPublic])
def organizations(
    db: DbSession, pagination: Pagination,
    kind: Annotated[OrgKind | None, Query(description="agency or employer")] = None,
) -> dict[str, Any]:
    """Public register of agencies (with their parent) and employers."""
    stmt = select(Organization).order_by(Organization.code)
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    rows, total = paginate(db, stmt, pagination)
    return page_of([org_public(db, o) for o in rows], total, pagination)


@router.get("/organizations/{code}", response_model=OrganizationPublic)
def organization(code: str, db: DbSession) -> OrganizationPublic:
    """One organization by its code."""
    return org_public(db, service.organization_by_code(db, code))


@router.get("/organizations/{code}/staff", response_model=Page[AccountPublic])
def staff(code: str, principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Accounts holding roles in an agency and its sub-agencies (that agency's officials and admins only)."""
    org = service.organization_by_code(db, code)
    permissions.require(permissions.can_view_agency_staff(db, principal, org))
    accounts = service.accounts_in(db, service.descendants(db, org))
    page = accounts[pagination.offset: pagination.offset + pagination.per_page]
    return page_of([account_public(a) for a in page], len(accounts), pagination)


@router.post("/accounts", status_code=201, response_model=AccountPublic)
def create_account(body: AccountCreate, principal: CurrentPrincipal, db: DbSession) -> AccountPublic:
    """Create an account: platform admins any role; agency admins officials and admins in their agency."""
    org = service.organization_by_code(db, body.organization) if body.organization else None
    permissions.require(permissions.can_create_account(db, principal, body.role, org))
    person = None
    if body.national_code:
        service.check_national_code(body.national_code)
        person = service.person_by_code(db, body.national_code)
    account = service.create_account(db, username=body.username, password=body.password, role=body.role,
                                     organization_code=body.organization, person=person, actor_id=principal.id)
    db.commit()
    return account_public(account)
