"""Plotly figure specs of the forecasts, as plain dicts (the assessment's way; its page script draws
them). Axis labels are Jalali dates and years in the page's language; every chart has a table with
the same numbers beside it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from smartgov.i18n import format_date, gettext, localize_digits

from .fund import Projection
from .models import DemandRun

FONT = "Vazirmatn, Tahoma, DejaVu Sans, sans-serif"
BLUE, ORANGE, GREY = "#0b5394", "#b45f06", "#555555"
PALETTE = ("#0b5394", "#b45f06", "#38761d", "#990000", "#674ea7", "#45818e")
BILLION = 1_000_000_000

Figure = dict[str, Any]


def _figure(data: list[dict[str, Any]], title: str, lang: str, **layout: Any) -> Figure:
    return {"data": data, "layout": {
        "title": {"text": title}, "font": {"family": FONT, "size": 13}, "height": 420,
        "margin": {"l": 60, "r": 30, "t": 60, "b": 60}, "paper_bgcolor": "#fff", "legend": {"orientation": "h"},
        "separators": "٫٬" if lang == "fa" else ".,", **layout}}


def demand(run: DemandRun, lang: str) -> Figure:
    """The last weeks as they were, then the forecast with its 80 % and 95 % intervals."""
    def label(day: str) -> str:
        return format_date(dt.date.fromisoformat(day), lang)

    past_x = [label(w) for w, _v in run.history]
    future_x = [label(p["week"]) for p in run.points]
    band = [
        {"type": "scatter", "x": future_x, "y": [round(p["hi95"], 1) for p in run.points], "mode": "lines",
         "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"},
        {"type": "scatter", "x": future_x, "y": [round(p["lo95"], 1) for p in run.points], "mode": "lines",
         "line": {"width": 0}, "fill": "tonexty", "fillcolor": "rgba(180,95,6,0.15)",
         "name": gettext("95 % interval", lang)},
        {"type": "scatter", "x": future_x, "y": [round(p["hi80"], 1) for p in run.points], "mode": "lines",
         "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"},
        {"type": "scatter", "x": future_x, "y": [round(p["lo80"], 1) for p in run.points], "mode": "lines",
         "line": {"width": 0}, "fill": "tonexty", "fillcolor": "rgba(180,95,6,0.3)",
         "name": gettext("80 % interval", lang)},
    ]
    data = [*band,
            {"type": "scatter", "x": past_x, "y": [v for _w, v in run.history], "mode": "lines+markers",
             "name": gettext("Applications received", lang), "line": {"color": BLUE}},
            {"type": "scatter", "x": future_x, "y": [round(p["mean"], 1) for p in run.points], "mode": "lines+markers",
             "name": gettext("Forecast", lang), "line": {"color": ORANGE, "dash": "dash"}}]
    return _figure(data, gettext("Applications per week: history and forecast", lang), lang,
                   xaxis={"type": "category", "categoryorder": "array", "categoryarray": past_x + future_x,
                          "autorange": "reversed" if lang == "fa" else True, "nticks": 12},
                   yaxis={"rangemode": "tozero", "side": "right" if lang == "fa" else "left"})


def fund(projections: list[tuple[str, Projection]], lang: str) -> Figure:
    """Each scenario's closing balance by year, in billions of rial, with the zero line."""
    data = []
    for i, (title, p) in enumerate(projections):
        data.append({"type": "scatter", "mode": "lines", "name": title, "line": {"color": PALETTE[i % len(PALETTE)]},
                     "x": [localize_digits(str(r.year), lang) for r in p.rows],
                     "y": [round(r.balance / BILLION, 1) for r in p.rows]})
    return _figure(data, gettext("Fund balance by scenario (billion rial)", lang), lang,
                   xaxis={"type": "category", "autorange": "reversed" if lang == "fa" else True},
                   yaxis={"zeroline": True, "zerolinecolor": GREY, "zerolinewidth": 2,
                          "side": "right" if lang == "fa" else "left"})


def as_json(figure: Figure) -> str:
    """The spec for a ``<script type="application/json">`` element (``</`` cannot close it early)."""
    return json.dumps(figure, ensure_ascii=False).replace("</", "<\\/")
