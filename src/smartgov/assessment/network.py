"""A framework drawn as a thematic network (Attride-Stirling): global → organizing → basic themes.

Server-side SVG with a radial layout: the framework in the centre, its top-level themes on the
first ring, their children on the next, basic themes on the outer ring with labels along the
radius. Labels are in the page language; Persian labels carry ``direction="rtl"`` and their
anchors are mirrored so they read outward on both halves. The page shows the same tree as a
list and a table, which is the text alternative.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from smartgov.assessment.frameworks import Framework, Node
from smartgov.i18n import gettext, localize_digits

PALETTE = (
    "#0b5394",
    "#b45f06",
    "#38761d",
    "#741b47",
    "#134f5c",
    "#7f6000",
    "#990000",
    "#351c75",
    "#274e13",
    "#4c1130",
    "#0c343d",
    "#783f04",
)
SIZE = 1400
CENTER = SIZE / 2


def _attr(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines[:3]


def network_svg(framework: Framework, lang: str = "fa", *, svg_id: str = "network") -> str:
    """The framework as an accessible SVG thematic network."""
    rtl = lang == "fa"
    depth = max(len(framework.levels), 1)
    radii = {1: [0, 470], 2: [0, 230, 470], 3: [0, 205, 345, 470]}.get(depth, [0, 150, 260, 360, 470])
    leaves: list[Node] = list(framework.leaves())
    angle: dict[str, float] = {}
    for i, leaf in enumerate(leaves):
        angle[leaf.code] = -math.pi / 2 + 2 * math.pi * i / max(len(leaves), 1)

    def place(node: Node) -> float:
        if node.children:
            inner = [place(c) for c in node.children]
            # circular mean, so a group spanning the top does not land on the opposite side
            angle[node.code] = math.atan2(sum(math.sin(a) for a in inner), sum(math.cos(a) for a in inner))
        return angle[node.code]

    for top in framework.nodes:
        place(top)

    def pos(node: Node, level: int) -> tuple[float, float]:
        r = radii[min(level, len(radii) - 1)]
        return CENTER + r * math.cos(angle[node.code]), CENTER + r * math.sin(angle[node.code])

    title = framework.title(lang)
    desc = gettext(
        "Thematic network of {title}: {top} themes in the first ring, {leaves} basic themes on the outer "
        "ring. The same structure is listed below as a tree and a table.",
        lang,
        title=title,
        top=len(framework.nodes),
        leaves=len(leaves),
    )
    out = [
        f'<svg id="{svg_id}" class="network" viewBox="-130 -130 {SIZE + 260} {SIZE + 260}" role="img" '
        f'aria-labelledby="{svg_id}-title {svg_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'direction="{"rtl" if rtl else "ltr"}" font-family="Vazirmatn, Tahoma, DejaVu Sans, sans-serif">',
        f'<title id="{svg_id}-title">{escape(title)}</title><desc id="{svg_id}-desc">{escape(desc)}</desc>',
        '<g fill="none" stroke-width="1.2" stroke-opacity="0.55">',
    ]
    edges: list[str] = []
    nodes_svg: list[str] = []
    labels: list[str] = []

    def draw(node: Node, level: int, color: str, parent_xy: tuple[float, float]) -> None:
        x, y = pos(node, level)
        edges.append(
            f'<line x1="{parent_xy[0]:.1f}" y1="{parent_xy[1]:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{color}"/>'
        )
        label = node.label(lang)
        numbered = node.code.replace(".", "").isdigit()  # a section number: 1.1 → ۱.۱; a code (C01) stays
        code = localize_digits(node.code, lang) if numbered else node.code
        is_leaf = not node.children
        if level == 1:
            nodes_svg.append(
                f'<g><title>{escape(label)}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="26" '
                f'fill="{color}"/><text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" '
                f'font-size="15" font-weight="700" fill="#fff" direction="ltr">{escape(code)}</text></g>'
            )
            if not is_leaf:
                lines = _wrap(label, 18)
                ty = y + 48 if y >= CENTER else y - 40 - 18 * (len(lines) - 1)
                spans = "".join(
                    f'<tspan x="{x:.1f}" dy="{0 if i == 0 else 18}">{escape(t)}</tspan>' for i, t in enumerate(lines)
                )
                labels.append(
                    f'<text x="{x:.1f}" y="{ty:.1f}" text-anchor="middle" font-size="15" font-weight="700"'
                    f' fill="{color}" stroke="#fff" stroke-width="4" paint-order="stroke">{spans}</text>'
                )
        else:
            r = 7 if not is_leaf else 4
            nodes_svg.append(
                f'<g><title>{escape(code)} — {escape(label)}</title><circle cx="{x:.1f}" '
                f'cy="{y:.1f}" r="{r}" fill="{color}"/></g>'
            )
            if not is_leaf:
                labels.append(
                    f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" font-size="11" '
                    f'fill="{color}" direction="ltr" stroke="#fff" stroke-width="3" '
                    f'paint-order="stroke">{escape(code)}</text>'
                )
        if is_leaf and level >= 1:
            theta = angle[node.code]
            deg = math.degrees(theta)
            right = math.cos(theta) >= 0
            lx, ly = x + 9 * math.cos(theta), y + 9 * math.sin(theta)
            rotate = deg if right else deg + 180
            # text grows outward: its left edge at the point on the right half, its right edge on the left half
            anchor = ("end" if rtl else "start") if right else ("start" if rtl else "end")
            text = label if len(label) <= 42 else label[:40] + "…"
            labels.append(
                f'<text x="{lx:.1f}" y="{ly:.1f}" transform="rotate({rotate:.1f} {lx:.1f} {ly:.1f})" '
                f'text-anchor="{anchor}" dominant-baseline="middle" font-size="12" fill="#1b1b1b"'
                f"{' direction=' + chr(34) + 'rtl' + chr(34) if rtl else ''}>{escape(text)}</text>"
            )
        for child in node.children:
            draw(child, level + 1, color, (x, y))

    for i, top in enumerate(framework.nodes):
        draw(top, 1, PALETTE[i % len(PALETTE)], (CENTER, CENTER))
    out.extend(edges)
    out.append("</g>")
    out.extend(nodes_svg)
    lines = _wrap(title, 16)
    spans = "".join(f'<tspan x="{CENTER}" dy="{0 if i == 0 else 20}">{escape(t)}</tspan>' for i, t in enumerate(lines))
    out.append(
        f'<circle cx="{CENTER}" cy="{CENTER}" r="78" fill="#073763"/><text x="{CENTER}" '
        f'y="{CENTER - 10 * (len(lines) - 1) + 5}" text-anchor="middle" font-size="16" font-weight="700" '
        f'fill="#fff">{spans}</text>'
    )
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out)
