"""Report PDFs drawn with fpdf2: DejaVu Sans (which covers Persian) with HarfBuzz text shaping
(``set_text_shaping``), right-to-left in Persian, tables, and charts (radar, bars, columns with a
target line) drawn with fpdf's own primitives, so a report needs no browser (no kaleido/Chrome).

Shared by the assessment report and the transparency performance reports.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from fpdf.fonts import FontFace

from smartgov import fonts
from smartgov.i18n import format_number, gettext


def number(value: float | None, lang: str, digits: int = 2) -> str:
    if value is None:
        return "—"
    return format_number(value, lang, places=digits)


class ReportPdf:
    def __init__(self, lang: str) -> None:
        from fpdf import FPDF

        self.lang = lang
        self.rtl = lang == "fa"
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.add_font("DejaVu", "", str(fonts.dejavu()))
        pdf.add_font("DejaVu", "B", str(fonts.dejavu(bold=True)))
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if self.rtl else "ltr")
        pdf.set_font("DejaVu", size=10)
        self.pdf = pdf
        self.align = "R" if self.rtl else "L"

    def gettext(self, text: str, **params: Any) -> str:
        """``text`` in the report's language."""
        return gettext(text, self.lang, **params)

    def label(self, item: Any) -> str:
        """A framework node's label (score, alpha, stage) in the report's language."""
        return str(item.label_en if self.lang == "en" else item.label_fa)

    def heading(self, text: str, size: int = 14) -> None:
        pdf = self.pdf
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(0, size * 0.55, text, align=self.align, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        pdf.ln(1)

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one (a heading stays with its chart)."""
        if self.pdf.get_y() + height > self.pdf.h - self.pdf.b_margin:
            self.pdf.add_page()

    def para(self, text: str) -> None:
        self.pdf.multi_cell(0, 5.5, text, align=self.align, new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list[str], rows: list[list[str]], widths: tuple[float, ...] | None = None) -> None:
        pdf = self.pdf
        if self.rtl:  # first column on the right
            header = header[::-1]
            rows = [r[::-1] for r in rows]
            widths = widths[::-1] if widths else None
        pdf.set_font("DejaVu", size=8.5)
        with pdf.table(
            col_widths=widths,
            text_align=self.align.replace("R", "RIGHT").replace("L", "LEFT"),
            line_height=5,
            first_row_as_headings=True,
            # explicit: otherwise the headings take the fill colour last set (the dark blue of the charts'
            # bars), black text on dark blue
            headings_style=FontFace(emphasis="BOLD", color=(20, 20, 20), fill_color=(222, 231, 242)),
        ) as table:
            for cells in [header, *rows]:
                row = table.row()
                for c in cells:
                    row.cell(c)
        pdf.set_font("DejaVu", size=10)
        pdf.ln(2)

    def radar(self, labels: list[str], values: list[float], before: list[float] | None = None) -> None:
        """A radar chart (0–100) with grid rings, drawn with lines and polygons."""
        pdf = self.pdf
        if len(values) < 3:
            return
        if pdf.get_y() > 180:
            pdf.add_page()
        cx, cy, radius = pdf.w / 2, pdf.get_y() + 55, 42
        n = len(values)

        def point(i: int, v: float) -> tuple[float, float]:
            theta = -math.pi / 2 + 2 * math.pi * i / n * (-1 if self.rtl else 1)
            return cx + radius * v / 100 * math.cos(theta), cy + radius * v / 100 * math.sin(theta)

        pdf.set_draw_color(180, 180, 180)
        pdf.set_line_width(0.2)
        for ring in (25, 50, 75, 100):
            pdf.polygon([point(i, ring) for i in range(n)], style="D")
        for i in range(n):
            pdf.line(cx, cy, *point(i, 100))
        if before:
            pdf.set_draw_color(180, 95, 6)
            pdf.set_line_width(0.5)
            pdf.polygon([point(i, v) for i, v in enumerate(before)], style="D")
        pdf.set_draw_color(11, 83, 148)
        pdf.set_fill_color(190, 210, 235)
        pdf.set_line_width(0.6)
        pdf.polygon([point(i, v) for i, v in enumerate(values)], style="DF")
        pdf.set_font("DejaVu", size=7.5)
        for i, label in enumerate(labels):
            x, y = point(i, 118)
            text = f"{label} ({number(values[i], self.lang, 0)})"
            w = pdf.get_string_width(text) + 2
            pdf.set_xy(x - w / 2, y - 2)
            pdf.cell(w, 4, text, align="C")
        pdf.set_font("DejaVu", size=10)
        pdf.set_draw_color(0, 0, 0)
        pdf.set_y(cy + radius + 14)

    def bars(self, labels: list[str], values: list[float]) -> None:
        """Horizontal bars (0–100): label column, then the bar growing in the reading direction."""
        pdf = self.pdf
        pdf.set_font("DejaVu", size=7.5)
        label_w, bar_w, h = 70, pdf.w - pdf.l_margin - pdf.r_margin - 70 - 12, 4.6
        for label, value in zip(labels, values, strict=True):
            if pdf.get_y() > pdf.h - 20:
                pdf.add_page()
            y = pdf.get_y()
            length = bar_w * max(0.0, min(value, 100)) / 100
            if self.rtl:
                right = pdf.w - pdf.r_margin
                pdf.set_xy(right - label_w, y)
                pdf.cell(label_w, h, label[:48], align="R")
                pdf.set_fill_color(11, 83, 148)
                pdf.rect(right - label_w - 2 - length, y + 0.6, length, h - 1.2, style="F")
                pdf.set_xy(right - label_w - 2 - length - 12, y)
                pdf.cell(11, h, number(value, self.lang, 0), align="R")
            else:
                pdf.set_xy(pdf.l_margin, y)
                pdf.cell(label_w, h, label[:48], align="L")
                pdf.set_fill_color(11, 83, 148)
                pdf.rect(pdf.l_margin + label_w + 2, y + 0.6, length, h - 1.2, style="F")
                pdf.set_xy(pdf.l_margin + label_w + 3 + length, y)
                pdf.cell(11, h, number(value, self.lang, 0))
            pdf.set_y(y + h)
        pdf.set_font("DejaVu", size=10)
        pdf.ln(3)

    def columns(self, labels: list[str], values: list[float | None], *, target: float | None = None,
                height: float = 36, dim_before: int = 0, places: int | None = None,
                line: list[float | None] | None = None) -> None:
        """Vertical columns, one per period in reading order (right to left in Persian), scaled to the
        largest value or the target, the target as a dashed line; a missing value (suppressed or nothing
        to compute from) leaves an empty slot marked "—". The first ``dim_before`` columns (an earlier
        period, for comparison) are drawn lighter. Labels have ``places`` decimals (default: one below 100).
        ``line``: a second series (a forecast) drawn as dots joined by a line over the columns."""
        pdf = self.pdf
        n = len(values)
        if n == 0:
            return
        self.keep(height + 14)
        top = pdf.get_y() + 4
        base = top + height
        width = pdf.w - pdf.l_margin - pdf.r_margin
        slot = width / n
        known = [v for v in [*values, *(line or [])] if v is not None]
        scale = max([*known, target or 0.0, 0.0]) or 1.0
        pdf.set_draw_color(160, 160, 160)
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, base, pdf.l_margin + width, base)
        pdf.set_font("DejaVu", size=7)
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            place = n - 1 - i if self.rtl else i
            x = pdf.l_margin + place * slot
            bar = slot * 0.6
            left = x + (slot - bar) / 2
            if value is not None and value > 0:
                length = height * value / scale
                if i < dim_before:
                    pdf.set_fill_color(170, 190, 215)
                else:
                    pdf.set_fill_color(11, 83, 148)
                pdf.rect(left, base - length, bar, length, style="F")
                shown = number(value, self.lang, places if places is not None else 0 if value >= 100 else 1)
                pdf.set_xy(x, base - length - 4)
            else:
                shown = number(value, self.lang, 0) if value is not None else "—"
                pdf.set_xy(x, base - 4)
            pdf.cell(slot, 4, shown, align="C")
            pdf.set_xy(x, base + 0.5)
            pdf.cell(slot, 4, label, align="C")
        if line:
            dots = sorted((pdf.l_margin + ((n - 1 - i) if self.rtl else i) * slot + slot / 2, base - height * v / scale)
                          for i, v in enumerate(line[:n]) if v is not None)
            pdf.set_draw_color(180, 95, 6)
            pdf.set_fill_color(180, 95, 6)
            pdf.set_line_width(0.4)
            for (x0, y0), (x1, y1) in itertools.pairwise(dots):
                pdf.line(x0, y0, x1, y1)
            for x, y in dots:
                pdf.circle(x=x, y=y, radius=0.8, style="F")
        if target is not None and target > 0:
            y = base - height * target / scale
            pdf.set_draw_color(180, 95, 6)
            pdf.set_line_width(0.4)
            with pdf.local_context():
                pdf.set_dash_pattern(dash=1.5, gap=1)
                pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.2)
        pdf.set_font("DejaVu", size=10)
        pdf.set_y(base + 7)
