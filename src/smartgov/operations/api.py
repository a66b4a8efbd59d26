"""The operations API (``/api/v1/operations``): devices, telemetry ingest, rules, alerts, incidents;
and the NGSI-LD API (``/ngsi-ld/v1``, ``ngsi_api.py``), mounted with it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy import select

from smartgov import identity
from smartgov.errors import DomainError, Forbidden, NotFound
from smartgov.i18n import N_
from smartgov.identity import Principal
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id

from . import alerts as alerting
from . import board, ingest, ngsi_api, rules
from .models import Entity
from .permissions import can_change, is_operator, operated_orgs
from .schemas import (
    AlertPublic,
    DeviceCreate,
    DeviceCreated,
    IncidentPublic,
    IngestBatch,
    IngestResult,
    Refused,
    RuleCreate,
    RulePublic,
    WorkOrderPublic,
    payload_of,
)

ops = APIRouter(prefix="/api/v1/operations", tags=["operations"])


def _operator(db: Any, principal: Principal) -> set[int] | None:
    identity.require(is_operator(principal))
    return operated_orgs(db, principal)


def _home(db: Any, principal: Principal, agency: str | None) -> int:
    """The agency a new device or rule belongs to: the one named, or the caller's only one."""
    if agency:
        org_id = identity.organization_by_code(db, agency).id
    else:
        mine = principal.org_ids(identity.Role.OFFICIAL, identity.Role.AGENCY_ADMIN)
        if len(mine) != 1:
            raise DomainError("agency_required", N_("Say which agency (its code)."), field="agency")
        org_id = next(iter(mine))
    identity.require(can_change(db, principal, org_id))
    return org_id


def _result(outcome: ingest.Outcome) -> IngestResult:
    return IngestResult(stored=outcome.stored, duplicates=outcome.duplicates, alerts=outcome.alerts,
                        refused=[Refused(index=i, reason=r) for i, r in outcome.refused])  # type: ignore[arg-type]


@ops.post("/devices", status_code=201)
def provision_device(body: DeviceCreate, db: DbSession, principal: CurrentPrincipal,
                     agency: Annotated[str | None, Query(max_length=64)] = None) -> DeviceCreated:
    """Provision a device for an entity of your agency; its key is shown only in this answer."""
    orgs = _operator(db, principal)
    entity = db.scalar(select(Entity).where(Entity.entity_id == body.entity))
    if entity is None or (orgs is not None and entity.organization_id not in orgs):
        raise NotFound("entity", field="entity")
    org_id = entity.organization_id
    identity.require(can_change(db, principal, org_id) and (agency is None or
                                                             identity.organization_by_code(db, agency).id == org_id))
    device, key = ingest.provision(db, org_id, principal.id, code=body.code, entity=entity, mapping=body.mapping)
    db.commit()
    return DeviceCreated(code=device.code, entity=entity.entity_id, key=key)


@ops.post("/ingest")
def ingest_batch(body: IngestBatch, db: DbSession, principal: CurrentPrincipal) -> IngestResult:
    """Readings of devices of your agencies, in one transaction: a 200 means every stored one is committed."""
    orgs = _operator(db, principal)
    if not identity.can_write(principal):
        raise Forbidden()
    outcome = ingest.ingest(db, [ingest.Message(r.device, payload_of(r)) for r in body.readings],
                            orgs=orgs if orgs is not None else None)
    db.commit()
    return _result(outcome)


@ops.post("/iot/json")
def ingest_device(request: Request, db: DbSession, payload: Annotated[Any, Body()],
                  k: Annotated[str, Query(min_length=8, max_length=128)],
                  i: Annotated[str, Query(min_length=1, max_length=64)]) -> IngestResult:
    """A device's own message with its key (the FIWARE IoT Agent HTTP convention: ``?k=<key>&i=<device>``)."""
    outcome = ingest.ingest(db, [ingest.Message(i, payload, key=k)])
    db.commit()
    return _result(outcome)


@ops.post("/rules", status_code=201)
def create_rule(body: RuleCreate, db: DbSession, principal: CurrentPrincipal) -> RulePublic:
    """A rule of your agency; its condition is in the platform's expression language."""
    _operator(db, principal)
    org_id = _home(db, principal, body.agency)
    rule = rules.create_rule(db, org_id, principal.id, **body.model_dump(exclude={"agency"}))
    db.commit()
    return RulePublic(id=rule.id, name=rule.name, kind=rule.kind, condition=rule.condition, severity=rule.severity,
                      active=rule.active)


@ops.get("/alerts")
def list_alerts(db: DbSession, principal: CurrentPrincipal,
                status: Annotated[str | None, Query(pattern="^(open|acknowledged|resolved)$")] = None
                ) -> list[AlertPublic]:
    """The alert queue of your agencies, worst first."""
    rows = board.alerts(db, _operator(db, principal), statuses=(status,) if status else ("open", "acknowledged"))
    return [AlertPublic(id=r.alert.id, rule_id=r.rule.id, entity=r.entity.entity_id, severity=r.alert.severity,
                        status=r.alert.status, count=r.alert.count, value=r.alert.value,
                        first_at=board.iso(r.alert.first_at), last_at=board.iso(r.alert.last_at),
                        incident_id=r.alert.incident_id) for r in rows]


@ops.post("/alerts/{alert_id}/acknowledge", status_code=204)
def acknowledge_alert(alert_id: Id, db: DbSession, principal: CurrentPrincipal) -> None:
    """Acknowledge an alert (it stops escalating); 409 if it is not open."""
    row = board.alert(db, _operator(db, principal), alert_id)
    identity.require(can_change(db, principal, row.organization_id))
    alerting.acknowledge(db, row, principal.id)
    db.commit()


@ops.get("/incidents")
def list_incidents(db: DbSession, principal: CurrentPrincipal) -> list[IncidentPublic]:
    """The incident board of your agencies."""
    return [IncidentPublic(id=r.incident.id, entity=r.entity.entity_id, title=r.incident.title,
                           severity=r.incident.severity, status=r.incident.status,
                           opened_at=board.iso(r.incident.opened_at),
                           work_orders=[o.case_reference for o in r.orders])
            for r in board.incidents(db, _operator(db, principal))]


@ops.post("/incidents/{incident_id}/dispatch", status_code=201)
def dispatch_incident(incident_id: Id, db: DbSession, principal: CurrentPrincipal) -> WorkOrderPublic:
    """Order work for an incident: a case of the work-order service, filed by you."""
    row = board.incident(db, _operator(db, principal), incident_id)
    identity.require(can_change(db, principal, row.organization_id))
    order = alerting.dispatch(db, row, principal.id)
    db.commit()
    return WorkOrderPublic(incident_id=row.id, reference=order.case_reference, state=order.state)


router = APIRouter()
router.include_router(ops)
router.include_router(ngsi_api.router)
