"""Dashboard charts: pure functions from a KPI and its points to a chart (figure, table, CSV).

A ``Chart`` carries the Plotly figure (a plain figure dict, axes localized by ``web.charts``), the
rows of the accessible table under it and what its CSV holds: the same cells, so the picture, the
table and the download never disagree. Every chart draws the KPI's target (a dashed line, named
with the direction that is better) when the KPI has one. On public dashboards a cell made from
fewer than ``SMARTGOV_SUPPRESS_BELOW`` cases is suppressed everywhere: no point, no bar, no number
in the table or the CSV, only the words "fewer than N".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smartgov import files
from smartgov.analytics import Kpi, Point
from smartgov.i18n import N_, format_number, format_percent, gettext
from smartgov.web import charts as shared

BLUE, RED, GREY = "#0b5394", "#990000", "#505a5f"

UNIT_LABELS = {
    "count": N_("Number"), "days": N_("Days"), "percent": N_("Percent"), "rial": N_("Rial"),
    "score": N_("Score"), "hours": N_("Hours"),
}
BETTER = {"up": N_("higher is better"), "down": N_("lower is better")}
GRAIN_LABELS = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month")}
BY_LABELS = {"service": N_("Service"), "agency": N_("Agency"), "branch": N_("Branch"), "channel": N_("Channel")}
BY_TITLES = {"service": N_("{kpi} by service"), "agency": N_("{kpi} by agency"), "branch": N_("{kpi} by branch"),
             "channel": N_("{kpi} by channel")}


@dataclass(frozen=True)
class Cell:
    """One row of a chart's table and CSV: a period (ISO ``key``) or a breakdown key, as shown in ``label``."""

    key: str
    label: str
    value: float | None
    count: int
    suppressed: bool


@dataclass(frozen=True)
class Chart:
    """A chart of one KPI: its figure, its cells (table and CSV) and what the page says about it."""

    id: str
    kpi: Kpi
    title: str
    kind: str  # "series" (over time) or "breakdown" (by service, agency, branch or channel)
    key_label: str  # the heading of the table's first column
    cells: tuple[Cell, ...]
    figure: dict[str, Any]
    suppressed: int  # how many cells are suppressed

    @property
    def empty(self) -> bool:
        return all(c.value is None and c.count == 0 for c in self.cells)


def is_suppressed(point: Point, suppress_below: int | None) -> bool:
    """A cell made from 1 to ``suppress_below`` − 1 cases (none: nothing to hide; ``None``: staff pages)."""
    return suppress_below is not None and 0 < point.count < suppress_below


def format_value(kpi: Kpi, value: float | None, lang: str) -> str:
    """A KPI value as the table shows it, in the page's digits (``—`` for nothing to compute from)."""
    if value is None or not math.isfinite(value):
        return "—"
    if kpi.unit == "percent":
        return format_percent(value, lang, places=1)
    if kpi.unit in ("count", "rial"):
        return format_number(round(value), lang)
    return format_number(value, lang, places=1)


def target_text(kpi: Kpi, lang: str) -> str:
    """"Target: 90% (higher is better)", or the direction alone for a KPI without a target."""
    better = gettext(BETTER.get(kpi.direction, BETTER["up"]), lang)
    if kpi.target is None:
        return gettext("No target ({better})", lang, better=better)
    return gettext("Target: {target} ({better})", lang, target=format_value(kpi, kpi.target, lang), better=better)


def _cells(kpi: Kpi, keyed: Sequence[tuple[str, str, Point]], suppress_below: int | None) -> tuple[Cell, ...]:
    out = []
    for key, label, p in keyed:
        hidden = is_suppressed(p, suppress_below)
        out.append(Cell(key, label, None if hidden else p.value, 0 if hidden else p.count, hidden))
    return tuple(out)


def _value_axis(kpi: Kpi, cells: Sequence[Cell], lang: str) -> dict[str, Any]:
    values = [c.value for c in cells if c.value is not None and math.isfinite(c.value)]
    if kpi.target is not None:
        values.append(kpi.target)
    lo = min([0.0, *values])
    hi = max([*values, 1.0]) * 1.1 if values else 1.0
    if kpi.unit == "percent" and max(values, default=0) <= 100:
        hi = 100.0  # a share reads against its whole
    axis = shared.number_axis(lo, hi, lang, suffix=("٪" if lang == "fa" else "%") if kpi.unit == "percent" else "")
    axis["title"] = {"text": gettext(UNIT_LABELS.get(kpi.unit, N_("Value")), lang)}
    axis["fixedrange"] = True
    return axis


def _hover(kpi: Kpi, cell: Cell, lang: str, suppress_below: int | None) -> str:
    if cell.suppressed:
        return f"{cell.label}: " + gettext("fewer than {n} cases", lang, n=suppress_below or 0)
    shown = f"{cell.label}: {format_value(kpi, cell.value, lang)}"
    return shown + ("، " if lang == "fa" else " · ") + gettext("{n} cases", lang, n=cell.count) if cell.count else shown


def _target_trace(kpi: Kpi, xs: list[str], lang: str) -> list[dict[str, Any]]:
    if kpi.target is None or not xs:
        return []
    text = target_text(kpi, lang)
    return [{"type": "scatter", "mode": "lines", "x": [xs[0], xs[-1]] if len(xs) > 1 else xs * 2,
             "y": [kpi.target, kpi.target], "name": text, "hovertext": [text, text], "hoverinfo": "text",
             "line": {"color": RED, "dash": "dash", "width": 2}}]


def series_chart(kpi: Kpi, points: Sequence[Point], lang: str, *, grain: str, suppress_below: int | None,
                 chart_id: str | None = None) -> Chart:
    """``kpi`` over time: a line with the target, the table of periods, the CSV."""
    cells = _cells(kpi, [(p.period.isoformat(), shared.date_label(p.period, lang, month_only=grain == "month"), p)
                         for p in points], suppress_below)
    xs = [c.key for c in cells]
    title = kpi.title.get(lang) or kpi.title["en"]
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines+markers", "x": xs, "y": [c.value for c in cells], "name": title,
        "hovertext": [_hover(kpi, c, lang, suppress_below) for c in cells], "hoverinfo": "text",
        "connectgaps": False, "line": {"color": BLUE, "width": 2}, "marker": {"size": 6},
    }, *_target_trace(kpi, xs, lang)]
    days = [dt.date.fromisoformat(x) for x in xs]
    figure = {"data": data, "layout": shared.layout(
        title, lang, xaxis={**shared.date_axis(days, lang, grain=grain), "fixedrange": True},
        yaxis=_value_axis(kpi, cells, lang), showlegend=True)}
    return Chart(chart_id or kpi.code, kpi, title, "series", gettext(GRAIN_LABELS.get(grain, N_("Period")), lang),
                 cells, figure, sum(c.suppressed for c in cells))


def breakdown_chart(kpi: Kpi, rows: Sequence[tuple[str, Point]], labels: dict[str, str], lang: str, *, by: str,
                    suppress_below: int | None, chart_id: str | None = None, limit: int = 20) -> Chart:
    """``kpi`` split by ``by`` (``labels``: key → name shown): bars with the target, the table, the CSV."""
    cells = _cells(kpi, [(key, labels.get(key, key), p) for key, p in rows[:limit]], suppress_below)
    xs = [c.label for c in cells]
    title = gettext(BY_TITLES[by], lang, kpi=kpi.title.get(lang) or kpi.title["en"])
    data: list[dict[str, Any]] = [{
        "type": "bar", "x": xs, "y": [c.value for c in cells], "name": kpi.title.get(lang) or kpi.title["en"],
        "hovertext": [_hover(kpi, c, lang, suppress_below) for c in cells], "hoverinfo": "text",
        "marker": {"color": [GREY if c.suppressed else BLUE for c in cells]},
    }, *_target_trace(kpi, xs, lang)]
    figure = {"data": data, "layout": shared.layout(
        title, lang, xaxis={"type": "category", "automargin": True, "fixedrange": True},
        yaxis=_value_axis(kpi, cells, lang), showlegend=True)}
    return Chart(chart_id or f"{kpi.code}-by-{by}", kpi, title, "breakdown", gettext(BY_LABELS.get(by, by), lang),
                 cells, figure, sum(c.suppressed for c in cells))


def csv_of(chart: Chart, lang: str, suppress_below: int | None) -> str:
    """The chart's cells as CSV: the key as data (ISO date or code), its label, the value in Latin digits
    (for spreadsheets), the count and the target; suppressed cells keep neither value nor count."""
    header = [gettext(chart.key_label, lang) if chart.kind == "breakdown" else gettext("Period start", lang),
              gettext("Label", lang), gettext("Value", lang), gettext("Cases", lang), gettext("Target", lang),
              gettext("Note", lang)]
    target = "" if chart.kpi.target is None else _plain(chart.kpi.target)
    rows = [[c.key, c.label, "" if c.value is None else _plain(c.value), "" if c.suppressed else c.count, target,
             gettext("fewer than {n} cases", lang, n=suppress_below or 0) if c.suppressed else ""]
            for c in chart.cells]
    return files.csv_text(header, rows, bom=True)  # BOM: spreadsheet programs then read Persian


def _plain(value: float) -> str:
    """A number for a CSV cell: Latin digits, a dot, no grouping, no float noise."""
    return f"{value:.4f}".rstrip("0").rstrip(".") if not float(value).is_integer() else str(int(value))
