"""Arrangements for the forecast page and API tests: staff, an agency admin, holidays, a stored
forecast made by the real models from a generated weekly history, the default fund scenarios."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.analytics.forecast import calendar, service
from smartgov.identity import Role
from tests.factories import create_account, create_agency
from tests.insurance.support import arrange as arrange_insurance

SERVICE = "insurance-record"


def weekly_history(weeks: int = 80, seed: int = 3) -> pd.Series:
    """Generated demand ending last week: growth, Poisson noise, fewer applications in holiday weeks."""
    rng = np.random.default_rng(seed)
    last = calendar.week_start(clock.today()) - dt.timedelta(weeks=1)
    starts = [last - dt.timedelta(weeks=weeks - 1 - k) for k in range(weeks)]
    lost = np.array(calendar.holiday_counts(starts, [h.day for h in calendar.seed_holidays(1403, 1406)]))
    values = rng.poisson((120 + np.arange(weeks) * 0.5) * (6 - lost) / 6)
    return pd.Series(values, index=pd.to_datetime(starts))


def arrange(db: Session) -> dict[str, Any]:
    people = arrange_insurance(db)
    create_agency(db, "mpo")
    people["admin"] = create_account(db, "planner", Role.AGENCY_ADMIN, organization="mpo")
    people["analyst"] = create_account(db, "analyst", Role.OFFICIAL, organization="mpo")
    year = service.jalali_year(clock.today())
    service.seed_holidays(db, None, year - 2, year + 1)
    service.record_forecast(db, None, SERVICE, weekly_history())
    service.ensure_default_scenarios(db, None, clock.today())
    db.commit()
    return people
