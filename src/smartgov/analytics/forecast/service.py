"""Use cases of the forecasts: the holiday calendar, fund scenarios and projections, demand runs.

Functions take a Session and never commit (the caller's one transaction). Every change of the data
a forecast rests on publishes an event naming the account that made it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import jdatetime
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from smartgov import clock, events, insurance
from smartgov.db import get_or_not_found, scalar_or_not_found
from smartgov.errors import Conflict
from smartgov.i18n import N_

from . import calendar, demand, fund
from .events import DEMAND_FORECAST_MADE, FUND_SCENARIO_CHANGED, HOLIDAY_CHANGED
from .models import DemandRun, FundScenario, Holiday

HISTORY_WEEKS = 104  # two years of weeks are fitted
SHOWN_WEEKS = 26  # of which the last half year is drawn before the forecast
MAX_HORIZON = 26  # the furthest a run forecasts (the API's and the command's limit)
KPI = "applications_received"


# --------------------------------------------------------------------------- holidays


def holidays(db: Session, start: dt.date | None = None, end: dt.date | None = None) -> list[Holiday]:
    """Holidays between ``start`` and ``end`` (inclusive, either open), by date."""
    stmt = select(Holiday).order_by(Holiday.day, Holiday.id)
    if start is not None:
        stmt = stmt.where(Holiday.day >= start)
    if end is not None:
        stmt = stmt.where(Holiday.day <= end)
    return list(db.scalars(stmt))


def holiday(db: Session, holiday_id: int) -> Holiday:
    return get_or_not_found(db, Holiday, holiday_id, "holiday", field="holiday_id")


def _clash(db: Session, day: dt.date, name_en: str, holiday_id: int | None = None) -> None:
    stmt = select(Holiday.id).where(Holiday.day == day, Holiday.name_en == name_en)
    found = db.scalar(stmt)
    if found is not None and found != holiday_id:
        raise Conflict("holiday_exists", N_("That day already has a holiday of that name."), field="day")


def add_holiday(db: Session, actor_id: int | None, *, day: dt.date, name_en: str, name_fa: str,
                kind: str = "agency") -> Holiday:
    """A new day off (a one-off closure, a corrected lunar date)."""
    _clash(db, day, name_en)
    row = Holiday(day=day, name_en=name_en, name_fa=name_fa, kind=kind, updated_at=clock.now(), updated_by=actor_id)
    db.add(row)
    db.flush()
    events.publish(db, HOLIDAY_CHANGED, actor_id=actor_id, action="added", holiday_id=row.id,
                   day=day.isoformat(), name_en=name_en, kind=kind)
    return row


def update_holiday(db: Session, actor_id: int | None, holiday_id: int, *, day: dt.date, name_en: str,
                   name_fa: str, kind: str) -> Holiday:
    """Move or rename a holiday (lunar dates are announced late and sometimes moved)."""
    row = holiday(db, holiday_id)
    _clash(db, day, name_en, holiday_id)
    before = row.day.isoformat()
    row.day, row.name_en, row.name_fa, row.kind = day, name_en, name_fa, kind
    row.updated_at, row.updated_by = clock.now(), actor_id
    events.publish(db, HOLIDAY_CHANGED, actor_id=actor_id, action="changed", holiday_id=row.id, before=before,
                   day=day.isoformat(), name_en=name_en, kind=kind)
    return row


def remove_holiday(db: Session, actor_id: int | None, holiday_id: int) -> None:
    row = holiday(db, holiday_id)
    events.publish(db, HOLIDAY_CHANGED, actor_id=actor_id, action="removed", holiday_id=row.id,
                   day=row.day.isoformat(), name_en=row.name_en, kind=row.kind)
    db.delete(row)
    db.flush()


def seed_holidays(db: Session, actor_id: int | None, first_year: int, last_year: int) -> int:
    """Store the computed solar holidays and the known lunar ones of the Jalali years given (those
    not stored yet); returns how many were added."""
    wanted = calendar.seed_holidays(first_year, last_year)
    have = set(db.execute(select(Holiday.day, Holiday.name_en)).tuples())
    now = clock.now()
    new = [h for h in wanted if (h.day, h.name_en) not in have]
    db.add_all(Holiday(day=h.day, name_en=h.name_en, name_fa=h.name_fa, kind=h.kind, updated_at=now,
                       updated_by=actor_id) for h in new)
    if new:
        events.publish(db, HOLIDAY_CHANGED, actor_id=actor_id, action="seeded", first_year=first_year,
                       last_year=last_year, added=len(new))
    return len(new)


# --------------------------------------------------------------------------- fund


def scenarios(db: Session) -> list[FundScenario]:
    return list(db.scalars(select(FundScenario).order_by(FundScenario.position, FundScenario.id)))


def scenario(db: Session, code: str) -> FundScenario:
    return scalar_or_not_found(db, select(FundScenario).where(FundScenario.code == code), "scenario", field="code")


def assumptions_of(row: FundScenario) -> fund.Assumptions:
    return fund.Assumptions.model_validate(row.assumptions)


def save_scenario(db: Session, actor_id: int | None, *, code: str, title_en: str, title_fa: str,
                  assumptions: fund.Assumptions) -> FundScenario:
    """Create the scenario ``code`` or replace its titles and assumptions."""
    row = db.scalar(select(FundScenario).where(FundScenario.code == code))
    data = assumptions.model_dump(mode="json")
    if row is None:
        position = (db.scalar(select(func.max(FundScenario.position))) or 0) + 1
        row = FundScenario(code=code, position=position, title_en=title_en, title_fa=title_fa, assumptions=data,
                           updated_at=clock.now(), updated_by=actor_id)
        db.add(row)
        action = "added"
    else:
        row.title_en, row.title_fa, row.assumptions = title_en, title_fa, data
        row.updated_at, row.updated_by = clock.now(), actor_id
        action = "changed"
    db.flush()
    events.publish(db, FUND_SCENARIO_CHANGED, actor_id=actor_id, action=action, code=code, assumptions=data)
    return row


def remove_scenario(db: Session, actor_id: int | None, code: str) -> None:
    row = scenario(db, code)
    events.publish(db, FUND_SCENARIO_CHANGED, actor_id=actor_id, action="removed", code=code,
                   assumptions=row.assumptions)
    db.execute(delete(FundScenario).where(FundScenario.id == row.id))


def jalali_year(day: dt.date) -> int:
    return jdatetime.date.fromgregorian(date=day).year


def cohort(population: insurance.FundPopulation) -> fund.Cohort:
    """The insurance module's population as the projection's starting cohort."""
    return fund.Cohort(
        tuple(fund.WorkerGroup(g.sex, g.age, g.count, g.monthly_amount, g.contribution_years)
              for g in population.contributors),
        tuple(fund.PensionerGroup(g.sex, g.age, g.count, g.monthly_amount) for g in population.pensioners))


def default_scenarios(population: insurance.FundPopulation, start_year: int) -> list[tuple[str, str, str,
                                                                                           fund.Assumptions]]:
    """The current rules and three levers, each alone: a higher rate, a later retirement, slower wages.

    Entrants replace the youngest cohort: as many a year as there are contributors of the entry age.
    """
    age = 25
    young = [g for g in population.contributors if g.age == age]
    entrants = sum(g.count for g in young)
    wage = (sum(g.monthly_amount * g.count for g in young) // entrants) if entrants else \
        insurance.DEFAULT_PARAMETERS.min_insurable_monthly_wage
    base = fund.Assumptions(start_year=start_year, entrants_per_year=entrants, entry_age=age, entry_wage=wage)
    return [
        ("base", "Current rules", "قواعد فعلی", base),
        ("rate-33", "Contribution rate 33 %", "نرخ حق بیمه ۳۳ درصد",
         base.model_copy(update={"employer_rate_bp": 2300})),
        ("retire-plus-2", "Retirement two years later", "بازنشستگی دو سال دیرتر",
         base.model_copy(update={"retirement_age_shift": 2})),
        ("wages-15", "Wage growth 15 %", "رشد دستمزد ۱۵ درصد", base.model_copy(update={"wage_growth_bp": 1500})),
    ]


def ensure_default_scenarios(db: Session, actor_id: int | None, on: dt.date) -> int:
    """Store the default scenarios that are missing; returns how many were added."""
    have = {s.code for s in scenarios(db)}
    missing = [d for d in default_scenarios(insurance.fund_population(db, on), jalali_year(on)) if d[0] not in have]
    for code, en, fa, a in missing:
        save_scenario(db, actor_id, code=code, title_en=en, title_fa=fa, assumptions=a)
    return len(missing)


def fund_projections(db: Session, on: dt.date) -> tuple[insurance.FundPopulation, list[tuple[FundScenario,
                                                                                             fund.Projection]]]:
    """Every stored scenario projected from the fund's population on ``on``."""
    population = insurance.fund_population(db, on)
    start = cohort(population)
    rows = scenarios(db)
    return population, list(zip(rows, fund.compare(start, [assumptions_of(r) for r in rows]), strict=True))


# --------------------------------------------------------------------------- demand


def weekly_history(db: Session, service: str, until: dt.date, weeks: int = HISTORY_WEEKS) -> pd.Series:
    """Applications received per week (weeks start Saturday) for ``service``, from the analytics
    rollups, ending with the last complete week before ``until``."""
    from smartgov import analytics  # the analytics surface (rollups); imported here, it is heavier

    end = calendar.week_start(until) - dt.timedelta(days=1)
    start = calendar.week_start(end) - dt.timedelta(weeks=weeks - 1)
    points = analytics.series(db, KPI, start=start, end=end, grain="week", service=service)
    values = {p.period: float(p.value or 0) for p in points}
    index = [start + dt.timedelta(weeks=k) for k in range(weeks)]
    series = pd.Series([values.get(w, 0.0) for w in index], index=pd.to_datetime(index))
    first = next((i for i, v in enumerate(series) if v), None)  # weeks before the service existed are not zeros
    return series.iloc[first:] if first is not None else series.iloc[0:0]


def make_demand_forecast(db: Session, actor_id: int | None, service: str, *, horizon: int = 8,
                         on: dt.date | None = None) -> DemandRun:
    """Backtest, choose and forecast ``service``'s weekly demand from the analytics rollups; store it."""
    return record_forecast(db, actor_id, service, weekly_history(db, service, on or clock.today()), horizon=horizon)


def record_forecast(db: Session, actor_id: int | None, service: str, history: pd.Series, *,
                    horizon: int = 8, made_at: dt.datetime | None = None) -> DemandRun:
    """Forecast ``history`` (weekly demand by week start) with the stored holidays; store the run and say so.

    ``made_at`` (default now): when the forecast counts as made, for a run made from the history
    before an earlier day (the demo's forecasts of a past quarter)."""
    try:
        result = demand.forecast_demand(history, [h.day for h in holidays(db)], horizon=horizon)
    except demand.TooShort:
        raise Conflict("history_too_short", N_("Too little history to backtest a forecast: {weeks} weeks, at "
                                               "least {needed} are needed."), field="service",
                       weeks=len(history), needed=demand.MIN_WEEKS) from None
    shown = history.iloc[-SHOWN_WEEKS:]
    run = DemandRun(
        service=service, made_at=made_at or clock.now(), method=result.method, history_weeks=result.history_weeks,
        test_weeks=result.test_weeks, horizon=horizon, mape=result.accuracy.mape, smape=result.accuracy.smape,
        wape=result.accuracy.wape, candidates=[asdict(c) for c in result.candidates],
        history=[[ts.date().isoformat(), float(v)] for ts, v in shown.items()],
        points=[{**asdict(p), "week": p.week.isoformat()} for p in result.points])
    db.add(run)
    db.flush()
    events.publish(db, DEMAND_FORECAST_MADE, actor_id=actor_id, service=service, run_id=run.id, method=run.method,
                   mape=run.mape, history_weeks=run.history_weeks)
    return run


def latest_runs(db: Session) -> list[DemandRun]:
    """The newest run of every service, by service."""
    newest = select(DemandRun.service, func.max(DemandRun.id).label("id")).group_by(DemandRun.service).subquery()
    return list(db.scalars(select(DemandRun).join(newest, newest.c.id == DemandRun.id).order_by(DemandRun.service)))


def latest_run(db: Session, service: str) -> DemandRun:
    latest = select(DemandRun).where(DemandRun.service == service).order_by(DemandRun.id.desc()).limit(1)
    return scalar_or_not_found(db, latest, "forecast", field="service")


def run_summary(run: DemandRun) -> dict[str, Any]:
    """A run as the API shows it."""
    return {"service": run.service, "made_at": run.made_at, "method": run.method, "history_weeks": run.history_weeks,
            "test_weeks": run.test_weeks, "horizon": run.horizon, "mape": run.mape, "smape": run.smape,
            "wape": run.wape, "candidates": run.candidates, "history": run.history, "points": run.points}


@dataclass(frozen=True)
class WeekForecast:
    """One week's demand as forecast before the week began (``low``/``high``: the 80 % interval)."""

    week: dt.date
    predicted: float
    low: float
    high: float
    model: str
    made_at: dt.datetime


def forecast_for(db: Session, service: str, start: dt.date, end: dt.date) -> list[WeekForecast]:
    """What was forecast for each week (from Saturday) of ``service`` beginning in [start, end]: the
    point of the latest stored run made on a day before that week began and reaching it. Weeks no
    such run reached are left out, so a caller can say that no forecast was stored for them."""
    first = calendar.week_start(start)
    if first < start:
        first += dt.timedelta(weeks=1)
    weeks = []
    while first <= end:
        weeks.append(first)
        first += dt.timedelta(weeks=1)
    if not weeks:
        return []
    runs = list(db.scalars(
        select(DemandRun).where(DemandRun.service == service,
                                DemandRun.made_at >= clock.day_start(weeks[0] - dt.timedelta(weeks=MAX_HORIZON + 1)),
                                DemandRun.made_at < clock.day_start(weeks[-1]))
        .order_by(DemandRun.made_at.desc(), DemandRun.id.desc())))
    points = [(run, {p["week"]: p for p in run.points}) for run in runs]
    found = []
    for week in weeks:
        began = clock.day_start(week)
        made = next(((run, p[week.isoformat()]) for run, p in points
                     if run.made_at < began and week.isoformat() in p), None)
        if made is not None:
            run, point = made
            found.append(WeekForecast(week, float(point["mean"]), float(point["lo80"]), float(point["hi80"]),
                                      run.method, run.made_at))
    return found
