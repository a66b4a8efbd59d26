"""JSON API of analytics under ``/api/v1/analytics``: the KPI catalogue, series, breakdowns, costs.

Figures are read through ``read_session`` (``SMARTGOV_READ_DATABASE_URL``); who may read them is
checked with the caller's own session (``permissions.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Path, Query

from smartgov import identity
from smartgov.errors import DomainError, Forbidden
from smartgov.i18n import N_
from smartgov.web.deps import CurrentPrincipal, DbSession, OptionalPrincipal
from smartgov.web.fields import Id
from smartgov.web.routing import ModuleRouter

from . import catalogue, costs, permissions
from .schemas import (
    BreakdownItem,
    BreakdownPublic,
    KpiChange,
    KpiPublic,
    OperatingCostIn,
    OperatingCostPublic,
    PointPublic,
    SeriesPublic,
)
from .service import breakdown, read_session, series

router = ModuleRouter(prefix="/api/v1/analytics", tags=["analytics"])

Code = Annotated[str, Path(max_length=60, description="The KPI's code, e.g. applications_received.")]
Start = Annotated[dt.date, Query(description="First day (ISO date).")]
End = Annotated[dt.date, Query(description="Last day (ISO date); at most ten years after start.")]
AgencyId = Annotated[Id | None, Query(description="Only this agency's figures.")]
BranchId = Annotated[Id | None, Query(description="Only this branch's figures.")]


def _visible(db: DbSession, principal: OptionalPrincipal, code: str) -> catalogue.Kpi:
    with read_session() as reader:
        found = catalogue.kpi(reader, code)
    if not permissions.can_see_kpi(principal, found):
        raise DomainError("kpi_not_found", N_("There is no KPI “{kpi}”."), field="code", status=404, kpi=code[:60])
    return found


def _check_figures(db: DbSession, principal: OptionalPrincipal, found: catalogue.Kpi, agency_id: int | None,
                   branch_id: int | None) -> None:
    if not permissions.can_read_figures(db, principal, found, agency_id, branch_id):
        raise Forbidden(N_("These figures are internal to their agency: name an agency or branch of your own."))


@router.get("/kpis", response_model=list[KpiPublic])
def list_kpis(principal: OptionalPrincipal) -> list[KpiPublic]:
    """Every KPI the caller may see: the public ones, and for staff the internal ones too."""
    with read_session() as reader:
        found = catalogue.kpis(reader)
    return [KpiPublic.of(k) for k in found if permissions.can_see_kpi(principal, k)]


@router.get("/kpis/{code}", response_model=KpiPublic)
def get_kpi(code: Code, db: DbSession, principal: OptionalPrincipal) -> KpiPublic:
    """One KPI's definition, unit, direction, target and owner."""
    return KpiPublic.of(_visible(db, principal, code))


@router.get("/kpis/{code}/series", response_model=SeriesPublic)
def kpi_series(code: Code, start: Start, end: End, db: DbSession, principal: OptionalPrincipal,
               grain: Annotated[Literal["day", "week", "month"], Query()] = "day",
               service: Annotated[str | None, Query(max_length=100, description="A service code.")] = None,
               agency_id: AgencyId = None, branch_id: BranchId = None,
               channel: Annotated[Literal["web", "api", "sms", "branch"] | None, Query()] = None) -> SeriesPublic:
    """The KPI's value per day, week (from Saturday) or Jalali month, with optional filters."""
    found = _visible(db, principal, code)
    _check_figures(db, principal, found, agency_id, branch_id)
    with read_session() as reader:
        points = series(reader, code, start=start, end=end, grain=grain, service=service, agency_id=agency_id,
                        branch_id=branch_id, channel=channel)
    return SeriesPublic(kpi=KpiPublic.of(found), grain=grain, points=[PointPublic.of(p) for p in points])


@router.get("/kpis/{code}/breakdown", response_model=BreakdownPublic)
def kpi_breakdown(code: Code, start: Start, end: End, db: DbSession, principal: OptionalPrincipal,
                  by: Annotated[Literal["service", "agency", "branch", "channel"], Query()],
                  agency_id: AgencyId = None, branch_id: BranchId = None) -> BreakdownPublic:
    """The KPI over [start, end] split by service, agency, branch or channel, biggest first."""
    found = _visible(db, principal, code)
    _check_figures(db, principal, found, agency_id, branch_id)
    with read_session() as reader:
        items = breakdown(reader, code, by=by, start=start, end=end, agency_id=agency_id, branch_id=branch_id)
    return BreakdownPublic(kpi=KpiPublic.of(found), by=by, start=start, end=end,
                           items=[BreakdownItem(key=k, value=p.value, count=p.count) for k, p in items])


@router.patch("/kpis/{code}", response_model=KpiPublic)
def change_kpi(code: Code, body: KpiChange, db: DbSession, principal: CurrentPrincipal) -> KpiPublic:
    """Change a KPI's target or visibility (agency admins of its owner), or its owner (platform admins)."""
    found = _visible(db, principal, code)
    identity.require(permissions.can_change_kpi(db, principal, found))
    given = body.model_dump(exclude_unset=True)
    if "owner_agency_code" in given:
        identity.require(principal.has_role(identity.Role.PLATFORM_ADMIN))
        if given["owner_agency_code"] is not None:
            identity.organization_by_code(db, given["owner_agency_code"])  # 404 naming the field if none
    if "public" in given and given["public"] is None:
        del given["public"]
    changed = catalogue.change(db, code, actor_id=principal.id, **given)
    db.commit()
    return KpiPublic.of(changed)


@router.put("/operating-costs", response_model=OperatingCostPublic)
def set_operating_cost(body: OperatingCostIn, db: DbSession, principal: CurrentPrincipal) -> OperatingCostPublic:
    """Enter or correct an agency's operating cost for a period (its agency admins); audited."""
    agency = identity.organization_by_code(db, body.agency)
    identity.require(permissions.can_set_cost(db, principal, agency.id))
    row = costs.set_cost(db, agency_id=agency.id, period_start=body.period_start, period_end=body.period_end,
                         amount=body.amount, actor_id=principal.id, note=body.note)
    db.commit()
    return OperatingCostPublic.model_validate(row, from_attributes=True)


@router.get("/operating-costs", response_model=list[OperatingCostPublic])
def list_operating_costs(db: DbSession, principal: CurrentPrincipal) -> list[OperatingCostPublic]:
    """The costs entered for the caller's agencies (every agency for national roles), latest first."""
    if permissions.is_national(principal):
        scope = None
    else:
        identity.require(permissions.is_staff(principal))
        scope = permissions.staff_orgs(db, principal)
    return [OperatingCostPublic.model_validate(r, from_attributes=True) for r in costs.costs(db, scope)]
