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
import json
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_

from . import notify, rules
from .events import DEVICE_PROVISIONED
from .models import Device, Entity, Rejection
from .ngsi import NgsiError, format_time, numeric, parse_time
from .readings import Observation, Target, among, store

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


@dataclass(frozen=True, slots=True)
class _Device:
    """What ingest reads of a device: plain columns, no ORM object (a batch names a thousand)."""

    id: int
    organization_id: int
    key_hash: str
    entity_pk: int
    mapping: dict[str, Any]
    active: bool


#: Each device's mapping by its row id and creation instant (an id SQLite reuses after a deletion,
#: or a restored database, is another device). A mapping is set when the device is provisioned and
#: never changed (there is no call that changes it), so it is read from the database once per
#: process: decoding a thousand JSON documents per batch cost more than storing the batch's readings.
_mappings: dict[tuple[int, dt.datetime], dict[str, Any]] = {}


def _devices(db: Session, codes: set[str]) -> dict[str, _Device]:
    """The batch's devices by code, their keys and state read each time (a rotated key or a
    deactivated device takes effect at once), their mappings from ``_mappings``."""
    rows = db.execute(select(Device.code, Device.id, Device.organization_id, Device.key_hash, Device.entity_pk,
                             Device.active, Device.created_at).where(among(db, Device.code, codes))).all()
    missing = {r[1]: r[6] for r in rows if (r[1], r[6]) not in _mappings}
    if missing:
        if len(_mappings) + len(missing) > 100_000:
            _mappings.clear()
        for pk, mapping in db.execute(select(Device.id, Device.mapping).where(among(db, Device.id, list(missing)))):
            _mappings[(pk, missing[pk])] = mapping
    return {code: _Device(pk, org, key, entity, _mappings[(pk, created)], active)
            for code, pk, org, key, entity, active, created in rows}


def _measures(mapping: dict[str, Any], payload: Any, received: dt.datetime) -> list[tuple[str, dt.datetime, Any]]:
    items = payload if isinstance(payload, list) else [payload]
    if not items or len(items) > MAX_MEASURES or not all(isinstance(i, dict) for i in items):
        raise ValueError("payload")
    out = []
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
    against the device's key instead). Per message only Python's own work (key, payload, one
    tuple per reading); devices and entities are read as plain rows in two queries, readings
    and rollups written by ``readings.store``, entities' latest values and devices' last-seen
    instants in one statement each, rules per batch (``rules.evaluate``).
    """
    outcome = Outcome()
    if len(messages) > MAX_BATCH:
        raise DomainError("too_many", N_("Send at most {n} readings at once."), field="readings", n=MAX_BATCH)
    codes = {m.device for m in messages}
    devices = _devices(db, codes) if codes else {}
    entities = {row[0]: Target(*row) for row in db.execute(select(
        Entity.id, Entity.organization_id, Entity.type, Entity.entity_id).where(
        among(db, Entity.id, {d.entity_pk for d in devices.values()})))} if devices else {}
    found: list[Observation] = []
    seen: set[int] = set()
    now = clock.now()
    hashes: dict[str, str] = {}
    for index, message in enumerate(messages):
        device = devices.get(message.device)
        if device is None or not device.active or (
                message.key is None and orgs is not None and device.organization_id not in orgs):
            reason = "unknown_device"
        elif message.key is not None and not hmac.compare_digest(
                device.key_hash, hashes.get(message.key) or hashes.setdefault(message.key, key_hash(message.key))):
            reason = "wrong_key"
        else:
            try:
                measured = _measures(device.mapping, message.payload, message.received_at or now)
            except (ValueError, NgsiError):
                reason = "bad_payload"
            else:
                entity = entities[device.entity_pk]
                for attribute, when, value in measured:
                    number = numeric(value)
                    found.append(Observation(entity, attribute, when, number,
                                             None if number is not None else str(value)[:256]))
                seen.add(device.id)
                continue
        refuse(db, message.device, reason)
        outcome.refused.append((index, reason))
    fresh = store(db, found)
    outcome.stored, outcome.duplicates = len(fresh), len(found) - len(fresh)
    notify.changed(db, _latest(db, fresh))  # type: ignore[arg-type]  # a Target has the id it reads
    if seen:
        db.execute(update(Device).where(among(db, Device.id, sorted(seen))).values(last_seen_at=now)
                   .execution_options(synchronize_session=False))
    outcome.alerts = rules.evaluate(db, fresh)
    return outcome


def _latest(db: Session, fresh: Sequence[Observation]) -> list[tuple[Entity | Target, list[str]]]:
    """The entity keeps each attribute's newest value (an older reading arriving late changes nothing).

    Returns the attributes that changed, per entity (what subscriptions are told about). On
    PostgreSQL one statement compares and merges only the changed attributes into the stored ones
    (``_PG_LATEST``), so a concurrent batch's other attributes are never overwritten; on SQLite
    (one writer at a time) the entities' attributes are read, merged here and written back.
    """
    newest: dict[tuple[int, str], Observation] = {}
    for o in fresh:
        key = (o.entity.id, o.attribute)
        if key not in newest or newest[key].observed_at < o.observed_at:
            newest[key] = o
    if not newest:
        return []
    targets = {o.entity.id: o.entity for o in newest.values()}
    if db.get_bind().dialect.name == "postgresql":
        rows = [[pk, name, format_time(o.observed_at), o.value if o.value is not None else o.text]
                for (pk, name), o in sorted(newest.items())]
        return [(targets[pk], sorted(names)) for pk, names in db.execute(_PG_LATEST, {"rows": json.dumps(rows)})
                if names]
    stored: dict[int, dict[str, Any]] = dict(db.execute(select(Entity.id, Entity.attrs).where(
        Entity.id.in_(sorted(targets)))).all())
    by_entity: dict[int, list[Observation]] = {}
    for o in newest.values():
        by_entity.setdefault(o.entity.id, []).append(o)
    changed: list[tuple[Entity | Target, list[str]]] = []
    updates: list[dict[str, Any]] = []
    for pk, group in sorted(by_entity.items()):
        attrs = dict(stored.get(pk) or {})
        names = []
        for o in group:
            current = attrs.get(o.attribute)
            if isinstance(current, dict) and "observedAt" in current and \
                    parse_time(current["observedAt"]) >= o.observed_at:
                continue
            unit = _unit(current)
            attrs[o.attribute] = {"type": "Property", "value": o.value if o.value is not None else o.text,
                                  "observedAt": format_time(o.observed_at), **({"unitCode": unit} if unit else {})}
            names.append(o.attribute)
        updates.append({"id": pk, "attrs": attrs, "modified_at": max(o.observed_at for o in group)})
        if names:
            changed.append((targets[pk], names))
    db.execute(update(Entity).execution_options(synchronize_session=False), updates)
    return changed


# [[entity pk, attribute, observedAt, value], ...] of the batch's newest readings, in key order. The
# rows are locked in id order (``locked``, as every writer does) before they are compared and merged.
_PG_LATEST = text("""
WITH p AS (
  SELECT (r->>0)::integer AS pk, r->>1 AS name, r->>2 AS stamp, (r->>2)::timestamptz AS at, r->3 AS value
  FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r),
locked AS MATERIALIZED (
  SELECT id FROM operations_entity WHERE id IN (SELECT pk FROM p) ORDER BY id FOR UPDATE),
cur AS (
  SELECT p.*, e.attrs::jsonb -> p.name AS old FROM p JOIN operations_entity e ON e.id = p.pk
  JOIN locked ON locked.id = p.pk),
newer AS (
  SELECT pk, name, jsonb_build_object('type', 'Property', 'value', value, 'observedAt', stamp)
    || CASE WHEN jsonb_typeof(old) = 'object' AND old ? 'unitCode' AND old->>'unitCode' <> ''
            THEN jsonb_build_object('unitCode', old->'unitCode') ELSE '{}'::jsonb END AS attr
  FROM cur
  WHERE NOT (jsonb_typeof(old) = 'object' AND old ? 'observedAt' AND (old->>'observedAt')::timestamptz >= at)),
patch AS (SELECT pk, jsonb_object_agg(name, attr) AS attrs, array_agg(name) AS names FROM newer GROUP BY pk),
times AS (SELECT pk, max(at) AS at FROM p GROUP BY pk)
UPDATE operations_entity e SET attrs = (e.attrs::jsonb || coalesce(patch.attrs, '{}'::jsonb))::json,
  modified_at = times.at
FROM times LEFT JOIN patch ON patch.pk = times.pk
WHERE e.id = times.pk
RETURNING e.id, patch.names""")


def _unit(current: Any) -> str | None:
    if isinstance(current, dict) and current.get("unitCode"):
        return str(current["unitCode"])
    return None
