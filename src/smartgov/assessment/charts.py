"""Plotly figures of a round's results (radar, bars, alphas beside the published ones).

Figures are built with the plotly Python package and sent to the page as JSON; the page loads
plotly's own JavaScript from the installed package (``/assessment/plotly.min.js``). Every chart
has a table with the same numbers next to it.
"""

from __future__ import annotations

from pathlib import Path

import plotly
import plotly.graph_objects as go

from smartgov.assessment.schemas import RoundResults
from smartgov.i18n import gettext

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
FONT = "Vazirmatn, Tahoma, DejaVu Sans, sans-serif"


def _layout(fig: go.Figure, title: str, lang: str) -> go.Figure:
    fig.update_layout(
        title={"text": title},
        font={"family": FONT, "size": 13},
        margin={"l": 40, "r": 40, "t": 60, "b": 40},
        paper_bgcolor="#fff",
        height=480,
        legend={"orientation": "h"},
    )
    return fig


def _label(s: object, lang: str) -> str:
    return getattr(s, "label_en" if lang == "en" else "label_fa")


def radar(results: RoundResults, lang: str) -> go.Figure:
    """Dimension scores (0–100) as a radar; components when the framework has no dimensions."""
    parts = results.dimensions or results.components
    labels = [_label(s, lang) for s in parts]
    fig = go.Figure(
        go.Scatterpolar(
            r=[round(s.percent, 1) for s in parts] + [round(parts[0].percent, 1)],
            theta=labels + labels[:1],
            fill="toself",
            name=gettext("This round", lang),
            line={"color": "#0b5394"},
        )
    )
    if results.comparison:
        before = {c.code: c.before for c in results.comparison.changes}
        if all(s.code in before for s in parts):
            fig.add_trace(
                go.Scatterpolar(
                    r=[round(before[s.code], 1) for s in parts] + [round(before[parts[0].code], 1)],
                    theta=labels + labels[:1],
                    name=gettext("Previous round", lang),
                    line={"color": "#b45f06", "dash": "dot"},
                )
            )
    fig.update_layout(polar={"radialaxis": {"range": [0, 100]}})
    return _layout(fig, gettext("Maturity by dimension (0–100)", lang), lang)


def bars(results: RoundResults, lang: str) -> go.Figure:
    """Component scores (0–100), weakest first."""
    parts = sorted(results.components, key=lambda s: s.percent)
    fig = go.Figure(
        go.Bar(
            x=[round(s.percent, 1) for s in parts],
            y=[f"{s.code} {_label(s, lang)}" for s in parts],
            orientation="h",
            marker={"color": "#0b5394"},
        )
    )
    fig.update_layout(
        height=max(360, 22 * len(parts) + 120),
        xaxis={"range": [0, 100]},
        yaxis={"automargin": True},
    )
    return _layout(fig, gettext("Component scores (0–100)", lang), lang).update_layout(
        height=max(360, 22 * len(parts) + 120)
    )


def alphas(results: RoundResults, lang: str) -> go.Figure:
    """This round's alpha per component beside the published reference alpha (seed 004)."""
    rows = [a for a in results.alphas if a.alpha is not None]
    codes = [a.component for a in rows]
    fig = go.Figure(
        go.Bar(
            x=codes,
            y=[round(a.alpha or 0, 3) for a in rows],
            name=gettext("This round", lang),
            marker={"color": "#0b5394"},
        )
    )
    if any(a.reference_alpha is not None for a in rows):
        fig.add_trace(
            go.Bar(
                x=codes,
                y=[a.reference_alpha for a in rows],
                name=gettext("Published (seed 004)", lang),
                marker={"color": "#b45f06"},
            )
        )
    fig.add_hline(y=0.7, line_dash="dash", line_color="#990000")
    fig.update_layout(barmode="group", yaxis={"range": [0, 1]})
    return _layout(fig, gettext("Cronbach's alpha per component", lang), lang)


def figures(results: RoundResults, lang: str) -> dict[str, str]:
    """Figure JSON by chart id; empty when there is nothing to draw yet."""
    if not results.components:
        return {}
    figs = {"radar": radar(results, lang), "bars": bars(results, lang), "alphas": alphas(results, lang)}
    # the JSON goes inside a <script> element: never let a label close it
    return {key: fig.to_json().replace("</", "<\\/") for key, fig in figs.items()}
