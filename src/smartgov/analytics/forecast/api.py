"""JSON API of the forecasts under ``/api/v1/analytics/forecast``: the holiday calendar, demand
forecasts with their backtest, the fund projection and its scenarios."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from smartgov import clock, services
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.routing import ModuleRouter

from . import permissions, service
from .schemas import (
    DemandIn,
    DemandRunPublic,
    FundPublic,
    HolidayIn,
    HolidayPublic,
    ProjectionPublic,
    ScenarioIn,
    ScenarioPublic,
    SeedIn,
    SeedPublic,
    YearPublic,
)

router = ModuleRouter(prefix="/api/v1/analytics/forecast", tags=["analytics"])

ServiceCode = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
ScenarioCode = Annotated[str, Path(max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")]


def _holiday(h: service.Holiday) -> HolidayPublic:
    return HolidayPublic(id=h.id, day=h.day, name_en=h.name_en, name_fa=h.name_fa, kind=h.kind)


# --------------------------------------------------------------------------- holidays


@router.get("/holidays", response_model=list[HolidayPublic])
def list_holidays(principal: CurrentPrincipal, db: DbSession) -> list[HolidayPublic]:
    """The official holidays forecasts use, by date."""
    require(permissions.can_view_forecasts(principal))
    return [_holiday(h) for h in service.holidays(db)]


@router.post("/holidays", response_model=HolidayPublic, status_code=201)
def add_holiday(body: HolidayIn, principal: CurrentPrincipal, db: DbSession) -> HolidayPublic:
    """Add a day off (agency admins); recorded as an event."""
    require(permissions.can_edit_forecast_data(principal))
    row = service.add_holiday(db, principal.account.id, day=body.day, name_en=body.name_en, name_fa=body.name_fa,
                              kind=body.kind)
    db.commit()
    return _holiday(row)


@router.put("/holidays/{holiday_id}", response_model=HolidayPublic)
def change_holiday(holiday_id: Id, body: HolidayIn, principal: CurrentPrincipal, db: DbSession) -> HolidayPublic:
    """Move or rename a holiday (agency admins)."""
    require(permissions.can_edit_forecast_data(principal))
    row = service.update_holiday(db, principal.account.id, holiday_id, day=body.day, name_en=body.name_en,
                                 name_fa=body.name_fa, kind=body.kind)
    db.commit()
    return _holiday(row)


@router.delete("/holidays/{holiday_id}", status_code=204)
def remove_holiday(holiday_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Remove a holiday (agency admins)."""
    require(permissions.can_edit_forecast_data(principal))
    service.remove_holiday(db, principal.account.id, holiday_id)
    db.commit()
    return Response(status_code=204)


@router.post("/holidays/seed", response_model=SeedPublic)
def seed_holidays(body: SeedIn, principal: CurrentPrincipal, db: DbSession) -> SeedPublic:
    """Store the official solar holidays (and the known lunar ones) of Jalali years not stored yet."""
    require(permissions.can_edit_forecast_data(principal))
    if not body.first_year <= body.last_year <= body.first_year + 5:
        raise DomainError("years_invalid", N_("The last year must be the first year or up to five after it."),
                          field="last_year", status=422)
    added = service.seed_holidays(db, principal.account.id, body.first_year, body.last_year)
    db.commit()
    return SeedPublic(added=added)


# --------------------------------------------------------------------------- demand


@router.get("/demand", response_model=list[DemandRunPublic])
def demand_forecasts(principal: CurrentPrincipal, db: DbSession) -> list[DemandRunPublic]:
    """The newest weekly demand forecast of every service, each with its backtest error."""
    require(permissions.can_view_forecasts(principal))
    return [DemandRunPublic.of(service.run_summary(r)) for r in service.latest_runs(db)]


@router.get("/demand/{service_code}", response_model=DemandRunPublic)
def demand_forecast(service_code: ServiceCode, principal: CurrentPrincipal, db: DbSession) -> DemandRunPublic:
    """The newest weekly demand forecast of one service: the chosen model, MAPE, intervals."""
    require(permissions.can_view_forecasts(principal))
    return DemandRunPublic.of(service.run_summary(service.latest_run(db, service_code)))


@router.post("/demand/{service_code}", response_model=DemandRunPublic, status_code=201)
def make_demand_forecast(service_code: ServiceCode, body: DemandIn, principal: CurrentPrincipal,
                         db: DbSession) -> DemandRunPublic:
    """Backtest the models on the service's weekly history, forecast with the best, store it (admins)."""
    require(permissions.can_edit_forecast_data(principal))
    services.published(db, service_code)  # 404 for a service that does not exist
    run = service.make_demand_forecast(db, principal.account.id, service_code, horizon=body.horizon)
    db.commit()
    return DemandRunPublic.of(service.run_summary(run))


# --------------------------------------------------------------------------- fund


@router.get("/fund", response_model=FundPublic)
def fund_projection(principal: CurrentPrincipal, db: DbSession) -> FundPublic:
    """Every scenario projected from today's fund population: contributions, outlays, balance by year."""
    require(permissions.can_view_forecasts(principal))
    population, projections = service.fund_projections(db, clock.today())
    return FundPublic(
        on=population.on, contributors=sum(g.count for g in population.contributors),
        pensioners=sum(g.count for g in population.pensioners), estimated_pensioners=population.estimated_pensioners,
        projections=[ProjectionPublic(
            scenario=ScenarioPublic(code=row.code, title_en=row.title_en, title_fa=row.title_fa,
                                    assumptions=p.assumptions),
            first_negative_year=p.first_negative_year, out_of_range=p.out_of_range,
            years=[YearPublic(year=y.year, workers=y.workers, pensioners=y.pensioners, contributions=y.contributions,
                              outlays=y.outlays, interest=y.interest, balance=y.balance) for y in p.rows])
            for row, p in projections])


@router.get("/fund/scenarios", response_model=list[ScenarioPublic])
def fund_scenarios(principal: CurrentPrincipal, db: DbSession) -> list[ScenarioPublic]:
    """The stored scenarios and their assumptions."""
    require(permissions.can_view_forecasts(principal))
    return [ScenarioPublic(code=r.code, title_en=r.title_en, title_fa=r.title_fa,
                           assumptions=service.assumptions_of(r)) for r in service.scenarios(db)]


@router.put("/fund/scenarios/{code}", response_model=ScenarioPublic)
def save_scenario(code: ScenarioCode, body: ScenarioIn, principal: CurrentPrincipal, db: DbSession) -> ScenarioPublic:
    """Create or replace a scenario (agency admins); recorded as an event."""
    require(permissions.can_edit_forecast_data(principal))
    row = service.save_scenario(db, principal.account.id, code=code, title_en=body.title_en, title_fa=body.title_fa,
                                assumptions=body.assumptions)
    db.commit()
    return ScenarioPublic(code=row.code, title_en=row.title_en, title_fa=row.title_fa,
                          assumptions=service.assumptions_of(row))


@router.delete("/fund/scenarios/{code}", status_code=204)
def remove_scenario(code: ScenarioCode, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Remove a scenario (agency admins)."""
    require(permissions.can_edit_forecast_data(principal))
    service.remove_scenario(db, principal.account.id, code)
    db.commit()
    return Response(status_code=204)
