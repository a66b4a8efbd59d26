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
from smartgov.i18n import N_, format_number, gettext
from smartgov.web import charts as shared
from smartgov.web.charts import PLOTLY_JS, style_ids

__all__ = ["PLOTLY_JS", "SMALL_SAMPLE", "alphas", "bars", "figures", "notes", "radar", "specs", "style_ids"]

BLUE, ORANGE, RED = "#0b5394", "#b45f06", "#990000"
LABEL_CHARS = 34  # what the bar chart's left margin holds
#: Fewer respondents than this and the page says the results describe those few people only.
SMALL_SAMPLE = 10
#: A radar of fewer axes is a line or a point; the table says the same without pretending.
RADAR_AXES = 3

RADAR_TOO_FEW = N_("A radar needs at least three dimensions and this framework has {n}: "
                   "the table below shows the scores.")
ALPHAS_NONE = N_("No chart of alpha: too few answers to compute it (respondents: {n}). Alpha needs at least "
                 "two complete answers per component with some variation; the table below says why for each one.")
FEW_RESPONDENTS = N_("Few respondents ({n}): these results describe those people alone and may change a lot as "
                     "more answer. Reliability and factor analysis need many more answers.")

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
    """This round's alpha per component beside the alpha the framework's own study published, if any."""
    rows = [a for a in results.alphas if a.alpha is not None]
    codes = [a.component for a in rows]
    data = [{"type": "bar", "x": codes, "y": [round(a.alpha or 0, 3) for a in rows],
             "hovertext": _hover(codes, [a.alpha or 0 for a in rows], lang, 3)[:-1], "hoverinfo": "text",
             "name": gettext("This round", lang), "marker": {"color": BLUE}}]
    if any(a.reference_alpha is not None for a in rows):
        data.append({"type": "bar", "x": codes, "y": [a.reference_alpha for a in rows],
                     "hovertext": _hover(codes, [a.reference_alpha for a in rows], lang, 3)[:-1],
                     "hoverinfo": "text", "name": gettext("Published alpha", lang), "marker": {"color": ORANGE}})
    threshold = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 0.7, "y1": 0.7,
                 "line": {"dash": "dash", "color": RED}}
    return _figure(data, gettext("Cronbach's alpha per component", lang), lang, barmode="group",
                   yaxis=shared.number_axis(0, 1, lang), shapes=[threshold])


def _radar_parts(results: RoundResults) -> list[Any]:
    return list(results.dimensions or results.components)


def specs(results: RoundResults, lang: str) -> dict[str, Figure]:
    """Figure specs by chart id, only of charts with something to draw (:func:`notes` says why not)."""
    if not results.components:
        return {}
    out = {"bars": bars(results, lang)}
    if len(_radar_parts(results)) >= RADAR_AXES:
        out["radar"] = radar(results, lang)
    if any(a.alpha is not None for a in results.alphas):
        out["alphas"] = alphas(results, lang)
    return out


def notes(results: RoundResults, lang: str) -> dict[str, str]:
    """What the page says in place of a chart it does not draw, and above a result from few people."""
    out: dict[str, str] = {}
    n = results.n_respondents
    if 0 < n < SMALL_SAMPLE:
        out["sample"] = gettext(FEW_RESPONDENTS, lang, n=format_number(n, lang))
    if not results.components:
        return out
    parts = _radar_parts(results)
    if len(parts) < RADAR_AXES:
        out["radar"] = gettext(RADAR_TOO_FEW, lang, n=format_number(len(parts), lang))
    if results.alphas and all(a.alpha is None for a in results.alphas):
        out["alphas"] = gettext(ALPHAS_NONE, lang, n=format_number(n, lang))
    return out


def figures(results: RoundResults, lang: str) -> dict[str, str]:
    """Figure JSON by chart id, ready for a ``<script type="application/json">`` element."""
    return {key: shared.to_json(fig) for key, fig in specs(results, lang).items()}
