"""The context broker's use cases: NGSI-LD entities and their attributes, scoped by agency.

Every change of a numeric Property is also a reading (``readings.observe``), so the temporal API
and the rules see what came through NGSI-LD exactly as what came from a device.
Functions take a Session and never commit; the caller's transaction is the use case's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smartgov import clock, events

from . import notify, readings, rules
from .events import ENTITY_CHANGED
from .models import Device, Entity
from .ngsi import EntityIn, NgsiError, bad, check_attribute, location_of, numeric, parse_time
from .query import GeoQuery, parse_q
from .readings import Observation

MAX_LIMIT = 1000


def _scoped(orgs: set[int] | None) -> Select[tuple[Entity]]:
    query = select(Entity)
    return query if orgs is None else query.where(Entity.organization_id.in_(orgs or {-1}))


def find(db: Session, orgs: set[int] | None, entity_id: str) -> Entity:
    """The entity with this id among those the caller operates (404 ResourceNotFound otherwise)."""
    row = db.scalar(_scoped(orgs).where(Entity.entity_id == entity_id))
    if row is None:
        raise NgsiError("ResourceNotFound", f"no entity {entity_id[:256]}")
    return row


def _locate(row: Entity) -> None:
    row.lon, row.lat, row.geometry = location_of(row.attrs)


def _changed(db: Session, actor_id: int | None, row: Entity, action: str, names: Iterable[str]) -> None:
    events.publish(db, ENTITY_CHANGED, actor_id=actor_id, entity=row.entity_id, type=row.type,
                   organization_id=row.organization_id, action=action, attributes=sorted(names))


def create(db: Session, org_id: int, entity: EntityIn, actor_id: int | None) -> Entity:
    """A new entity (409 AlreadyExists if its id is taken, in any agency)."""
    if db.scalar(select(Entity.id).where(Entity.entity_id == entity.id)) is not None:
        raise NgsiError("AlreadyExists", f"entity {entity.id} already exists")
    now = clock.now()
    row = Entity(organization_id=org_id, entity_id=entity.id, type=entity.type, attrs=dict(entity.attrs),
                 created_at=now, modified_at=now)
    _locate(row)
    db.add(row)
    db.flush()
    _observe(db, row, entity.attrs, now)
    _changed(db, actor_id, row, "created", entity.attrs)
    notify.changed(db, [(row, entity.attrs)])
    return row


def append(db: Session, row: Entity, attrs: dict[str, Any], actor_id: int | None, *,
           overwrite: bool = True) -> list[str]:
    """Add attributes (replacing those of the same name unless ``overwrite`` is off); returns names not updated."""
    kept = [n for n in attrs if not overwrite and n in row.attrs]
    chosen = {n: a for n, a in attrs.items() if n not in kept}
    _apply(db, row, chosen, actor_id, "appended")
    return kept


def update(db: Session, row: Entity, attrs: dict[str, Any], actor_id: int | None) -> list[str]:
    """Replace attributes that exist; returns the names that do not (not updated)."""
    missing = [n for n in attrs if n not in row.attrs]
    _apply(db, row, {n: a for n, a in attrs.items() if n not in missing}, actor_id, "updated")
    return missing


def patch_attribute(db: Session, row: Entity, name: str, fragment: Any, actor_id: int | None) -> None:
    """Partial update of one attribute: the members sent replace those stored (404 if no such attribute)."""
    if name not in row.attrs:
        raise NgsiError("ResourceNotFound", f"entity {row.entity_id} has no attribute {name[:128]}")
    if not isinstance(fragment, dict):
        raise bad("the body must be a JSON object (members of the attribute)")
    merged = {**row.attrs[name], **{k: v for k, v in fragment.items() if k != "@context"}}
    _apply(db, row, {name: check_attribute(name, merged)}, actor_id, "updated")


def _apply(db: Session, row: Entity, attrs: dict[str, Any], actor_id: int | None, action: str) -> None:
    if not attrs:
        return
    now = clock.now()
    row.attrs = {**row.attrs, **attrs}
    row.modified_at = now
    _locate(row)
    _observe(db, row, attrs, now)
    _changed(db, actor_id, row, action, attrs)
    notify.changed(db, [(row, attrs)])


def delete_attribute(db: Session, row: Entity, name: str, actor_id: int | None) -> None:
    """Remove one attribute (404 if it is not there); its readings stay for the temporal API."""
    if name not in row.attrs:
        raise NgsiError("ResourceNotFound", f"entity {row.entity_id} has no attribute {name[:128]}")
    row.attrs = {k: v for k, v in row.attrs.items() if k != name}
    row.modified_at = clock.now()
    _locate(row)
    _changed(db, actor_id, row, "attribute_deleted", [name])
    notify.changed(db, [(row, [name])])


def delete(db: Session, row: Entity, actor_id: int | None) -> None:
    """Remove an entity (409 while a device feeds it: deprovision the device first)."""
    if db.scalar(select(Device.id).where(Device.entity_pk == row.id).limit(1)) is not None:
        raise NgsiError("OperationNotSupported", f"entity {row.entity_id} is fed by a device; remove it first")
    _changed(db, actor_id, row, "deleted", [])
    readings.forget(db, row.id)
    db.delete(row)
    db.flush()


def query(db: Session, orgs: set[int] | None, *, types: list[str] | None = None, ids: list[str] | None = None,
          id_pattern: str | None = None, q: str | None = None, geo: GeoQuery | None = None,
          attrs: list[str] | None = None, limit: int = 20, offset: int = 0) -> tuple[list[Entity], int]:
    """Entities matching the query, in id order, and how many match in all.

    The database narrows by agency, type, id and the geo-query's bounding box; ``q``, ``idPattern``
    and exact geometry are tested here on what is left.
    """
    if not (types or ids or id_pattern or q or geo or attrs):
        raise bad("a query needs type, id, idPattern, q, attrs or a geo-query")
    if not 0 <= limit <= MAX_LIMIT:
        raise NgsiError("TooManyResults", f"limit is at most {MAX_LIMIT}")
    stmt = _scoped(orgs).order_by(Entity.entity_id)
    if types:
        stmt = stmt.where(Entity.type.in_(types))
    if ids:
        stmt = stmt.where(Entity.entity_id.in_(ids))
    box = geo.bounds() if geo else None
    if box:
        stmt = stmt.where(Entity.lon.between(box[0], box[2]), Entity.lat.between(box[1], box[3]))
    try:
        pattern = re.compile(id_pattern) if id_pattern else None
    except re.error:
        raise bad("idPattern is not a regular expression") from None
    predicate = parse_q(q) if q else None
    matched = []
    for row in db.scalars(stmt):
        if pattern and not pattern.fullmatch(row.entity_id):
            continue
        if attrs and not any(a in row.attrs for a in attrs):
            continue
        if geo and not geo.matches(row.lon, row.lat):
            continue
        if predicate and not predicate(row.attrs):
            continue
        matched.append(row)
    return matched[offset:offset + limit], len(matched)


def _observe(db: Session, entity: Entity, attrs: dict[str, Any], now: dt.datetime) -> list[Observation]:
    """Readings for the Properties of an NGSI-LD change (at observedAt, else now), then the rules."""
    found = []
    for name, attr in attrs.items():
        if attr.get("type") != "Property":
            continue
        value = numeric(attr.get("value"))
        text = attr["value"][:256] if isinstance(attr.get("value"), str) else None
        if value is None and text is None:
            continue
        when = parse_time(attr["observedAt"]) if "observedAt" in attr else now
        found.append(Observation(entity, name, when, value, text))
    fresh = readings.store(db, found)
    rules.evaluate(db, fresh)
    return fresh
