"""Plotly figures of a round's results (radar, bars, alphas beside the published ones).

Figures are plotly.js figure specs (``{"data": [...], "layout": {...}}``) written as plain
dicts and sent to the page as JSON; the page loads plotly's own JavaScript from the installed
package (``web.charts``). Building them as ``plotly.graph_objects`` figures validated every
property in Python and took half of a results page's time; the tests check these specs with that
validator instead. Axis ticks and hover texts are written on the server in the page's language
(``web.charts``: Persian digits on Persian pages). Every chart has a table with the same numbers next to it.
"""

from __future__ import annotations

from typing import Any

from smartgov.assessment.schemas import RoundResults
from smartgov.i18n import format_number, gettext
from smartgov.web import charts as shared
from smartgov.web.charts import PLOTLY_JS, style_ids

__all__ = ["PLOTLY_JS", "alphas", "bars", "figures", "radar", "specs", "style_ids"]

BLUE, ORANGE, RED = "#0b5394", "#b45f06", "#990000"
LABEL_CHARS = 34  # what the bar chart's left margin holds

Figure = dict[str, Any]


def _figure(data: list[dict[str, Any]], title: str, lang: str, **layout: Any) -> Figure:
    return {"data": data, "layout": shared.layout(
        title, lang, **{"margin": {"l": 40, "r": 40, "t": 60, "b": 40}, "height": 480, **layout})}


def _label(s: object, lang: str) -> str:
    return getattr(s, "label_en" if lang == "en" else "label_fa")


def _hover(labels: list[str], values: list[float | None], lang: str, places: int) -> list[str]:
    """One hover text per point, in the page's digits (the radar's closing point repeats the first)."""
    texts = [f"{label}: {'—' if v is None else format_number(v, lang, places)}"
             for label, v in zip(labels, values, strict=True)]
    return texts + texts[:1]


def radar(results: RoundResults, lang: str) -> Figure:
    """Dimension scores (0–100) as a radar; components when the framework has no dimensions."""
    parts = results.dimensions or results.components
    labels = [_label(s, lang) for s in parts]
    data = [{"type": "scatterpolar", "r": [round(s.percent, 1) for s in parts] + [round(parts[0].percent, 1)],
             "theta": labels + labels[:1], "fill": "toself", "name": gettext("This round", lang),
             "hovertext": _hover(labels, [s.percent for s in parts], lang, 1), "hoverinfo": "text",
             "line": {"color": BLUE}}]
    if results.comparison:
        before = {c.code: c.before for c in results.comparison.changes}
        if all(s.code in before for s in parts):
            data.append({"type": "scatterpolar",
                         "r": [round(before[s.code], 1) for s in parts] + [round(before[parts[0].code], 1)],
                         "theta": labels + labels[:1], "name": gettext("Previous round", lang),
                         "hovertext": _hover(labels, [before[s.code] for s in parts], lang, 1), "hoverinfo": "text",
                         "line": {"color": ORANGE, "dash": "dot"}})
    return _figure(data, gettext("Maturity by dimension (0–100)", lang), lang,
                   polar={"radialaxis": shared.number_axis(0, 100, lang)})


def bars(results: RoundResults, lang: str) -> Figure:
    """Component scores (0–100), weakest first."""
    parts = sorted(results.components, key=lambda s: s.percent)
    names = [f"{s.code} {_label(s, lang)}" for s in parts]
    # plotly.js does not widen the margin for right-to-left labels: a fixed one, names shortened
    # to fit it (the whole name is in the tooltip and in the table beside the chart)
    data = [{"type": "bar", "x": [round(s.percent, 1) for s in parts],
             "y": [n if len(n) <= LABEL_CHARS else n[:LABEL_CHARS - 1] + "…" for n in names],
             "hovertext": _hover(names, [s.percent for s in parts], lang, 1)[:-1], "hoverinfo": "text",
             "orientation": "h", "marker": {"color": BLUE}}]
    return _figure(data, gettext("Component scores (0–100)", lang), lang, height=max(360, 22 * len(parts) + 120),
                   xaxis=shared.number_axis(0, 100, lang), yaxis={"automargin": True},
                   margin={"l": 240, "r": 40, "t": 60, "b": 40})


def alphas(results: RoundResults, lang: str) -> Figure:
    """This round's alpha per component beside the published reference alpha (seed 004)."""
    rows = [a for a in results.alphas if a.alpha is not None]
    codes = [a.component for a in rows]
    data = [{"type": "bar", "x": codes, "y": [round(a.alpha or 0, 3) for a in rows],
             "hovertext": _hover(codes, [a.alpha or 0 for a in rows], lang, 3)[:-1], "hoverinfo": "text",
             "name": gettext("This round", lang), "marker": {"color": BLUE}}]
    if any(a.reference_alpha is not None for a in rows):
        data.append({"type": "bar", "x": codes, "y": [a.reference_alpha for a in rows],
                     "hovertext": _hover(codes, [a.reference_alpha for a in rows], lang, 3)[:-1],
                     "hoverinfo": "text", "name": gettext("Published (seed 004)", lang), "marker": {"color": ORANGE}})
    threshold = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 0.7, "y1": 0.7,
                 "line": {"dash": "dash", "color": RED}}
    return _figure(data, gettext("Cronbach's alpha per component", lang), lang, barmode="group",
                   yaxis=shared.number_axis(0, 1, lang), shapes=[threshold])


def specs(results: RoundResults, lang: str) -> dict[str, Figure]:
    """Figure specs by chart id; empty when there is nothing to draw yet."""
    if not results.components:
        return {}
    return {"radar": radar(results, lang), "bars": bars(results, lang), "alphas": alphas(results, lang)}


def figures(results: RoundResults, lang: str) -> dict[str, str]:
    """Figure JSON by chart id, ready for a ``<script type="application/json">`` element."""
    return {key: shared.to_json(fig) for key, fig in specs(results, lang).items()}
