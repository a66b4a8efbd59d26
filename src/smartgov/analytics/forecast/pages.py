"""HTML pages of the forecasts: demand per service with its backtest error, the fund projection
with scenarios side by side, and the admins' forms for the holiday calendar and the assumptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov import clock, digits, services
from smartgov.errors import DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_, get_language
from smartgov.identity import Principal, require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

from . import charts, demand, forms, permissions, service
from .fund import Assumptions

router = APIRouter(include_in_schema=False)
BASE = "/analytics/forecasts"

register(NavItem(BASE, N_("Forecasts"), roles=permissions.STAFF, signed_in=True, order=60))

METHOD_NAMES = {"ets": N_("Exponential smoothing (damped trend)"),
                "ets_holiday": N_("Exponential smoothing on holiday-adjusted demand"),
                "sarimax_holiday": N_("SARIMAX with holidays as a regressor")}


def _styles() -> tuple[str, ...]:
    return charts.style_ids()


def _viewer(principal: Principal) -> bool:
    require(permissions.can_view_forecasts(principal))
    return permissions.can_edit_forecast_data(principal)


# --------------------------------------------------------------------------- demand


@router.get(BASE, response_class=HTMLResponse)
def index(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Every service's newest forecast with its backtest error, and the way to the fund."""
    can_edit = _viewer(principal)
    return render(request, "analytics/forecast/index.html", {
        "runs": service.latest_runs(db), "can_edit": can_edit, "errors": {}, "values": {"horizon": "8"},
        "method_names": METHOD_NAMES})


@router.post(f"{BASE}/demand", response_class=HTMLResponse)
def make_forecast(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """Backtest and forecast one service now (admins)."""
    require(permissions.can_edit_forecast_data(principal))
    code = (form.get("service") or "").strip()
    horizon = digits.integer(form.get("horizon") or "", "horizon")
    try:
        if not code:
            raise DomainError("required", N_("This field is required."), field="service", status=422)
        if horizon is None or not 1 <= horizon <= 26:
            raise DomainError("horizon_invalid", N_("Enter a number of weeks from 1 to 26."), field="horizon",
                              status=422)
        try:
            services.published(db, code)
        except NotFound:
            raise DomainError("service_unknown", N_("No published service has this code."), field="service",
                              status=404) from None
        run = service.make_demand_forecast(db, principal.account.id, code, horizon=horizon)
    except DomainError as exc:
        db.rollback()
        return render(request, "analytics/forecast/index.html", {
            "runs": service.latest_runs(db), "can_edit": True, "errors": field_errors(exc), "values": form,
            "method_names": METHOD_NAMES}, status_code=exc.status if exc.status != 409 else 422)
    db.commit()
    return RedirectResponse(f"{BASE}/demand/{run.service}", status_code=303)


@router.get(BASE + "/demand/{service_code}", response_class=HTMLResponse)
def demand_page(service_code: str, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """One service: the chart, the weeks ahead with intervals, and the backtest beside them."""
    _viewer(principal)
    run = service.latest_run(db, service_code)
    lang = get_language()
    return render(request, "analytics/forecast/demand.html", {
        "run": run, "figure": charts.to_json(charts.demand(run, lang)), "plotly_styles": _styles(),
        "method_names": METHOD_NAMES, "backtest_horizon": demand.BACKTEST_HORIZON, "iso": dt.date.fromisoformat})


# --------------------------------------------------------------------------- fund


@router.get(BASE + "/fund", response_class=HTMLResponse)
def fund_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Every scenario projected from today's fund population, side by side."""
    can_edit = _viewer(principal)
    lang = get_language()
    population, projections = service.fund_projections(db, clock.today())
    titled = [(row.title(lang), p) for row, p in projections]
    years = sorted({r.year for _t, p in titled for r in p.rows})
    balances = {(i, r.year): r.balance for i, (_t, p) in enumerate(titled) for r in p.rows}
    return render(request, "analytics/forecast/fund.html", {
        "population": population, "projections": projections, "can_edit": can_edit, "years": years,
        "balances": balances, "figure": charts.to_json(charts.fund(titled, lang)) if titled else None,
        "plotly_styles": _styles(),
        "contributors": sum(g.count for g in population.contributors),
        "pensioners": sum(g.count for g in population.pensioners)})


@router.post(BASE + "/fund/defaults")
def fund_defaults(db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """Store the default scenarios (current rules and three levers) that are missing (admins)."""
    require(permissions.can_edit_forecast_data(principal))
    service.ensure_default_scenarios(db, principal.account.id, clock.today())
    db.commit()
    return RedirectResponse(f"{BASE}/fund", status_code=303)


def _scenario_form(request: Request, code: str | None, values: dict[str, Any], errors: dict[str, str],
                   status: int = 200) -> HTMLResponse:
    return render(request, "analytics/forecast/scenario.html", {"code": code, "values": values, "errors": errors},
                  status_code=status)


@router.get(BASE + "/fund/scenarios/new", response_class=HTMLResponse)
def new_scenario(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    require(permissions.can_edit_forecast_data(principal))
    values = forms.form_values(Assumptions(start_year=service.jalali_year(clock.today())))
    return _scenario_form(request, None, values, {})


@router.get(BASE + "/fund/scenarios/{code}", response_class=HTMLResponse)
def edit_scenario(code: str, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    require(permissions.can_edit_forecast_data(principal))
    row = service.scenario(db, code)
    values = {**forms.form_values(service.assumptions_of(row)), "title_en": row.title_en, "title_fa": row.title_fa}
    return _scenario_form(request, code, values, {})


@router.post(BASE + "/fund/scenarios", response_class=HTMLResponse)
def save_scenario(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """Create or replace a scenario from the form; errors come back beside their fields."""
    require(permissions.can_edit_forecast_data(principal))
    existing = form.get("existing") or None
    errors: list[DomainError] = []
    code = existing or (form.get("code") or "").strip()
    if existing is None and not forms.CODE.fullmatch(code):
        errors.append(DomainError("code_invalid", N_("Use lower-case Latin letters, digits and dashes."),
                                  field="code", status=422))
    titles = {}
    for field in ("title_en", "title_fa"):
        try:
            titles[field] = forms.read_text(form, field)
        except DomainError as exc:
            errors.append(exc)
    try:
        assumptions = forms.read_assumptions(form)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors:
        return _scenario_form(request, existing, form, field_errors(ValidationFailed(errors)), status=422)
    if existing is None and any(r.code == code for r in service.scenarios(db)):
        return _scenario_form(request, None, form, {"code": DomainError(
            "code_taken", N_("A scenario with this code exists.")).localized()}, status=409)
    service.save_scenario(db, principal.account.id, code=code, title_en=titles["title_en"],
                          title_fa=titles["title_fa"], assumptions=assumptions)
    db.commit()
    return RedirectResponse(f"{BASE}/fund", status_code=303)


@router.post(BASE + "/fund/scenarios/{code}/delete")
def delete_scenario(code: str, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    require(permissions.can_edit_forecast_data(principal))
    service.remove_scenario(db, principal.account.id, code)
    db.commit()
    return RedirectResponse(f"{BASE}/fund", status_code=303)


# --------------------------------------------------------------------------- holidays


def _holidays_page(request: Request, db: DbSession, can_edit: bool, errors: dict[str, str],
                   values: dict[str, Any], status: int = 200) -> HTMLResponse:
    return render(request, "analytics/forecast/holidays.html", {
        "holidays": service.holidays(db), "can_edit": can_edit, "errors": errors, "values": values,
        "this_year": service.jalali_year(clock.today())}, status_code=status)


@router.get(BASE + "/holidays", response_class=HTMLResponse)
def holidays_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """The holiday calendar the forecasts use (Jalali dates), editable by agency admins."""
    return _holidays_page(request, db, _viewer(principal), {}, {})


@router.post(BASE + "/holidays", response_class=HTMLResponse)
def add_holiday(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    require(permissions.can_edit_forecast_data(principal))
    errors: list[DomainError] = []
    values: dict[str, Any] = {}
    for name, read in (("day", lambda: forms.read_day(form)), ("name_en", lambda: forms.read_text(form, "name_en")),
                       ("name_fa", lambda: forms.read_text(form, "name_fa"))):
        try:
            values[name] = read()
        except DomainError as exc:
            errors.append(exc)
    kind = form.get("kind") or "agency"
    if kind not in ("nowruz", "solar", "lunar", "agency"):
        errors.append(DomainError("kind_invalid", N_("Choose a kind."), field="kind", status=422))
    try:
        if errors:
            raise ValidationFailed(errors)
        service.add_holiday(db, principal.account.id, kind=kind, **values)
    except DomainError as exc:
        db.rollback()
        return _holidays_page(request, db, True, field_errors(exc), form, status=exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/holidays", status_code=303)


@router.post(BASE + "/holidays/seed", response_class=HTMLResponse)
def seed_holidays(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    require(permissions.can_edit_forecast_data(principal))
    year = digits.integer(form.get("year") or "", "year")
    if year is None or not 1380 <= year <= 1500:
        error = DomainError("year_invalid", N_("Enter a Jalali year such as 1404."), field="year", status=422)
        return _holidays_page(request, db, True, field_errors(error), form, status=422)
    service.seed_holidays(db, principal.account.id, year, year)
    db.commit()
    return RedirectResponse(f"{BASE}/holidays", status_code=303)


@router.post(BASE + "/holidays/{holiday_id}/delete")
def delete_holiday(holiday_id: int, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    require(permissions.can_edit_forecast_data(principal))
    if not 1 <= holiday_id <= 2**31 - 1:
        raise NotFound("holiday", field="holiday_id")
    service.remove_holiday(db, principal.account.id, holiday_id)
    db.commit()
    return RedirectResponse(f"{BASE}/holidays", status_code=303)
