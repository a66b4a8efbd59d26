"""Exchange use cases: the member registry, receiving and sending signed messages, monitoring.

Functions take a Session and never commit. :func:`receive` never raises for a refused
message: it logs the refusal and returns an :class:`Outcome`, so the caller commits the
log and then answers with the refusal.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.db import Database, get_or_not_found
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.exchange import envelope as env
from smartgov.exchange import privacy, schemacheck
from smartgov.exchange.client import ExchangeClient, default_client
from smartgov.exchange.events import (
    ACCESS_RIGHT_GRANTED,
    ACCESS_RIGHT_REVOKED,
    FETCH_COMPLETED,
    FETCH_FAILED,
    KEY_ROTATED,
    KEY_TRUSTED,
    MEMBER_REGISTERED,
    REQUEST_REFUSED,
    REQUEST_SERVED,
    SERVICE_REGISTERED,
    SUBSYSTEM_REGISTERED,
)
from smartgov.exchange.models import (
    ExchangeAccessRight,
    ExchangeKey,
    ExchangeMember,
    ExchangeMessage,
    ExchangeSeenMessage,
    ExchangeService,
    ExchangeSubsystem,
)
from smartgov.exchange.providers import provider_for
from smartgov.exchange.purposes import check_code, ensure_purpose, purpose_labels
from smartgov.i18n import N_
from smartgov.identity import nationalcode
from smartgov.settings import get_settings

#: How far a sender's clock may run ahead of ours.
CLOCK_SKEW = dt.timedelta(seconds=60)
#: The longest validity a message may claim (issued_at → expires_at).
MAX_TTL = dt.timedelta(minutes=10)
#: Validity given to messages we send.
DEFAULT_TTL = dt.timedelta(minutes=2)


#: Reason code → (HTTP status, English message) for every refusal the receiver gives.
REASONS: dict[str, tuple[int, str]] = {
    "malformed": (400, N_("The message is not a valid exchange envelope.")),
    "unknown_service": (404, N_("This service is not offered here.")),
    "unknown_client": (403, N_("The client subsystem is not a known member of the exchange.")),
    "client_deactivated": (403, N_("The client subsystem is deactivated on the exchange.")),
    "bad_signature": (403, N_("The message signature does not verify.")),
    "issued_in_future": (400, N_("The message was issued too far in the future.")),
    "expired": (400, N_("The message has expired.")),
    "replayed": (409, N_("This message id has already been used.")),
    "no_access_right": (403, N_("The client has no access right to this service.")),
    "purpose_not_allowed": (403, N_("This purpose is not allowed for this client and service.")),
    "invalid_person": (422, N_("The person's national code is not valid.")),
    "not_found": (404, N_("The person is not known to this service.")),
    "no_provider": (501, N_("No provider answers this service.")),
    "provider_error": (502, N_("The provider failed to answer.")),
}


class ExchangeRefused(DomainError):
    """A refusal from the receiver, with its reason code as the error code."""

    def __init__(self, reason: str, message_id: str | None = None) -> None:
        status, message = REASONS[reason]
        field = "envelope.person" if reason == "invalid_person" else None
        super().__init__(reason, message, status=status, field=field)
        self.message_id = message_id


# --------------------------------------------------------------------------- private keys at rest


def _kek() -> AESGCM:
    secret = get_settings().secret_key.get_secret_value().encode()
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=b"smartgov-exchange",
                       info=b"subsystem signing keys").derive(secret))


def _seal(raw: bytes, kid: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + _kek().encrypt(nonce, raw, kid.encode())


def _unseal(key: ExchangeKey) -> bytes:
    sealed = key.sealed_private_key or b""
    try:
        return _kek().decrypt(sealed[:12], sealed[12:], key.key_id.encode())
    except (InvalidTag, ValueError):
        raise DomainError("exchange_key_sealed",
                          N_("The subsystem signing key cannot be opened with this secret key; rotate the key."),
                          status=500) from None


# --------------------------------------------------------------------------- registry


def create_member(db: Session, *, instance: str, member_class: str, member_code: str, name_fa: str, name_en: str,
                  organization_code: str | None = None, server_url: str | None = None,
                  actor_id: int | None = None) -> ExchangeMember:
    """Register a member; ``server_url`` set means it is hosted by another instance."""
    instance, member_class, member_code = (check_code(instance, "instance"), check_code(member_class, "member_class"),
                                           check_code(member_code, "member_code"))
    if find_member(db, instance, member_class, member_code) is not None:
        raise Conflict("duplicate_member", N_("This member is already registered."), field="member_code")
    if organization_code and server_url is None:
        from smartgov.identity import organization_by_code

        organization_by_code(db, organization_code)  # NotFound if the agency does not exist
    member = ExchangeMember(instance=instance, member_class=member_class, member_code=member_code, name_fa=name_fa,
                            name_en=name_en, organization_code=organization_code,
                            server_url=server_url.rstrip("/") if server_url else None, created_at=clock.now())
    db.add(member)
    db.flush()
    events.publish(db, MEMBER_REGISTERED, actor_id=actor_id, member=member.address,
                   organization=organization_code, hosted_here=server_url is None)
    return member


def find_member(db: Session, instance: str, member_class: str, member_code: str) -> ExchangeMember | None:
    return db.scalar(select(ExchangeMember).where(
        ExchangeMember.instance == instance, ExchangeMember.member_class == member_class,
        ExchangeMember.member_code == member_code))


def create_subsystem(db: Session, member: ExchangeMember, code: str, *,
                     actor_id: int | None = None) -> ExchangeSubsystem:
    """Add a subsystem to a member; local subsystems get a signing key at once."""
    code = check_code(code, "subsystem_code")
    if find_subsystem(db, env.ClientAddress(instance=member.instance, member_class=member.member_class,
                                            member_code=member.member_code, subsystem_code=code)):
        raise Conflict("duplicate_subsystem", N_("This subsystem is already registered."), field="subsystem_code")
    sub = ExchangeSubsystem(member_id=member.id, code=code, created_at=clock.now())
    db.add(sub)
    db.flush()
    db.refresh(sub)
    events.publish(db, SUBSYSTEM_REGISTERED, actor_id=actor_id, subsystem=sub.address)
    if member.is_local:
        rotate_key(db, sub, actor_id=actor_id)
    return sub


def find_subsystem(db: Session, address: env.ClientAddress | str) -> ExchangeSubsystem | None:
    """The subsystem at ``address`` (``INSTANCE/CLASS/MEMBER/SUBSYSTEM``), or ``None``."""
    if isinstance(address, str):
        try:
            address = env.ClientAddress.parse(address)
        except ValueError:
            return None
    return db.scalar(select(ExchangeSubsystem).join(ExchangeMember).where(
        ExchangeMember.instance == address.instance, ExchangeMember.member_class == address.member_class,
        ExchangeMember.member_code == address.member_code, ExchangeSubsystem.code == address.subsystem_code))


def subsystem(db: Session, address: env.ClientAddress | str) -> ExchangeSubsystem:
    found = find_subsystem(db, address)
    if found is None:
        raise NotFound("subsystem", field="subsystem")
    return found


def client_address(sub: ExchangeSubsystem) -> env.ClientAddress:
    m = sub.member
    return env.ClientAddress(instance=m.instance, member_class=m.member_class, member_code=m.member_code,
                             subsystem_code=sub.code)


def service_address(svc: ExchangeService) -> env.ServiceAddress:
    return env.ServiceAddress(**client_address(svc.subsystem).model_dump(), service_code=svc.code,
                              service_version=svc.version)


def rotate_key(db: Session, sub: ExchangeSubsystem, *, actor_id: int | None = None) -> ExchangeKey:
    """Give a local subsystem a new signing key; older keys are retired (private half destroyed)
    but stay in the registry so what they signed before still verifies."""
    if not sub.member.is_local:
        raise DomainError("remote_subsystem", N_("Keys of a subsystem hosted elsewhere are imported, not made here."),
                          field="subsystem")
    now = clock.now()
    retired = []
    for key in sub.keys:
        if key.retired_at is None:
            key.retired_at = now
            key.sealed_private_key = None
            retired.append(key.key_id)
    private, public = env.new_keypair()
    kid = env.key_id(public)
    key = ExchangeKey(subsystem_id=sub.id, key_id=kid, public_key=public, sealed_private_key=_seal(private, kid),
                      created_at=now, retired_at=None)
    db.add(key)
    db.flush()
    db.refresh(sub)
    events.publish(db, KEY_ROTATED, actor_id=actor_id, subsystem=sub.address, key_id=kid,
                   retired_key_ids=retired)
    return key


def add_public_key(db: Session, sub: ExchangeSubsystem, public_key: bytes, *, retired_at: dt.datetime | None = None,
                   actor_id: int | None = None) -> ExchangeKey:
    """Trust a public key of a subsystem hosted elsewhere (idempotent by key id)."""
    kid = env.key_id(public_key)
    existing = db.scalar(select(ExchangeKey).where(ExchangeKey.key_id == kid))
    if existing is not None:
        if existing.subsystem_id != sub.id:
            raise Conflict("key_in_use", N_("This key belongs to another subsystem."), field="public_key")
        if retired_at and existing.retired_at is None:
            existing.retired_at = retired_at
        return existing
    key = ExchangeKey(subsystem_id=sub.id, key_id=kid, public_key=public_key, sealed_private_key=None,
                      created_at=clock.now(), retired_at=retired_at)
    db.add(key)
    db.flush()
    db.refresh(sub)
    events.publish(db, KEY_TRUSTED, actor_id=actor_id, subsystem=sub.address, key_id=kid)
    return key


def signing_key(db: Session, sub: ExchangeSubsystem) -> tuple[str, bytes]:
    """(key id, raw private key) of a local subsystem's active key."""
    key = next((k for k in sub.keys if k.retired_at is None and k.sealed_private_key), None)
    if key is None:
        raise DomainError("no_signing_key", N_("This subsystem has no signing key here."), field="subsystem")
    return key.key_id, _unseal(key)


def create_service(db: Session, sub: ExchangeSubsystem, *, code: str, version: str = "v1", name_fa: str, name_en: str,
                   response_schema: dict[str, Any], actor_id: int | None = None) -> ExchangeService:
    """Offer a data service from a subsystem; its answers must follow ``response_schema``."""
    code, version = check_code(code, "service_code"), check_code(version, "service_version")
    if db.scalar(select(ExchangeService.id).where(ExchangeService.subsystem_id == sub.id, ExchangeService.code == code,
                                                  ExchangeService.version == version)):
        raise Conflict("duplicate_service", N_("This service is already offered."), field="service_code")
    svc = ExchangeService(subsystem_id=sub.id, code=code, version=version, name_fa=name_fa, name_en=name_en,
                          response_schema=response_schema, is_active=True, created_at=clock.now())
    db.add(svc)
    db.flush()
    db.refresh(svc)
    events.publish(db, SERVICE_REGISTERED, actor_id=actor_id, service=svc.address)
    return svc


def find_service(db: Session, address: env.ServiceAddress) -> ExchangeService | None:
    sub = find_subsystem(db, address.provider)
    if sub is None:
        return None
    return db.scalar(select(ExchangeService).where(
        ExchangeService.subsystem_id == sub.id, ExchangeService.code == address.service_code,
        ExchangeService.version == address.service_version, ExchangeService.is_active.is_(True)))


def services_by_code(db: Session, code: str) -> list[ExchangeService]:
    return list(db.scalars(select(ExchangeService).where(ExchangeService.code == code,
                                                         ExchangeService.is_active.is_(True))
                           .order_by(ExchangeService.version.desc(), ExchangeService.id)))


def grant_access(db: Session, client: ExchangeSubsystem, svc: ExchangeService, *, legal_basis_fa: str,
                 legal_basis_en: str, purposes: list[str], valid_from: dt.date | None = None,
                 valid_until: dt.date | None = None, actor_id: int | None = None) -> ExchangeAccessRight:
    """Allow ``client`` to call ``svc`` for ``purposes`` (known purpose codes) on a legal basis."""
    if not legal_basis_fa.strip() or not legal_basis_en.strip():
        raise DomainError("legal_basis_required", N_("State the legal basis in Persian and English."),
                          field="legal_basis")
    known = purpose_labels(db)
    unknown = [p for p in purposes if p not in known]
    if not purposes or unknown:
        raise DomainError("unknown_purpose", N_("Choose purposes from the purpose register."), field="purposes")
    start = valid_from or clock.today()
    if valid_until is not None and valid_until < start:
        raise DomainError("invalid_period", N_("The end date is before the start date."), field="valid_until")
    right = ExchangeAccessRight(client_subsystem_id=client.id, service_id=svc.id, legal_basis_fa=legal_basis_fa.strip(),
                                legal_basis_en=legal_basis_en.strip(), purposes=sorted(set(purposes)),
                                valid_from=start, valid_until=valid_until, created_at=clock.now(), revoked_at=None)
    db.add(right)
    db.flush()
    events.publish(db, ACCESS_RIGHT_GRANTED, actor_id=actor_id, right_id=right.id, client=client.address,
                   service=svc.address, purposes=right.purposes, valid_from=start.isoformat(),
                   valid_until=valid_until.isoformat() if valid_until else None)
    return right


def revoke_access(db: Session, right_id: int, *, actor_id: int | None = None) -> ExchangeAccessRight:
    """End an access right at once."""
    right = get_or_not_found(db, ExchangeAccessRight, right_id, "access_right")
    if right.revoked_at is None:
        right.revoked_at = clock.now()
        events.publish(db, ACCESS_RIGHT_REVOKED, actor_id=actor_id, right_id=right.id)
    return right


def access_rights(db: Session) -> list[ExchangeAccessRight]:
    return list(db.scalars(select(ExchangeAccessRight).order_by(ExchangeAccessRight.id)))


def members(db: Session) -> list[ExchangeMember]:
    return list(db.scalars(select(ExchangeMember).order_by(ExchangeMember.instance, ExchangeMember.member_class,
                                                           ExchangeMember.member_code)))


def services(db: Session) -> list[ExchangeService]:
    return list(db.scalars(select(ExchangeService).order_by(ExchangeService.code, ExchangeService.version)))


# --------------------------------------------------------------------------- configuration between instances


def export_configuration(db: Session) -> dict[str, Any]:
    """What this instance hosts: members, subsystems, public keys, services and purposes.

    Peers import it (``import_configuration``) to know whom to trust and what to call.
    """
    out: list[dict[str, Any]] = []
    for member in members(db):
        if not member.is_local:
            continue
        subs = []
        for sub in member.subsystems:
            subs.append({
                "code": sub.code,
                "keys": [{"key_id": k.key_id, "public_key": env.b64(k.public_key),
                          "retired_at": env.format_time(k.retired_at) if k.retired_at else None} for k in sub.keys],
                "services": [{"code": s.code, "version": s.version, "name_fa": s.name_fa, "name_en": s.name_en,
                              "response_schema": s.response_schema}
                             for s in db.scalars(select(ExchangeService).where(ExchangeService.subsystem_id == sub.id,
                                                                               ExchangeService.is_active.is_(True)))],
            })
        out.append({"instance": member.instance, "member_class": member.member_class,
                    "member_code": member.member_code, "name_fa": member.name_fa, "name_en": member.name_en,
                    "organization_code": member.organization_code, "subsystems": subs})
    purposes = [{"code": p.code, "label_fa": p.label_fa, "label_en": p.label_en}
                for p in sorted(purpose_labels(db).values(), key=lambda p: p.code)]
    return {"protocol": env.PROTOCOL, "members": out, "purposes": purposes}


def import_configuration(db: Session, config: dict[str, Any], server_url: str, *,
                         actor_id: int | None = None) -> list[ExchangeMember]:
    """Trust the members a peer at ``server_url`` hosts (their public keys and services). Idempotent."""
    imported = []
    for p in config.get("purposes", []):
        ensure_purpose(db, p["code"], p["label_fa"], p["label_en"])
    for m in config.get("members", []):
        member = find_member(db, m["instance"], m["member_class"], m["member_code"])
        if member is None:
            member = create_member(db, instance=m["instance"], member_class=m["member_class"],
                                   member_code=m["member_code"], name_fa=m["name_fa"], name_en=m["name_en"],
                                   organization_code=m.get("organization_code"), server_url=server_url,
                                   actor_id=actor_id)
        elif member.is_local:
            raise Conflict("member_hosted_here", N_("This member is hosted here; it cannot be imported."),
                           field="member_code")
        else:
            member.server_url = server_url.rstrip("/")
        for s in m.get("subsystems", []):
            addr = env.ClientAddress(instance=member.instance, member_class=member.member_class,
                                     member_code=member.member_code, subsystem_code=s["code"])
            sub = find_subsystem(db, addr) or create_subsystem(db, member, s["code"], actor_id=actor_id)
            for k in s.get("keys", []):
                retired = dt.datetime.fromisoformat(k["retired_at"].replace("Z", "+00:00")) if k.get("retired_at") \
                    else None
                add_public_key(db, sub, env.unb64(k["public_key"]), retired_at=retired, actor_id=actor_id)
            for svc in s.get("services", []):
                existing = db.scalar(select(ExchangeService).where(
                    ExchangeService.subsystem_id == sub.id, ExchangeService.code == svc["code"],
                    ExchangeService.version == svc["version"]))
                if existing is None:
                    create_service(db, sub, code=svc["code"], version=svc["version"], name_fa=svc["name_fa"],
                                   name_en=svc["name_en"], response_schema=svc["response_schema"], actor_id=actor_id)
                else:
                    existing.response_schema = svc["response_schema"]
        imported.append(member)
    return imported


# --------------------------------------------------------------------------- receiving


@dataclass
class Outcome:
    """What the receiver answers: a signed response, or a refusal (already logged)."""

    response: dict[str, Any] | None = None
    error: ExchangeRefused | None = None
    message_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


def _log(db: Session, *, direction: str, kind: str, outcome: str, message_id: str | None = None,
         client: str | None = None, service: str | None = None, service_code: str | None = None,
         purpose: str | None = None, reason: str | None = None, latency_ms: float | None = None,
         signed: dict[str, Any] | None = None, person: str | None = None) -> ExchangeMessage:
    row = ExchangeMessage(
        message_id=message_id, direction=direction, kind=kind, client=client, service=service,
        service_code=service_code, purpose=purpose, person=person[:10] if person else None, outcome=outcome,
        reason=reason, latency_ms=latency_ms,
        envelope_sha256=env.digest(signed["envelope"]) if signed and isinstance(signed.get("envelope"), dict) else None,
        signed_message=signed, at=clock.now())
    db.add(row)
    return row


def _key_accepts(key: ExchangeKey, issued_at: dt.datetime) -> bool:
    return key.retired_at is None or issued_at <= key.retired_at


def _rights(db: Session, client: ExchangeSubsystem, svc: ExchangeService, today: dt.date) -> list[list[Any]]:
    """The purpose lists of ``client``'s access rights to ``svc`` in force ``today``."""
    rows = db.execute(select(ExchangeAccessRight.purposes).where(
        ExchangeAccessRight.client_subsystem_id == client.id, ExchangeAccessRight.service_id == svc.id,
        ExchangeAccessRight.revoked_at.is_(None), ExchangeAccessRight.valid_from <= today,
        (ExchangeAccessRight.valid_until.is_(None)) | (ExchangeAccessRight.valid_until >= today)))
    return [list(r[0]) for r in rows]


def receive(db: Session, raw: Any) -> Outcome:
    """Check a signed request and, if every check passes, answer it with a signed response.

    Refusal reasons, in the order they are checked: ``malformed``, ``unknown_service``,
    ``unknown_client``, ``client_deactivated``, ``bad_signature``, ``issued_in_future``, ``expired``, ``replayed``,
    ``no_access_right``, ``purpose_not_allowed``, ``invalid_person``; then ``not_found``,
    ``no_provider`` or ``provider_error`` from the provider. Every request is logged and
    published (``exchange.request_served`` / ``exchange.request_refused``).
    """
    started = time.perf_counter()
    now = clock.now()
    message: env.SignedMessage | None = None
    envelope: env.Envelope | None = None
    facts: dict[str, Any] = {}  # published with events: never personal data
    concerned: dict[str, str | None] = {"person": None}

    def refuse(reason: str, outcome: str = "refused") -> Outcome:
        ms = (time.perf_counter() - started) * 1000
        _log(db, direction="in", kind="request", outcome=outcome, reason=reason, latency_ms=ms,
             signed=raw if isinstance(raw, dict) else None, person=concerned["person"], **facts)
        events.publish(db, REQUEST_REFUSED, reason=reason, outcome=outcome, **facts)
        return Outcome(error=ExchangeRefused(reason, facts.get("message_id")), message_id=facts.get("message_id"))

    try:
        message = env.SignedMessage.model_validate(raw)
        envelope = env.Envelope.model_validate(message.envelope)
    except (ValidationError, TypeError, ValueError):
        if isinstance(raw, dict) and isinstance(raw.get("envelope"), dict):
            facts["message_id"] = str(raw["envelope"].get("message_id", ""))[:36] or None
        return refuse("malformed")
    facts.update(message_id=str(envelope.message_id), client=str(envelope.client), service=str(envelope.service),
                 service_code=envelope.service.service_code, purpose=envelope.purpose)
    concerned["person"] = envelope.person
    if envelope.kind != "request" or envelope.issued_at.tzinfo is None or envelope.expires_at.tzinfo is None:
        return refuse("malformed")
    svc = find_service(db, envelope.service)
    if svc is None or not svc.subsystem.member.is_local or not svc.subsystem.is_active:
        return refuse("unknown_service")
    client = find_subsystem(db, envelope.client)
    if client is None:
        return refuse("unknown_client")
    if not client.is_active:
        return refuse("client_deactivated")
    key = next((k for k in client.keys if k.key_id == message.signature.key_id), None)
    if key is None or not _key_accepts(key, envelope.issued_at) or not env.verify(message, key.public_key):
        return refuse("bad_signature")
    if envelope.issued_at > now + CLOCK_SKEW:
        return refuse("issued_in_future")
    if now > envelope.expires_at or envelope.expires_at - envelope.issued_at > MAX_TTL:
        return refuse("expired")
    if db.get(ExchangeSeenMessage, facts["message_id"]) is not None:
        return refuse("replayed")
    try:
        with db.begin_nested():
            db.add(ExchangeSeenMessage(message_id=facts["message_id"], expires_at=envelope.expires_at + CLOCK_SKEW))
    except IntegrityError:
        return refuse("replayed")
    rights = _rights(db, client, svc, clock.local(now).date())
    if not rights:
        return refuse("no_access_right")
    if not any(envelope.purpose in purposes for purposes in rights):
        return refuse("purpose_not_allowed")
    if not nationalcode.is_valid(envelope.person):  # digits of other scripts included: never a second person
        return refuse("invalid_person")
    person = nationalcode.normalize(envelope.person)
    provider = provider_for(svc.code)
    if provider is None:
        return refuse("no_provider", "error")
    try:
        with db.begin_nested():
            data = provider(db, person, dict(envelope.body))
    except NotFound:
        return refuse("not_found", "error")
    except Exception:  # a provider's bug must not take the exchange down; it is logged as an error
        import logging

        logging.getLogger(__name__).exception("provider of %s failed", svc.code)
        return refuse("provider_error", "error")
    if not isinstance(data, dict) or schemacheck.problems(data, svc.response_schema):
        return refuse("provider_error", "error")
    kid, private = signing_key(db, svc.subsystem)
    answer = env.Envelope(kind="response", message_id=uuid.uuid4(), in_reply_to=envelope.message_id,
                          client=envelope.client, service=envelope.service, purpose=envelope.purpose,
                          person=person, issued_at=now, expires_at=now + DEFAULT_TTL, body=data)
    signed = env.sign(answer, private, kid)
    ms = (time.perf_counter() - started) * 1000
    _log(db, direction="in", kind="request", outcome="served", latency_ms=ms, signed=raw, person=person, **facts)
    _log(db, direction="out", kind="response", outcome="sent", signed=signed, person=person,
         **{**facts, "message_id": str(answer.message_id)})
    client_member = client.member
    privacy.record_access(db, person, None, client_member.organization_code or client_member.member_code,
                          svc.code, envelope.purpose, source="exchange", actor_label=str(envelope.client),
                          message_id=facts["message_id"])
    events.publish(db, REQUEST_SERVED, response_id=str(answer.message_id),
                   request_sha256=env.digest(message.envelope), response_sha256=env.digest(signed["envelope"]),
                   **facts)
    return Outcome(response=signed, message_id=facts["message_id"])


def purge_seen_messages(database: Database) -> int:
    """Forget message ids whose messages have expired (they are refused as expired anyway).

    Run by ``smartgov worker`` rather than on each request, so concurrent receivers never wait
    on each other's deletes.
    """
    with database.unit_of_work() as db:
        result = db.execute(delete(ExchangeSeenMessage).where(ExchangeSeenMessage.expires_at < clock.now()))
        return int(getattr(result, "rowcount", 0) or 0)


events.register_periodic("exchange.purge_seen_messages", purge_seen_messages)


# --------------------------------------------------------------------------- sending (once only)


@dataclass
class FetchResult:
    """The answer to :func:`fetch`: ``data`` when ``ok``, else the refusal ``reason`` code."""

    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    message_id: str | None = None
    service: str | None = None
    cached: bool = False


def _pick_service(db: Session, service_code: str, provider: str | None, version: str | None) -> ExchangeService | None:
    for svc in services_by_code(db, service_code):
        if provider and svc.subsystem.address != provider and svc.subsystem.member.address != provider:
            continue
        if version and svc.version != version:
            continue
        return svc
    return None


def fetch(db: Session, client_subsystem: ExchangeSubsystem | str, service_code: str, person_national_code: str,
          purpose: str, *, params: dict[str, Any] | None = None, provider: str | None = None,
          version: str | None = None, actor_account_id: int | None = None, max_age: dt.timedelta | None = None,
          client: ExchangeClient | None = None) -> FetchResult:
    """Ask the member offering ``service_code`` for data about a person, signed by ``client_subsystem``.

    Hosted-here providers are answered in-process through the same signing and checks
    (:func:`receive`); others over HTTP. Never raises for a refusal: check ``result.ok``.
    With ``max_age``, a verified answer to the same client, service, person and purpose
    received that recently is reused from the message log instead of asking again.
    """
    sub = client_subsystem if isinstance(client_subsystem, ExchangeSubsystem) else subsystem(db, client_subsystem)
    svc = _pick_service(db, service_code, provider, version)
    if svc is None:
        return FetchResult(ok=False, reason="unknown_service")
    person = nationalcode.normalize(person_national_code)
    if max_age is not None:
        recent = db.scalar(select(ExchangeMessage).where(
            ExchangeMessage.person == person, ExchangeMessage.service_code == svc.code,
            ExchangeMessage.client == sub.address, ExchangeMessage.purpose == purpose,
            ExchangeMessage.direction == "in", ExchangeMessage.kind == "response", ExchangeMessage.outcome == "ok",
            ExchangeMessage.at >= clock.now() - max_age).order_by(ExchangeMessage.id.desc()).limit(1))
        if recent is not None and recent.signed_message:
            return FetchResult(ok=True, data=recent.signed_message["envelope"]["body"], message_id=recent.message_id,
                               service=recent.service, cached=True)
    kid, private = signing_key(db, sub)
    now = clock.now()
    request = env.Envelope(kind="request", message_id=uuid.uuid4(), client=client_address(sub),
                           service=service_address(svc), purpose=purpose,
                           person=person, issued_at=now,
                           expires_at=now + DEFAULT_TTL, body=params or {})
    transport = client or default_client()
    signed = transport.sign(request, private, kid)
    facts: dict[str, Any] = {"message_id": str(request.message_id), "client": str(request.client),
             "service": str(request.service),
             "service_code": svc.code, "purpose": purpose}
    _log(db, direction="out", kind="request", outcome="sent", signed=signed, person=person, **facts)
    started = time.perf_counter()
    provider_member = svc.subsystem.member
    if provider_member.is_local:
        outcome = receive(db, signed)
        status, body = (200, outcome.response) if outcome.accepted else (outcome.error.status, outcome.error.envelope())  # type: ignore[union-attr]
    else:
        status, body = transport.send(provider_member.server_url or "", signed)
    ms = (time.perf_counter() - started) * 1000
    reason = _check_response(db, request, svc, status, body or {})
    result_facts: dict[str, Any] = {**facts, "latency_ms": ms}
    if reason is not None:
        _log(db, direction="in", kind="response", outcome="refused" if status and status < 500 else "error",
             reason=reason, signed=body if isinstance(body, dict) and "signature" in body else None, person=person,
             **result_facts)
        events.publish(db, FETCH_FAILED, actor_id=actor_account_id, reason=reason, **facts)
        return FetchResult(ok=False, reason=reason, message_id=facts["message_id"], service=facts["service"])
    assert body is not None
    _log(db, direction="in", kind="response", outcome="ok", signed=body, person=person,
         **{**result_facts, "message_id": str(body["envelope"]["message_id"])})
    if not provider_member.is_local:
        # The read happened at the peer; record it here too, so the person's own portal shows it.
        agency = sub.member.organization_code or sub.member.member_code
        privacy.record_access(db, request.person, actor_account_id, agency, svc.code, purpose, source="exchange",
                              actor_label=str(request.client), message_id=facts["message_id"])
    events.publish(db, FETCH_COMPLETED, actor_id=actor_account_id,
                   response_sha256=env.digest(body["envelope"]), **facts)
    return FetchResult(ok=True, data=body["envelope"]["body"], message_id=facts["message_id"],
                       service=facts["service"])


def _check_response(db: Session, request: env.Envelope, svc: ExchangeService, status: int,
                    body: dict[str, Any]) -> str | None:
    """``None`` if ``body`` is a valid signed answer to ``request``, else a reason code."""
    if status != 200:
        err = body.get("error") if isinstance(body, dict) else None
        code = err.get("code") if isinstance(err, dict) else None
        return str(code)[:40] if code else ("unreachable" if status == 0 else f"http_{status}")
    try:
        message = env.SignedMessage.model_validate(body)
        answer = env.Envelope.model_validate(message.envelope)
    except (ValidationError, TypeError, ValueError):
        return "bad_response"
    key = next((k for k in svc.subsystem.keys if k.key_id == message.signature.key_id), None)
    if key is None or not _key_accepts(key, answer.issued_at) or not env.verify(message, key.public_key):
        return "bad_response_signature"
    if (answer.kind != "response" or answer.in_reply_to != request.message_id or answer.client != request.client
            or answer.service != request.service or answer.person != request.person):
        return "bad_response"
    if schemacheck.problems(answer.body, svc.response_schema):
        return "bad_response"
    return None


# --------------------------------------------------------------------------- monitoring


@dataclass
class ServiceStats:
    """Operational monitoring of one service, from one side of the exchange."""

    service_code: str
    total: int
    served: int
    refused: int
    errors: int
    avg_latency_ms: float | None
    max_latency_ms: float | None
    last_at: dt.datetime | None
    reasons: dict[str, int]


def monitoring(db: Session, *, side: str = "provider", since: dt.datetime | None = None) -> list[ServiceStats]:
    """Counts, latency and errors per service: requests received (``provider``) or calls made (``client``)."""
    if side == "provider":
        where = [ExchangeMessage.direction == "in", ExchangeMessage.kind == "request"]
    else:
        where = [ExchangeMessage.direction == "in", ExchangeMessage.kind == "response"]
    if since is not None:
        where.append(ExchangeMessage.at >= since)
    code = func.coalesce(ExchangeMessage.service_code, "")
    rows = db.execute(select(
        code, ExchangeMessage.outcome, ExchangeMessage.reason, func.count(), func.avg(ExchangeMessage.latency_ms),
        func.max(ExchangeMessage.latency_ms), func.sum(ExchangeMessage.latency_ms), func.max(ExchangeMessage.at),
    ).where(*where).group_by(code, ExchangeMessage.outcome, ExchangeMessage.reason))
    stats: dict[str, dict[str, Any]] = {}
    for service_code, outcome, reason, count, _avg, mx, total_ms, last in rows:
        s = stats.setdefault(service_code, {"total": 0, "served": 0, "refused": 0, "errors": 0, "ms": 0.0,
                                            "timed": 0, "max": None, "last": None, "reasons": {}})
        s["total"] += count
        s["served" if outcome in ("served", "ok") else "refused" if outcome == "refused" else "errors"] += count
        if reason:
            s["reasons"][reason] = s["reasons"].get(reason, 0) + count
        if total_ms is not None:
            s["ms"] += float(total_ms)
            s["timed"] += count
            s["max"] = max(s["max"] or 0.0, float(mx))
        if last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=dt.UTC)
            s["last"] = max(s["last"], last) if s["last"] else last
    return [ServiceStats(service_code=k, total=v["total"], served=v["served"], refused=v["refused"],
                         errors=v["errors"], avg_latency_ms=(v["ms"] / v["timed"]) if v["timed"] else None,
                         max_latency_ms=v["max"], last_at=v["last"], reasons=dict(sorted(v["reasons"].items())))
            for k, v in sorted(stats.items())]


def messages_stmt(*, outcome: str | None = None, service_code: str | None = None) -> Any:
    stmt = select(ExchangeMessage).order_by(ExchangeMessage.id.desc())
    if outcome:
        stmt = stmt.where(ExchangeMessage.outcome == outcome)
    if service_code:
        stmt = stmt.where(ExchangeMessage.service_code == service_code)
    return stmt
