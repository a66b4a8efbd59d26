"""The insight project drawn: its thematic network as server-side SVG (the assessment module's
Attride-Stirling drawing, fed with the project's themes) and the saturation curve as a Plotly spec
built on the platform's chart helpers. Pages show the same numbers as a list and a table."""

from __future__ import annotations

from typing import Any

from smartgov import assessment
from smartgov.assessment import Framework, Node
from smartgov.i18n import gettext, localize_digits
from smartgov.web import charts as shared

from .analysis import SaturationPoint
from .models import Code, Project, Theme

style_ids = shared.style_ids
to_json = shared.to_json


def network_framework(project: Project, themes: list[Theme], grouped: dict[int, list[int]],
                      codes: dict[int, Code]) -> Framework:
    """The project's themes as a framework tree: global → organizing → basic → codes."""
    children: dict[int | None, list[Theme]] = {}
    for theme in themes:
        children.setdefault(theme.parent_id, []).append(theme)

    def node(theme: Theme, number: str) -> Node:
        kids = [node(t, f"{number}.{i}") for i, t in enumerate(children.get(theme.id, []), 1)]
        kids += [Node(f"{number}.c{code_id}", codes[code_id].name, codes[code_id].name, "code")
                 for code_id in grouped.get(theme.id, []) if code_id in codes]
        return Node(number, theme.name, theme.name, theme.level, children=tuple(kids))

    roots = [node(t, str(i)) for i, t in enumerate(children.get(None, []), 1)]
    return Framework(id=f"insight-{project.id}", version="1", title_fa=project.name, title_en=project.name, source={},
                     levels=("global", "organizing", "basic"), counts={}, nodes=tuple(roots))


def network_svg(framework: Framework, lang: str) -> str:
    return assessment.network_svg(framework, lang, svg_id="insight-network")


def saturation(points: list[SaturationPoint], flat: int | None, lang: str) -> dict[str, Any]:
    """New codes per source (bars) and the codes found so far (line), in coding order."""
    xs = [localize_digits(str(i), lang) for i in range(1, len(points) + 1)]
    names = [p.source.name for p in points]
    figure: dict[str, Any] = {
        "data": [
            {"type": "bar", "x": xs, "y": [p.new_codes for p in points], "name": gettext("New codes", lang),
             "text": names, "marker": {"color": "#b45f06"}},
            {"type": "scatter", "mode": "lines+markers", "x": xs, "y": [p.total_codes for p in points],
             "name": gettext("Codes so far", lang), "text": names, "line": {"color": "#0b5394"}},
        ],
        "layout": shared.layout(gettext("Saturation: new codes per source, in the order coded", lang), lang,
                                xaxis={"title": {"text": gettext("Source, in coding order", lang)}},
                                yaxis={"title": {"text": gettext("Codes", lang)}, "rangemode": "tozero"}),
    }
    if flat is not None:
        figure["layout"]["shapes"] = [{"type": "line", "x0": xs[flat - 1], "x1": xs[flat - 1], "yref": "paper",
                                       "y0": 0, "y1": 1, "line": {"dash": "dash", "color": "#555"}}]
    return figure
