"""Exports of a round: scores as CSV and XLSX, and the assessment report as PDF.

The PDF is drawn with fpdf2: DejaVu Sans (which covers Persian) with HarfBuzz text shaping
(``set_text_shaping``), right-to-left in Persian, tables, and the radar and bar charts drawn
with fpdf's own primitives so the report needs no browser.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from typing import Any

from smartgov import files, fonts
from smartgov.assessment import roadmap as roadmap_data
from smartgov.assessment.models import AssessmentRound, RoadmapAction
from smartgov.assessment.schemas import RoundResults
from smartgov.i18n import format_date, format_number, gettext, localize_digits

SCORE_COLUMNS = [
    "level",
    "code",
    "label_fa",
    "label_en",
    "parent",
    "mean",
    "percent",
    "n",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "reference_alpha",
    "alpha_note",
]


def score_rows(results: RoundResults) -> list[dict[str, Any]]:
    """One row per score (overall, dimensions, components) with the component's alpha."""
    alphas = {a.component: a for a in results.alphas}
    rows = []
    for s in [*([results.overall] if results.overall else []), *results.dimensions, *results.components]:
        a = alphas.get(s.code)
        rows.append(
            {
                "level": s.level,
                "code": s.code,
                "label_fa": s.label_fa,
                "label_en": s.label_en,
                "parent": s.parent or "",
                "mean": round(s.mean, 4),
                "percent": round(s.percent, 2),
                "n": s.n,
                "alpha": round(a.alpha, 4) if a and a.alpha is not None else "",
                "alpha_ci_low": round(a.ci_low, 4) if a and a.ci_low is not None else "",
                "alpha_ci_high": round(a.ci_high, 4) if a and a.ci_high is not None else "",
                "reference_alpha": a.reference_alpha if a and a.reference_alpha is not None else "",
                "alpha_note": a.note.message_id if a and a.note else "",
            }
        )
    return rows


def scores_csv(results: RoundResults) -> bytes:
    rows = ([row[c] for c in SCORE_COLUMNS] for row in score_rows(results))
    return files.csv_text(SCORE_COLUMNS, rows, bom=True).encode()  # BOM: spreadsheet programs read Persian


def scores_xlsx(results: RoundResults, actions: Sequence[RoadmapAction], indicators: Sequence[dict[str, Any]]) -> bytes:
    """Workbook with sheets Scores, Items (item statistics), Roadmap and Indicators."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Scores"
    for row in files.xlsx_sheet_rows([SCORE_COLUMNS, *([r[c] for c in SCORE_COLUMNS] for r in score_rows(results))]):
        sheet.append(row)
    items = book.create_sheet("Items")
    for row in files.xlsx_sheet_rows([["component", "item", "mean", "sd", "item_total_r", "alpha_if_deleted"],
                                      *([a.component, i.item, i.mean, i.sd, i.item_total_r, i.alpha_if_deleted]
                                        for a in results.alphas for i in a.items)]):
        items.append(row)
    plan = book.create_sheet("Roadmap")
    for row in files.xlsx_sheet_rows([ROADMAP_COLUMNS, *_roadmap_rows(actions, ", ")]):
        plan.append(row)
    live = book.create_sheet("Indicators")
    for row in files.xlsx_sheet_rows([["indicator", "value", "n", "definition"],
                                      *([i["key"], i["value"], i["n"], i["definition"]] for i in indicators)]):
        live.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROADMAP_COLUMNS = ["phase", "component", "action_fa", "action_en", "capabilities", "owner", "due_date", "status"]


def _roadmap_rows(actions: Sequence[RoadmapAction], joiner: str) -> Iterator[list[Any]]:
    for a in actions:
        yield [a.phase, a.component, a.title_fa, a.title_en, joiner.join(a.capabilities), a.owner or "",
               a.due_date.isoformat() if a.due_date else "", a.status]


def roadmap_csv(actions: Sequence[RoadmapAction]) -> bytes:
    return files.csv_text(ROADMAP_COLUMNS, _roadmap_rows(actions, " "), bom=True).encode()


# --------------------------------------------------------------------------- PDF


def _num(value: float | None, lang: str, digits: int = 2) -> str:
    if value is None:
        return "—"
    return format_number(value, lang, places=digits)


class _Report:
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
            text = f"{label} ({_num(values[i], self.lang, 0)})"
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
                pdf.cell(11, h, _num(value, self.lang, 0), align="R")
            else:
                pdf.set_xy(pdf.l_margin, y)
                pdf.cell(label_w, h, label[:48], align="L")
                pdf.set_fill_color(11, 83, 148)
                pdf.rect(pdf.l_margin + label_w + 2, y + 0.6, length, h - 1.2, style="F")
                pdf.set_xy(pdf.l_margin + label_w + 3 + length, y)
                pdf.cell(11, h, _num(value, self.lang, 0))
            pdf.set_y(y + h)
        pdf.set_font("DejaVu", size=10)
        pdf.ln(3)


def report_pdf(
    rnd: AssessmentRound,
    org_name: str,
    results: RoundResults,
    actions: Sequence[RoadmapAction],
    indicators: Sequence[dict[str, Any]],
    lang: str,
) -> bytes:
    """The whole assessment report as PDF bytes in ``lang`` (fa: right to left, Persian digits)."""
    r = _Report(lang)
    r.pdf.add_page()
    _front(r, rnd, org_name, results)
    _scores(r, results)
    _reliability(r, results)
    _factor_analysis(r, results)
    _stages(r, results)
    _comparison(r, results)
    _live_indicators(r, indicators)
    _roadmap(r, actions)
    return bytes(r.pdf.output())


def _front(r: _Report, rnd: AssessmentRound, org_name: str, results: RoundResults) -> None:
    """Title, organization, sample and date; whether the results are provisional."""
    _, lang = r.gettext, r.lang
    r.heading(_("Assessment report"), 18)
    r.heading(rnd.title(lang), 13)
    r.para(_("Organization: {name}", name=org_name))
    r.para(
        _(
            "Respondents: {n} · items: {k} · computed: {date}",
            n=results.n_respondents,
            k=results.n_items,
            date=format_date(results.computed_at, lang),
        )
    )
    if not results.full:
        r.para(_("Provisional results: the round is still open."))


def _scores(r: _Report, results: RoundResults) -> None:
    """Overall maturity, the dimensions as a radar (with the previous round's outline) and a table,
    the components as bars, weakest first."""
    _, lang, label = r.gettext, r.lang, r.label
    r.heading(_("Scores"))
    if results.overall:
        r.para(
            _(
                "Overall maturity: {percent} of 100 (mean {mean} on a {points}-point scale).",
                percent=_num(results.overall.percent, lang, 1),
                mean=_num(results.overall.mean, lang),
                points=results.scale_points,
            )
        )
    parts = results.dimensions or results.components
    if parts:
        before = None
        if results.comparison:
            old = {c.code: c.before for c in results.comparison.changes}
            before = [old[p.code] for p in parts] if all(p.code in old for p in parts) else None
        r.radar([label(p) for p in parts], [p.percent for p in parts], before)
        r.table(
            [_("Dimension"), _("Mean"), _("Score (0–100)")],
            [[label(p), _num(p.mean, lang), _num(p.percent, lang, 1)] for p in parts],
            (90, 40, 50),
        )
    if results.components:
        r.heading(_("Component scores (0–100)"), 12)
        ranked = sorted(results.components, key=lambda s: s.percent)
        r.bars([f"{s.code} {label(s)}" for s in ranked], [s.percent for s in ranked])


def _reliability(r: _Report, results: RoundResults) -> None:
    """Cronbach's alpha per component with its interval and the published value (or why there is none)."""
    _, lang = r.gettext, r.lang
    r.heading(_("Reliability (Cronbach's alpha)"))
    rows = []
    for a in results.alphas:
        value = _num(a.alpha, lang, 3) if a.alpha is not None else (gettext(a.note.message_id, lang) if a.note else "—")
        ci = f"{_num(a.ci_low, lang, 3)} – {_num(a.ci_high, lang, 3)}" if a.ci_low is not None else "—"
        reference = _num(a.reference_alpha, lang, 3)
        rows.append([f"{a.component} {r.label(a)}", localize_digits(str(a.k), lang), value, ci, reference])
    if rows:
        r.table([_("Component"), _("Items"), _("Alpha"), _("95% CI"), _("Published alpha")], rows, (70, 14, 34, 40, 26))


def _factor_analysis(r: _Report, results: RoundResults) -> None:
    """Notes first (why an analysis is missing), then KMO/Bartlett, the EFA's factors and the CFA's fit."""
    _, lang = r.gettext, r.lang
    r.heading(_("Factor analysis"))
    for note in (results.adequacy_note, results.efa_note, results.cfa_note):
        if note is not None:
            r.para(gettext(note.message_id, lang, **note.params))
    if results.adequacy:
        r.para(
            _(
                "KMO = {kmo}; Bartlett χ² = {chi2} (df {df}), p = {p}.",
                kmo=_num(results.adequacy.kmo, lang, 3),
                chi2=_num(results.adequacy.bartlett_chi2, lang, 1),
                df=results.adequacy.bartlett_df,
                p=_num(results.adequacy.bartlett_p, lang, 4),
            )
        )
    if results.efa:
        r.para(_("EFA: {n} factors retained by parallel analysis.", n=results.efa.n_factors))
    if results.cfa:
        f = results.cfa.fit
        r.para(
            _(
                "CFA: χ² = {chi2} (df {df}), CFI = {cfi}, TLI = {tli}, RMSEA = {rmsea} [{low}, {high}], SRMR = {srmr}.",
                chi2=_num(f.chi2, lang, 1),
                df=f.df,
                cfi=_num(f.cfi, lang, 3),
                tli=_num(f.tli, lang, 3),
                rmsea=_num(f.rmsea, lang, 3),
                low=_num(f.rmsea_ci_low, lang, 3),
                high=_num(f.rmsea_ci_high, lang, 3),
                srmr=_num(f.srmr, lang, 3),
            )
        )


def _stages(r: _Report, results: RoundResults) -> None:
    """The T-Gov and Gartner stages, or the note saying why a stage is not given."""
    _, lang = r.gettext, r.lang
    r.heading(_("Stages"))
    for stage, note, name in (
        (results.tgov, results.tgov_note, "T-Gov"),
        (results.gartner, results.gartner_note, "Gartner"),
    ):
        if stage:
            r.para(f"{name}: {localize_digits(str(stage.stage), lang)} — {r.label(stage)}")
        if note:
            r.para(f"{name}: {gettext(note.message_id, lang, **note.params)}")


def _comparison(r: _Report, results: RoundResults) -> None:
    """Before, after and change per code against the previous round (the first 40), if there was one."""
    if not results.comparison:
        return
    _, lang = r.gettext, r.lang
    r.heading(_("Comparison with the previous round"), 12)
    r.table(
        [_("Code"), _("Before"), _("After"), _("Change")],
        [
            [c.code, _num(c.before, lang, 1), _num(c.after, lang, 1), _num(c.delta, lang, 1)]
            for c in results.comparison.changes[:40]
        ],
        (40, 40, 40, 40),
    )


def _live_indicators(r: _Report, indicators: Sequence[dict[str, Any]]) -> None:
    """The platform's live indicators as shown on the round's page."""
    _ = r.gettext
    r.heading(_("Live indicators"))
    r.table(
        [_("Indicator"), _("Value"), _("Definition")],
        [[i["label"], i["display"], i["definition"]] for i in indicators],
        (45, 35, 100),
    )


def _roadmap(r: _Report, actions: Sequence[RoadmapAction]) -> None:
    """The roadmap's actions with their phase, platform capabilities, owner and due date."""
    _, lang = r.gettext, r.lang
    r.heading(_("Roadmap"))
    phases = roadmap_data.phases()
    caps = roadmap_data.capabilities()
    joiner = "، " if lang == "fa" else ", "
    r.table(
        [_("Phase"), _("Component"), _("Action"), _("Platform capabilities"), _("Owner"), _("Due")],
        [
            [
                phases[a.phase][1 if lang == "en" else 0],
                a.component,
                a.title(lang),
                joiner.join(caps[c].label(lang) for c in a.capabilities if c in caps),
                a.owner or "—",
                format_date(a.due_date, lang) if a.due_date else "—",
            ]
            for a in actions
        ],
        (24, 18, 58, 42, 20, 18),
    )
