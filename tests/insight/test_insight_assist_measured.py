"""Assisted coding measured, not asserted: on 150 Persian comments labelled by a person across six
themes, suggested codes against the person's codes (precision, recall, Cohen's kappa) and candidate
themes against the same labels (purity). The bounds are floors well under what the set gives today
(see bench/RESULTS.md), so a change to the normalizer or the method that makes it worse fails here."""

from __future__ import annotations

from collections import Counter

from . import labelled


def test_the_labelled_set_is_what_it_says() -> None:
    rows = labelled.load()
    assert len(rows) == 150 and Counter(t for t, _ in rows) == dict.fromkeys(
        ("amount", "appeal", "deadline", "documents", "office", "online"), 25)
    assert len({text for _, text in rows}) == 150


def test_suggested_codes_agree_with_a_person_and_themes_are_pure() -> None:
    result = labelled.evaluate(labelled.load())
    codes = result.codes
    assert codes.units == 120 and codes.suggested >= 80
    assert codes.precision >= 0.75, codes
    assert codes.recall >= 0.55, codes
    assert codes.kappa is not None and codes.kappa >= 0.55, codes
    assert result.themes == 6 and result.purity >= 0.6, result
