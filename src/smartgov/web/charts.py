"""What every Plotly chart of the platform shares: plotly's JavaScript, the CSP-safe style elements,
and axes that speak the page's language.

plotly.js writes tick labels and hover numbers itself, with Latin digits and Gregorian dates
whatever the page's language. So the server computes the ticks instead: ``number_axis`` and
``date_axis`` (days) and ``time_axis`` (instants, in the platform's time zone) give ``tickvals`` with
``ticktext`` already localized (Persian digits with ``٬``/``٫``, Jalali month names on Persian pages),
``time_label`` the text of a point's instant, and ``layout`` sets
``separators`` (for whatever number plotly still formats) and a legend on the reading side.
Figures are plain figure dicts (``{"data": [...], "layout": {...}}``) sent to the page as JSON
(``to_json``) and drawn by ``/static/web/charts.js``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jdatetime

from smartgov import clock
from smartgov.i18n import format_number, localize_digits

# found without importing plotly: pages only need its JavaScript file
PLOTLY_JS = Path(find_spec("plotly").origin or "").parent / "package_data" / "plotly.min.js"  # type: ignore[union-attr]
#: Where pages load plotly.js from (``web.pages``), straight from the installed package.
PLOTLY_URL = "/charts/plotly.min.js"
FONT = "Vazirmatn, Tahoma, DejaVu Sans, sans-serif"

Figure = dict[str, Any]

_FA_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
              "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


@cache
def style_ids() -> tuple[str, ...]:
    """Ids of the ``<style>`` elements plotly.js makes at run time, which the page makes first instead.

    The Content-Security-Policy refuses a ``<style>`` element a script adds without the page's
    nonce. plotly.js uses an element it finds by id, so the chart pages render these empty with
    the nonce: plotly's own rules (``plotly.js-style-global``) then arrive through the CSSOM,
    which the policy allows; the maplibre stylesheet (ids are hashes, read from the installed
    plotly.min.js) stays empty, because no chart here is a map.
    """
    text = PLOTLY_JS.read_text(encoding="utf-8", errors="replace")
    bundled = re.findall(r'getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement\("style"\)', text)
    return ("plotly.js-style-global", *dict.fromkeys(bundled))


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (steps of 1, 2, 2.5 or 5 × 10ⁿ) covering ``lo``..``hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("ticks need finite bounds")
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in _STEPS if s * power >= raw * (1 - 1e-9))
    first, last = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    n = round((last - first) / step)
    return [round(first + i * step, 10) for i in range(n + 1)]


def _places(values: Sequence[float]) -> int:
    """The fewest decimals that write every value exactly (at most 3)."""
    for places in range(4):
        if all(abs(v - round(v, places)) < 1e-9 for v in values):
            return places
    return 3


def number_axis(lo: float, hi: float, lang: str, *, count: int = 5, suffix: str = "") -> dict[str, Any]:
    """A value axis from ``lo`` to ``hi`` with round ticks written in ``lang`` (``suffix``: ``٪``…)."""
    ticks = nice_ticks(lo, hi, count)
    places = _places(ticks)
    return {"range": [ticks[0], ticks[-1]], "tickmode": "array", "tickvals": ticks,
            "ticktext": [format_number(t, lang, places) + suffix for t in ticks]}


def date_label(day: dt.date, lang: str, *, with_year: bool = True, month_only: bool = False) -> str:
    """A period's first day as people read it: Jalali in Persian (``۱۵ فروردین ۱۴۰۳``), else ``15 Mar 2024``.

    ``month_only`` drops the day when the period starts on the first of a month of that calendar.
    """
    if lang == "fa":
        j = jdatetime.date.fromgregorian(date=day)
        day_n, month, year = j.day, _FA_MONTHS[j.month - 1], j.year
    else:
        day_n, month, year = day.day, _EN_MONTHS[day.month - 1], day.year
    parts = [] if month_only and day_n == 1 else [str(day_n)]
    parts.append(month)
    if with_year:
        parts.append(str(year))
    return localize_digits(" ".join(parts), lang)


def date_axis(days: Sequence[dt.date], lang: str, *, grain: str = "day", max_ticks: int = 8) -> dict[str, Any]:
    """A time axis over ``days`` (sorted period starts) with at most ``max_ticks`` localized ticks.

    The year is written on the first tick and wherever it changes (months always carry it).
    """
    if not days:
        return {"type": "date"}
    stride = max(1, math.ceil(len(days) / max_ticks))
    chosen = list(days[::stride])
    texts, last_year = [], None
    for day in chosen:
        year = jdatetime.date.fromgregorian(date=day).year if lang == "fa" else day.year
        texts.append(date_label(day, lang, with_year=grain == "month" or year != last_year,
                                month_only=grain == "month"))
        last_year = year
    return {"type": "date", "tickmode": "array", "tickvals": [d.isoformat() for d in chosen], "ticktext": texts}


def plot_time(instant: dt.datetime) -> str:
    """An instant as a plotly x value: wall-clock time in the platform's zone, without an offset
    (plotly.js has no time zones; ticks and hover texts say the same wall-clock time)."""
    return clock.local(instant).replace(tzinfo=None).isoformat(timespec="minutes")


def time_label(instant: dt.datetime, lang: str, *, with_day: bool = True) -> str:
    """``۱۶ آذر ۱۴۰۵ ۱۴:۳۰`` in Persian (Jalali), ``7 Dec 2026 14:30`` in English; ``with_day=False``: the time only."""
    local = clock.local(instant)
    hours = localize_digits(local.strftime("%H:%M"), lang)
    return f"{date_label(local.date(), lang)} {hours}" if with_day else hours


def time_axis(instants: Sequence[dt.datetime], lang: str, *, max_ticks: int = 8) -> dict[str, Any]:
    """A time axis over ``instants`` (sorted) with at most ``max_ticks`` localized ticks: the hour and
    minute, with the (Jalali in Persian) day on the first tick and wherever the day changes."""
    if not instants:
        return {"type": "date"}
    stride = max(1, math.ceil(len(instants) / max_ticks))
    chosen = list(instants[::stride])
    texts, last_day = [], None
    for instant in chosen:
        day = clock.local(instant).date()
        texts.append(time_label(instant, lang, with_day=day != last_day))
        last_day = day
    return {"type": "date", "tickmode": "array", "tickvals": [plot_time(i) for i in chosen], "ticktext": texts}


def layout(title: str, lang: str, **extra: Any) -> dict[str, Any]:
    """The layout every chart starts from: font, the language's separators, a legend on the reading side."""
    base: dict[str, Any] = {
        "title": {"text": title}, "font": {"family": FONT, "size": 13},
        "margin": {"l": 60, "r": 60, "t": 60, "b": 60}, "paper_bgcolor": "#fff", "height": 420,
        # plotly's separators are "decimal point" then "thousands": ٫ and ٬ on Persian pages
        "separators": "٫٬" if lang == "fa" else ".,",
        # plotly.js lays legends out left to right; on a right-to-left page anchor it on the right
        "legend": ({"orientation": "h", "x": 1, "xanchor": "right", "y": -0.18}
                   if lang == "fa" else {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18}),
        "hoverlabel": {"font": {"family": FONT}},
    }
    base.update(extra)
    return base


def to_json(figure: Figure) -> str:
    """Figure JSON for a ``<script type="application/json">`` element (a label can never close it)."""
    return json.dumps(figure, ensure_ascii=False).replace("</", "<\\/")
