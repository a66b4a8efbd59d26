"""Request and response shapes of the identity API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from smartgov.digits import Date, Phone
from smartgov.identity.models import Role
from smartgov.identity.nationalcode import NationalCode

Scope = Literal["read", "write"]


class RegistrationIn(BaseModel):
    """A citizen signing up with their national code."""

    national_code: NationalCode = Field(
        description="10-digit Iranian national code; Latin, Persian or Arabic-Indic digits (others: 422).")
    first_name_fa: str = Field(min_length=1, max_length=100)
    last_name_fa: str = Field(min_length=1, max_length=100)
    first_name_en: str = Field(min_length=1, max_length=100)
    last_name_en: str = Field(min_length=1, max_length=100)
    birth_date: Date = Field(description="ISO 8601 (1991-09-22) or Jalali (1370/06/31), in accepted digits.")
    phone: Phone | None = Field(None, max_length=40, description="Stored as digits (an Iranian mobile as 09…).")
    email: EmailStr | None = None
    username: str = Field(min_length=3, max_length=60)
    password: str = Field(max_length=200)
    language: Literal["fa", "en"] = "fa"


class PersonPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    national_code: str
    first_name_fa: str
    last_name_fa: str
    first_name_en: str
    last_name_en: str
    birth_date: dt.date
    phone: str | None
    email: str | None


class GrantPublic(BaseModel):
    role: Role
    organization: str | None = Field(None, description="Organization code for scoped roles.")


class AccountPublic(BaseModel):
    id: int
    username: str
    language: str
    mfa_enabled: bool
    roles: list[GrantPublic]
    proven: bool = Field(description="Whether the holder has proven to be the account's person; until then "
                                     "personal records answer 403 `person_not_proven`.")
    person: PersonPublic | None = Field(description="The linked person's record, once the account has proven it.")


class ProofPending(BaseModel):
    """A code sent by SMS and not yet typed."""

    mobile_masked: str = Field(description="Where the code went, e.g. 0912•••••67.")
    expires_at: dt.datetime
    resend_at: dt.datetime = Field(description="From when another code may be asked for.")


class ProofStatus(BaseModel):
    proven: bool
    method: str | None = Field(None, description="sms, in_person, letter, registry, admin or demo.")
    proven_at: dt.datetime | None = None
    pending: ProofPending | None = None


class ProofConfirm(BaseModel):
    code: str = Field(min_length=1, max_length=12, description="The code from the SMS (Persian digits accepted).")


class ProofCreate(BaseModel):
    """An official who checked a person's national card proves that person's account."""

    national_code: NationalCode
    username: str = Field(max_length=60, description="The account the person says is theirs.")
    method: Literal["in_person", "letter", "registry"]


class AccountCreate(BaseModel):
    """An administrator creating an account (officials, admins, employers)."""

    username: str = Field(min_length=3, max_length=60)
    password: str = Field(max_length=200)
    role: Role
    organization: str | None = Field(None, description="Organization code; required for scoped roles.")
    national_code: NationalCode | None = Field(None, description="Links the account to a known person.")


class ProfileUpdate(BaseModel):
    phone: Phone | None = Field(None, max_length=40, description="Stored as digits (an Iranian mobile as 09…).")
    email: EmailStr | None = None
    language: Literal["fa", "en"] | None = None


class TokenCreate(BaseModel):
    """Log in with a password (and a TOTP code when the account needs one) to get a personal token."""

    username: str = Field(max_length=60)
    password: str = Field(max_length=200)
    otp: str | None = Field(None, max_length=10, description="Current TOTP code, for MFA accounts.")
    name: str = Field("api", min_length=1, max_length=80)
    scopes: list[Scope] = Field(default_factory=lambda: ["read"])
    expires_in_days: int | None = Field(90, ge=1, le=365)


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="The secret itself. Shown only this once; store it safely.")


class PasswordResetRequest(BaseModel):
    username_or_email: str = Field(min_length=1, max_length=254)


class PasswordResetConfirm(BaseModel):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(max_length=200)


class OrganizationPublic(BaseModel):
    code: str
    kind: str
    name_fa: str
    name_en: str
    parent: str | None
    registration_number: str | None


class SessionPublic(BaseModel):
    id: int
    ip: str | None
    user_agent: str | None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool
