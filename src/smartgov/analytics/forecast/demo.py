"""Demo data of the forecasts: the official holidays around today, the default fund scenarios, and a
demand forecast for every service whose weekly history (in the analytics rollups) is long enough."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from smartgov import clock, demo

from . import demand, service


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
        history = service.weekly_history(db, code, today)
        if len(history) >= demand.MIN_WEEKS:
            service.record_forecast(db, None, code, history)


demo.register("analytics.forecast", load_demo, order=95)
