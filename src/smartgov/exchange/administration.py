"""Use cases of the exchange admin screens (the central server): editing and deactivating members and
subsystems, withdrawing services, the purpose register, and the filtered views of access rights and
the message log, with every refusal reason named in words.

Registering members, subsystems and services, granting and revoking rights and rotating keys are in
``service`` (the API and the demo use them too); this file adds what only an administrator does.
Functions take a Session, never commit, and publish an event for every change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.db import get_or_not_found
from smartgov.errors import Conflict, DomainError, NotFound, ValidationFailed
from smartgov.exchange.events import (
    MEMBER_DEACTIVATED,
    MEMBER_REACTIVATED,
    MEMBER_UPDATED,
    PURPOSE_REGISTERED,
    SERVICE_REOFFERED,
    SERVICE_WITHDRAWN,
    SUBSYSTEM_DEACTIVATED,
    SUBSYSTEM_REACTIVATED,
)
from smartgov.exchange.models import (
    ExchangeAccessRight,
    ExchangeMember,
    ExchangeMessage,
    ExchangePurpose,
    ExchangeService,
    ExchangeSubsystem,
)
from smartgov.exchange.purposes import check_code
from smartgov.exchange.service import REASONS
from smartgov.i18n import N_

NAME_MAX = 200
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")

#: What a client's side logs when the answer did not come (``service._check_response``), besides ``REASONS``.
CLIENT_REASONS: dict[str, str] = {
    "unreachable": N_("The provider's server could not be reached."),
    "bad_response": N_("The provider's answer was not a valid response to this request."),
    "bad_response_signature": N_("The provider's answer was not signed by a key of the provider."),
}
#: Outcomes of the message log, in words.
OUTCOMES: dict[str, str] = {
    "served": N_("Served"), "refused": N_("Refused"), "error": N_("Error"), "sent": N_("Sent"),
    "ok": N_("Answer verified"),
}


def reason_label(code: str | None) -> str | None:
    """The English message id naming a refusal reason (never the raw code): translate it with ``_``."""
    if not code:
        return None
    if code in REASONS:
        return REASONS[code][1]
    if code in CLIENT_REASONS:
        return CLIENT_REASONS[code]
    return N_("The other side refused with a reason this instance does not know.")


def reason_choices() -> dict[str, str]:
    """Every known reason code and its message id, for the monitoring filter."""
    return {**{k: v[1] for k, v in REASONS.items()}, **CLIENT_REASONS}


# --------------------------------------------------------------------------- checking what an admin typed


def check_names(name_fa: str, name_en: str) -> tuple[str, str]:
    """Both names present and short enough, or one 422 naming each field at fault."""
    errors = []
    out = []
    for field, value in (("name_fa", name_fa), ("name_en", name_en)):
        value = value.strip()
        if not value:
            errors.append(DomainError("required", N_("This field is required."), field=field, status=422))
        elif len(value) > NAME_MAX:
            errors.append(DomainError("too_long", N_("Use at most {n} characters."), field=field, status=422,
                                      n=NAME_MAX))
        out.append(value)
    if errors:
        raise ValidationFailed(errors)
    return out[0], out[1]


def check_server_url(text: str | None) -> str | None:
    """``None`` for a member hosted here; otherwise an http(s) address without query or credentials."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 300 or not _URL.match(text):
        raise DomainError("invalid_url", N_("Enter an address like {example}."), field="server_url",
                          example="https://exchange.example.ir")
    return text.rstrip("/")


def check_agency(db: Session, code: str) -> str:
    """An agency's code as the identity module knows it, or a 422 on the agency field."""
    from smartgov.identity import organization_by_code

    try:
        return organization_by_code(db, code).code
    except NotFound:
        raise DomainError("unknown_agency", N_("Choose one of the allowed values."), field="organization_code",
                          status=422) from None


def check_schema(text: str) -> dict[str, Any]:
    """A response schema typed as JSON: an object describing an object (``{"type": "object", ...}``)."""
    try:
        schema = json.loads(text)
    except ValueError:
        raise DomainError("invalid_schema", N_("The response schema is not valid JSON."),
                          field="response_schema") from None
    if not isinstance(schema, dict) or schema.get("type") != "object" \
            or not isinstance(schema.get("properties", {}), dict):
        raise DomainError("invalid_schema",
                          N_('The response schema must describe an object: its "type" is "object".'),
                          field="response_schema")
    return schema


# --------------------------------------------------------------------------- records by id (404 otherwise)


def member_by_id(db: Session, member_id: int) -> ExchangeMember:
    return get_or_not_found(db, ExchangeMember, member_id, "member")


def subsystem_by_id(db: Session, subsystem_id: int) -> ExchangeSubsystem:
    return get_or_not_found(db, ExchangeSubsystem, subsystem_id, "subsystem")


def service_by_id(db: Session, service_id: int) -> ExchangeService:
    return get_or_not_found(db, ExchangeService, service_id, "service")


def services_of(db: Session, sub: ExchangeSubsystem) -> list[ExchangeService]:
    """The data services a subsystem offers (withdrawn ones too), by code and version."""
    return list(db.scalars(select(ExchangeService).where(ExchangeService.subsystem_id == sub.id)
                           .order_by(ExchangeService.code, ExchangeService.version)))


def subsystems(db: Session) -> list[ExchangeSubsystem]:
    """Every subsystem, by member address and code (the client choice of the grant form)."""
    return list(db.scalars(select(ExchangeSubsystem).join(ExchangeMember).order_by(
        ExchangeMember.instance, ExchangeMember.member_class, ExchangeMember.member_code, ExchangeSubsystem.code)))


# --------------------------------------------------------------------------- members and subsystems


def update_member(db: Session, member: ExchangeMember, *, name_fa: str, name_en: str,
                  organization_code: str | None, server_url: str | None,
                  actor_id: int | None = None) -> ExchangeMember:
    """Change a member's names, agency and (for a member hosted elsewhere) its server address.

    Whether it is hosted here cannot change: its subsystems' private keys live where it is hosted.
    """
    name_fa, name_en = check_names(name_fa, name_en)
    url = check_server_url(server_url)
    if member.is_local and url is not None:
        raise DomainError("hosted_here", N_("This member is hosted here; it has no server address."),
                          field="server_url")
    if not member.is_local and url is None:
        raise DomainError("server_url_required", N_("A member hosted elsewhere needs its server address."),
                          field="server_url")
    organization_code = (organization_code or "").strip() or None
    if organization_code:
        check_agency(db, organization_code)
    changed = {k: v for k, v in (("name_fa", name_fa), ("name_en", name_en),
                                 ("organization_code", organization_code), ("server_url", url))
               if getattr(member, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(member, key, value)
        events.publish(db, MEMBER_UPDATED, actor_id=actor_id, member=member.address, changed=sorted(changed))
    return member


def set_member_active(db: Session, member: ExchangeMember, active: bool, *,
                      actor_id: int | None = None) -> ExchangeMember:
    """Deactivate a member (none of its subsystems calls or answers) or bring it back. Idempotent."""
    if active != member.is_active:
        member.deactivated_at = None if active else clock.now()
        if active:
            events.publish(db, MEMBER_REACTIVATED, actor_id=actor_id, member=member.address)
        else:
            events.publish(db, MEMBER_DEACTIVATED, actor_id=actor_id, member=member.address)
    return member


def set_subsystem_active(db: Session, sub: ExchangeSubsystem, active: bool, *,
                         actor_id: int | None = None) -> ExchangeSubsystem:
    """Deactivate one subsystem or bring it back; its keys and services stay. Idempotent."""
    if active != (sub.deactivated_at is None):
        sub.deactivated_at = None if active else clock.now()
        if active:
            events.publish(db, SUBSYSTEM_REACTIVATED, actor_id=actor_id, subsystem=sub.address)
        else:
            events.publish(db, SUBSYSTEM_DEACTIVATED, actor_id=actor_id, subsystem=sub.address)
    return sub


def set_service_offered(db: Session, svc: ExchangeService, offered: bool, *,
                        actor_id: int | None = None) -> ExchangeService:
    """Withdraw a data service (requests for it are refused as unknown) or offer it again. Idempotent."""
    if offered != svc.is_active:
        svc.is_active = offered
        if offered:
            events.publish(db, SERVICE_REOFFERED, actor_id=actor_id, service=svc.address)
        else:
            events.publish(db, SERVICE_WITHDRAWN, actor_id=actor_id, service=svc.address)
    return svc


# --------------------------------------------------------------------------- purposes


def register_purpose(db: Session, code: str, label_fa: str, label_en: str, *,
                     actor_id: int | None = None) -> ExchangePurpose:
    """Add a purpose to the register; a code already there is refused (its labels are the law's)."""
    errors: list[DomainError] = []
    try:
        code = check_code(code, "code")
    except DomainError as exc:
        errors.append(exc)
    try:
        label_fa, label_en = check_names(label_fa, label_en)
    except ValidationFailed as exc:
        errors += [DomainError(e.code, e.message, field="label_" + (e.field or "")[-2:], status=422, **e.params)
                   for e in exc.errors]
    if errors:
        raise ValidationFailed(errors)
    if db.scalar(select(ExchangePurpose.id).where(ExchangePurpose.code == code)) is not None:
        raise Conflict("duplicate_purpose", N_("This purpose is already in the register."), field="code")
    purpose = ExchangePurpose(code=code, label_fa=label_fa, label_en=label_en)
    db.add(purpose)
    db.flush()
    events.publish(db, PURPOSE_REGISTERED, actor_id=actor_id, purpose=code)
    return purpose


# --------------------------------------------------------------------------- access rights, filtered

RIGHT_STATES: dict[str, str] = {"in_force": N_("In force"), "upcoming": N_("Not yet in force"),
                                "expired": N_("Expired"), "revoked": N_("Revoked")}


def right_state(right: ExchangeAccessRight, today: dt.date) -> str:
    """``in_force``, ``upcoming``, ``expired`` or ``revoked`` on ``today``."""
    if right.revoked_at is not None:
        return "revoked"
    if right.valid_from > today:
        return "upcoming"
    if right.valid_until is not None and right.valid_until < today:
        return "expired"
    return "in_force"


@dataclass(frozen=True)
class RightFilter:
    """What the access-rights list is narrowed to; ``None`` is no narrowing."""

    client_id: int | None = None
    service_code: str | None = None
    purpose: str | None = None
    state: str | None = None


def rights(db: Session, where: RightFilter, today: dt.date) -> list[ExchangeAccessRight]:
    """Access rights matching ``where``, newest first (a purpose is matched in the right's list)."""
    stmt = select(ExchangeAccessRight).order_by(ExchangeAccessRight.id.desc())
    if where.client_id is not None:
        stmt = stmt.where(ExchangeAccessRight.client_subsystem_id == where.client_id)
    if where.service_code:
        stmt = stmt.join(ExchangeService, ExchangeService.id == ExchangeAccessRight.service_id).where(
            ExchangeService.code == where.service_code)
    found = list(db.scalars(stmt.limit(2000)))
    if where.purpose:  # purposes are a JSON list: matched here, the same way on both databases
        found = [r for r in found if where.purpose in r.purposes]
    if where.state:
        found = [r for r in found if right_state(r, today) == where.state]
    return found


# --------------------------------------------------------------------------- the message log, filtered


@dataclass(frozen=True)
class MessageFilter:
    """What the message log is narrowed to: a member's messages (as client or provider), a service,
    a purpose, an outcome or a refusal reason, and local days ``since`` to ``until`` inclusive."""

    member: str | None = None  # INSTANCE/CLASS/CODE
    service_code: str | None = None
    purpose: str | None = None
    outcome: str | None = None
    reason: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def messages_stmt(where: MessageFilter) -> Select[tuple[ExchangeMessage]]:
    """The message log matching ``where``, newest first (for :func:`smartgov.web.pagination.paginate`)."""
    stmt = select(ExchangeMessage).order_by(ExchangeMessage.id.desc())
    if where.member:
        prefix = where.member.rstrip("/") + "/"
        stmt = stmt.where(or_(ExchangeMessage.client.startswith(prefix, autoescape=True),
                              ExchangeMessage.service.startswith(prefix, autoescape=True)))
    if where.service_code:
        stmt = stmt.where(ExchangeMessage.service_code == where.service_code)
    if where.purpose:
        stmt = stmt.where(ExchangeMessage.purpose == where.purpose)
    if where.outcome:
        stmt = stmt.where(ExchangeMessage.outcome == where.outcome)
    if where.reason:
        stmt = stmt.where(ExchangeMessage.reason == where.reason)
    if where.since:
        stmt = stmt.where(ExchangeMessage.at >= clock.day_start(where.since))
    if where.until:
        stmt = stmt.where(ExchangeMessage.at < clock.day_start(where.until + dt.timedelta(days=1)))
    return stmt


def service_codes(db: Session) -> list[str]:
    """Every service code offered or once offered (the monitoring filter's choices)."""
    return sorted(set(db.scalars(select(ExchangeService.code))))
