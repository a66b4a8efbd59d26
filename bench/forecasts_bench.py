"""How long a demand forecast (backtest of three models + the final fit) and a fund projection take.

Run: PYTHONPATH=src .venv/bin/python bench/forecasts_bench.py
Pure functions, no database: the figures are the models' cost, which is why pages read stored runs.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time

import numpy as np
import pandas as pd

from smartgov.analytics.forecast import calendar, demand, fund
from smartgov.insurance import Sex


def history(weeks: int, seed: int) -> tuple[pd.Series, list[dt.date]]:
    rng = np.random.default_rng(seed)
    starts = [dt.date(2024, 3, 16) + dt.timedelta(weeks=k) for k in range(weeks)]
    days = [h.day for h in calendar.seed_holidays(1403, 1406)]
    lost = np.array(calendar.holiday_counts(starts, days))
    return pd.Series(rng.poisson((200 + np.arange(weeks)) * (6 - lost) / 6), index=pd.to_datetime(starts)), days


def main() -> None:
    print(f"load average before: {os.getloadavg()}")
    for weeks in (52, 104):
        times, mapes = [], []
        for seed in range(5):
            series, days = history(weeks, seed)
            t = time.perf_counter()
            result = demand.forecast_demand(series, days)
            times.append(time.perf_counter() - t)
            mapes.append(result.accuracy.mape or 0.0)
        print(f"demand, {weeks} weeks: median {statistics.median(times):.2f} s per service "
              f"(max {max(times):.2f} s); chosen MAPE median {statistics.median(mapes):.1f} %")
    workers = tuple(fund.WorkerGroup(sex, age, 1000, 150_000_000, max(0, age - 22))
                    for sex in Sex for age in range(18, 65))
    pensioners = tuple(fund.PensionerGroup(sex, age, 800, 120_000_000) for sex in Sex for age in range(55, 100))
    cohort = fund.Cohort(workers, pensioners)
    scenario = fund.Assumptions(start_year=1405, years=50, entrants_per_year=2000)
    t = time.perf_counter()
    for _ in range(5):
        fund.project(cohort, scenario)
    print(f"fund, {len(workers) + len(pensioners)} groups, 50 years: {(time.perf_counter() - t) / 5 * 1000:.0f} ms "
          f"per scenario")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
