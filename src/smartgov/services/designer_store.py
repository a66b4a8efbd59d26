"""The service designer's use cases: drafts created and changed in the browser, versions, schedules.

Each function is one step of one transaction (the page commits). A draft is a stored
``Definition`` row in status ``draft``; it is changed in place until it is published, and a
published version is never changed: the designer starts the next version instead. Every
change is checked by the engine's loader first and published as an event with who did it and
what changed (the audit trail), so nothing half-valid is ever stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import OrganizationView, OrgKind, Principal, Role

from . import designer, permissions
from .catalog import (
    _search_text,
    agency,
    definition_of,
    prepare_definition,
    publish_definition,
    retire_definition,
    store_definition,
)
from .definitions import DefinitionInvalid, Issue, ServiceDefinition
from .events import DEFINITION_CHANGED, DEFINITION_PUBLISHED, DEFINITION_RETIRED, DEFINITION_SCHEDULED
from .models import Definition, DefinitionSchedule, DefinitionStatus

SOURCE = "designer.yaml"
#: What a service's history shows, read back from the event store (declared here, at import, for the catalogue).
HISTORY = events.reads(DEFINITION_CHANGED, DEFINITION_SCHEDULED, DEFINITION_PUBLISHED, DEFINITION_RETIRED)


def design_agencies(db: Session, principal: Principal) -> list[OrganizationView]:
    """The agencies the caller may create services for (where they are an agency admin)."""
    if not principal.has_role(Role.AGENCY_ADMIN) and not permissions.is_platform_admin(principal):
        return []
    found = identity.organization_views(db, principal.org_ids(Role.AGENCY_ADMIN)).values()
    return sorted((o for o in found if o.kind == OrgKind.AGENCY), key=lambda o: o.code)


def can_design_any(db: Session, principal: Principal) -> bool:
    return bool(design_agencies(db, principal)) or permissions.is_platform_admin(principal)


def designable(db: Session, principal: Principal) -> list[Definition]:
    """Every stored version the caller may design, by service and newest first."""
    rows = db.scalars(select(Definition).order_by(Definition.service_id, Definition.version.desc()))
    seen: dict[int, bool] = {}
    out = []
    for row in rows:
        if row.agency_id not in seen:
            org = agency(db, row.agency_id)
            seen[row.agency_id] = org is not None and permissions.can_design_definition(db, principal, org)
        if seen[row.agency_id]:
            out.append(row)
    return out


def row_for(db: Session, principal: Principal, definition_id: int) -> Definition:
    """A version the caller may design; 404 for any other (its existence is not revealed)."""
    row = db.get(Definition, definition_id)
    org = agency(db, row.agency_id) if row is not None else None
    if row is None or org is None or not permissions.can_design_definition(db, principal, org):
        raise NotFound("definition")
    return row


def data_of(row: Definition) -> dict[str, Any]:
    """The builder's data of a stored version."""
    return designer.to_data(definition_of(row))


def _issue(field: str, message: str) -> DefinitionInvalid:
    return DefinitionInvalid([Issue(SOURCE, 0, 0, field, message)])


def create(db: Session, principal: Principal, data: Mapping[str, Any], *, how: str) -> Definition:
    """A new service's first draft (from scratch or from a template), owned by an agency of the caller."""
    text = designer.dump_yaml(data)
    defn, org = prepare_definition(db, text, SOURCE)
    if not permissions.can_design_definition(db, principal, org):
        raise _issue("agency", "you are not an admin of this agency")
    if db.scalar(select(Definition.id).where(Definition.service_id == defn.id).limit(1)) is not None:
        raise Conflict("designer_service_exists", N_("A service with this id exists already; choose another id."),
                       field="id")
    row = store_definition(db, defn, org, text, SOURCE, actor_id=principal.id, publish=False)
    _changed(db, principal, row, "created", how, "")
    return row


def _changed(db: Session, principal: Principal, row: Definition, change: str, at: str, detail: str) -> None:
    events.publish(db, DEFINITION_CHANGED, actor_id=principal.id, service_id=row.service_id, version=row.version,
                   definition_id=row.id, change=change, at=at, detail=detail[:500])


def _draft(row: Definition) -> None:
    if row.status != DefinitionStatus.DRAFT:
        raise Conflict("designer_not_draft",
                       N_("Only a draft can be changed; start a new version of this service."))


def save(db: Session, principal: Principal, row: Definition, text: str, *, change: str, at: str = "",
         detail: str = "") -> ServiceDefinition:
    """Replace a draft's YAML with ``text`` once the engine accepts it; its id, version and agency stay."""
    _draft(row)
    defn, org = prepare_definition(db, text, SOURCE)
    problems = []
    if defn.id != row.service_id:
        problems.append(Issue(SOURCE, 0, 0, "id", f"must stay {row.service_id!r} (a new id is a new service)"))
    if defn.version != row.version:
        problems.append(Issue(SOURCE, 0, 0, "version", f"must stay {row.version} in this draft"))
    if org.id != row.agency_id:
        problems.append(Issue(SOURCE, 0, 0, "agency", "the owning agency cannot be changed"))
    if problems:
        raise DefinitionInvalid(problems)
    if text == row.source:
        return defn
    row.source = text
    row.title_fa, row.title_en, row.relationship = defn.title_fa, defn.title_en, defn.relationship
    row.search_text = _search_text(defn)
    _changed(db, principal, row, change, at, detail)
    db.flush()
    return defn


def new_version(db: Session, principal: Principal, row: Definition) -> Definition:
    """The next version of a service as a draft, copied from ``row`` (the draft there is, if one is)."""
    existing = db.scalar(select(Definition).where(Definition.service_id == row.service_id,
                                                  Definition.status == DefinitionStatus.DRAFT))
    if existing is not None:
        return existing
    latest = db.scalar(select(func.max(Definition.version)).where(Definition.service_id == row.service_id)) or 0
    data = designer.next_version(data_of(row), latest + 1)
    text = designer.dump_yaml(data)
    defn, org = prepare_definition(db, text, SOURCE)
    new = store_definition(db, defn, org, text, SOURCE, actor_id=principal.id, publish=False)
    _changed(db, principal, new, "new_version", "", f"from version {row.version}")
    return new


def publish(db: Session, principal: Principal, row: Definition) -> None:
    """Put a draft online now (the published version before it is retired)."""
    _draft(row)
    prepare_definition(db, row.source, SOURCE)  # hooks and agency still there
    publish_definition(db, row, actor_id=principal.id)
    _unschedule(db, row)


def retire(db: Session, principal: Principal, row: Definition) -> None:
    retire_definition(db, row, actor_id=principal.id)
    _unschedule(db, row)


def _unschedule(db: Session, row: Definition) -> None:
    found = db.get(DefinitionSchedule, row.id)
    if found is not None:
        db.delete(found)
        db.flush()


def schedule(db: Session, principal: Principal, row: Definition, at: dt.datetime) -> DefinitionSchedule:
    """Have the worker publish a draft at ``at`` (in the future)."""
    _draft(row)
    if at <= clock.now():
        raise DomainError("designer_schedule_past", N_("Choose a time in the future."), field="publish_at",
                          status=422)
    found = db.get(DefinitionSchedule, row.id)
    if found is None:
        found = DefinitionSchedule(definition_id=row.id, publish_at=at, scheduled_by=principal.id,
                                   scheduled_at=clock.now())
        db.add(found)
    else:
        found.publish_at, found.scheduled_by, found.scheduled_at = at, principal.id, clock.now()
    events.publish(db, DEFINITION_SCHEDULED, actor_id=principal.id, service_id=row.service_id, version=row.version,
                   definition_id=row.id, publish_at=at.isoformat())
    db.flush()
    return found


def scheduled_at(db: Session, row: Definition) -> dt.datetime | None:
    found = db.get(DefinitionSchedule, row.id)
    return found.publish_at if found is not None else None


def publish_due(db: Session, now: dt.datetime) -> int:
    """Publish every scheduled draft whose time has come (the worker's job); returns how many."""
    done = 0
    for sched in db.scalars(select(DefinitionSchedule).where(DefinitionSchedule.publish_at <= now)
                            .order_by(DefinitionSchedule.publish_at)):
        row = db.get(Definition, sched.definition_id)
        if row is not None and row.status == DefinitionStatus.DRAFT:
            publish_definition(db, row, actor_id=sched.scheduled_by)
            done += 1
        db.delete(sched)
    db.flush()
    return done


def _periodic(database: Any) -> int:
    with database.unit_of_work() as db:
        return publish_due(db, clock.now())


events.register_periodic("services.publish_scheduled_definitions", _periodic)


@dataclass(frozen=True)
class Change:
    """One line of a service's history: who did what to which version, when."""

    at: dt.datetime
    who: str
    name: str
    version: int | None
    change: str
    detail: str


def history(db: Session, service_id: str, limit: int = 200) -> list[Change]:
    """The designer's and publishing events of a service, newest first."""
    rows = db.execute(select(events.EventRecord.name, events.EventRecord.payload, events.EventRecord.actor_id,
                             events.EventRecord.occurred_at)
                      .where(events.EventRecord.name.in_(HISTORY))
                      .order_by(events.EventRecord.id.desc()).limit(5000)).all()
    mine = [r for r in rows if r.payload.get("service_id") == service_id][:limit]
    names = identity.account_views(db, {r.actor_id for r in mine if r.actor_id is not None})
    return [Change(r.occurred_at, names[r.actor_id].username if r.actor_id in names else "—", r.name,
                   r.payload.get("version"), str(r.payload.get("change") or ""),
                   str(r.payload.get("detail") or r.payload.get("publish_at") or ""))
            for r in mine]


def versions(db: Session, service_id: str) -> list[Definition]:
    return list(db.scalars(select(Definition).where(Definition.service_id == service_id)
                           .order_by(Definition.version.desc())))
