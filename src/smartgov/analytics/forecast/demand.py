"""Weekly demand per service: three candidate models, a rolling-origin backtest, honest error.

Pure: a weekly series (pandas, indexed by the Saturday starting each week) and the holiday dates
in, a :class:`DemandForecast` out; no database, no clock. The candidates are

- ``ets``: exponential smoothing with a damped additive trend (Holt, statsmodels
  ``ExponentialSmoothing``: a twentieth of ``ETSModel``'s fitting time; its prediction intervals come
  from simulated paths with bootstrapped errors, seeded, so a forecast is reproducible);
- ``ets_holiday``: the same ETS on holiday-adjusted demand (each week scaled to six working days,
  the forecast scaled back by the working days each future week really has);
- ``sarimax_holiday``: SARIMAX(1,0,0) with a constant and a trend, the week's working days lost
  to holidays as the exogenous regressor.

Yearly seasonality (52 weeks) is left out on purpose: the demo holds about two years, too little
to estimate 52 seasonal terms; the holidays carry what is calendar-driven (Nowruz above all).

Each candidate is backtested from rolling origins over the last ``test_weeks`` weeks, each origin
forecasting ``horizon`` weeks ahead from the data before it; the one with the lowest MAPE is chosen
and refitted on the whole history. MAPE is over the weeks with nonzero demand only (a zero week
has no percentage error); sMAPE and WAPE (total absolute error ÷ total demand) are reported beside
it, so a series with many zero weeks is not judged on a handful of them.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .calendar import holiday_counts

METHODS = ("ets", "ets_holiday", "sarimax_holiday")
WORKING_DAYS = 6  # Saturday to Thursday
MIN_WEEKS = 20  # fewer weeks cannot carry a 12-week backtest and a model fitted before it
LEVELS = (80, 95)
TEST_WEEKS = 12  # the backtest's weeks
BACKTEST_HORIZON = 4  # how far ahead each backtest origin forecasts
SIMULATIONS = 2000


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Backtest error of one method: percentages (None when nothing could be measured)."""

    method: str
    mape: float | None  # mean absolute percentage error over weeks with nonzero demand
    smape: float | None  # symmetric MAPE (0–200), over weeks where actual or forecast is nonzero
    wape: float | None  # sum |error| ÷ sum actual
    pairs: int  # forecast/actual pairs compared
    nonzero: int  # of which with nonzero actual demand (the MAPE's weeks)
    origins: int


@dataclass(frozen=True, slots=True)
class ForecastPoint:
    """One future week: the point forecast and its 80 % and 95 % prediction intervals (never below 0)."""

    week: dt.date
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    holidays: int  # working days lost to holidays that week


@dataclass(frozen=True, slots=True)
class DemandForecast:
    method: str
    accuracy: Accuracy
    candidates: list[Accuracy]
    points: list[ForecastPoint]
    history_weeks: int
    test_weeks: int
    horizon: int
    notes: list[str] = field(default_factory=list)


class TooShort(ValueError):
    """The series is too short to backtest."""


# --------------------------------------------------------------------------- error measures


def measures(actual: Iterable[float], predicted: Iterable[float]) -> tuple[float | None, float | None, float | None,
                                                                         int, int]:
    """(MAPE over nonzero actuals, sMAPE, WAPE, pairs, nonzero pairs), percentages."""
    a = np.asarray(list(actual), dtype=float)
    f = np.asarray(list(predicted), dtype=float)
    nonzero = a != 0
    mape = float(np.mean(np.abs(a[nonzero] - f[nonzero]) / np.abs(a[nonzero])) * 100) if nonzero.any() else None
    denom = np.abs(a) + np.abs(f)
    some = denom != 0
    smape = float(np.mean(2 * np.abs(a[some] - f[some]) / denom[some]) * 100) if some.any() else None
    total = float(np.sum(np.abs(a)))
    wape = float(np.sum(np.abs(a - f)) / total * 100) if total else None
    return mape, smape, wape, int(a.size), int(nonzero.sum())


# --------------------------------------------------------------------------- models


def _factor(lost: np.ndarray) -> np.ndarray:
    """Share of a normal week's working days left (a week entirely off still counts one day)."""
    return np.maximum(WORKING_DAYS - lost, 1) / WORKING_DAYS


def fit_predict(method: str, y: np.ndarray, lost: np.ndarray, lost_future: np.ndarray,
                levels: tuple[int, ...] = LEVELS) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Fit ``method`` on ``y`` (weekly demand) and forecast ``len(lost_future)`` weeks with intervals."""
    steps = len(lost_future)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the backtest judges the result
        if method in ("ets", "ets_holiday"):
            from statsmodels.tsa.holtwinters import ExponentialSmoothing

            scale_in = _factor(lost) if method == "ets_holiday" else np.ones_like(y)
            scale_out = _factor(lost_future) if method == "ets_holiday" else np.ones(steps)
            result = ExponentialSmoothing(y / scale_in, trend="add", damped_trend=True).fit()
            mean = np.asarray(result.forecast(steps)) * scale_out
            bands = {}
            if levels:
                # intervals from simulated future paths with resampled in-sample errors (fixed seed)
                paths = np.asarray(result.simulate(steps, repetitions=SIMULATIONS, error="add", anchor="end",
                                                   random_errors="bootstrap", random_state=0))
                paths = paths.reshape(steps, -1) * scale_out.reshape(-1, 1)
                for level in levels:
                    tail = (100 - level) / 2
                    bands[level] = (np.percentile(paths, tail, axis=1), np.percentile(paths, 100 - tail, axis=1))
        elif method == "sarimax_holiday":
            from statsmodels.tsa.statespace.sarimax import SARIMAX

            model = SARIMAX(y, exog=lost.reshape(-1, 1), order=(1, 0, 0), trend="ct")
            result = model.fit(disp=False, maxiter=200)
            fc = result.get_forecast(steps=steps, exog=lost_future.reshape(-1, 1))
            mean = np.asarray(fc.predicted_mean)
            bands = {}
            for level in levels:
                ci = np.asarray(fc.conf_int(alpha=1 - level / 100))
                bands[level] = (ci[:, 0], ci[:, 1])
        else:
            raise ValueError(f"unknown method {method!r}")
    mean = np.where(np.isfinite(mean), mean, np.nan)
    return np.maximum(mean, 0), {k: (np.maximum(lo, 0), np.maximum(hi, 0)) for k, (lo, hi) in bands.items()}


def backtest(method: str, y: np.ndarray, lost: np.ndarray, *, test_weeks: int = 12, horizon: int = 4) -> Accuracy:
    """Rolling origin: from each origin in the last ``test_weeks`` weeks, forecast up to ``horizon``
    weeks ahead (never past the data) and compare with what happened."""
    if len(y) < test_weeks + 8:
        raise TooShort(f"{len(y)} weeks cannot carry a {test_weeks}-week backtest")
    actual: list[float] = []
    predicted: list[float] = []
    origins = 0
    for origin in range(len(y) - test_weeks, len(y)):
        steps = min(horizon, len(y) - origin)
        mean, _ = fit_predict(method, y[:origin], lost[:origin], lost[origin:origin + steps], levels=())
        if not np.all(np.isfinite(mean)):
            mean = np.full(steps, y[:origin][-1])  # a failed fit scores as the naive forecast, not as nothing
        actual.extend(y[origin:origin + steps])
        predicted.extend(mean)
        origins += 1
    mape, smape, wape, pairs, nonzero = measures(actual, predicted)
    return Accuracy(method, mape, smape, wape, pairs, nonzero, origins)


def _score(a: Accuracy) -> tuple[float, float]:
    return (a.mape if a.mape is not None else math.inf, a.wape if a.wape is not None else math.inf)


def forecast_demand(history: pd.Series, holidays: Iterable[dt.date], *, horizon: int = 8,
                    test_weeks: int = TEST_WEEKS, backtest_horizon: int = BACKTEST_HORIZON,
                    methods: tuple[str, ...] = METHODS) -> DemandForecast:
    """Backtest every method on ``history`` (weekly counts by week start), refit the best on all of
    it and forecast ``horizon`` weeks with 80 % and 95 % prediction intervals."""
    series = history.sort_index().astype(float).fillna(0.0)
    weeks = [pd.Timestamp(w).date() for w in series.index]
    if len(weeks) < MIN_WEEKS:
        raise TooShort(f"{len(weeks)} weeks of history; at least {MIN_WEEKS} are needed")
    days = list(holidays)
    future = [weeks[-1] + dt.timedelta(weeks=k) for k in range(1, horizon + 1)]
    lost = np.asarray(holiday_counts(weeks, days), dtype=float)
    lost_future = np.asarray(holiday_counts(future, days), dtype=float)
    y = series.to_numpy()
    candidates = [backtest(m, y, lost, test_weeks=test_weeks, horizon=backtest_horizon) for m in methods]
    best = min(candidates, key=_score)
    mean, bands = fit_predict(best.method, y, lost, lost_future)
    notes = []
    if best.nonzero < best.pairs:
        notes.append("zero_weeks")
    points = [ForecastPoint(week, float(mean[i]), float(bands[80][0][i]), float(bands[80][1][i]),
                            float(bands[95][0][i]), float(bands[95][1][i]), int(lost_future[i]))
              for i, week in enumerate(future)]
    return DemandForecast(best.method, best, candidates, points, len(weeks), test_weeks, backtest_horizon, notes)
