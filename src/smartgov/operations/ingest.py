"""Devices and telemetry: provisioning with per-device keys, and one ingest path for MQTT and HTTP.

A device message is the FIWARE IoT Agent JSON payload: ``{"<measure>": value, ...}`` (or a list
of them), with an optional ``TimeInstant`` (the instant it was observed; the receipt time if
absent). Each measure the device's mapping names becomes a reading of the mapped attribute of
the device's entity; the entity's attribute keeps the newest value. What cannot be taken (an
unknown device, a wrong key, a bad payload) is refused, counted per device and reason in
``operations_rejection`` and logged once per device and reason per process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_

from . import notify, rules
from .events import DEVICE_PROVISIONED
from .models import Device, Entity, Rejection
from .ngsi import NgsiError, format_time, numeric, parse_time
from .readings import Observation, store

log = logging.getLogger(__name__)
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_logged: set[tuple[str, str]] = set()
MAX_BATCH = 20_000
MAX_MEASURES = 100


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def provision(db: Session, org_id: int, actor_id: int | None, *, code: str, entity: Entity,
              mapping: dict[str, Any]) -> tuple[Device, str]:
    """A new device feeding ``entity``; returns it and its key (shown once, stored hashed)."""
    if not _CODE.match(code):
        raise DomainError("invalid", N_("A device id is letters, digits and . _ : - (at most 64)."), field="code")
    if entity.organization_id != org_id:
        raise NotFound("entity", field="entity")
    if db.scalar(select(Device.id).where(Device.code == code)) is not None:
        raise Conflict("device_exists", N_("A device with this id already exists."), field="code")
    clean = _mapping(mapping)
    key = secrets.token_urlsafe(24)
    device = Device(organization_id=org_id, code=code, key_hash=key_hash(key), entity_pk=entity.id, mapping=clean,
                    active=True, created_at=clock.now())
    db.add(device)
    db.flush()
    events.publish(db, DEVICE_PROVISIONED, actor_id=actor_id, device=code, entity=entity.entity_id,
                   organization_id=org_id, measures=sorted(clean))
    return device, key


def _mapping(mapping: Any) -> dict[str, Any]:
    if not isinstance(mapping, dict) or not 0 < len(mapping) <= MAX_MEASURES:
        raise DomainError("invalid", N_("Map at least one measure to an attribute."), field="mapping")
    out = {}
    for measure, target in mapping.items():
        target = {"attribute": target} if isinstance(target, str) else target
        if not isinstance(target, dict) or not _CODE.match(str(measure)) or \
                not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", str(target.get("attribute", ""))):
            raise DomainError("invalid", N_("Each measure maps to an attribute name."), field="mapping")
        out[str(measure)] = {"attribute": target["attribute"],
                             **({"unitCode": str(target["unitCode"])[:16]} if target.get("unitCode") else {})}
    return out


def rotate_key(db: Session, device: Device, actor_id: int | None) -> str:
    """A new key for the device; the old one stops working at once."""
    key = secrets.token_urlsafe(24)
    device.key_hash = key_hash(key)
    events.publish(db, DEVICE_PROVISIONED, actor_id=actor_id, device=device.code, action="key_rotated",
                   organization_id=device.organization_id)
    return key


@dataclass(frozen=True)
class Message:
    """One device message as received; ``key`` None when the caller is already authorized for ``orgs``."""

    device: str
    payload: Any
    key: str | None = None
    received_at: dt.datetime | None = None


@dataclass
class Outcome:
    """What became of a batch: readings stored, duplicates skipped, messages refused (index, reason)."""

    stored: int = 0
    duplicates: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    alerts: int = 0


def refuse(db: Session, device: str, reason: str) -> None:
    """Count a refused message; log the first of each device and reason in this process."""
    code = device[:64] or "-"
    now = clock.now()
    row = db.get(Rejection, (code, reason))
    if row is None:
        db.add(Rejection(device_code=code, reason=reason, count=1, first_at=now, last_at=now))
    else:
        row.count += 1
        row.last_at = now
    if (code, reason) not in _logged:
        _logged.add((code, reason))
        log.warning("operations: message of device %r refused (%s); further ones are only counted", code, reason)


def _measures(device: Device, payload: Any, received: dt.datetime) -> list[tuple[str, dt.datetime, Any]]:
    items = payload if isinstance(payload, list) else [payload]
    if not items or len(items) > MAX_MEASURES or not all(isinstance(i, dict) for i in items):
        raise ValueError("payload")
    out = []
    mapping = device.mapping  # read once: an ORM attribute costs more than a dict lookup
    for item in items:
        stamp = item.get("TimeInstant", item.get("observedAt"))
        when = parse_time(stamp) if stamp is not None else received
        known = [m for m in item if m in mapping]
        if not known:
            raise ValueError("payload")
        for measure in known:
            value = item[measure]
            if numeric(value) is None and not isinstance(value, str):
                raise ValueError("payload")
            out.append((mapping[measure]["attribute"], when, value))
    return out


def ingest(db: Session, messages: Sequence[Message], orgs: set[int] | None = None) -> Outcome:
    """Take a batch of device messages in the caller's transaction; refused ones are counted, never raised.

    ``orgs``: the agencies the authorized caller operates (messages with a ``key`` are checked
    against the device's key instead).
    """
    outcome = Outcome()
    if len(messages) > MAX_BATCH:
        raise DomainError("too_many", N_("Send at most {n} readings at once."), field="readings", n=MAX_BATCH)
    codes = {m.device for m in messages}
    devices = {d.code: d for d in db.scalars(select(Device).where(Device.code.in_(codes)))} if codes else {}
    entities = {e.id: e for e in db.scalars(select(Entity).where(
        Entity.id.in_({d.entity_pk for d in devices.values()})))} if devices else {}
    found: list[Observation] = []
    seen: list[Device] = []
    now = clock.now()
    for index, message in enumerate(messages):
        device = devices.get(message.device)
        if device is None or not device.active or (
                message.key is None and orgs is not None and device.organization_id not in orgs):
            reason = "unknown_device"
        elif message.key is not None and not hmac.compare_digest(device.key_hash, key_hash(message.key)):
            reason = "wrong_key"
        else:
            try:
                measured = _measures(device, message.payload, message.received_at or now)
            except (ValueError, NgsiError):
                reason = "bad_payload"
            else:
                entity = entities[device.entity_pk]
                for attribute, when, value in measured:
                    number = numeric(value)
                    found.append(Observation(entity, attribute, when, number,
                                             None if number is not None else str(value)[:256]))
                seen.append(device)
                continue
        refuse(db, message.device, reason)
        outcome.refused.append((index, reason))
    fresh = store(db, found)
    outcome.stored, outcome.duplicates = len(fresh), len(found) - len(fresh)
    notify.changed(db, _latest(fresh))
    for device in seen:
        device.last_seen_at = now
    outcome.alerts = rules.evaluate(db, fresh)
    return outcome


def _latest(fresh: Sequence[Observation]) -> list[tuple[Entity, list[str]]]:
    """The entity keeps each attribute's newest value (an older reading arriving late changes nothing).

    Returns the attributes that changed, per entity (what subscriptions are told about).
    """
    newest: dict[tuple[int, str], Observation] = {}
    for o in fresh:
        key = (o.entity.id, o.attribute)
        if key not in newest or newest[key].observed_at < o.observed_at:
            newest[key] = o
    by_entity: dict[int, list[Observation]] = {}
    for o in newest.values():
        by_entity.setdefault(o.entity.id, []).append(o)
    changed: list[tuple[Entity, list[str]]] = []
    for group in by_entity.values():
        entity = group[0].entity
        attrs = dict(entity.attrs)
        names = []
        for o in group:
            current = attrs.get(o.attribute)
            if isinstance(current, dict) and "observedAt" in current and \
                    parse_time(current["observedAt"]) >= o.observed_at:
                continue
            unit = _unit(entity, o.attribute, current)
            attrs[o.attribute] = {"type": "Property", "value": o.value if o.value is not None else o.text,
                                  "observedAt": format_time(o.observed_at), **({"unitCode": unit} if unit else {})}
            names.append(o.attribute)
        entity.attrs = attrs
        entity.modified_at = max(o.observed_at for o in group)
        if names:
            changed.append((entity, names))
    return changed


def _unit(entity: Entity, attribute: str, current: Any) -> str | None:
    if isinstance(current, dict) and current.get("unitCode"):
        return str(current["unitCode"])
    return None
