"""Identity use cases: registration, login with throttling and MFA, sessions, tokens, resets.

Functions take a Session and never commit; the caller's unit of work does.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, bindparam, func, inspect, select, update
from sqlalchemy.orm import InstanceState, Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from smartgov import clock, digits, events
from smartgov.db import Database, database_of, get_or_not_found, scalar_or_not_found
from smartgov.digits import to_latin_digits
from smartgov.errors import Conflict, DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import bulk, nationalcode, throttle
from smartgov.identity.events import (
    ACCOUNT_CLOSED,
    ACCOUNT_CREATED,
    LOGIN_SUCCEEDED,
    LOGOUT,
    MFA_ENABLED,
    PASSWORD_RESET,
    PASSWORD_RESET_REQUESTED,
    PASSWORD_RESET_UNKNOWN,
    PERSON_PROVEN,
    PROFILE_UPDATED,
    SESSION_REVOKED,
    TOKEN_CREATED,
    TOKEN_REVOKED,
)
from smartgov.identity.models import (
    MFA_ROLES,
    PROOF_METHODS,
    SCOPED_ROLES,
    Account,
    ApiToken,
    LoginSession,
    Organization,
    OrgKind,
    PasswordResetToken,
    Person,
    Role,
    RoleGrant,
)
from smartgov.identity.personal import require_personal_records
from smartgov.identity.views import AccountRef, OrganizationRef, OrganizationView, PersonProfile
from smartgov.notifications import MessageTemplate, queue_email, register_template
from smartgov.settings import get_settings, public_url

TOKEN_PREFIX = "sgp_"  # noqa: S105 - a visible marker, not a secret
COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "password123", "1234567890", "12345678910", "qwertyuiop", "iloveyou123",
        "admin12345", "welcome123", "1q2w3e4r5t", "qwerty12345", "abc1234567", "0123456789", "p@ssw0rd123",
    }
)

register_template(
    MessageTemplate(
        key="identity.password_reset",
        subject_fa="بازیابی گذرواژه در دولت هوشمند",
        subject_en="Reset your smartgov password",
        body_fa=(
            "سلام {name}،\n\nبرای تعیین گذرواژهٔ تازه این پیوند را باز کنید (تا {minutes} دقیقه معتبر است"
            " و فقط یک بار کار می‌کند):\n{link}\n\nاگر شما درخواست نکرده‌اید، این پیام را نادیده بگیرید."
        ),
        body_en=(
            "Hello {name},\n\nOpen this link to set a new password (valid for {minutes} minutes, works"
            " once):\n{link}\n\nIf you did not ask for this, ignore this message."
        ),
        title_fa="بازیابی گذرواژه", title_en="Password reset", mandatory=True,
        examples={"name": "مریم احمدی", "minutes": 30, "link": "https://smartgov.example/password/reset/…"},
    )
)


def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# A valid hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16))
    return _DUMMY_HASH


# --------------------------------------------------------------------------- validation


def check_password(password: str, *, username: str = "", field: str = "password") -> None:
    """Refuse weak passwords with a message that says how to make a good one."""
    min_len = get_settings().password_min_length
    if len(password) < min_len:
        raise DomainError("weak_password", N_("Use at least {n} characters."), field=field, n=min_len)
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise DomainError("weak_password", N_("This password is too common; choose another."), field=field)
    if username and username.lower() in lowered:
        raise DomainError("weak_password", N_("The password must not contain the username."), field=field)
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in to_latin_digits(password))):
        raise DomainError("weak_password", N_("Use both letters and digits."), field=field)


def check_national_code(value: str, field: str = "national_code") -> str:
    """The canonical national code (``nationalcode.check``), or a 422 naming ``field``."""
    return nationalcode.check(value, field)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not (3 <= len(name) <= 60) or not all(c.isascii() and (c.isalnum() or c in "._-") for c in name):
        raise DomainError(
            "invalid_username",
            N_("Usernames are 3–60 Latin letters, digits, dots, dashes or underscores."),
            field="username",
        )
    return name


# --------------------------------------------------------------------------- people & organizations


def create_person(
    db: Session,
    *,
    national_code: str,
    first_name_fa: str,
    last_name_fa: str,
    first_name_en: str,
    last_name_en: str,
    birth_date: dt.date,
    phone: str | None = None,
    email: str | None = None,
    gender: str | None = None,
    province: str | None = None,
    registry_mobile: str | None = None,
) -> Person:
    """Add a person; the national code must be valid and not yet known.

    ``registry_mobile`` only from the population registry (a load of registry data, the demo):
    a proof code is sent there.
    """
    code = check_national_code(national_code)
    if db.scalar(select(Person.id).where(Person.national_code == code)):
        raise Conflict("duplicate_person", N_("A person with this national code already exists."),
                       field="national_code")
    bulk.plausible_birth_date(birth_date)
    person = Person(
        national_code=code, first_name_fa=first_name_fa.strip(), last_name_fa=last_name_fa.strip(),
        first_name_en=first_name_en.strip(), last_name_en=last_name_en.strip(), birth_date=birth_date,
        phone=digits.phone(phone) if phone and phone.strip() else None, email=email, gender=gender,
        province=province, registry_mobile=digits.phone(registry_mobile) if registry_mobile and registry_mobile.strip()
        else None, created_at=clock.now(),
    )
    db.add(person)
    db.flush()
    return person


def person_by_code(db: Session, national_code: str) -> PersonProfile | None:
    """The person with this national code, typed in any accepted digits (foreign digits: 422)."""
    row = db.scalar(select(Person).where(Person.national_code == nationalcode.normalize(national_code)))
    return PersonProfile.of(row) if row is not None else None


def create_organization(
    db: Session,
    *,
    code: str,
    kind: OrgKind,
    name_fa: str,
    name_en: str,
    parent_code: str | None = None,
    registration_number: str | None = None,
    province: str | None = None,
) -> Organization:
    """Add an agency (optionally under a parent agency) or an employer (with registration number)."""
    if db.scalar(select(Organization.id).where(Organization.code == code)):
        raise Conflict("duplicate_organization", N_("An organization with this code already exists."), field="code")
    parent = None
    if parent_code:
        parent = organization_by_code(db, parent_code)
        if parent.kind != OrgKind.AGENCY:
            raise DomainError("invalid_parent", N_("Only agencies can have sub-organizations."), field="parent")
    if kind == OrgKind.EMPLOYER and not registration_number:
        raise DomainError("registration_required", N_("Employers need a registration number."),
                          field="registration_number")
    org = Organization(
        code=code, kind=kind, name_fa=name_fa, name_en=name_en, parent_id=parent.id if parent else None,
        registration_number=registration_number, province=province, created_at=clock.now(),
    )
    db.add(org)
    db.flush()
    return org


def organization_by_code(db: Session, code: str) -> OrganizationView:
    """The organization with this code (404 naming the field ``organization`` if none)."""
    org = scalar_or_not_found(db, select(Organization).where(Organization.code == code), "organization",
                              field="organization")
    return OrganizationView.of(org)


def list_organizations(db: Session, kind: OrgKind | None = None) -> list[OrganizationView]:
    """Every organization (of ``kind``), by code."""
    stmt = select(Organization).order_by(Organization.code)
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    return [OrganizationView.of(o) for o in db.scalars(stmt)]


def descendants(db: Session, org: OrganizationRef | Organization) -> set[int]:
    """Ids of ``org`` and every organization below it (agency admins manage their subtree)."""
    ids = {org.id}
    frontier = [org.id]
    while frontier:
        children = list(db.scalars(select(Organization.id).where(Organization.parent_id.in_(frontier))))
        frontier = [c for c in children if c not in ids]
        ids.update(frontier)
    return ids


# --------------------------------------------------------------------------- accounts


def create_account(
    db: Session,
    *,
    username: str,
    password: str,
    role: Role,
    organization_code: str | None = None,
    person: PersonProfile | Person | None = None,
    language: str = "fa",
    actor_id: int | None = None,
    proof: str | None = None,
    totp_secret: str | None = None,
) -> Account:
    """Create an account holding one role (scoped roles need an organization).

    ``proof`` says how its holder is already known to be its person (``"admin"`` when an
    administrator creates it, ``"demo"`` for the demo); ``None`` leaves it to be proven
    (self-registration: :mod:`smartgov.identity.proof`). ``totp_secret`` sets up the second factor
    at once (the demo's staff, whose secrets are published so any authenticator app can try them).
    """
    name = check_username(username)
    if db.scalar(select(Account.id).where(Account.username == name)):
        raise Conflict("duplicate_username", N_("This username is taken."), field="username")
    check_password(password, username=name)
    org = None
    if role in SCOPED_ROLES:
        if not organization_code:
            raise DomainError("organization_required", N_("This role needs an organization."), field="organization")
        org = organization_by_code(db, organization_code)
        expected = OrgKind.EMPLOYER if role == Role.EMPLOYER else OrgKind.AGENCY
        if org.kind != expected:
            raise DomainError("wrong_organization_kind", N_("This role does not fit that organization."),
                              field="organization")
    now = clock.now()
    account = Account(
        username=name, password_hash=hash_password(password), person_id=person.id if person else None,
        is_active=True, language=language, mfa_secret=totp_secret, mfa_enabled=totp_secret is not None,
        created_at=now, password_changed_at=now,
    )
    account.grants.append(RoleGrant(role=role, organization_id=org.id if org else None, created_at=now))
    db.add(account)
    db.flush()
    events.publish(db, ACCOUNT_CREATED, actor_id=actor_id, account_id=account.id, role=role.value,
                   organization=org.code if org else None)
    if proof is not None:
        prove(db, account, proof, actor_id=actor_id)
    return account


def prove(db: Session, account: Account | AccountRef, method: str, *, actor_id: int | None) -> Account:
    """Record that the account's holder is its person (``method``: one of ``PROOF_METHODS``).

    One person, one account: other accounts linked to the same person that never proved it
    (someone who knew the national code and birth date) are closed.
    """
    if method not in PROOF_METHODS:
        raise DomainError("invalid_method", N_("Choose one of the allowed values."), field="method")
    if not isinstance(account, Account):  # another module's view of it: the row is identity's to change
        row = get_or_not_found(db, Account, account.id, "account")
        account = row
    if account.proven_at is not None:
        return account
    account.proven_at = clock.now()
    account.proof_method = method
    account.proven_by = actor_id
    if account.person_id is not None:
        others = db.scalars(select(Account).where(
            Account.person_id == account.person_id, Account.id != account.id, Account.proven_at.is_(None),
            Account.is_active.is_(True)))
        for other in others:
            other.is_active = False
            events.publish(db, ACCOUNT_CLOSED, actor_id=actor_id, account_id=other.id,
                           reason="person_proven_elsewhere")
    events.publish(db, PERSON_PROVEN, actor_id=actor_id or account.id, account_id=account.id,
                   method=method)
    return account


def register_citizen(db: Session, data: dict[str, object]) -> Account:
    """Self-registration. A person already known (e.g. an insured person) is linked only when the
    birth date matches; the account still has to prove its person (:mod:`smartgov.identity.proof`)
    before it sees any of that person's records, since both are easy to learn. An account that
    never proved the person does not block the person's own registration."""
    errors: list[DomainError] = []
    code = ""

    def national_code() -> None:
        nonlocal code
        code = check_national_code(str(data["national_code"]))

    checks = (
        national_code,
        lambda: data.get("phone") and digits.phone(str(data["phone"])),
        lambda: check_username(str(data["username"])),
        lambda: check_password(str(data["password"]), username=str(data["username"])),
    )
    for check in checks:
        try:
            check()
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    person: PersonProfile | Person | None = person_by_code(db, code)
    if person is not None:
        if person.birth_date != data["birth_date"]:
            raise DomainError("identity_mismatch", N_("The national code and birth date do not match our records."),
                              field="birth_date")
        if db.scalar(
            select(Account.id).join(RoleGrant).where(Account.person_id == person.id, RoleGrant.role == Role.CITIZEN,
                                                     Account.proven_at.is_not(None), Account.is_active.is_(True))
        ):
            raise Conflict("already_registered", N_("This person already has an account."), field="national_code")
    else:
        person = create_person(
            db, national_code=code, first_name_fa=str(data["first_name_fa"]), last_name_fa=str(data["last_name_fa"]),
            first_name_en=str(data["first_name_en"]), last_name_en=str(data["last_name_en"]),
            birth_date=data["birth_date"],  # type: ignore[arg-type]
            phone=data.get("phone"), email=data.get("email"),  # type: ignore[arg-type]
        )
    return create_account(
        db, username=str(data["username"]), password=str(data["password"]), role=Role.CITIZEN,
        person=person, language=str(data.get("language") or "fa"),
    )


def account_by_id(db: Session, account_id: int) -> Account | None:
    return db.get(Account, account_id)


def update_profile(db: Session, account: Account, *, phone: str | None, email: str | None,
                   language: str | None) -> Account:
    """Change contact details and preferred language; national code and names come from registries.

    The person's contact details are theirs: an account that has not proven its person changes
    only its language.
    """
    if account.person is not None and (phone is not None or email is not None):
        require_personal_records(account)
        if phone is not None:
            account.person.phone = digits.phone(phone) if phone.strip() else None
        if email is not None:
            account.person.email = email or None
    if language in ("fa", "en"):
        account.language = language
    events.publish(db, PROFILE_UPDATED, actor_id=account.id, account_id=account.id)
    return account


def accounts_in(db: Session, org_ids: set[int]) -> list[Account]:
    stmt = (
        select(Account).join(RoleGrant).where(RoleGrant.organization_id.in_(org_ids))
        .order_by(Account.username).distinct()
    )
    return list(db.scalars(stmt))


# --------------------------------------------------------------------------- login


@dataclass
class LoginResult:
    account: Account
    needs_mfa: bool


def authenticate(db: Session, username: str, password: str, ip: str) -> LoginResult:
    """Check a password (throttled per account and per IP, ``identity.throttle``).

    A success is recorded here only for an account without a second factor; for the others
    :func:`verify_mfa` records it once the code passes, so a right password with a wrong code
    is a failure and never a success.
    """
    name = username.strip().lower()[:60]
    throttle.refuse_if_throttled(db, "password", name, ip)
    account = db.scalar(select(Account).where(Account.username == name))
    ok = verify_password(account.password_hash if account else _dummy_hash(), password)
    if not ok or account is None or not account.is_active:
        throttle.failed(db, "password", name, ip)
        raise DomainError("bad_credentials", N_("The username or password is wrong."), field="password",
                          status=401)
    if not account.needs_mfa:
        _signed_in(db, account, ip, "password")
    return LoginResult(account=account, needs_mfa=account.needs_mfa)


def _signed_in(db: Session, account: Account, ip: str, kind: str) -> None:
    """Every factor passed: the success is recorded (its account's failures start again) and published."""
    throttle.succeeded(db, kind, account.username, ip)
    events.publish(db, LOGIN_SUCCEEDED, actor_id=account.id, account_id=account.id, ip=ip)


# --------------------------------------------------------------------------- sessions


def start_session(db: Session, account: Account, *, ip: str | None, user_agent: str | None,
                  mfa_passed: bool) -> tuple[str, LoginSession]:
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    sess = LoginSession(
        token_hash=sha256(raw), account_id=account.id, mfa_passed=mfa_passed, ip=ip,
        user_agent=(user_agent or "")[:200], created_at=now, last_seen_at=now,
        expires_at=now + dt.timedelta(hours=get_settings().session_hours),
    )
    db.add(sess)
    db.flush()
    return raw, sess


def session_by_token(db: Session, raw: str) -> LoginSession | None:
    """The live session for a cookie value; sliding expiry on use."""
    sess = db.scalar(select(LoginSession).where(LoginSession.token_hash == sha256(raw)))
    now = clock.now()
    if sess is None or sess.revoked_at is not None or sess.expires_at <= now:
        return None
    if (now - sess.last_seen_at) > dt.timedelta(minutes=5):
        sess.last_seen_at = now
        sess.expires_at = now + dt.timedelta(hours=get_settings().session_hours)
    return sess


def end_session(db: Session, sess: LoginSession) -> None:
    sess.revoked_at = clock.now()
    events.publish(db, LOGOUT, actor_id=sess.account_id, account_id=sess.account_id)


def live_sessions(db: Session, account: Account) -> list[LoginSession]:
    return list(db.scalars(
        select(LoginSession).where(
            LoginSession.account_id == account.id, LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > clock.now(),
        ).order_by(LoginSession.last_seen_at.desc())
    ))


def revoke_session(db: Session, account: Account, session_id: int) -> None:
    sess = db.get(LoginSession, session_id)
    if sess is None or sess.account_id != account.id:
        raise NotFound("session")
    sess.revoked_at = clock.now()
    events.publish(db, SESSION_REVOKED, actor_id=account.id, account_id=account.id)


# --------------------------------------------------------------------------- MFA (TOTP)


def begin_mfa_setup(db: Session, account: Account) -> str:
    """A fresh secret for the authenticator app; it takes effect only after a code confirms it."""
    if account.mfa_enabled:
        raise Conflict("mfa_enabled", N_("Two-step verification is already on."))
    account.mfa_secret = pyotp.random_base32()
    return account.mfa_secret


def provisioning_uri(account: Account) -> str:
    assert account.mfa_secret
    return pyotp.TOTP(account.mfa_secret).provisioning_uri(name=account.username, issuer_name="smartgov")


def _check_totp(account: Account, code: str) -> bool:
    if not account.mfa_secret:
        return False
    code = to_latin_digits(code).strip().replace(" ", "")
    if not digits.is_ascii_digits(code):  # compare_digest raises on non-ASCII text; no such code is right
        return False
    totp = pyotp.TOTP(account.mfa_secret)
    now = clock.now()
    for drift in (-1, 0, 1):  # one step of clock drift either way
        at = now + dt.timedelta(seconds=30 * drift)
        step = int(at.timestamp()) // 30
        if hmac.compare_digest(totp.at(at), code) and (account.mfa_last_step or -1) < step:
            account.mfa_last_step = step  # a code works once
            return True
    return False


def _second_factor(db: Session, account: Account, code: str, ip: str, status: int) -> None:
    """Check a TOTP code under the throttle; a wrong one is a failure of the account's sign-in."""
    throttle.refuse_if_throttled(db, "totp", account.username, ip)
    if not _check_totp(account, code):
        throttle.failed(db, "totp", account.username, ip)
        raise DomainError("bad_otp", N_("The code is wrong or expired. Enter the current 6-digit code."),
                          field="code", status=status)
    _signed_in(db, account, ip, "totp")


def confirm_mfa_setup(db: Session, account: Account, code: str, ip: str) -> None:
    """Turn TOTP on with a first code from the app; it also completes the sign-in that led here."""
    if account.mfa_enabled or not account.mfa_secret:
        raise Conflict("mfa_not_started", N_("Start two-step verification setup first."))
    _second_factor(db, account, code, ip, status=422)
    account.mfa_enabled = True
    events.publish(db, MFA_ENABLED, actor_id=account.id, account_id=account.id)


def verify_mfa(db: Session, account: Account, code: str, ip: str) -> None:
    """The second step of a sign-in; only now is the sign-in a success."""
    if not account.mfa_enabled:
        raise Conflict("mfa_not_enabled", N_("Two-step verification is not set up."))
    _second_factor(db, account, code, ip, status=401)


def mfa_satisfied(account: Account, sess: LoginSession | None) -> bool:
    return not (account.roles & MFA_ROLES) or bool(sess and sess.mfa_passed)


# --------------------------------------------------------------------------- API tokens


def create_api_token(db: Session, account: Account, *, name: str, scopes: list[str],
                     expires_in_days: int | None) -> tuple[str, ApiToken]:
    """Issue a personal token; only its SHA-256 is kept, so it is shown once."""
    if not scopes or not set(scopes) <= {"read", "write"}:
        raise DomainError("invalid_scope", N_("Scopes are read and/or write."), field="scopes")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        account_id=account.id, name=name.strip()[:80] or "api", prefix=raw[:10], token_hash=sha256(raw),
        scopes=sorted(set(scopes)), created_at=now,
        expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.add(token)
    db.flush()
    events.publish(db, TOKEN_CREATED, actor_id=account.id, account_id=account.id, token_id=token.id,
                   scopes=token.scopes)
    return raw, token


@functools.cache
def _token_query() -> Select[Any]:
    # Built once: a prebuilt statement keeps its cache key (every API request starts here).
    return (select(ApiToken, Account).join(Account, Account.id == ApiToken.account_id)
            .where(ApiToken.token_hash == bindparam("token_hash")).options(joinedload(Account.grants)))


def account_for_token(db: Session, raw: str) -> tuple[Account, ApiToken] | None:
    # One round trip for the token, its account and the account's roles (three separate
    # SELECTs were a fifth of a status read's statements).
    found = db.execute(_token_query(), {"token_hash": sha256(raw)}).unique().first()
    now = clock.now()
    if found is None:
        return None
    token, account = found
    if not token_live(token.revoked_at, token.expires_at, account.is_active, now):
        return None
    if token_stamp_due(token.last_used_at, now):
        token.last_used_at = now
    return account, token


#: A token's last use is stored at most this often (a write per request would double a read's cost).
TOKEN_STAMP_INTERVAL = dt.timedelta(minutes=1)


def token_live(revoked_at: dt.datetime | None, expires_at: dt.datetime | None, account_active: bool,
               now: dt.datetime) -> bool:
    """A token works while it is neither revoked nor expired and its account is active."""
    return revoked_at is None and (expires_at is None or expires_at > now) and account_active


def token_stamp_due(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    return last_used_at is None or now - last_used_at > TOKEN_STAMP_INTERVAL


def store_token_use(database: Database, token_id: int, at: dt.datetime) -> None:
    """Store a token's last use for a request that read the token as plain columns.

    Through the bookkeeping connection on PostgreSQL (see ``Database.bookkeeping``); a
    transaction of its own on SQLite.
    """
    stamp = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at)
    book = database.bookkeeping()
    if book is None:
        with database.engine.begin() as conn:
            conn.execute(stamp)
        return
    with book:
        book.execute(stamp)


def list_tokens(db: Session, account: Account) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.id.desc())))


def revoke_token(db: Session, account: Account, token_id: int) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None or token.account_id != account.id:
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        events.publish(db, TOKEN_REVOKED, actor_id=account.id, account_id=account.id, token_id=token.id)
    return token


# --------------------------------------------------------------------------- password reset


def request_password_reset(db: Session, identifier: str) -> None:
    """E-mail a single-use link if the account exists; say nothing either way (no enumeration)."""
    ident = identifier.strip().lower()
    account = db.scalar(select(Account).where(Account.username == ident))
    if account is None:
        account = db.scalar(select(Account).join(Person, Account.person_id == Person.id)
                            .where(func.lower(Person.email) == ident))
    if account is None or account.person is None or not account.person.email:
        events.publish(db, PASSWORD_RESET_UNKNOWN)
        return
    raw = secrets.token_urlsafe(32)
    minutes = get_settings().reset_token_minutes
    now = clock.now()
    db.add(PasswordResetToken(account_id=account.id, token_hash=sha256(raw), created_at=now,
                              expires_at=now + dt.timedelta(minutes=minutes)))
    lang = account.language
    queue_email(db, to=account.person.email, template="identity.password_reset", lang=lang, account_id=account.id,
                context={"name": account.person.full_name(lang), "minutes": minutes},
                secret={"link": public_url(f"/password/reset/{raw}")})
    events.publish(db, PASSWORD_RESET_REQUESTED, actor_id=account.id, account_id=account.id)


def reset_password(db: Session, raw: str, new_password: str, ip: str) -> Account:
    """Set a new password from a reset link; the link then stops working and sessions end.

    A bad link is a failed secret: it counts against the IP (it names no account).
    """
    throttle.refuse_if_throttled(db, "reset", None, ip)
    token = db.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == sha256(raw)))
    now = clock.now()
    if token is None or token.used_at is not None or token.expires_at <= now:
        throttle.failed(db, "reset", None, ip)
        raise DomainError("invalid_reset_token",
                          N_("This reset link is invalid, used or expired. Ask for a new one."), field="token")
    account = db.get(Account, token.account_id)
    assert account is not None
    check_password(new_password, username=account.username)
    throttle.succeeded(db, "reset", account.username, ip)
    token.used_at = now
    account.password_hash = hash_password(new_password)
    account.password_changed_at = now
    db.execute(update(LoginSession).where(LoginSession.account_id == account.id, LoginSession.revoked_at.is_(None))
               .values(revoked_at=now))
    events.publish(db, PASSWORD_RESET, actor_id=account.id, account_id=account.id)
    return account


@dataclass
class Principal:
    """Who is calling: an account, and through what (session or token with scopes)."""

    account: Account
    scopes: set[str] = field(default_factory=lambda: {"read", "write"})
    via_token: bool = False

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def roles(self) -> set[Role]:
        return self.account.roles

    def has_role(self, role: Role) -> bool:
        return role in self.account.roles

    def org_ids(self, *roles: Role) -> set[int]:
        """Organizations in which the account holds any of ``roles``."""
        return {g.organization_id for g in self.account.grants if g.role in roles and g.organization_id}


# --------------------------------------------------------------------------- who is calling


@dataclass(frozen=True)
class SessionCaller:
    """A live browser session and its account; ``principal`` is ``None`` while the second factor is due."""

    session: LoginSession
    account: Account
    principal: Principal | None


def principal_for_token(db: Session, raw: str, ip: str) -> Principal | None:
    """The caller of ``Authorization: Bearer <raw>``, its last use stored; ``None`` for a wrong token.

    A wrong token is a wrong secret like any other: counted against the IP, and refused with 429
    once the IP is throttled (``throttle``), before the caller answers 401.
    """
    found = account_for_token(db, raw)
    if found is None:
        throttle.refuse_if_throttled(db, "token", None, ip)
        throttle.failed(db, "token", None, ip)
        return None
    account, token = found
    _record_use(db, token)
    return Principal(account=account, scopes=set(token.scopes), via_token=True)


def caller_for_session(db: Session, raw: str) -> SessionCaller | None:
    """The caller of a session cookie, its sliding expiry stored; ``None`` if the session or account is gone."""
    sess = session_by_token(db, raw)
    if sess is None:
        return None
    _record_use(db, sess)
    account = account_by_id(db, sess.account_id)
    if account is None or not account.is_active:
        return None
    principal = Principal(account=account) if mfa_satisfied(account, sess) else None
    return SessionCaller(session=sess, account=account, principal=principal)


def _record_use(db: Session, credential: ApiToken | LoginSession) -> None:
    """Store a token's last use or a session's sliding expiry now (at most every few minutes).

    It is a fact of its own: it must stick when the request itself only reads (and so never
    commits) or fails. On PostgreSQL it goes through the bookkeeping connection (one statement,
    no fsync, no transaction for the request); on SQLite it is committed with the session.
    """
    if not db.is_modified(credential):
        return
    database = database_of(db)
    conn = database.bookkeeping() if database is not None else None
    if conn is None:
        db.commit()
        return
    state: InstanceState[Any] = inspect(credential)
    changed = {attr.key: attr.value for attr in state.attrs if attr.history.has_changes()}
    model = type(credential)
    with conn:
        conn.execute(update(model).where(model.id == credential.id).values(**changed))
    for key, value in changed.items():  # stored: nothing left for the session to flush
        set_committed_value(credential, key, value)
