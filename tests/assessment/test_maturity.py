"""Maturity scores roll up the framework tree; stage classifiers follow the seeds."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from smartgov.assessment.frameworks import load_framework
from smartgov.assessment.maturity import (
    TGOV_CONTEXT_NEEDS_EXTERNAL,
    TGOV_EXTERNAL_NEEDS_INTERNAL,
    Instrument,
    Item,
    compare_rounds,
    egdi,
    gartner_stage,
    instrument_from_spec,
    score,
    tgov_stage,
)
from smartgov.errors import DomainError, ValidationFailed


def taghva_instrument(**kw) -> Instrument:
    items = (
        Item("q1", "T1.04"),
        Item("q2", "T1.04", reverse=True),
        Item("q3", "T1.08", weight=3),
        Item("q4", "T1.08"),
        Item("q5", "T6.2"),
    )
    return Instrument(load_framework("taghva"), items, **kw)


def test_scores_roll_up_with_reverse_items_and_weights() -> None:
    responses = pd.DataFrame({"q1": [5, 4], "q2": [1, 2], "q3": [4, 2], "q4": [2, 2], "q5": [3, None]})
    s = score(taghva_instrument(), responses)
    # T1.04: q2 reversed (6 − x) → respondents (5+5)/2 = 5 and (4+4)/2 = 4 → 4.5
    assert s.components["T1.04"].mean == pytest.approx(4.5)
    # T1.08: (3·4 + 2)/4 = 3.5 and (3·2 + 2)/4 = 2 → 2.75
    assert s.components["T1.08"].mean == pytest.approx(2.75)
    assert s.components["T6.2"].mean == 3 and s.components["T6.2"].n == 1
    assert s.dimensions["T1"].mean == pytest.approx((4.5 + 2.75) / 2)
    assert s.dimensions["T6"].percent == pytest.approx(50.0)  # 3 on a 1..5 scale
    assert s.overall.mean == pytest.approx(((4.5 + 2.75) / 2 + 3) / 2)
    weighted = score(taghva_instrument(weights={"T1": 3, "T1.04": 1, "T1.08": 3}), responses)
    t1 = (4.5 + 3 * 2.75) / 4
    assert weighted.dimensions["T1"].mean == pytest.approx(t1)
    assert weighted.overall.mean == pytest.approx((3 * t1 + 3) / 4)


def test_seven_point_scale_and_percent() -> None:
    s = score(taghva_instrument(scale_points=7), pd.DataFrame({f"q{i}": [7] for i in range(1, 6)}))
    assert s.components["T1.04"].mean == pytest.approx(4.0)  # 7 and (8 − 7) = 1
    assert s.components["T6.2"].percent == pytest.approx(100.0)
    with pytest.raises(DomainError):
        taghva_instrument(scale_points=4)


def test_bad_responses_list_every_cell_by_row_and_column() -> None:
    responses = pd.DataFrame({"q1": [5, "x"], "q2": [6, 2], "q3": [4, 2.5], "q4": [2, 2], "q5": [3, 3]})
    with pytest.raises(ValidationFailed) as err:
        score(taghva_instrument(), responses)
    found = {(e.code, e.params["row"], e.params["column"]) for e in err.value.errors}
    assert found == {("not_numeric", 2, "q1"), ("out_of_range", 1, "q2"), ("out_of_range", 2, "q3")}
    with pytest.raises(ValidationFailed) as err:
        score(taghva_instrument(), responses.drop(columns="q5"))
    assert err.value.errors[0].field == "q5"


def test_unknown_component_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        Instrument(load_framework("taghva"), (Item("q1", "T9.9"),))
    assert err.value.field == "q1"


def test_dg_model_scores_by_dimension_and_compare_rounds() -> None:
    spec = {
        "scale_points": 5,
        "items": [
            {"id": "a", "component": "C25"},
            {"id": "b", "component": "C30"},
            {"id": "c", "component": "C12"},
        ],
    }
    first = pd.DataFrame({"a": [2, 2], "b": [3, 3], "c": [4, 4]})
    second = pd.DataFrame({"a": [4, 4], "b": [3, 3], "c": [5, 5]})
    default = score(instrument_from_spec("dg-sso", spec), first)
    assert set(default.dimensions) == {"D4", "D8", "D9"} and default.dimensions["D8"].mean == 2
    moved = score(instrument_from_spec("dg-sso", spec, empowerment="D9"), first)
    assert set(moved.dimensions) == {"D4", "D9"} and moved.dimensions["D9"].mean == pytest.approx(2.5)
    diff = compare_rounds(default, score(instrument_from_spec("dg-sso", spec), second))
    assert diff["C25"].delta == pytest.approx(50.0) and diff["C30"].delta == 0
    assert diff["overall"].before == pytest.approx(50.0) and diff["overall"].after == pytest.approx(75.0)


def test_tgov_valid_combinations_give_the_four_stages() -> None:
    assert tgov_stage(False, False, False).code == "1"
    assert tgov_stage(True, False, False).label_en == "Transformation"
    assert tgov_stage(True, True, False).attrs["context_en"] == "Electronic governance"
    assert tgov_stage(True, True, True).label_en == "Contextualisation"


def test_tgov_four_invalid_combinations_are_refused_with_the_reason() -> None:
    invalid = [c for c in itertools.product((False, True), repeat=3) if not ((c[1] <= c[0]) and (c[2] <= c[1]))]
    assert len(invalid) == 4
    reasons = {}
    for combo in invalid:
        with pytest.raises(DomainError) as err:
            tgov_stage(*combo)
        assert err.value.code == "tgov_invalid"
        reasons[combo] = err.value.message
    assert reasons[(False, True, False)] == TGOV_EXTERNAL_NEEDS_INTERNAL
    assert reasons[(False, True, True)] == TGOV_EXTERNAL_NEEDS_INTERNAL
    assert reasons[(False, False, True)] == TGOV_CONTEXT_NEEDS_EXTERNAL
    assert reasons[(True, False, True)] == TGOV_CONTEXT_NEEDS_EXTERNAL


def test_gartner_stage_is_cumulative() -> None:
    assert gartner_stage(False, False, False, False).stage == 0
    assert gartner_stage(True, True, False, False).node.label_en == "Interaction"
    partial = gartner_stage(True, False, True, True)
    assert partial.stage == 1 and partial.unsupported == ("3", "4")
    assert gartner_stage(True, True, True, True).stage == 4


def test_egdi_is_the_mean_and_checks_its_range() -> None:
    assert egdi(0.6, 0.3, 0.9) == pytest.approx(0.6)
    with pytest.raises(DomainError) as err:
        egdi(0.5, 1.5, 0.5)
    assert err.value.field == "tii"
