"""An entity's attribute over the last hour, day or week: the figure and the table beside it.

Points are the rollups' averages (with the lowest and highest value of each period) read through
``temporal.aggregated``, the same function the NGSI-LD temporal API answers from, so a week is
168 hourly rows, never 10,080 readings. The axes and hover texts are the house's (``web.charts``):
Jalali days and Persian digits on Persian pages. The table holds the very numbers the chart draws.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from smartgov.i18n import N_, format_number, gettext
from smartgov.web import charts as shared

from . import temporal
from .models import Entity
from .ngsi import parse_time

BLUE, BAND = "#1f6f8b", "rgba(31,111,139,0.15)"
#: range -> (seconds shown, seconds per point)
RANGES: dict[str, tuple[int, int]] = {"hour": (3600, 60), "day": (86400, 900), "week": (7 * 86400, 3600)}
RANGE_LABELS = {"hour": N_("Last hour"), "day": N_("Last day"), "week": N_("Last week")}
PERIOD_LABELS = {"hour": N_("Each point is a minute"), "day": N_("Each point is 15 minutes"),
                 "week": N_("Each point is an hour")}


@dataclass(frozen=True)
class Point:
    """One period: its start, the average, lowest and highest value and how many readings."""

    start: dt.datetime
    average: float
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class Series:
    """An attribute over a range: its points (the table) and the figure drawn from them."""

    attribute: str
    unit: str | None
    range: str
    points: tuple[Point, ...]
    figure: dict[str, Any]


def numeric_attributes(entity: Entity) -> list[str]:
    """The entity's Properties with a number value: what a chart can draw."""
    return sorted(name for name, a in entity.attrs.items() if isinstance(a, dict) and a.get("type") == "Property"
                  and isinstance(a.get("value"), int | float) and not isinstance(a.get("value"), bool))


def value_text(value: float | None, lang: str) -> str:
    """A measured value as the table shows it (two decimals at most, the page's digits)."""
    if value is None or not math.isfinite(value):
        return "—"
    return format_number(round(value, 2), lang, places=0 if float(value).is_integer() else 2)


def _points(db: Session, entity: Entity, attribute: str, range_: str, now: dt.datetime) -> list[Point]:
    span, period = RANGES[range_]
    # whole periods, the current (still filling) one last
    end = dt.datetime.fromtimestamp((int(now.timestamp()) // period + 1) * period, dt.UTC)
    start = end - dt.timedelta(seconds=span)
    found = temporal.aggregated(db, entity, [attribute], temporal.Window(start, end),
                                ["avg", "min", "max", "count"], period).get(attribute)
    if not found:
        return []
    out = []
    for (avg, begin, _), (low, _, _), (high, _, _), (count, _, _) in zip(
            found["avg"], found["min"], found["max"], found["count"], strict=True):
        if count:
            out.append(Point(parse_time(begin), float(avg), float(low), float(high), int(count)))
    return out


def series(db: Session, entity: Entity, attribute: str, range_: str, lang: str, now: dt.datetime) -> Series:
    """``attribute`` of ``entity`` over ``range_`` (hour, day, week) up to ``now``, drawn in ``lang``."""
    points = _points(db, entity, attribute, range_, now)
    raw = entity.attrs.get(attribute)
    unit = raw.get("unitCode") if isinstance(raw, dict) else None
    title = gettext("{attribute}: {range}", lang, attribute=attribute, range=gettext(RANGE_LABELS[range_], lang))
    xs = [shared.plot_time(p.start) for p in points]
    hover = [gettext("{when}: average {average} (lowest {low}, highest {high}; {count} readings)", lang,
                     when=shared.time_label(p.start, lang), average=value_text(p.average, lang),
                     low=value_text(p.low, lang), high=value_text(p.high, lang), count=p.count) for p in points]
    lo = min((p.low for p in points), default=0.0)
    hi = max((p.high for p in points), default=1.0)
    axis = shared.number_axis(lo, hi, lang)
    axis.update({"title": {"text": unit or gettext("Value", lang)}, "fixedrange": True})
    data = [
        {"type": "scatter", "mode": "lines", "x": xs, "y": [p.high for p in points], "line": {"width": 0},
         "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "mode": "lines", "x": xs, "y": [p.low for p in points], "fill": "tonexty",
         "fillcolor": BAND, "line": {"width": 0}, "name": gettext("Lowest to highest", lang), "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines+markers", "x": xs, "y": [p.average for p in points],
         "name": gettext("Average", lang), "hovertext": hover, "hoverinfo": "text",
         "line": {"color": BLUE, "width": 2}, "marker": {"size": 4}},
    ]
    figure = {"data": data, "layout": shared.layout(
        title, lang, xaxis={**shared.time_axis([p.start for p in points], lang), "fixedrange": True},
        yaxis=axis, showlegend=True)}
    return Series(attribute, unit, range_, tuple(points), figure)
