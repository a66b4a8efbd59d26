"""Weekly demand forecasts: the calendar as data, the error measures, the backtest and the choice."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from smartgov.analytics.forecast import calendar, demand


def test_solar_holidays_fall_on_their_jalali_days() -> None:
    days = {h.day: h for h in calendar.solar_holidays(1404)}
    assert dt.date(2025, 3, 21) in days and days[dt.date(2025, 3, 21)].kind == "nowruz"  # 1 Farvardin 1404
    assert dt.date(2025, 4, 2) in days  # 13 Farvardin
    assert dt.date(2025, 6, 4) in days and dt.date(2025, 6, 5) in days  # 14–15 Khordad
    assert dt.date(2026, 2, 11) in days  # 22 Bahman 1404
    assert dt.date(2026, 3, 20) in days  # 29 Esfand 1404
    assert len(days) == 10


def test_seed_holds_solar_and_lunar_holidays_of_the_years_asked() -> None:
    seeded = calendar.seed_holidays(1404, 1404)
    assert {h.kind for h in seeded} == {"nowruz", "solar", "lunar"}
    assert all(dt.date(2025, 3, 21) <= h.day < dt.date(2026, 3, 21) for h in seeded)
    assert [h.day for h in seeded] == sorted(h.day for h in seeded)


def test_weeks_start_on_saturday_and_a_friday_holiday_costs_no_working_day() -> None:
    assert calendar.week_start(dt.date(2025, 3, 21)) == dt.date(2025, 3, 15)  # a Friday
    assert calendar.week_start(dt.date(2025, 3, 22)) == dt.date(2025, 3, 22)  # a Saturday
    lost = calendar.working_days_lost(h.day for h in calendar.solar_holidays(1404))
    assert lost[dt.date(2025, 3, 22)] == 3  # Nowruz 2–4 Farvardin; 1 Farvardin was a Friday
    assert dt.date(2026, 3, 14) not in lost  # 29 Esfand 1404 is a Friday
    assert calendar.holiday_counts([dt.date(2025, 3, 29), dt.date(2025, 4, 5)], [dt.date(2025, 4, 1),
                                                                                  dt.date(2025, 4, 2)]) == [2, 0]


def test_error_measures_guard_zero_weeks() -> None:
    mape, smape, wape, pairs, nonzero = demand.measures([100, 0, 50], [110, 5, 40])
    assert mape == pytest.approx((10 / 100 + 10 / 50) / 2 * 100)  # the zero week is not in the MAPE
    assert smape == pytest.approx((2 * 10 / 210 + 2 * 5 / 5 + 2 * 10 / 90) / 3 * 100)
    assert wape == pytest.approx(25 / 150 * 100)
    assert (pairs, nonzero) == (3, 2)
    assert demand.measures([0, 0], [0, 0])[:3] == (None, None, None)


def synthetic(weeks: int = 104, seed: int = 7) -> tuple[pd.Series, list[dt.date]]:
    """Demand that grows and drops with the working days each week has (Poisson noise)."""
    rng = np.random.default_rng(seed)
    starts = [dt.date(2024, 3, 16) + dt.timedelta(weeks=k) for k in range(weeks)]
    holidays = [h.day for h in calendar.seed_holidays(1403, 1405)]
    lost = np.array(calendar.holiday_counts(starts, holidays))
    values = rng.poisson((200 + np.arange(weeks)) * (6 - lost) / 6)
    return pd.Series(values, index=pd.to_datetime(starts)), holidays


def test_backtest_is_rolling_origin_over_the_last_weeks() -> None:
    series, holidays = synthetic()
    y = series.to_numpy(dtype=float)
    lost = np.array(calendar.holiday_counts([d.date() for d in series.index], holidays), dtype=float)
    result = demand.backtest("ets", y, lost, test_weeks=12, horizon=4)
    assert result.origins == 12
    assert result.pairs == 4 * 9 + 3 + 2 + 1  # the last origins cannot look four weeks past the data
    assert result.mape is not None and result.mape > 0


def test_a_holiday_aware_model_wins_on_holiday_driven_demand() -> None:
    series, holidays = synthetic()
    forecast = demand.forecast_demand(series, holidays, horizon=8)
    scores = {c.method: c.mape for c in forecast.candidates}
    assert set(scores) == set(demand.METHODS)
    assert forecast.method in ("ets_holiday", "sarimax_holiday")
    assert scores[forecast.method] == min(scores.values())
    assert scores[forecast.method] < scores["ets"]
    assert forecast.accuracy.mape is not None and forecast.accuracy.mape < 15
    assert [p.week for p in forecast.points] == [series.index[-1].date() + dt.timedelta(weeks=k) for k in range(1, 9)]
    for p in forecast.points:
        assert 0 <= p.lo95 <= p.lo80 <= p.mean <= p.hi80 <= p.hi95
    nowruz = next(p for p in forecast.points if p.week == dt.date(2026, 3, 21))
    assert nowruz.holidays >= 3
    assert nowruz.mean < forecast.points[0].mean * 0.7  # the Nowruz week is forecast low


def test_a_forecast_is_reproducible() -> None:
    series, holidays = synthetic(weeks=60)
    first = demand.forecast_demand(series, holidays, methods=("ets",))
    again = demand.forecast_demand(series, holidays, methods=("ets",))
    assert first.points == again.points


def test_too_short_a_history_is_refused() -> None:
    series, holidays = synthetic(weeks=15)
    with pytest.raises(demand.TooShort):
        demand.forecast_demand(series, holidays)
