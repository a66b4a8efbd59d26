"""Alerts, incidents and work orders: what a rule's firing turns into.

An alert is de-duplicated per rule and entity while it is not resolved (``open_key`` is unique);
firing again counts and keeps the worst value's time. An alert of a rule that opens incidents
opens one per entity (or joins the entity's open incident); a rule that dispatches files a work
order at once: a case of the internal ``operations-work-order`` service on the services engine,
filed for the rule's author and worked in the city agency's inbox. When the case reaches a
terminal state (the service's workflow action ``operations-work-order-moved``, in the same
transaction) the incident and its alerts are resolved. Operators are told through the outbox (SMS
and e-mail templates below; the alert queue page is the in-app view).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events, identity, notifications, services
from smartgov.errors import Conflict, DomainError
from smartgov.i18n import N_

from .events import (
    ALERT_ACKNOWLEDGED,
    ALERT_ESCALATED,
    ALERT_RAISED,
    ALERT_RESOLVED,
    INCIDENT_OPENED,
    INCIDENT_RESOLVED,
    WORK_ORDER_DISPATCHED,
)
from .models import Alert, Entity, Incident, Rule, WorkOrder
from .readings import Target

WORK_ORDER_SERVICE = "operations-work-order"
TERMINAL = frozenset({"done", "cancelled"})
MAX_SEVERITY = 3

notifications.register_template(notifications.MessageTemplate(
    key="operations.alert",
    subject_fa="هشدار {severity}: {rule}", subject_en="{severity} alert: {rule}",
    body_fa="قاعدهٔ «{rule}» برای {entity} فعال شد (مقدار {value}). صف هشدارها: {link}",
    body_en="Rule “{rule}” fired for {entity} (value {value}). Alert queue: {link}"))


def _notify(db: Session, rule: Rule, alert: Alert, entity: Entity | Target) -> None:
    from smartgov.settings import public_url

    context = {"rule": rule.name, "entity": entity.entity_id, "severity": alert.severity,
               "value": "-" if alert.value is None else round(alert.value, 3),
               "link": public_url("/operations/alerts")}
    if rule.notify_phone:
        notifications.queue_sms(db, to=rule.notify_phone, template="operations.alert", context=context)
    if rule.notify_email:
        notifications.queue_email(db, to=rule.notify_email, template="operations.alert", lang="fa",
                                  context=context)


def fire(db: Session, rule: Rule, entity: Entity | Target, value: float | None, at: dt.datetime, *,
         quiet: bool = False) -> bool:
    """Raise (or count again) the rule's alert on the entity; True when a new alert was opened."""
    key = f"{rule.id}:{entity.id}"
    alert = db.scalar(select(Alert).where(Alert.open_key == key))
    if alert is not None:
        if quiet:
            return False  # a silence already reported is not counted again each round
        alert.count += 1
        alert.last_at = max(alert.last_at, at)
        alert.value = value
        return False
    alert = Alert(organization_id=entity.organization_id, rule_id=rule.id, entity_pk=entity.id, open_key=key,
                  severity=rule.severity, status="open", count=1, value=value, first_at=at, last_at=at)
    db.add(alert)
    db.flush()
    events.publish(db, ALERT_RAISED, alert_id=alert.id, rule_id=rule.id, entity=entity.entity_id,
                   organization_id=entity.organization_id, severity=alert.severity, value=value)
    _notify(db, rule, alert, entity)
    if rule.open_incident:
        incident = open_incident(db, alert, rule, entity)
        if rule.dispatch and incident.status == "open":
            dispatch(db, incident, rule.created_by, note=rule.name)
    return True


def acknowledge(db: Session, alert: Alert, actor_id: int) -> None:
    """An operator has seen the alert: it stops escalating (409 if already acknowledged or resolved)."""
    if alert.status != "open":
        raise Conflict("alert_not_open", N_("This alert is already acknowledged or resolved."))
    alert.status = "acknowledged"
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = actor_id
    events.publish(db, ALERT_ACKNOWLEDGED, actor_id=actor_id, alert_id=alert.id,
                   organization_id=alert.organization_id,
                   seconds_to_acknowledge=int((alert.acknowledged_at - alert.first_at).total_seconds()))


def resolve_alert(db: Session, alert: Alert, actor_id: int | None) -> None:
    """Close an alert (a new firing of its rule then opens a new one)."""
    if alert.status == "resolved":
        return
    alert.status, alert.open_key, alert.resolved_at = "resolved", None, clock.now()
    events.publish(db, ALERT_RESOLVED, actor_id=actor_id, alert_id=alert.id, organization_id=alert.organization_id)


def escalate_due(db: Session, now: dt.datetime | None = None) -> int:
    """Alerts not acknowledged within their rule's time go one severity up and are sent again (worker job)."""
    now = now or clock.now()
    count = 0
    rows = db.execute(select(Alert, Rule, Entity).join(Rule, Rule.id == Alert.rule_id)
                      .join(Entity, Entity.id == Alert.entity_pk)
                      .where(Alert.status == "open", Rule.escalate_minutes.is_not(None))).all()
    for alert, rule, entity in rows:
        since = alert.escalated_at or alert.first_at
        if now - since < dt.timedelta(minutes=rule.escalate_minutes or 0):
            continue
        alert.escalated_at = now
        alert.severity = min(MAX_SEVERITY, alert.severity + 1)
        events.publish(db, ALERT_ESCALATED, alert_id=alert.id, organization_id=alert.organization_id,
                       severity=alert.severity)
        _notify(db, rule, alert, entity)
        count += 1
    return count


def open_incident(db: Session, alert: Alert, rule: Rule, entity: Entity | Target) -> Incident:
    """The entity's open incident (raised to the alert's severity), or a new one."""
    incident = db.scalar(select(Incident).where(Incident.entity_pk == entity.id,
                                                Incident.status.in_(("open", "dispatched"))))
    if incident is None:
        incident = Incident(organization_id=entity.organization_id, entity_pk=entity.id,
                            title=f"{rule.name} — {entity.entity_id}"[:300], severity=alert.severity, status="open",
                            opened_at=alert.first_at)
        db.add(incident)
        db.flush()
        events.publish(db, INCIDENT_OPENED, incident_id=incident.id, alert_id=alert.id,
                       organization_id=incident.organization_id, entity=entity.entity_id,
                       severity=incident.severity)
    else:
        incident.severity = max(incident.severity, alert.severity)
    alert.incident_id = incident.id
    return incident


def dispatch(db: Session, incident: Incident, actor_id: int, *, note: str = "") -> WorkOrder:
    """File a work order for the incident: a case of the internal work-order service, for ``actor_id``.

    The case is submitted through the services engine's public surface, so it has the service's
    workflow, SLA, routing and inbox; 409 if the incident is resolved.
    """
    if incident.status == "resolved":
        raise Conflict("incident_resolved", N_("This incident is already resolved."))
    principal = identity.principal_of(db, actor_id)
    if principal is None:
        raise DomainError("no_dispatcher", N_("The account that orders the work is not active."), status=409)
    entity = db.get(Entity, incident.entity_pk)
    answers: dict[str, Any] = {
        "incident": str(incident.id), "entity": entity.entity_id if entity else "-",
        "description": (note or incident.title)[:500] or incident.title,
    }
    submitted = services.submit_application(db, principal, WORK_ORDER_SERVICE, answers,
                                            idempotency_key=f"ops-incident-{incident.id}-{_orders(db, incident)}")
    case = submitted.application
    order = WorkOrder(incident_id=incident.id, case_reference=case.reference, state=case.state,
                      opened_at=clock.now())
    db.add(order)
    incident.status = "dispatched"
    db.flush()
    events.publish(db, WORK_ORDER_DISPATCHED, actor_id=actor_id, incident_id=incident.id,
                   organization_id=incident.organization_id, reference=case.reference)
    return order


def _orders(db: Session, incident: Incident) -> int:
    return len(db.scalars(select(WorkOrder.id).where(WorkOrder.incident_id == incident.id)).all())


def resolve_incident(db: Session, incident: Incident, actor_id: int | None) -> None:
    """Resolve the incident and its alerts."""
    if incident.status == "resolved":
        return
    incident.status, incident.resolved_at = "resolved", clock.now()
    for alert in db.scalars(select(Alert).where(Alert.incident_id == incident.id)):
        resolve_alert(db, alert, actor_id)
    events.publish(db, INCIDENT_RESOLVED, actor_id=actor_id, incident_id=incident.id,
                   organization_id=incident.organization_id,
                   seconds_to_resolve=int((incident.resolved_at - incident.opened_at).total_seconds()))


#: The workflow action the work-order service lists on each of its transitions (its definition's YAML).
WORK_ORDER_MOVED = "operations-work-order-moved"


def _work_order_moved(ctx: services.ActionContext) -> dict[str, Any] | None:
    """A work-order case is moving: keep its state; when every order of the incident is closed, resolve it.

    A workflow action of that one service, run by the engine in the transition's transaction — not a
    subscriber to every case's transition, which would send every service's decided-at-once
    submissions to the unit of work (``pipeline.route``: a subscriber in the transaction)."""
    db, state = ctx.db, ctx.transition.to if ctx.transition is not None else ctx.application.state
    order = db.scalar(select(WorkOrder).where(WorkOrder.case_reference == ctx.application.reference))
    if order is None:
        return None
    order.state = state
    if order.state in TERMINAL and order.closed_at is None:
        order.closed_at = clock.now()
        open_orders = db.scalars(select(WorkOrder).where(WorkOrder.incident_id == order.incident_id,
                                                         WorkOrder.closed_at.is_(None),
                                                         WorkOrder.id != order.id)).all()
        incident = db.get(Incident, order.incident_id)
        if incident is not None and not open_orders and order.state == "done":
            resolve_incident(db, incident, ctx.actor_id)
        elif incident is not None and not open_orders:
            incident.status = "open"  # cancelled: back on the board to dispatch again
    return {"incident_id": order.incident_id}


services.register_action(WORK_ORDER_MOVED, _work_order_moved)


def fire_series(db: Session, rule: Rule, entity: Entity | Target, hits: list[tuple[float, dt.datetime]]) -> bool:
    """The rule held on these readings of the entity (oldest first): the alert ends as if ``fire`` had
    been called on each in turn (counted once each, the last value kept), with one look-up, not one
    per reading. True when a new alert was opened."""
    value, at = hits[0]
    opened = fire(db, rule, entity, value, at)
    if len(hits) > 1:
        alert = db.scalar(select(Alert).where(Alert.open_key == f"{rule.id}:{entity.id}"))
        if alert is not None:
            alert.count += len(hits) - 1
            alert.last_at = max(alert.last_at, max(a for _, a in hits[1:]))
            alert.value = hits[-1][0]
    return opened
