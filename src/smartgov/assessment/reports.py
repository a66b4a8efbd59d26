"""Exports of a round: scores as CSV and XLSX, and the assessment report as PDF.

The PDF is drawn with ``smartgov.pdfdraw`` (fpdf2, DejaVu Sans with HarfBuzz shaping, right-to-left
in Persian, tables, radar and bar charts drawn with fpdf's own primitives: no browser needed).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

from smartgov import files
from smartgov.assessment import charts
from smartgov.assessment import roadmap as roadmap_data
from smartgov.assessment.models import AssessmentRound, RoadmapAction
from smartgov.assessment.schemas import RoundResults
from smartgov.i18n import format_date, gettext, localize_digits
from smartgov.pdfdraw import ReportPdf as _Report
from smartgov.pdfdraw import number as _num

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
    said = charts.notes(results, lang)
    if "sample" in said:
        r.para(said["sample"])
    parts = results.dimensions or results.components
    if "radar" in said:
        r.para(said["radar"])
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
        rows.append([f"{a.component} {r.label(a)}", localize_digits(str(a.k), lang), value, ci,
                     _num(a.reference_alpha, lang, 3)])
    # the published column only for a framework whose own study published alphas (no other's)
    if rows and any(a.reference_alpha is not None for a in results.alphas):
        r.table([_("Component"), _("Items"), _("Alpha"), _("95% CI"), _("Published alpha")], rows, (70, 14, 34, 40, 26))
    elif rows:
        r.table([_("Component"), _("Items"), _("Alpha"), _("95% CI")], [row[:4] for row in rows], (80, 16, 44, 44))


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
