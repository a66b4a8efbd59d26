"""Plotly figures of a round's results (radar, bars, alphas beside the published ones).

Figures are plotly.js figure specs (``{"data": [...], "layout": {...}}``) written as plain
dicts and sent to the page as JSON; the page loads plotly's own JavaScript from the installed
package (``/assessment/plotly.min.js``). Building them as ``plotly.graph_objects`` figures
validated every property in Python and took half of a results page's time; the tests check
these specs with that validator instead. Every chart has a table with the same numbers next to it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import plotly

from smartgov.assessment.schemas import RoundResults
from smartgov.i18n import gettext

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
FONT = "Vazirmatn, Tahoma, DejaVu Sans, sans-serif"
BLUE, ORANGE, RED = "#0b5394", "#b45f06", "#990000"
LABEL_CHARS = 34  # what the bar chart's left margin holds

Figure = dict[str, Any]


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


def _figure(data: list[dict[str, Any]], title: str, **layout: Any) -> Figure:
    return {"data": data, "layout": {
        "title": {"text": title}, "font": {"family": FONT, "size": 13}, "margin": {"l": 40, "r": 40, "t": 60, "b": 40},
        "paper_bgcolor": "#fff", "height": 480, "legend": {"orientation": "h"}, **layout}}


def _label(s: object, lang: str) -> str:
    return getattr(s, "label_en" if lang == "en" else "label_fa")


def radar(results: RoundResults, lang: str) -> Figure:
    """Dimension scores (0–100) as a radar; components when the framework has no dimensions."""
    parts = results.dimensions or results.components
    labels = [_label(s, lang) for s in parts]
    data = [{"type": "scatterpolar", "r": [round(s.percent, 1) for s in parts] + [round(parts[0].percent, 1)],
             "theta": labels + labels[:1], "fill": "toself", "name": gettext("This round", lang),
             "line": {"color": BLUE}}]
    if results.comparison:
        before = {c.code: c.before for c in results.comparison.changes}
        if all(s.code in before for s in parts):
            data.append({"type": "scatterpolar",
                         "r": [round(before[s.code], 1) for s in parts] + [round(before[parts[0].code], 1)],
                         "theta": labels + labels[:1], "name": gettext("Previous round", lang),
                         "line": {"color": ORANGE, "dash": "dot"}})
    return _figure(data, gettext("Maturity by dimension (0–100)", lang), polar={"radialaxis": {"range": [0, 100]}})


def bars(results: RoundResults, lang: str) -> Figure:
    """Component scores (0–100), weakest first."""
    parts = sorted(results.components, key=lambda s: s.percent)
    names = [f"{s.code} {_label(s, lang)}" for s in parts]
    # plotly.js does not widen the margin for right-to-left labels: a fixed one, names shortened
    # to fit it (the whole name is in the tooltip and in the table beside the chart)
    data = [{"type": "bar", "x": [round(s.percent, 1) for s in parts],
             "y": [n if len(n) <= LABEL_CHARS else n[:LABEL_CHARS - 1] + "…" for n in names],
             "hovertext": names, "hoverinfo": "text+x", "orientation": "h", "marker": {"color": BLUE}}]
    return _figure(data, gettext("Component scores (0–100)", lang), height=max(360, 22 * len(parts) + 120),
                   xaxis={"range": [0, 100]}, yaxis={"automargin": True},
                   margin={"l": 240, "r": 40, "t": 60, "b": 40})


def alphas(results: RoundResults, lang: str) -> Figure:
    """This round's alpha per component beside the published reference alpha (seed 004)."""
    rows = [a for a in results.alphas if a.alpha is not None]
    codes = [a.component for a in rows]
    data = [{"type": "bar", "x": codes, "y": [round(a.alpha or 0, 3) for a in rows],
             "name": gettext("This round", lang), "marker": {"color": BLUE}}]
    if any(a.reference_alpha is not None for a in rows):
        data.append({"type": "bar", "x": codes, "y": [a.reference_alpha for a in rows],
                     "name": gettext("Published (seed 004)", lang), "marker": {"color": ORANGE}})
    threshold = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 0.7, "y1": 0.7,
                 "line": {"dash": "dash", "color": RED}}
    return _figure(data, gettext("Cronbach's alpha per component", lang), barmode="group",
                   yaxis={"range": [0, 1]}, shapes=[threshold])


def specs(results: RoundResults, lang: str) -> dict[str, Figure]:
    """Figure specs by chart id; empty when there is nothing to draw yet."""
    if not results.components:
        return {}
    return {"radar": radar(results, lang), "bars": bars(results, lang), "alphas": alphas(results, lang)}


def figures(results: RoundResults, lang: str) -> dict[str, str]:
    """Figure JSON by chart id, ready for a ``<script type="application/json">`` element."""
    # the JSON goes inside a <script> element: never let a label close it
    return {key: json.dumps(fig, ensure_ascii=False).replace("</", "<\\/") for key, fig in specs(results, lang).items()}
