"""Fees and eligibility: the two places a definition's expressions decide money and access."""

from __future__ import annotations

import pytest

from smartgov.errors import DomainError, ValidationFailed
from smartgov.services import bundled_definitions, compute_fee, ensure_eligible, failed_rules

from .conftest import TODAY, definition_with

MONEY = """\
  - {name: wage, type: money, label_fa: دستمزد, label_en: Wage}
  - {name: workers, type: number, integer: true, label_fa: کارگران, label_en: Workers}
"""


def test_fixed_fee() -> None:
    defn = definition_with(MONEY, fee="  amount: 250000\n")
    assert compute_fee(defn, {"wage": 1}, today=TODAY) == 250_000


def test_no_fee_section_means_free() -> None:
    defn = definition_with(MONEY, fee="")
    assert defn.fee is None
    assert compute_fee(defn, {}, today=TODAY) == 0


def test_formula_fee_is_rounded_down_to_a_rial() -> None:
    defn = definition_with(MONEY, fee="  formula: answers.wage * 7 / 100 + 1000 * answers.workers\n")
    # 7% of 123,456,789 is 8,641,975.23 → 8,641,975 (never rounded up)
    assert compute_fee(defn, {"wage": 123_456_789, "workers": 2}, today=TODAY) == 8_643_975
    assert compute_fee(defn, {"wage": 99, "workers": 0}, today=TODAY) == 6  # 6.93 → 6
    big = 10**15 + 7
    assert compute_fee(defn, {"wage": big, "workers": 0}, today=TODAY) == (big * 7) // 100


def test_formula_that_does_not_give_an_amount() -> None:
    text_fee = definition_with(MONEY, fee="  formula: if(answers.wage > 0, 'free', 0)\n")
    with pytest.raises(DomainError) as info:
        compute_fee(text_fee, {"wage": 5}, today=TODAY)
    assert info.value.code == "fee_not_a_number"
    negative = definition_with(MONEY, fee="  formula: 0 - answers.wage\n")
    with pytest.raises(DomainError) as info:
        compute_fee(negative, {"wage": 5}, today=TODAY)
    assert info.value.code == "fee_out_of_range"
    broken = definition_with(MONEY, fee="  formula: answers.wage / answers.workers\n")
    with pytest.raises(DomainError) as info:
        compute_fee(broken, {"wage": 5, "workers": 0}, today=TODAY)
    assert info.value.code == "expression_division_by_zero"


ADDRESS = bundled_definitions()["address-change@1"]
ME = {"national_code": "0012345679", "birth_date": "1990-05-01"}


def test_eligible_applicant_passes() -> None:
    ensure_eligible(ADDRESS, {"national_code": "0012345679"}, applicant=ME, today=TODAY)
    assert failed_rules(ADDRESS, {"national_code": "0012345679"}, applicant=ME, today=TODAY) == []


def test_every_failed_rule_is_reported_in_both_languages() -> None:
    child = {"national_code": "0012345679", "birth_date": "2010-01-01"}
    with pytest.raises(ValidationFailed) as info:
        ensure_eligible(ADDRESS, {"national_code": "1234567891"}, applicant=child, today=TODAY)
    adult, own_code = info.value.errors
    assert adult.field == "eligibility.adult" and adult.code == "not_eligible"
    assert adult.localized("en").startswith("You must be 18 or over")
    assert adult.localized("fa").startswith("این خدمت برای افراد ۱۸ سال به بالاست")
    assert own_code.field == "eligibility.own_code"


def test_turning_18_tomorrow_is_not_yet_eligible() -> None:
    almost = {**ME, "birth_date": "2006-09-02"}
    assert [
        f.rule.id
        for f in failed_rules(ADDRESS, {"national_code": "0012345679"}, applicant=almost, today=TODAY)
    ] == ["adult"]
    today_18 = {**ME, "birth_date": "2006-09-01"}
    assert failed_rules(ADDRESS, {"national_code": "0012345679"}, applicant=today_18, today=TODAY) == []


def test_unknown_applicant_data_fails_closed() -> None:
    failures = failed_rules(ADDRESS, {"national_code": "0012345679"}, applicant={}, today=TODAY)
    assert [f.rule.id for f in failures] == ["adult", "own_code"]
