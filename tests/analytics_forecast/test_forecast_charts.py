"""The forecast charts are figures plotly accepts, with Persian ticks on Persian pages."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from smartgov.analytics.forecast import charts
from smartgov.analytics.forecast.fund import Assumptions, Cohort, PensionerGroup, WorkerGroup, project
from smartgov.analytics.forecast.models import DemandRun
from smartgov.insurance import Sex


def _run() -> DemandRun:
    weeks = [dt.date(2026, 1, 3) + dt.timedelta(weeks=k) for k in range(10)]
    return DemandRun(service="svc", method="ets", history=[[w.isoformat(), 10.0 + k] for k, w in enumerate(weeks[:6])],
                     points=[{"week": w.isoformat(), "mean": 16.0, "lo80": 14.0, "hi80": 18.0, "lo95": 12.0,
                              "hi95": 20.0, "holidays": 0} for w in weeks[6:]])


def test_the_demand_chart_is_valid_and_jalali_in_persian() -> None:
    figure = charts.demand(_run(), "fa")
    go.Figure(figure)  # raises on any property plotly.js does not know
    ticks = " ".join(figure["layout"]["xaxis"]["ticktext"])
    assert "دی" in ticks or "بهمن" in ticks
    assert all(not any(c in "0123456789" for c in t) for t in figure["layout"]["yaxis"]["ticktext"])


def test_the_fund_chart_is_valid_with_a_line_per_scenario() -> None:
    cohort = Cohort((WorkerGroup(Sex.MALE, 40, 10, 100_000_000, 10),), (PensionerGroup(Sex.FEMALE, 70, 5, 90_000_000),))
    projections = [(t, project(cohort, Assumptions(start_year=1405, years=10, wage_growth_bp=g)))
                   for t, g in (("a", 2000), ("b", 1000))]
    figure = charts.fund(projections, "fa")
    go.Figure(figure)
    assert [d["name"] for d in figure["data"]] == ["a", "b"]
    assert figure["layout"]["xaxis"]["ticktext"][0] == "۱۴۰۵"
