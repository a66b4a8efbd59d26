"""Request and response shapes of the exchange API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class KeyPublic(BaseModel):
    key_id: str
    public_key: str = Field(description="Raw Ed25519 public key, base64url without padding.")
    created_at: dt.datetime
    retired_at: dt.datetime | None


class SubsystemPublic(BaseModel):
    code: str
    address: str
    keys: list[KeyPublic]


class MemberPublic(BaseModel):
    address: str = Field(description="INSTANCE/CLASS/MEMBER")
    instance: str
    member_class: str
    member_code: str
    name_fa: str
    name_en: str
    organization_code: str | None
    hosted_here: bool
    server_url: str | None
    subsystems: list[SubsystemPublic]


class ServicePublic(BaseModel):
    address: str = Field(description="INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION")
    code: str
    version: str
    name_fa: str
    name_en: str
    response_schema: dict[str, Any]


class AccessRightPublic(BaseModel):
    id: int
    client: str
    service: str
    legal_basis_fa: str
    legal_basis_en: str
    purposes: list[str]
    valid_from: dt.date
    valid_until: dt.date | None
    revoked_at: dt.datetime | None


class AccessRightCreate(BaseModel):
    """Allow a client subsystem to call a service for some purposes, on a legal basis."""

    client: str = Field(description="Client subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM.", max_length=200)
    service: str = Field(description="Service INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION.", max_length=260)
    legal_basis_fa: str = Field(min_length=1, max_length=4000)
    legal_basis_en: str = Field(min_length=1, max_length=4000)
    purposes: list[str] = Field(min_length=1, max_length=20)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


class ServiceStatsPublic(BaseModel):
    service_code: str
    total: int
    served: int
    refused: int
    errors: int
    avg_latency_ms: float | None
    max_latency_ms: float | None
    last_at: dt.datetime | None
    reasons: dict[str, int] = Field(description="Refusal and error counts by reason code.")


class MonitoringPublic(BaseModel):
    provider: list[ServiceStatsPublic] = Field(description="Requests this instance received, per service.")
    client: list[ServiceStatsPublic] = Field(description="Calls this instance made, per service.")


class MessagePublic(BaseModel):
    id: int
    message_id: str | None
    direction: str
    kind: str
    client: str | None
    service: str | None
    purpose: str | None
    outcome: str
    reason: str | None
    latency_ms: float | None
    envelope_sha256: str | None
    at: dt.datetime


class DataAccessPublic(BaseModel):
    """One read of your data: when, which agency, what, why."""

    id: int
    at: dt.datetime
    source: str = Field(description="exchange (agency-to-agency call) or view (an official looked).")
    agency_code: str | None
    agency_name: str | None
    what: str = Field(description="The service or record read (a code).")
    what_label: str = Field(description="Its name in your language, when known.")
    purpose: str
    purpose_label: str
    flagged: bool
    flag_status: str | None
    flag_resolution: str | None


class DataAccessGroupPublic(BaseModel):
    """Repeated reads of one record by one reader for one purpose, as one line."""

    last_id: int = Field(description="The latest of these reads (the one a report is filed against).")
    reads: int = Field(description="How many times it was read.")
    first_at: dt.datetime
    last_at: dt.datetime
    source: str = Field(description="exchange (agency-to-agency call) or view (an official looked).")
    agency_code: str | None
    agency_name: str | None
    what: str = Field(description="The service or record read (a code).")
    what_label: str = Field(description="Its name in your language, when known.")
    purpose: str
    purpose_label: str
    flagged: bool = Field(description="You reported one of these reads.")
    flag_status: str | None
    flag_resolution: str | None


class DataAccessAdmin(DataAccessPublic):
    national_code: str
    actor_account_id: int | None
    actor_label: str | None
    message_id: str | None
    hidden_until: dt.datetime | None
    hidden_reason: str | None
    hidden_by: int | None


class FlagCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why you think this access was wrong.")


class FlagPublic(BaseModel):
    id: int
    access_id: int
    status: str
    reason: str
    resolution: str | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class FlagResolve(BaseModel):
    resolution: str = Field(min_length=1, max_length=4000)


class HideCreate(BaseModel):
    hidden_until: dt.datetime = Field(description="Until when the citizen does not see this access (UTC).")
    reason: str = Field(min_length=1, max_length=2000)
