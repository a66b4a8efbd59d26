"""Demo data of the forecasts: the official holidays around today, the default fund scenarios, and a
demand forecast for every service whose weekly history (in the analytics rollups) is long enough;
also, once, the forecast each such service would have had the evening before the last finished
Jalali quarter began (fitted only on the weeks before it), so that quarter's performance report can
set forecasts against what happened."""

from __future__ import annotations

import datetime as dt
import random

import jdatetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, demo

from . import demand, service
from .models import DemandRun

QUARTER_HORIZON = 15  # weeks: the quarter's first (partial) week, its whole weeks and its last


def last_quarter_start(today: dt.date) -> dt.date:
    """The first day of the last finished Jalali quarter (Q1 = Farvardin–Khordad)."""
    j = jdatetime.date.fromgregorian(date=today)
    index = (j.month - 1) // 3
    year, index = (j.year, index - 1) if index else (j.year - 1, 3)
    return jdatetime.date(year, index * 3 + 1, 1).togregorian()


def _forecast_before_quarter(db: Session, code: str, today: dt.date) -> None:
    """The run made the evening before the last finished quarter, from the history before it (once)."""
    start = last_quarter_start(today)
    made_at = clock.day_start(start) - dt.timedelta(hours=4)
    if db.scalar(select(DemandRun.id).where(DemandRun.service == code, DemandRun.made_at <= made_at).limit(1)):
        return
    history = service.weekly_history(db, code, start)
    if len(history) >= demand.MIN_WEEKS:
        service.record_forecast(db, None, code, history, horizon=QUARTER_HORIZON, made_at=made_at)


def load_demo(db: Session, rng: random.Random, people: int) -> None:
    """Idempotent: holidays and scenarios already stored are kept; a forecast is made once a day."""
    today = clock.today()
    year = service.jalali_year(today)
    service.seed_holidays(db, None, year - 2, year + 1)
    service.ensure_default_scenarios(db, None, today)
    from smartgov import analytics

    start = today - dt.timedelta(weeks=service.HISTORY_WEEKS)
    made = {r.service for r in service.latest_runs(db) if clock.local(r.made_at).date() == today}
    for code, point in analytics.breakdown(db, service.KPI, by="service", start=start, end=today):
        if not code or code in made or point.count < demand.MIN_WEEKS:
            continue
        _forecast_before_quarter(db, code, today)
        history = service.weekly_history(db, code, today)
        if len(history) >= demand.MIN_WEEKS:
            service.record_forecast(db, None, code, history)


demo.register("analytics.forecast", load_demo, order=95)
