"""JSON API of the identity module under ``/api/v1/identity``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Query, Request
from sqlalchemy import select

from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import permissions, proof, service
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
    ProofConfirm,
    ProofCreate,
    ProofPending,
    ProofStatus,
    RegistrationIn,
    SessionPublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
)
from smartgov.identity.views import OrganizationView
from smartgov.web.deps import AccountPrincipal, CurrentPrincipal, DbSession, client_ip
from smartgov.web.fields import Id
from smartgov.web.pagination import Page, Pagination, page_of, paginate
from smartgov.web.routing import ModuleRouter

router = ModuleRouter(prefix="/api/v1/identity", tags=["identity"])


def account_public(account: Account) -> AccountPublic:
    """The account; its person's record only once the account has proven it is theirs."""
    proven = permissions.can_use_personal_records(account)
    return AccountPublic(
        id=account.id, username=account.username, language=account.language, mfa_enabled=account.mfa_enabled,
        roles=[GrantPublic(role=g.role, organization=g.organization.code if g.organization else None)
               for g in account.grants], proven=proven,
        person=PersonPublic.model_validate(account.person) if account.person and proven else None,
    )


def org_public(db: DbSession, org: Organization | OrganizationView) -> OrganizationPublic:
    parent = db.get(Organization, org.parent_id) if org.parent_id else None
    return OrganizationPublic(code=org.code, kind=org.kind.value, name_fa=org.name_fa, name_en=org.name_en,
                              parent=parent.code if parent else None, registration_number=org.registration_number)


@router.post("/register", status_code=201, response_model=AccountPublic)
def register(body: RegistrationIn, db: DbSession) -> AccountPublic:
    """Register as a citizen with a national code (linked to a known person if the birth date matches).

    The account then proves its person (`POST /me/proof/codes`, `POST /me/proof`) before it sees any
    personal record.
    """
    account = service.register_citizen(db, body.model_dump())
    db.commit()
    return account_public(account)


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def create_token(body: TokenCreate, request: Request, db: DbSession) -> TokenCreated:
    """Log in with password (and TOTP for officials and admins) and get a personal API token, shown once.

    Failures (a wrong TOTP after a right password included) are counted per account and per IP;
    past the limit the answer is 429 with `Retry-After` until the window passes.
    """
    ip = client_ip(request)
    result = service.authenticate(db, body.username, body.password, ip)
    if result.needs_mfa:
        if not result.account.mfa_enabled:
            raise DomainError("mfa_setup_required",
                              N_("Set up two-step verification on the website before using the API."),
                              field="otp", status=403)
        service.verify_mfa(db, result.account, body.otp or "", ip)
    raw, token = service.create_api_token(db, result.account, name=body.name, scopes=list(body.scopes),
                                          expires_in_days=body.expires_in_days)
    db.commit()
    return TokenCreated(token=raw, **TokenPublic.model_validate(token).model_dump())


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(principal: AccountPrincipal, db: DbSession) -> list[TokenPublic]:
    """Your tokens (never their secrets)."""
    return [TokenPublic.model_validate(t) for t in service.list_tokens(db, principal.account)]


@router.delete("/tokens/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: Id, principal: AccountPrincipal, db: DbSession) -> TokenPublic:
    """Revoke one of your tokens; it stops working at once."""
    permissions.require(permissions.can_manage_own_account(principal))
    token = service.revoke_token(db, principal.account, token_id)
    db.commit()
    return TokenPublic.model_validate(token)


@router.get("/me", response_model=AccountPublic)
def me(principal: AccountPrincipal) -> AccountPublic:
    """The calling account, its roles and (once proven) its person record."""
    return account_public(principal.account)


@router.patch("/me", response_model=AccountPublic)
def update_me(body: ProfileUpdate, principal: AccountPrincipal, db: DbSession) -> AccountPublic:
    """Change your language, and your phone or e-mail once the account has proven its person."""
    permissions.require(permissions.can_manage_own_account(principal))
    service.update_profile(db, principal.account, phone=body.phone, email=body.email, language=body.language)
    db.commit()
    return account_public(principal.account)


@router.get("/me/sessions", response_model=list[SessionPublic])
def my_sessions(principal: AccountPrincipal, db: DbSession) -> list[SessionPublic]:
    """Your signed-in browser sessions."""
    return [SessionPublic(id=s.id, ip=s.ip, user_agent=s.user_agent, created_at=s.created_at,
                          last_seen_at=s.last_seen_at, current=False)
            for s in service.live_sessions(db, principal.account)]


@router.post("/password-reset", status_code=202)
def password_reset(body: PasswordResetRequest, request: Request, db: DbSession) -> dict[str, Any]:
    """Ask for a reset link by e-mail. The answer is the same whether or not the account exists."""
    service.request_password_reset(db, body.username_or_email)
    db.commit()
    return {"accepted": True}


@router.post("/password-reset/confirm", response_model=AccountPublic)
def password_reset_confirm(body: PasswordResetConfirm, request: Request, db: DbSession) -> AccountPublic:
    """Set a new password with the single-use token from the e-mail (bad tokens are throttled per IP: 429)."""
    account = service.reset_password(db, body.token, body.password, client_ip(request))
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
                                     organization_code=body.organization, person=person, actor_id=principal.id,
                                     proof="admin")
    db.commit()
    return account_public(account)


# --------------------------------------------------------------------------- proving the person


def _proof_status(db: DbSession, account: Account) -> ProofStatus:
    code = None if account.proven_at else proof.pending(db, account)
    return ProofStatus(proven=account.proven_at is not None, method=account.proof_method,
                       proven_at=account.proven_at,
                       pending=ProofPending(**asdict(code)) if code else None)


@router.get("/me/proof", response_model=ProofStatus)
def my_proof(principal: AccountPrincipal, db: DbSession) -> ProofStatus:
    """Whether your account has proven its person, how, and the code waiting to be typed."""
    return _proof_status(db, principal.account)


@router.post("/me/proof/codes", status_code=201, response_model=ProofPending)
def send_proof_code(principal: AccountPrincipal, db: DbSession) -> ProofPending:
    """Send a one-time code by SMS to the mobile number the population registry holds for your national code.

    A new code replaces the old one. 429 with `Retry-After` when asked again too soon or too often;
    409 `no_registry_mobile` when the registry holds no number (prove it in person instead).
    """
    permissions.require(permissions.can_manage_own_account(principal))
    try:
        sent = proof.send_code(db, principal.account)
    finally:
        db.commit()  # a refusal too: the registry's answer stays logged and in the person's "who read my data"
    return ProofPending(**asdict(sent))


@router.post("/me/proof", response_model=AccountPublic)
def confirm_proof(body: ProofConfirm, request: Request, principal: AccountPrincipal, db: DbSession) -> AccountPublic:
    """Type the code from the SMS: the account has then proven its person and sees its records.

    Wrong codes are throttled with every other secret (429 with `Retry-After`).
    """
    permissions.require(permissions.can_manage_own_account(principal))
    account = proof.confirm_code(db, principal.account, body.code, client_ip(request))
    db.commit()
    return account_public(account)


@router.post("/proofs", status_code=201, response_model=ProofStatus)
def prove_in_person(body: ProofCreate, principal: CurrentPrincipal, db: DbSession) -> ProofStatus:
    """Record that you checked the national card of the person holding this account (officials).

    Other accounts that claimed the same person without proving it are closed.
    """
    permissions.require(permissions.can_prove_people(principal))
    account = proof.prove_in_person(db, principal, body.national_code, body.username, body.method)
    db.commit()
    return _proof_status(db, account)
