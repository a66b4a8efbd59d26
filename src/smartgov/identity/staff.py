"""People and roles: agency admins invite officials into their subtree, give and take roles and
branches, deactivate colleagues, and reset a colleague's second factor under the two-person rule.

Every check is a named function of ``permissions``; every change publishes an event; functions
take a Session and never commit (the page's unit of work does).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from pydantic.networks import EmailStr
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from smartgov import clock, digits, events
from smartgov.db import get_or_not_found
from smartgov.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import permissions
from smartgov.identity.events import (
    ACCOUNT_DEACTIVATED,
    INVITATION_ACCEPTED,
    INVITATION_REVOKED,
    INVITATION_SENT,
    MFA_RESET_APPROVED,
    MFA_RESET_CANCELLED,
    MFA_RESET_REQUESTED,
    ROLE_GRANTED,
    ROLE_REVOKED,
)
from smartgov.identity.models import (
    Account,
    ApiToken,
    Invitation,
    LoginSession,
    MfaReset,
    Organization,
    OrgKind,
    Person,
    Role,
    RoleGrant,
)
from smartgov.identity.service import (
    Principal,
    check_national_code,
    check_password,
    check_username,
    create_account,
    create_person,
    descendants,
    sha256,
)
from smartgov.notifications import MessageTemplate, queue_email, register_template
from smartgov.settings import get_settings, public_url

register_template(
    MessageTemplate(
        key="identity.staff_invitation",
        subject_fa="دعوت به کار در دولت هوشمند",
        subject_en="You are invited to work in smartgov",
        body_fa=(
            "سلام،\n\nشما برای کار در «{agency}» با نقش «{role}» دعوت شده‌اید. برای ساختن حساب این پیوند را"
            " باز کنید، نام کاربری و گذرواژه برگزینید و ورود دومرحله‌ای را راه بیندازید (تا {hours} ساعت"
            " معتبر است و فقط یک بار کار می‌کند):\n{link}\n\nاگر انتظار این پیام را نداشتید، آن را نادیده بگیرید."
        ),
        body_en=(
            "Hello,\n\nYou are invited to work at \"{agency}\" as {role}. Open this link to create your account,"
            " choose a username and password and set up two-step sign-in (valid for {hours} hours, works"
            " once):\n{link}\n\nIf you did not expect this, ignore this message."
        ),
        title_fa="دعوت کارکنان", title_en="Staff invitation", mandatory=True,
        examples={"agency": "سازمان تأمین اجتماعی", "role": "کارشناس", "hours": 72,
                  "link": "https://smartgov.example/invitation/…"},
    )
)

ROLE_WORDS = {Role.OFFICIAL: ("کارشناس", "official"), Role.AGENCY_ADMIN: ("مدیر دستگاه", "agency admin")}


# --------------------------------------------------------------------------- scope


def scope(db: Session, principal: Principal) -> set[int] | None:
    """Organizations whose staff the caller manages: ``None`` for a platform admin (all of them)."""
    if permissions.is_platform_admin(principal):
        return None
    ids: set[int] = set()
    for org_id in principal.org_ids(Role.AGENCY_ADMIN):
        row = db.get(Organization, org_id)
        if row is not None:
            ids |= descendants(db, row)
    return ids


def agencies_in_scope(db: Session, principal: Principal, *, active_only: bool = True) -> list[Organization]:
    """The agencies and branches the caller may place staff in, by code."""
    stmt = select(Organization).where(Organization.kind == OrgKind.AGENCY).order_by(Organization.code)
    ids = scope(db, principal)
    if ids is not None:
        stmt = stmt.where(Organization.id.in_(ids))
    if active_only:
        stmt = stmt.where(Organization.active.is_(True))
    return list(db.scalars(stmt))


def _agency(db: Session, principal: Principal, org_id: int | None) -> Organization:
    """An active agency the caller manages staff in; any other answers 404 on the field (its existence is not told)."""
    row = db.get(Organization, org_id) if org_id is not None else None
    if (row is None or row.kind != OrgKind.AGENCY or not row.active
            or not permissions.can_manage_staff(db, principal, row)):
        raise NotFound("organization", field="organization")
    return row


def _staff_role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role not in permissions.STAFF_ROLES:
        raise DomainError("invalid_role", N_("Choose one of the allowed values."), field="role")
    assert role is not None
    return role


def _role_in_agency(db: Session, principal: Principal, role: str, organization_id: int | None,
                    errors: list[DomainError]) -> tuple[Role, Organization]:
    """The staff role and the agency a grant or an invitation names, checked with the form's earlier
    ``errors``: one 422 names every field at fault."""
    chosen: Role | None = None
    org: Organization | None = None
    try:
        chosen = _staff_role(role)
    except DomainError as exc:
        errors.append(exc)
    try:
        org = _agency(db, principal, organization_id)
    except DomainError as exc:
        errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    assert chosen is not None and org is not None
    return chosen, org


def colleague(db: Session, principal: Principal, account_id: int) -> Account:
    """An account the caller may manage, or 404 (an admin of another agency learns nothing)."""
    account = db.get(Account, account_id)
    if account is None or not permissions.can_manage_colleague(db, principal, account):
        raise NotFound("account")
    return account


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class StaffRow:
    account: Account
    grants: list[RoleGrant]


def staff_query(db: Session, principal: Principal) -> Select[tuple[Account]]:
    """Accounts holding a staff role in the caller's scope, by username."""
    stmt = select(Account).where(Account.id.in_(
        select(RoleGrant.account_id).where(RoleGrant.role.in_(permissions.STAFF_ROLES),
                                           *_in_scope(db, principal, RoleGrant.organization_id))))
    return stmt.order_by(Account.username)


def _in_scope(db: Session, principal: Principal, column: object) -> list[object]:
    ids = scope(db, principal)
    return [] if ids is None else [column.in_(ids)]  # type: ignore[attr-defined]


def staff_page(db: Session, principal: Principal, *, limit: int, offset: int) -> tuple[list[StaffRow], int]:
    """One page of staff, each with the roles the caller may see (those in scope)."""
    stmt = staff_query(db, principal)
    total = int(db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    ids = scope(db, principal)
    rows = []
    for account in db.scalars(stmt.limit(limit).offset(offset)):
        grants = [g for g in account.grants if ids is None or g.organization_id in ids]
        rows.append(StaffRow(account, grants))
    return rows, total


def pending_invitations(db: Session, principal: Principal) -> list[Invitation]:
    """Invitations neither used, withdrawn nor expired, in the caller's scope."""
    stmt = select(Invitation).where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
                                    Invitation.expires_at > clock.now(),
                                    *_in_scope(db, principal, Invitation.organization_id))
    return list(db.scalars(stmt.order_by(Invitation.created_at.desc())))


def pending_resets(db: Session, principal: Principal) -> list[MfaReset]:
    """Open requests to clear a second factor on accounts the caller manages."""
    stmt = select(MfaReset).where(MfaReset.approved_at.is_(None), MfaReset.cancelled_at.is_(None),
                                  MfaReset.expires_at > clock.now()).order_by(MfaReset.requested_at)
    out = []
    for reset in db.scalars(stmt):
        account = db.get(Account, reset.account_id)
        if account is not None and permissions.can_manage_colleague(db, principal, account):
            out.append(reset)
    return out


# --------------------------------------------------------------------------- invitations


def invite(db: Session, principal: Principal, *, email: str, role: str, organization_id: int | None) -> Invitation:
    """Invite an official (or admin) into an agency of the caller's subtree; the link goes by e-mail."""
    errors: list[DomainError] = []
    address = email.strip()
    try:
        address = str(TypeAdapter(EmailStr).validate_python(address))
    except ValidationError:
        errors.append(DomainError("invalid_email", N_("Enter a valid e-mail address."), field="email"))
    chosen, org = _role_in_agency(db, principal, role, organization_id, errors)
    raw = secrets.token_urlsafe(32)
    hours = get_settings().invitation_hours
    now = clock.now()
    invitation = Invitation(email=address, role=chosen, organization_id=org.id, token_hash=sha256(raw),
                            invited_by=principal.id, created_at=now, expires_at=now + dt.timedelta(hours=hours))
    db.add(invitation)
    db.flush()
    lang = principal.account.language
    queue_email(db, to=address, template="identity.staff_invitation", lang=lang,
                context={"agency": org.name(lang), "role": ROLE_WORDS[chosen][0 if lang == "fa" else 1],
                         "hours": hours},
                secret={"link": public_url(f"/invitation/{raw}")})
    events.publish(db, INVITATION_SENT, actor_id=principal.id, invitation_id=invitation.id, role=chosen.value,
                   organization=org.code, email=address)
    return invitation


def revoke_invitation(db: Session, principal: Principal, invitation_id: int) -> Invitation:
    """Withdraw an unused invitation (its link stops working)."""
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or not permissions.can_manage_staff(db, principal, invitation.organization):
        raise NotFound("invitation")
    if invitation.accepted_at is not None:
        raise Conflict("invitation_used", N_("This invitation has already been used."))
    if invitation.revoked_at is None:
        invitation.revoked_at = clock.now()
        events.publish(db, INVITATION_REVOKED, actor_id=principal.id, invitation_id=invitation.id,
                       organization=invitation.organization.code)
    return invitation


def open_invitation(db: Session, raw: str) -> Invitation:
    """The invitation a link names while it can still be used; otherwise one refusal for every reason."""
    invitation = db.scalar(select(Invitation).where(Invitation.token_hash == sha256(raw)))
    if (invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None
            or invitation.expires_at <= clock.now() or not invitation.organization.active):
        raise DomainError("invalid_invitation",
                          N_("This invitation link is invalid, used, withdrawn or expired. Ask your agency admin "
                             "for a new one."), field="token", status=410)
    return invitation


#: What an invitee says about themselves: the person record behind the official's account.
PERSON_FIELDS = ("national_code", "first_name_fa", "last_name_fa", "first_name_en", "last_name_en", "birth_date")


def _invitee(person: Mapping[str, str], errors: list[DomainError]) -> dict[str, object]:
    """The invitee's person fields, checked: every one required, names at most 100 characters, the national
    code in any accepted digits with its check digit, the birth date Jalali or ISO."""
    data: dict[str, object] = {f: (person.get(f) or "").strip() for f in PERSON_FIELDS}
    for name in PERSON_FIELDS:
        if not data[name]:
            errors.append(DomainError("required", N_("This field is required."), field=name))
        elif name.startswith(("first_", "last_")) and len(str(data[name])) > 100:
            errors.append(DomainError("too_long", N_("At most {n} characters."), field=name, n=100))
    if data["national_code"]:
        try:
            data["national_code"] = check_national_code(str(data["national_code"]))
        except DomainError as exc:
            errors.append(exc)
    if data["birth_date"]:
        try:
            born = digits.parse_date(str(data["birth_date"]))
            if born > clock.today() or born.year < 1900:
                raise ValueError(born)
            data["birth_date"] = born
        except ValueError:
            errors.append(DomainError("invalid_date", N_("Enter a real date, for example {example}."),
                                      field="birth_date", example="1370/06/31"))
    return data


def _person_for(db: Session, data: dict[str, object], email: str) -> tuple[Person, bool]:
    """The invitee's person: a new record (known through the invitation: proven by the admin), or the
    one already holding this national code when the birth date matches (not proven: anyone could
    type both, so the account proves the person as a citizen does before seeing their records)."""
    existing = db.scalar(select(Person).where(Person.national_code == data["national_code"]))
    if existing is None:
        person = create_person(
            db, national_code=str(data["national_code"]), first_name_fa=str(data["first_name_fa"]),
            last_name_fa=str(data["last_name_fa"]), first_name_en=str(data["first_name_en"]),
            last_name_en=str(data["last_name_en"]), birth_date=data["birth_date"],  # type: ignore[arg-type]
            email=email)
        return person, True
    if existing.birth_date != data["birth_date"]:
        raise DomainError("identity_mismatch", N_("The national code and birth date do not match our records."),
                          field="birth_date")
    if not existing.email:
        existing.email = email  # where a forgotten password's link goes
    return existing, False


def accept_invitation(db: Session, raw: str, *, username: str, password: str, password_again: str,
                      person: Mapping[str, str]) -> Account:
    """The invitee says who they are (names, national code, birth date) and chooses a username and
    password; the account exists with its person, so the normal password reset reaches them at the
    invitation's address.

    The second factor is enrolled next (``/mfa/setup``): staff cannot act before it.
    """
    invitation = open_invitation(db, raw)
    errors: list[DomainError] = []
    data = _invitee(person, errors)
    name = username
    try:
        name = check_username(username)
    except DomainError as exc:
        errors.append(exc)
    try:
        check_password(password, username=name)
    except DomainError as exc:
        errors.append(exc)
    if password != password_again:
        errors.append(DomainError("password_mismatch", N_("The two passwords differ."), field="password_again"))
    if errors:
        raise ValidationFailed(errors)
    record, new = _person_for(db, data, invitation.email)
    account = create_account(db, username=name, password=password, role=invitation.role,
                             organization_code=invitation.organization.code, person=record,
                             proof="admin" if new else None, actor_id=invitation.invited_by)
    invitation.accepted_at = clock.now()
    invitation.account_id = account.id
    events.publish(db, INVITATION_ACCEPTED, actor_id=account.id, invitation_id=invitation.id, account_id=account.id,
                   invited_by=invitation.invited_by, organization=invitation.organization.code,
                   person_created=new)
    return account


# --------------------------------------------------------------------------- roles and branches


def grant_role(db: Session, principal: Principal, account_id: int, *, role: str,
               organization_id: int | None) -> RoleGrant:
    """Give a colleague a staff role in an agency or branch of the caller's subtree."""
    account = colleague(db, principal, account_id)
    chosen, org = _role_in_agency(db, principal, role, organization_id, [])
    if any(g.role == chosen and g.organization_id == org.id for g in account.grants):
        raise Conflict("role_held", N_("The account already holds this role there."), field="role")
    grant = RoleGrant(role=chosen, organization_id=org.id, created_at=clock.now())
    account.grants.append(grant)
    db.flush()
    events.publish(db, ROLE_GRANTED, actor_id=principal.id, account_id=account.id, role=chosen.value,
                   organization=org.code)
    return grant


def revoke_role(db: Session, principal: Principal, account_id: int, grant_id: int) -> None:
    """Take a role away; the last one cannot go (deactivate the account instead)."""
    account = colleague(db, principal, account_id)
    grant = next((g for g in account.grants if g.id == grant_id), None)
    if grant is None:
        raise NotFound("role")
    if len(account.grants) == 1:
        raise Conflict("last_role", N_("This is the account's only role: deactivate the account instead."))
    org_code = grant.organization.code if grant.organization is not None else None
    account.grants.remove(grant)
    db.flush()
    events.publish(db, ROLE_REVOKED, actor_id=principal.id, account_id=account.id, role=grant.role.value,
                   organization=org_code)


# --------------------------------------------------------------------------- deactivation


def end_credentials(db: Session, account_id: int) -> None:
    """Every live session and API token of the account ends now."""
    now = clock.now()
    db.execute(update(LoginSession).where(LoginSession.account_id == account_id, LoginSession.revoked_at.is_(None))
               .values(revoked_at=now))
    db.execute(update(ApiToken).where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
               .values(revoked_at=now))


def deactivate(db: Session, principal: Principal, account_id: int) -> Account:
    """A colleague leaves: the account can no longer sign in, and its sessions and tokens end now."""
    account = colleague(db, principal, account_id)
    if not account.is_active:
        raise Conflict("already_inactive", N_("This account is already deactivated."))
    account.is_active = False
    end_credentials(db, account.id)
    now = clock.now()
    db.execute(update(MfaReset).where(MfaReset.account_id == account.id, MfaReset.approved_at.is_(None),
                                      MfaReset.cancelled_at.is_(None)).values(cancelled_at=now))
    events.publish(db, ACCOUNT_DEACTIVATED, actor_id=principal.id, account_id=account.id)
    return account


# --------------------------------------------------------------------------- MFA reset (two-person rule)


def request_mfa_reset(db: Session, principal: Principal, account_id: int, reason: str) -> MfaReset:
    """Ask for a colleague's second factor to be cleared; another admin must approve it."""
    account = colleague(db, principal, account_id)
    text = reason.strip()
    if not text:
        raise DomainError("required", N_("This field is required."), field="reason")
    if len(text) > 300:
        raise DomainError("too_long", N_("At most {n} characters."), field="reason", n=300)
    if not account.is_active:
        raise Conflict("inactive", N_("This account is deactivated."))
    now = clock.now()
    if db.scalar(select(MfaReset.id).where(MfaReset.account_id == account.id, MfaReset.approved_at.is_(None),
                                           MfaReset.cancelled_at.is_(None), MfaReset.expires_at > now)):
        raise Conflict("reset_pending", N_("A request for this account is already waiting for approval."),
                       field="reason")
    reset = MfaReset(account_id=account.id, requested_by=principal.id, reason=text, requested_at=now,
                     expires_at=now + dt.timedelta(hours=get_settings().mfa_reset_hours))
    db.add(reset)
    db.flush()
    events.publish(db, MFA_RESET_REQUESTED, actor_id=principal.id, account_id=account.id, request_id=reset.id)
    return reset


def _open_reset(db: Session, principal: Principal, reset_id: int) -> tuple[MfaReset, Account]:
    reset = get_or_not_found(db, MfaReset, reset_id, "request")
    account = colleague(db, principal, reset.account_id)
    if reset.approved_at is not None or reset.cancelled_at is not None or reset.expires_at <= clock.now():
        raise Conflict("reset_closed", N_("This request is no longer open."))
    return reset, account


def reset_subject(db: Session, principal: Principal, reset_id: int) -> int:
    """The account a reset request is about, if the caller may manage it (404 otherwise)."""
    reset = get_or_not_found(db, MfaReset, reset_id, "request")
    return colleague(db, principal, reset.account_id).id


def approve_mfa_reset(db: Session, principal: Principal, reset_id: int) -> Account:
    """A second admin approves: the colleague's TOTP is cleared, their sessions and tokens end, and
    the next sign-in enrols a new authenticator. The admin who asked cannot approve."""
    reset, account = _open_reset(db, principal, reset_id)
    if reset.requested_by == principal.id:
        raise Forbidden(N_("A different admin must approve a request you made."))
    reset.approved_by = principal.id
    reset.approved_at = clock.now()
    account.mfa_secret = None
    account.mfa_enabled = False
    account.mfa_last_step = None
    end_credentials(db, account.id)
    events.publish(db, MFA_RESET_APPROVED, actor_id=principal.id, account_id=account.id, request_id=reset.id,
                   requested_by=reset.requested_by)
    return account


def cancel_mfa_reset(db: Session, principal: Principal, reset_id: int) -> None:
    """Withdraw (or turn down) an open request; any admin who may approve it may."""
    reset, account = _open_reset(db, principal, reset_id)
    reset.cancelled_at = clock.now()
    events.publish(db, MFA_RESET_CANCELLED, actor_id=principal.id, account_id=account.id, request_id=reset.id)
