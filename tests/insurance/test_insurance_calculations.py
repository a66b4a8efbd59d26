"""Contributions, eligibility, pensions and medical reimbursements, with numbers worked by hand."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from smartgov.errors import ValidationFailed
from smartgov.insurance import (
    DEFAULT_PARAMETERS,
    ClaimItem,
    InsuranceParameters,
    RetirementRule,
    Sex,
    contribution_split,
    insurable_wage,
    medical_reimbursement,
    parse_wage_report,
    pension_amount,
    premium_invoice,
    retirement_eligibility,
)
from smartgov.insurance.calculations import apportion, round_half_up


def jalali(y: int, m: int, d: int) -> dt.date:
    return jdatetime.date(y, m, d).togregorian()


# --------------------------------------------------------------------------- contributions


def test_contribution_split_of_a_round_wage() -> None:
    s = contribution_split(100_000_000)
    assert (s.insurable_wage, s.employer, s.insured, s.government, s.total) == (
        100_000_000,
        20_000_000,
        7_000_000,
        3_000_000,
        30_000_000,
    )


def test_rounding_is_one_rounded_total_split_by_largest_remainder() -> None:
    # 71,661,841 × 30 % = 21,498,552.3 → 21,498,552.
    # Exact shares: 14,332,368.2 / 5,016,328.87 / 2,149,855.23; floors add to 21,498,551,
    # the missing rial goes to the largest remainder (.87, the insured share).
    s = contribution_split(71_661_841)
    assert (s.employer, s.insured, s.government) == (14_332_368, 5_016_329, 2_149_855)
    assert s.total == 21_498_552


def test_ceiling_caps_the_insurable_wage_prorated_by_days() -> None:
    assert DEFAULT_PARAMETERS.max_insurable_monthly_wage == 501_632_880
    full = contribution_split(600_000_000)
    assert full.insurable_wage == 501_632_880
    assert full.total == 150_489_864
    half = contribution_split(600_000_000, days_worked=15)
    assert half.insurable_wage == 250_816_440
    assert insurable_wage(100_000_000, 15) == 100_000_000


@given(
    wage=st.integers(0, 10**12),
    rates=st.tuples(st.integers(0, 5000), st.integers(0, 3000), st.integers(0, 2000)),
)
def test_property_shares_always_add_up_and_stay_within_a_rial(wage: int, rates: tuple[int, int, int]) -> None:
    params = InsuranceParameters(
        employer_rate_bp=rates[0],
        insured_rate_bp=rates[1],
        government_rate_bp=rates[2],
        max_insurable_monthly_wage=10**12,
        max_reported_monthly_wage=10**12,
    )
    s = contribution_split(wage, params=params)
    assert s.employer + s.insured + s.government == round_half_up(wage * sum(rates), 10_000)
    for part, rate in zip((s.employer, s.insured, s.government), rates, strict=True):
        assert part >= 0
        assert abs(part - Fraction(wage * rate, 10_000)) < 1


@given(total=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**4), min_size=1, max_size=6))
def test_property_apportion(total: int, weights: list[int]) -> None:
    parts = apportion(total, weights)
    if sum(weights):
        assert sum(parts) == total
        for p, w in zip(parts, weights, strict=True):
            assert abs(p - Fraction(total * w, sum(weights))) < 1


def test_premium_invoice_for_a_wage_report() -> None:
    csv = (
        "national_code,first_name,last_name,start_date,days_worked,monthly_wage\n"
        "0084575948,علی,رضایی,1400/01/01,31,100000000\n"
        "1234567891,Sara,Ahmadi,1403/01/15,17,50000000\n"
        "0010350829,مریم,کریمی,1398/05/20,31,700000000\n"
    )
    report = parse_wage_report(csv, year=1403, month=1)
    invoice = premium_invoice(report)
    # Row 4: 700,000,000 capped at 501,632,880 × 31 ÷ 30 = 518,353,976; 30 % = 155,506,192.8 → 155,506,193,
    # shares 103,670,795.2 / 36,284,778.32 / 15,550,619.28: the spare rial goes to the insured (.32).
    assert [line.split.insurable_wage for line in invoice.lines] == [100_000_000, 50_000_000, 518_353_976]
    assert invoice.lines[2].split.total == 155_506_193
    assert invoice.total_wages == 850_000_000
    assert invoice.total_insurable_wages == 668_353_976
    assert invoice.employer_share == 20_000_000 + 10_000_000 + 103_670_795
    assert invoice.insured_share == 7_000_000 + 3_500_000 + 36_284_779
    assert invoice.government_share == 3_000_000 + 1_500_000 + 15_550_619
    assert invoice.amount_due == invoice.employer_share + invoice.insured_share == 180_455_574
    assert (invoice.year, invoice.month, [line.row for line in invoice.lines]) == (1403, 1, [2, 3, 4])


# --------------------------------------------------------------------------- retirement


def test_man_of_sixty_with_twenty_years_may_retire() -> None:
    e = retirement_eligibility(
        sex=Sex.MALE, birth_date=jalali(1343, 2, 10), contribution_days=20 * 365, on=jalali(1403, 2, 10)
    )
    assert (e.eligible, e.rule, e.age) == (True, "age", 60)
    assert [r.met for r in e.reasons if r.rule == "age"] == [True, True]


def test_one_day_before_the_birthday_is_not_enough() -> None:
    e = retirement_eligibility(
        sex=Sex.MALE, birth_date=jalali(1343, 2, 10), contribution_days=25 * 365, on=jalali(1403, 2, 9)
    )
    assert (e.eligible, e.rule, e.age) == (False, None, 59)
    age_reason = e.reasons[0]
    assert age_reason.localized("en") == "Age 59 is below the required 60."
    assert age_reason.localized("fa") == "سن ۵۹ سال از حداقل لازم ۶۰ سال کمتر است."
    service = [r for r in e.reasons if r.rule == "service"]
    assert [r.localized("en") for r in service] == [
        "25 years and 0 days of contributions are below the required 30 years."
    ]


def test_woman_of_fifty_five_and_thirty_years_at_any_age() -> None:
    woman = retirement_eligibility(
        sex=Sex.FEMALE, birth_date=dt.date(1969, 1, 1), contribution_days=7300, on=dt.date(2024, 6, 1)
    )
    assert (woman.eligible, woman.rule, woman.age) == (True, "age", 55)
    young = retirement_eligibility(
        sex=Sex.MALE, birth_date=dt.date(1974, 1, 1), contribution_days=30 * 365 + 3, on=dt.date(2024, 6, 1)
    )
    assert (young.eligible, young.rule, young.age) == (True, "service", 50)
    assert young.reasons[-1].localized("en") == ("30 years and 3 days of contributions meet the required 30 years.")


def test_retirement_rules_are_configurable() -> None:
    strict = InsuranceParameters(
        retirement_rules=(
            RetirementRule(
                code="r62",
                title_en="At 62",
                title_fa="در ۶۲ سالگی",
                min_age_men=62,
                min_age_women=57,
                min_contribution_years=20,
            ),
        )
    )
    e = retirement_eligibility(
        sex=Sex.MALE,
        birth_date=dt.date(1963, 1, 1),
        contribution_days=35 * 365,
        on=dt.date(2024, 6, 1),
        params=strict,
    )
    assert (e.eligible, e.age) == (False, 61)


# --------------------------------------------------------------------------- pension


def test_pension_worked_by_hand() -> None:
    """Last 24 months: 12 × 140,000,000 then 12 × 160,000,000 rial; 25 years (9,125 days).

    sum      = 12 × 140,000,000 + 12 × 160,000,000   = 3,600,000,000
    average  = 3,600,000,000 ÷ 24                     =   150,000,000
    formula  = 150,000,000 × 9,125 ÷ (365 × 30)       =   125,000,000   (25/30 of the average)
    ceiling  = 150,000,000 × 35 ÷ 30                  =   175,000,000
    pension  = max(min(125,000,000, 175,000,000), 71,661,840) = 125,000,000
    Earlier months (here 6 × 50,000,000) do not count.
    """
    wages = [50_000_000] * 6 + [140_000_000] * 12 + [160_000_000] * 12
    p = pension_amount(wages, 9_125)
    assert p.amount == 125_000_000
    assert [(s.code, s.value) for s in p.steps] == [
        ("wage_sum", 3_600_000_000),
        ("average", 150_000_000),
        ("contribution_days", 9_125),
        ("formula", 125_000_000),
        ("cap", 175_000_000),
        ("capped", 125_000_000),
        ("minimum", 71_661_840),
        ("pension", 125_000_000),
    ]
    formula = p.steps[3].as_dict()
    assert formula["label_en"] == "Average × years ÷ 30 = 150,000,000 × 9,125 ÷ (365 × 30)"
    assert formula["label_fa"] == "متوسط دستمزد × سال‌های سابقه ÷ ۳۰ = ۱۵۰٬۰۰۰٬۰۰۰ × ۹٬۱۲۵ ÷ (۳۶۵ × ۳۰)"
    assert formula["unit"] == "rial"


def test_pension_is_capped_at_35_thirtieths() -> None:
    p = pension_amount([150_000_000] * 24, 38 * 365)  # 38 years → 190,000,000 before the cap
    assert p.steps[3].value == 190_000_000
    assert p.amount == 175_000_000


def test_pension_never_below_the_minimum() -> None:
    p = pension_amount([80_000_000] * 24, 20 * 365)  # 80,000,000 × 20/30 = 53,333,333
    assert p.steps[3].value == 53_333_333
    assert p.amount == 71_661_840


def test_pension_rounds_each_shown_step_half_up() -> None:
    # 2,000,000,001 ÷ 24 = 83,333,333.375 → 83,333,333
    # 83,333,333 × 10,000 ÷ 10,950 = 76,103,500.46 → 76,103,500; ceiling 97,222,221.83 → 97,222,222
    wages = [83_333_333] * 23 + [83_333_334 + 2_000_000_001 - 24 * 83_333_333 - 1]
    assert sum(wages) == 2_000_000_001
    p = pension_amount(wages, 10_000)
    assert [s.value for s in p.steps if s.code in ("average", "formula", "cap")] == [
        83_333_333,
        76_103_500,
        97_222_222,
    ]
    assert p.amount == 76_103_500


def test_pension_with_fewer_months_than_the_average_window() -> None:
    p = pension_amount([90_000_000, 110_000_000], 365 * 31)
    assert p.steps[0].localized("en") == "Sum of insurable wages over the last 2 months"
    assert p.steps[1].value == 100_000_000
    assert p.amount == 103_333_333


def test_pension_needs_wages_and_days() -> None:
    with pytest.raises(ValueError):
        pension_amount([], 100)
    with pytest.raises(ValueError):
        pension_amount([1], 0)


# --------------------------------------------------------------------------- medical


def test_partial_reimbursement_by_category_with_item_ceiling() -> None:
    r = medical_reimbursement(
        [
            ClaimItem("outpatient", 10_000_000),  # 70 % → 7,000,000
            ClaimItem("inpatient", 200_000_000),  # 90 % → 180,000,000
            ClaimItem("paraclinical", 100_000_000),  # 70 % → 70,000,000, item ceiling 50,000,000
            ClaimItem("medicine", 3_333_333),  # 70 % → 2,333,333.1 → 2,333,333
        ]
    )
    assert [(i.covered, i.reimbursed) for i in r.items] == [
        (7_000_000, 7_000_000),
        (180_000_000, 180_000_000),
        (70_000_000, 50_000_000),
        (2_333_333, 2_333_333),
    ]
    assert (r.claimed, r.amount) == (313_333_333, 239_333_333)
    assert [s.code for s in r.steps] == ["claimed", "covered", "claim_ceiling", "reimbursed"]


def test_claim_and_yearly_ceilings() -> None:
    params = InsuranceParameters(medical_claim_ceiling=100_000_000, medical_annual_ceiling=300_000_000)
    r = medical_reimbursement([ClaimItem("inpatient", 200_000_000)], params, reimbursed_this_year=250_000_000)
    assert [(s.code, s.value) for s in r.steps] == [
        ("claimed", 200_000_000),
        ("covered", 180_000_000),
        ("claim_ceiling", 100_000_000),
        ("annual_ceiling", 50_000_000),
        ("reimbursed", 50_000_000),
    ]
    assert r.steps[3].localized("en") == "After the yearly ceiling (50,000,000 rials left this year)"


def test_bad_claim_items_are_named() -> None:
    with pytest.raises(ValidationFailed) as err:
        medical_reimbursement([ClaimItem("outpatient", 1), ClaimItem("spa", 5), ClaimItem("medicine", 0)])
    assert [(e.code, e.field) for e in err.value.errors] == [
        ("unknown_category", "items[1].category"),
        ("amount_invalid", "items[2].amount"),
    ]


# --------------------------------------------------------------------------- parameters


def test_defaults_are_the_documented_ones() -> None:
    p = DEFAULT_PARAMETERS
    assert (p.employer_rate_bp, p.insured_rate_bp, p.government_rate_bp, p.total_rate_bp) == (
        2000,
        700,
        300,
        3000,
    )
    assert (p.pension_average_months, p.pension_divisor_years, p.pension_cap_years) == (24, 30, 35)
    rules = {r.code: r for r in p.retirement_rules}
    assert (rules["age"].min_age_men, rules["age"].min_age_women, rules["age"].min_contribution_years) == (
        60,
        55,
        20,
    )
    assert (rules["service"].min_age_men, rules["service"].min_contribution_years) == (None, 30)


def test_parameters_are_frozen_and_checked() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_PARAMETERS.employer_rate_bp = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        InsuranceParameters(employer_rate_bp=9000, insured_rate_bp=2000)
    with pytest.raises(ValidationError):
        InsuranceParameters(min_insurable_monthly_wage=10, max_insurable_monthly_wage=5)
    with pytest.raises(ValidationError):
        InsuranceParameters(pension_cap_years=20)
    with pytest.raises(ValidationError):
        InsuranceParameters(unknown_field=1)  # type: ignore[call-arg]


def test_a_share_with_no_remainder_never_takes_the_missing_rial() -> None:
    # 52 rial at 0.09 %, 25 % and 0.88 %: 0.0468 + 13 + 0.4576 → 14; the rial goes to the 0.4576.
    params = InsuranceParameters(employer_rate_bp=9, insured_rate_bp=2500, government_rate_bp=88,
                                 max_insurable_monthly_wage=10**12, max_reported_monthly_wage=10**12)
    s = contribution_split(52, params=params)
    assert (s.employer, s.insured, s.government) == (0, 13, 1)
