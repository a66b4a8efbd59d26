"""Forecasts against actuals: the weekly demand forecast made before each week of the quarter beside
the applications received, with the absolute percentage error per week and the quarter's MAPE.

Only the analytics surface is read (``analytics.series`` for the actuals, ``analytics.forecast.
forecast_for`` for what was forecast). Actuals are published figures, so the reports' suppression
applies: a week of a service made from 1 to threshold − 1 applications is hidden, and so is its
error; the services shown are parts of the scope's weekly total, so when exactly one of a week's
services is hidden the smallest other one is hidden with it (``suppression.complementary``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from smartgov import analytics, services
from smartgov.analytics import forecast
from smartgov.identity import OrganizationView

from ..suppression import Cell, complementary
from .quarters import Quarter

KPI = "applications_received"
SATURDAY = 5


def full_weeks(quarter: Quarter) -> tuple[dt.date, dt.date]:
    """The first Saturday and the last Friday of the quarter: only whole weeks are compared (a week
    across two quarters belongs to neither report)."""
    first = quarter.start + dt.timedelta(days=(SATURDAY - quarter.start.weekday()) % 7)
    last = quarter.end - dt.timedelta(days=(quarter.end.weekday() - (SATURDAY - 1)) % 7)
    return first, last


def _titles(db: Session) -> dict[str, dict[str, str]]:
    return {d.service_id: {"fa": d.title_fa, "en": d.title_en} for d in services.catalog(db)}


def build(db: Session, quarter: Quarter, agency: OrganizationView | None, *, below: int) -> dict[str, Any]:
    """The section for every service of the scope that received applications in the quarter, biggest
    first; a service without a stored forecast for these weeks has no weeks (the report says so)."""
    first, last = full_weeks(quarter)
    agency_id = agency.id if agency else None
    codes = [code for code, point in analytics.breakdown(db, KPI, by="service", start=quarter.start, end=quarter.end,
                                                         agency_id=agency_id) if point.count]
    actuals: dict[str, list[tuple[dt.date, Cell]]] = {}
    for code in codes:
        actuals[code] = [(p.period, Cell.of(p.value, p.count, below))
                         for p in analytics.series(db, KPI, start=first, end=last, grain="week", service=code,
                                                   agency_id=agency_id)]
    weeks = [w for w, _cell in actuals[codes[0]]] if codes else []
    for i in range(len(weeks)):  # the services of a week are parts of the scope's week
        complementary(actuals[code][i][1] for code in codes)
    titles = _titles(db)
    rows = []
    for code in codes:
        predicted = {f.week: f for f in forecast.forecast_for(db, code, first, last)}
        lines, errors = [], []
        for week, cell in actuals[code]:
            f = predicted.get(week)
            error = None
            if f is not None and not cell.suppressed and cell.value:
                error = round(abs(cell.value - f.predicted) / cell.value * 100, 2)
                errors.append(error)
            lines.append({
                "week": week.isoformat(), "actual": cell.value, "suppressed": cell.suppressed,
                "predicted": round(f.predicted, 2) if f else None, "low": round(f.low, 2) if f else None,
                "high": round(f.high, 2) if f else None, "model": f.model if f else None,
                "made_at": f.made_at.isoformat(timespec="seconds") if f else None, "ape": error})
        rows.append({
            "service": code, "title": titles.get(code, {"fa": code, "en": code}),
            "forecast_weeks": sum(1 for line in lines if line["predicted"] is not None),
            "mape": round(sum(errors) / len(errors), 2) if errors else None, "compared_weeks": len(errors),
            "weeks": lines if predicted else [],
        })
    return {"kpi": KPI, "first_week": first.isoformat(), "last_day": last.isoformat(), "services": rows}
