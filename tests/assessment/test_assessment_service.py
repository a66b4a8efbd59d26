"""Assessment use cases on the database: questionnaires, rounds, links, imports, results, roadmap."""

from __future__ import annotations

import io

import numpy as np
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from smartgov import events
from smartgov.assessment import cronbach_alpha, load_framework, score, service
from smartgov.assessment.demo import simulated_frame
from smartgov.assessment.models import Invitation, ResponseStatus, RoundStatus, SurveyResponse
from smartgov.assessment.service import ImportFailed
from smartgov.errors import DomainError, ValidationFailed
from tests.factories import create_agency


@pytest.fixture
def agency(db):  # type: ignore[no-untyped-def]
    org = create_agency(db, "agency-a")
    db.commit()
    return org


def new_round(db, agency, framework: str = "dg-sso", **kw):  # type: ignore[no-untyped-def]
    rnd = service.create_round(db, organization=agency, framework_id=framework, title_fa="دور آزمایشی",
                               title_en="Test round", **kw)
    db.commit()
    return rnd


def csv_bytes(rows: list[list[object]]) -> bytes:
    return "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows).encode()


def test_default_items_cover_every_component_with_enough_items_in_both_languages() -> None:
    fw = load_framework("dg-sso")
    drafts = service.default_items(fw, min_items=3)
    per_component: dict[str, list[service.ItemDraft]] = {}
    for d in drafts:
        per_component.setdefault(d.component, []).append(d)
    assert set(per_component) == {c.code for c in fw.at_level("component")}
    assert all(len(v) >= 3 for v in per_component.values())
    assert len(drafts) == 85 + 2 * 10 + 7  # one per indicator, topped up to three
    assert any(d.reverse for d in drafts)
    assert all(d.text_fa and d.text_en and "«" in d.text_fa for d in drafts)
    c03 = per_component["C03"]
    assert "رضایت ذی‌نفعان" in c03[0].text_fa and "Stakeholder satisfaction" in c03[0].text_en
    with pytest.raises(DomainError):
        service.default_items(fw, min_items=1)


def test_items_editable_only_in_a_draft_round(db, agency) -> None:  # type: ignore[no-untyped-def]
    rnd = new_round(db, agency, "csf", scale_points=7)
    item = service.update_item(db, rnd, "A1.q1", text_fa="متن تازه", reverse=True)
    assert item.text_fa == "متن تازه" and item.reverse
    service.open_round(db, rnd)
    with pytest.raises(DomainError) as err:
        service.update_item(db, rnd, "A1.q1", text_en="New")
    assert err.value.code == "items_locked"


def test_single_use_link_saves_progress_then_works_once(db, agency) -> None:  # type: ignore[no-untyped-def]
    rnd = new_round(db, agency, "egdi")
    service.open_round(db, rnd)
    [raw] = service.invite_links(db, rnd, 1)
    db.commit()
    stored = db.scalar(select(Invitation))
    assert stored.token_hash != raw and len(stored.token_hash) == 64  # only the hash is kept
    codes = [i.code for i in rnd.instrument.items]
    inv = service.invitation_by_token(db, raw)
    service.save_answers(db, rnd, inv, {codes[0]: "۴"}, submit=False)  # Persian digit, progress only
    db.commit()
    inv = service.invitation_by_token(db, raw)  # still usable
    with pytest.raises(ValidationFailed) as missing:
        service.save_answers(db, rnd, inv, {}, submit=True)
    assert {e.field for e in missing.value.errors} == set(codes[1:])
    service.save_answers(db, rnd, inv, {c: 3 for c in codes[1:]}, submit=True)
    db.commit()
    response = db.scalar(select(SurveyResponse))
    assert response.status == ResponseStatus.SUBMITTED and response.answers[codes[0]] == 4
    with pytest.raises(DomainError) as used:
        service.invitation_by_token(db, raw)
    assert used.value.status == 410


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["respondent", "X1.q1"], ["r1", "3"]], {(1, "X1.q1", "unknown_item")}),
        ("non_numeric", {(3, "A1.q2", "not_numeric")}),
        ("out_of_range", {(2, "A1.q1", "out_of_range"), (4, "A1.q3", "out_of_range")}),
        ("duplicate", {(4, "respondent", "duplicate_respondent")}),
    ],
)
def test_bad_csv_names_row_and_column_and_stores_nothing(db, agency, rows, expected) -> None:  # type: ignore[no-untyped-def]
    rnd = new_round(db, agency, "csf")
    codes = [i.code for i in rnd.instrument.items]
    good = [["respondent", *codes]] + [[f"r{n}", *([3] * len(codes))] for n in range(1, 4)]
    if rows == "non_numeric":
        good[2][2] = "three"
    elif rows == "out_of_range":
        good[1][1] = "6"
        good[3][3] = "2.5"
    elif rows == "duplicate":
        good[3][0] = "r1"
    else:
        good = rows
    with pytest.raises(ImportFailed) as err:
        service.import_responses(db, rnd, "answers.csv", csv_bytes(good))
    db.rollback()
    found = {(p.row, p.column, p.error.code) for p in err.value.problems}
    assert expected <= found
    for p in err.value.problems:
        text = p.error.localized("en")
        assert f"Row {p.row}" in text and p.column in text
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_respondent_already_in_round_is_refused(db, agency) -> None:  # type: ignore[no-untyped-def]
    rnd = new_round(db, agency, "egdi")
    codes = [i.code for i in rnd.instrument.items]
    rows = [["respondent", *codes], ["r1", *([2] * len(codes))]]
    assert service.import_responses(db, rnd, "a.csv", csv_bytes(rows)) == 1
    db.commit()
    with pytest.raises(ImportFailed) as err:
        service.import_responses(db, rnd, "a.csv", csv_bytes(rows))
    assert err.value.problems[0].error.code == "respondent_exists"


def _xlsx(frame, keys) -> bytes:  # type: ignore[no-untyped-def]
    book = Workbook()
    sheet = book.active
    sheet.append(["respondent", *frame.columns])
    for key, row in zip(keys, frame.itertuples(index=False), strict=True):
        sheet.append([key, *[int(v) for v in row]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_round_results_equal_the_pure_functions_on_the_same_data(db, database, agency) -> None:  # type: ignore[no-untyped-def]
    rnd = new_round(db, agency, "egdi")
    frame = simulated_frame(rnd.instrument, 150, seed=7)
    keys = [f"p{n}" for n in range(len(frame))]
    assert service.import_responses(db, rnd, "answers.xlsx", _xlsx(frame, keys)) == 150
    service.open_round(db, rnd)
    db.commit()
    closed = service.close_round(db, rnd)
    db.commit()
    # the request that closes the round does not wait for the CFA: the outbox worker computes it
    assert rnd.status == RoundStatus.CLOSED and closed.cfa is None and closed.cfa_pending
    assert service.results_for(db, rnd).cfa_note.message_id == service.CFA_PENDING
    assert events.drain_outbox(database) >= 1
    db.expire_all()
    results = service.results_for(db, rnd)
    assert not results.cfa_pending and results.cfa_note is None
    assert closed.model_dump(exclude={"cfa", "cfa_note", "cfa_pending", "computed_at"}) == \
        results.model_dump(exclude={"cfa", "cfa_note", "cfa_pending", "computed_at"})
    assert service.complete_results(db, rnd) is None  # done once: a second delivery changes nothing
    pure = score(service.pure_instrument(rnd.instrument), frame)
    assert results.overall is not None and results.overall.mean == pytest.approx(pure.overall.mean, abs=1e-12)
    for s in results.components:
        assert s.mean == pytest.approx(pure.components[s.code].mean, abs=1e-12)
    for s in results.dimensions:
        assert s.percent == pytest.approx(pure.dimensions[s.code].percent, abs=1e-12)
    flipped = frame.copy()
    for item in rnd.instrument.items:
        if item.reverse:
            flipped[item.code] = 6 - flipped[item.code]
    for a in results.alphas:
        cols = [i.code for i in rnd.instrument.items if i.component == a.component]
        expected = cronbach_alpha(flipped, cols)
        assert a.alpha == pytest.approx(expected.alpha, abs=1e-12)
        assert a.ci_low == pytest.approx(expected.ci_low, abs=1e-12)
    assert results.adequacy is not None and 0 < results.adequacy.kmo <= 1
    assert results.cfa is not None and results.cfa.second_order and results.cfa.fit.df > 0
    assert np.isfinite(results.cfa.fit.rmsea)
    assert [e.name for e in db.scalars(select(events.EventRecord).order_by(events.EventRecord.id))][-2:] == \
        ["assessment.round_closed", "assessment.results_completed"]


def test_small_sample_gets_messages_not_numbers(db, agency) -> None:  # type: ignore[no-untyped-def]
    rnd = new_round(db, agency, "dg-sso")
    frame = simulated_frame(rnd.instrument, 5, seed=3)
    keys = [f"p{n}" for n in range(5)]
    service.import_responses(db, rnd, "a.xlsx", _xlsx(frame, keys))
    results = service.compute_results(db, rnd, full=True)
    assert results.adequacy is None and results.efa is None and results.cfa is None
    assert "5 respondents for 112 items" in results.cfa_note.message_id.format(**results.cfa_note.params)
    assert results.tgov is None and results.tgov_note is not None


def test_invalid_tgov_answers_are_refused_with_the_rule(db, agency) -> None:  # type: ignore[no-untyped-def]
    rnd = new_round(db, agency, "egdi")
    with pytest.raises(DomainError) as err:
        service.update_settings(db, rnd, {"tgov_internal": False, "tgov_external": True, "tgov_context": False})
    assert "internal policy" in err.value.localized("en")
    service.update_settings(db, rnd, {"tgov_internal": True, "tgov_external": True, "tgov_context": False,
                                      "gartner_presence": True, "gartner_interaction": False,
                                      "gartner_transaction": True, "gartner_transformation": False})
    results = service.compute_results(db, rnd, full=False)
    assert results.tgov is not None and results.tgov.stage == 3
    assert results.gartner is not None and results.gartner.stage == 1 and results.gartner.unsupported == ["3"]


def test_roadmap_maps_weakest_components_to_capabilities_and_keeps_owners(db, agency) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    rnd = new_round(db, agency, "csf")
    codes = [i.code for i in rnd.instrument.items]
    rows = [["respondent", *codes]]
    for n in range(4):  # A4 (smart security) answered lowest
        rows.append([f"r{n}", *[(1 if c.startswith("A4.") and not _rev(rnd, c) else 5 if _rev(rnd, c) and
                                 c.startswith("A4.") else 4) for c in codes]])
    service.import_responses(db, rnd, "a.csv", csv_bytes(rows))
    results = service.compute_results(db, rnd, full=False)
    assert service.weakest(results)[0].code == "A4"
    actions = service.build_roadmap(db, rnd, results)
    a4 = [a for a in actions if a.component == "A4"]
    assert {"mfa", "ledger", "data_tracker"} <= {c for a in a4 for c in a.capabilities}
    assert all(1 <= a.phase <= 4 and a.title_fa and a.title_en for a in actions)
    service.update_action(db, rnd, a4[0].id, owner="CISO", due_date=dt.date(2026, 6, 1), status="in_progress")
    again = service.build_roadmap(db, rnd, results)
    kept = next(a for a in again if a.id == a4[0].id)
    assert kept.owner == "CISO" and kept.due_date == dt.date(2026, 6, 1) and len(again) == len(actions)


def _rev(rnd, code: str) -> bool:  # type: ignore[no-untyped-def]
    return next(i.reverse for i in rnd.instrument.items if i.code == code)


def test_result_charts_are_valid_plotly_figures(db, agency) -> None:  # type: ignore[no-untyped-def]
    """The charts are written as plain plotly.js specs; plotly's own validator accepts every one."""
    import json

    import plotly.graph_objects as go

    from smartgov.assessment import charts

    rnd = new_round(db, agency, "dg-sso")  # nine dimensions for the radar, published alphas beside
    frame = simulated_frame(rnd.instrument, 40, seed=5)
    service.import_responses(db, rnd, "a.xlsx", _xlsx(frame, [f"p{n}" for n in range(40)]))
    results = service.compute_results(db, rnd, full=False)
    for lang in ("fa", "en"):
        specs = charts.specs(results, lang)
        assert set(specs) == {"radar", "bars", "alphas"}
        for spec in specs.values():
            go.Figure(spec)  # raises on any property plotly.js does not know
        shown = charts.figures(results, lang)
        assert all(json.loads(text) == json.loads(json.dumps(specs[key])) for key, text in shown.items())
    assert go.Figure(charts.specs(results, "en")["alphas"]).layout.shapes[0].y0 == 0.7
    # Persian pages: every axis and hover text in Persian digits (plotly.js would write Latin ones)
    fa = charts.specs(results, "fa")
    assert fa["bars"]["layout"]["xaxis"]["ticktext"][-1] == "۱۰۰"
    assert fa["alphas"]["layout"]["yaxis"]["ticktext"] == ["۰٫۰۰", "۰٫۲۵", "۰٫۵۰", "۰٫۷۵", "۱٫۰۰"]
    assert fa["radar"]["layout"]["polar"]["radialaxis"]["ticktext"][1] == "۲۵"
    assert fa["radar"]["layout"]["separators"] == "٫٬"
    hovers = [t for spec in fa.values() for trace in spec["data"] for t in trace["hovertext"]]
    assert hovers and not any(ch.isascii() and ch.isdigit() for t in hovers for ch in t.split(": ")[-1])
