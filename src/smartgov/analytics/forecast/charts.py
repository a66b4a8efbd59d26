"""Plotly figure specs of the forecasts, built on the platform's shared chart helpers
(``smartgov.web.charts``: localized axes, separators, the legend on the reading side). Every chart
has a table with the same numbers beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from smartgov.i18n import format_number, gettext, localize_digits
from smartgov.web import charts as shared

from .fund import Projection
from .models import DemandRun

BLUE, ORANGE, GREY = "#0b5394", "#b45f06", "#555555"
PALETTE = ("#0b5394", "#b45f06", "#38761d", "#990000", "#674ea7", "#45818e")
BILLION = 1_000_000_000

Figure = dict[str, Any]
style_ids = shared.style_ids
to_json = shared.to_json


def _year(year: int, lang: str) -> str:
    """A Jalali year as written on the page (no thousands separator)."""
    return localize_digits(str(year), lang)


def _hover(label: str, value: float, lang: str, places: int = 0) -> str:
    return f"{label}: {format_number(value, lang, places)}"


def demand(run: DemandRun, lang: str) -> Figure:
    """The last weeks as they were, then the forecast with its 80 % and 95 % intervals."""
    past = [dt.date.fromisoformat(w) for w, _v in run.history]
    future = [dt.date.fromisoformat(p["week"]) for p in run.points]
    px, fx = [d.isoformat() for d in past], [d.isoformat() for d in future]
    top = max([v for _w, v in run.history] + [p["hi95"] for p in run.points] + [1.0])

    def edge(key: str, **extra: Any) -> dict[str, Any]:
        return {"type": "scatter", "x": fx, "y": [round(p[key], 1) for p in run.points], "mode": "lines",
                "line": {"width": 0}, "hoverinfo": "skip", **extra}

    forecast_label = gettext("Forecast", lang)
    history_label = gettext("Applications received", lang)
    data = [
        edge("hi95", showlegend=False),
        edge("lo95", fill="tonexty", fillcolor="rgba(180,95,6,0.15)", name=gettext("95 % interval", lang)),
        edge("hi80", showlegend=False),
        edge("lo80", fill="tonexty", fillcolor="rgba(180,95,6,0.3)", name=gettext("80 % interval", lang)),
        {"type": "scatter", "x": px, "y": [v for _w, v in run.history], "mode": "lines+markers",
         "name": history_label, "line": {"color": BLUE}, "hoverinfo": "text",
         "hovertext": [f"{shared.date_label(d, lang)} — {_hover(history_label, v, lang)}"
                       for d, (_w, v) in zip(past, run.history, strict=True)]},
        {"type": "scatter", "x": fx, "y": [round(p["mean"], 1) for p in run.points], "mode": "lines+markers",
         "name": forecast_label, "line": {"color": ORANGE, "dash": "dash"}, "hoverinfo": "text",
         "hovertext": [f"{shared.date_label(d, lang)} — {_hover(forecast_label, p['mean'], lang)}"
                       for d, p in zip(future, run.points, strict=True)]},
    ]
    return {"data": data, "layout": shared.layout(
        gettext("Applications per week: history and forecast", lang), lang,
        xaxis={**shared.date_axis(past + future, lang, grain="week"), "fixedrange": True},
        yaxis={**shared.number_axis(0, top, lang), "fixedrange": True})}


def fund(projections: list[tuple[str, Projection]], lang: str) -> Figure:
    """Each scenario's closing balance by year, in billions of rial, with the zero line."""
    data = []
    values = [0.0]
    for i, (title, p) in enumerate(projections):
        ys = [round(r.balance / BILLION, 1) for r in p.rows]
        values += ys
        data.append({"type": "scatter", "mode": "lines", "name": title, "line": {"color": PALETTE[i % len(PALETTE)]},
                     "x": [r.year for r in p.rows], "y": ys, "hoverinfo": "text",
                     "hovertext": [f"{title} — {_year(r.year, lang)}: {format_number(y, lang, 1)}"
                                   for r, y in zip(p.rows, ys, strict=True)]})
    years = sorted({r.year for _t, p in projections for r in p.rows})
    step = max(1, len(years) // 8)
    ticks = years[::step]
    return {"data": data, "layout": shared.layout(
        gettext("Fund balance by scenario (billion rial)", lang), lang,
        xaxis={"tickmode": "array", "tickvals": ticks, "ticktext": [_year(y, lang) for y in ticks],
               "fixedrange": True},
        yaxis={**shared.number_axis(min(values), max(values), lang), "zeroline": True, "zerolinecolor": GREY,
               "zerolinewidth": 2, "fixedrange": True})}
