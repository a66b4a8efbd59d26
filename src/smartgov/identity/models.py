"""Tables of the identity module: people, organizations, accounts and their credentials."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartgov.db import Base


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    EMPLOYER = "employer"
    OFFICIAL = "official"
    AGENCY_ADMIN = "agency_admin"
    AUDITOR = "auditor"
    ANALYST = "analyst"  # qualitative analysis (insight) within one agency
    PLATFORM_ADMIN = "platform_admin"


#: Roles whose holders must pass TOTP before they can act.
MFA_ROLES = frozenset({Role.OFFICIAL, Role.AGENCY_ADMIN, Role.ANALYST, Role.PLATFORM_ADMIN})
#: Roles that only make sense within an organization.
SCOPED_ROLES = frozenset({Role.OFFICIAL, Role.AGENCY_ADMIN, Role.ANALYST, Role.EMPLOYER})

#: How an account's holder was shown to be its person: a code sent to the registry's mobile ("sms");
#: an official who saw the national card ("in_person"), checked a letter ("letter") or the registry
#: ("registry"); an administrator who created the account ("admin"); the demo ("demo").
PROOF_METHODS = ("sms", "in_person", "letter", "registry", "admin", "demo")
#: The methods an official records for a person in front of them (the rest the platform records).
OFFICIAL_PROOF_METHODS = ("in_person", "letter", "registry")


class OrgKind(enum.StrEnum):
    AGENCY = "agency"
    EMPLOYER = "employer"


class Person(Base):
    """A natural person known to the platform, keyed by the national code."""

    __tablename__ = "identity_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    national_code: Mapped[str] = mapped_column(String(10), unique=True)
    first_name_fa: Mapped[str] = mapped_column(String(100))
    last_name_fa: Mapped[str] = mapped_column(String(100))
    first_name_en: Mapped[str] = mapped_column(String(100))
    last_name_en: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(1))  # "f" / "m"; optional
    province: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    #: The mobile number the population registry holds for this national code: set only from the
    #: registry (demo and registry imports), never by the person, so a code sent there proves them.
    registry_mobile: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]

    def full_name(self, lang: str) -> str:
        if lang == "fa":
            return f"{self.first_name_fa} {self.last_name_fa}"
        return f"{self.first_name_en} {self.last_name_en}"


class Organization(Base):
    """An agency (in a parent/child tree) or an employer/business with a registration number."""

    __tablename__ = "identity_organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[OrgKind] = mapped_column(Enum(OrgKind, native_enum=False, length=20))
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    registration_number: Mapped[str | None] = mapped_column(String(30), unique=True)
    province: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
    #: A deactivated agency takes no new staff; it keeps its history (``identity.staff``).
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])

    def name(self, lang: str) -> str:
        return self.name_fa if lang == "fa" else self.name_en


class Account(Base):
    """A login. Roles are granted separately, each possibly scoped to an organization."""

    __tablename__ = "identity_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(2), default="fa")
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_last_step: Mapped[int | None]  # last accepted TOTP time step, so a code is used once
    created_at: Mapped[dt.datetime]
    password_changed_at: Mapped[dt.datetime]
    #: When the holder was shown to be the account's person (``None``: not yet; see ``identity/README.md``).
    proven_at: Mapped[dt.datetime | None]
    proof_method: Mapped[str | None] = mapped_column(String(20))  # one of PROOF_METHODS
    #: The official's account, if one proved it (a plain id: SQLite cannot add a key to a filled table).
    proven_by: Mapped[int | None]

    person: Mapped[Person | None] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[Role]:
        return {g.role for g in self.grants}

    @property
    def needs_mfa(self) -> bool:
        return bool(self.roles & MFA_ROLES)


class RoleGrant(Base):
    """``account`` holds ``role``, within ``organization`` for scoped roles."""

    __tablename__ = "identity_role_grant"
    __table_args__ = (UniqueConstraint("account_id", "role", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    created_at: Mapped[dt.datetime]

    account: Mapped[Account] = relationship(back_populates="grants")
    organization: Mapped[Organization | None] = relationship(lazy="joined")


class LoginSession(Base):
    """A browser session. The cookie holds a random secret; only its hash is stored."""

    __tablename__ = "identity_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    mfa_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class ApiToken(Base):
    """A personal API token: shown once, stored as SHA-256, scoped and revocable."""

    __tablename__ = "identity_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class PasswordResetToken(Base):
    """A single-use, expiring password-reset secret (stored hashed)."""

    __tablename__ = "identity_password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    """Every check of a secret (password, TOTP, reset link, proof code, API token), for throttling
    per account and per IP (``identity.throttle``); no secret is ever stored."""

    __tablename__ = "identity_login_attempt"
    __table_args__ = (
        Index("ix_identity_login_attempt_user_at", "username", "at"),
        Index("ix_identity_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The account the secret was for, by username (also one that does not exist, so that unknown and
    #: known names are throttled alike); ``None`` when the secret names no account (a bad token or link).
    username: Mapped[str | None] = mapped_column(String(60))
    ip: Mapped[str] = mapped_column(String(45))
    kind: Mapped[str] = mapped_column(String(20), default="password")  # which secret: throttle.KINDS
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime]


class ProofCode(Base):
    """A one-time code sent by SMS to the registry's mobile number of an account's person.

    Only an HMAC of the code is kept (keyed by the platform secret: six digits alone would fall to
    a table scan); a code works once, until it expires or a newer one replaces it.
    """

    __tablename__ = "identity_proof_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    mobile_masked: Mapped[str] = mapped_column(String(20))  # what the page shows: 0912•••••67
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    replaced_at: Mapped[dt.datetime | None]


class Invitation(Base):
    """An agency admin's invitation of an official: a single-use, expiring link sent by e-mail.

    Only the link's SHA-256 is kept; the invitee chooses a username and password and enrols TOTP.
    """

    __tablename__ = "identity_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("identity_account.id"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    account_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    revoked_at: Mapped[dt.datetime | None]

    organization: Mapped[Organization] = relationship(lazy="joined")


class MfaReset(Base):
    """A request to clear a colleague's second factor; it takes effect only when a different admin approves."""

    __tablename__ = "identity_mfa_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("identity_account.id"))
    reason: Mapped[str] = mapped_column(String(300))
    requested_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    approved_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
