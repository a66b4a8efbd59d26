"""The report page's charts: columns drawn as inline SVG by the template (``_chart.html``; no script,
nothing to load), the same picture as the PDF's (``pdfdraw.ReportPdf.columns``). Here: the geometry."""

from __future__ import annotations

from dataclasses import dataclass

from smartgov.i18n import format_number, gettext

WIDTH, HEIGHT, TOP, BOTTOM = 600, 180, 18, 26


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    middle: float
    shown: str
    shown_y: float
    label: str
    earlier: bool


@dataclass(frozen=True)
class Chart:
    label: str  # what a screen reader says
    columns: list[Column]
    base: float
    target_y: float | None
    line: str = ""  # SVG polyline points of a second series (a forecast), "" for none
    dots: tuple[tuple[float, float], ...] = ()
    width: int = WIDTH
    height: int = HEIGHT


def _places(value: float, places: int | None) -> int:
    """A column's label: whole counts, otherwise one decimal below 100 (the PDF's rule too)."""
    if places is not None:
        return places
    return 0 if value >= 100 or value == 0 else 1


def columns(title: str, labels: list[str], values: list[float | None], lang: str, *, target: float | None,
            dim_before: int = 3, places: int | None = None, line: list[float | None] | None = None,
            described: str | None = None) -> Chart:
    """Columns in reading order (right to left in Persian), the target as a dashed line; ``line``: a
    second series drawn as a line with dots over the columns (a forecast against the actuals)."""
    n = len(values)
    slot = WIDTH / max(n, 1)
    scale = max([*(v for v in values if v is not None), *(v for v in line or [] if v is not None), target or 0.0,
                 0.0]) or 1.0
    base = HEIGHT - BOTTOM
    room = base - TOP
    out = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = (n - 1 - i if lang == "fa" else i) * slot
        length = room * value / scale if value is not None and value > 0 else 0.0
        shown = "—" if value is None else format_number(value, lang, _places(value, places))
        out.append(Column(round(x + slot * 0.2, 1), round(base - length, 1), round(slot * 0.6, 1), round(length, 1),
                          round(x + slot / 2, 1), shown, round(base - length - 4, 1), label, i < dim_before))
    target_y = round(base - room * target / scale, 1) if target is not None and target > 0 else None
    dots = tuple((col.middle, round(base - room * v / scale, 1)) for col, v in zip(out, line or [], strict=False)
                 if v is not None)
    points = " ".join(f"{x},{y}" for x, y in sorted(dots))
    label = described or gettext("{title}: the previous quarter's months, then this quarter's", lang, title=title)
    return Chart(label, out, base, target_y, points, dots)
