"""Read models of the operations centre: entities with their latest values, devices, the alert
queue and the incident board, always within the agencies the caller operates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov.errors import NotFound

from .models import Alert, Device, Entity, Incident, Rejection, Rollup, Rule, WorkOrder


def _in(column: Any, orgs: set[int] | None) -> Any:
    return True if orgs is None else column.in_(orgs or {-1})


def entities(db: Session, orgs: set[int] | None, *, limit: int = 200) -> list[Entity]:
    return list(db.scalars(select(Entity).where(_in(Entity.organization_id, orgs)).order_by(Entity.type,
                                                                                            Entity.entity_id)
                           .limit(limit)))


def entity(db: Session, orgs: set[int] | None, entity_pk: int) -> Entity:
    """One entity among the agencies the caller operates (404 otherwise)."""
    row = db.get(Entity, entity_pk)
    if row is None or (orgs is not None and row.organization_id not in orgs):
        raise NotFound("entity")
    return row


def devices(db: Session, orgs: set[int] | None) -> list[tuple[Device, Entity]]:
    return [(d, e) for d, e in db.execute(select(Device, Entity).join(Entity, Entity.id == Device.entity_pk)
                                          .where(_in(Device.organization_id, orgs)).order_by(Device.code))]


def rejections(db: Session, codes: list[str]) -> list[Rejection]:
    """Refused messages of the caller's devices (unknown ids are counted under the id sent)."""
    return list(db.scalars(select(Rejection).where(Rejection.device_code.in_(codes)).order_by(Rejection.device_code)))


def sparkline(db: Session, entity_pk: int, attribute: str, hours: int = 24) -> list[float]:
    """The hourly averages of the last ``hours`` hours that have readings, oldest first."""
    rows = db.execute(select(Rollup.bucket, Rollup.total, Rollup.count).where(
        Rollup.entity_pk == entity_pk, Rollup.attribute == attribute, Rollup.period == 3600)
        .order_by(Rollup.bucket.desc()).limit(hours)).all()
    return [t / c for _, t, c in reversed(rows) if c]


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    rule: Rule
    entity: Entity


def alerts(db: Session, orgs: set[int] | None, *, statuses: tuple[str, ...] = ("open", "acknowledged"),
           limit: int = 200) -> list[AlertRow]:
    """The alert queue: worst first, then newest."""
    rows = db.execute(select(Alert, Rule, Entity).join(Rule, Rule.id == Alert.rule_id)
                      .join(Entity, Entity.id == Alert.entity_pk)
                      .where(_in(Alert.organization_id, orgs), Alert.status.in_(statuses))
                      .order_by(Alert.severity.desc(), Alert.last_at.desc()).limit(limit)).all()
    return [AlertRow(a, r, e) for a, r, e in rows]


def alert(db: Session, orgs: set[int] | None, alert_id: int) -> Alert:
    row = db.get(Alert, alert_id)
    if row is None or (orgs is not None and row.organization_id not in orgs):
        raise NotFound("alert")
    return row


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    entity: Entity
    orders: list[WorkOrder]


def incidents(db: Session, orgs: set[int] | None, *, limit: int = 200) -> list[IncidentRow]:
    """The incident board: unresolved first, then recently resolved."""
    rows = db.execute(select(Incident, Entity).join(Entity, Entity.id == Incident.entity_pk)
                      .where(_in(Incident.organization_id, orgs))
                      .order_by((Incident.status == "resolved"), Incident.severity.desc(), Incident.opened_at.desc())
                      .limit(limit)).all()
    ids = [i.id for i, _ in rows]
    orders: dict[int, list[WorkOrder]] = {}
    for order in db.scalars(select(WorkOrder).where(WorkOrder.incident_id.in_(ids or [-1])).order_by(WorkOrder.id)):
        orders.setdefault(order.incident_id, []).append(order)
    return [IncidentRow(i, e, orders.get(i.id, [])) for i, e in rows]


def incident(db: Session, orgs: set[int] | None, incident_id: int) -> Incident:
    row = db.get(Incident, incident_id)
    if row is None or (orgs is not None and row.organization_id not in orgs):
        raise NotFound("incident")
    return row


def counts(db: Session, orgs: set[int] | None) -> dict[str, int]:
    """Headline numbers of the operations centre."""
    def one(stmt: Any) -> int:
        return int(db.scalar(stmt) or 0)
    return {
        "entities": one(select(func.count()).select_from(Entity).where(_in(Entity.organization_id, orgs))),
        "devices": one(select(func.count()).select_from(Device).where(_in(Device.organization_id, orgs))),
        "open_alerts": one(select(func.count()).select_from(Alert).where(_in(Alert.organization_id, orgs),
                                                                          Alert.status == "open")),
        "incidents": one(select(func.count()).select_from(Incident).where(_in(Incident.organization_id, orgs),
                                                                           Incident.status != "resolved")),
    }


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()
