"""The fund projection, checked by hand on a tiny cohort, and the scenario levers.

Tiny cohort (worked by hand; every number below is asserted exactly):

    start 1404, three years, opening balance 1,000,000,000 rial, contribution 20 % + 7 % + 3 % = 30 %,
    wage growth 10 %, inflation 10 %, return 0, life table: q = 0 below 70, q = 0.1 from 70.
    Workers: 3 men aged 59, wage 100,000,000 a month, 25 contribution years.
    Pensioner: 1 man aged 70, pension 80,000,000 a month.

    1404  contributions = 3 × 12 × 30 % × 100,000,000                     = 1,080,000,000
          outlays       = 1 × 12 × 80,000,000                               =   960,000,000
          balance       = 1,000,000,000 + 1,080,000,000 − 960,000,000       = 1,120,000,000
    turn: the pensioner survives with 0.9 (q(70) = 0.1), pension 80,000,000 × 1.1 = 88,000,000;
          the workers are 60 with 26 years and a wage of 110,000,000: the age rule (60 and 20 years)
          is met, so they retire with art. 77's pension 110,000,000 × 26 × 365 ÷ (365 × 30)
          = 95,333,333.33… → 95,333,333 (below the cap 110,000,000 × 35 ÷ 30 = 128,333,333, above the
          minimum pension 71,661,840 × 1.1 = 78,828,024).
    1405  contributions = 0
          outlays       = 3 × 12 × 95,333,333 + 0.9 × 12 × 88,000,000
                        = 3,431,999,988 + 950,400,000                       = 4,382,399,988
          balance       = 1,120,000,000 − 4,382,399,988                     = −3,262,399,988  ← first negative
    turn: new pensioners (60, q = 0) keep 3 at 95,333,333 × 1.1 = 104,866,666.3 → 104,866,666;
          the old one is 71: 0.9 × 0.9 = 0.81 at 88,000,000 × 1.1 = 96,800,000.
    1406  outlays       = 3 × 12 × 104,866,666 + 0.81 × 12 × 96,800,000
                        = 3,775,199,976 + 940,896,000                       = 4,716,095,976
          balance       = −3,262,399,988 − 4,716,095,976                    = −7,978,495,964
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from smartgov.analytics.forecast.fund import (
    Assumptions,
    Cohort,
    MortalityBand,
    PensionerGroup,
    WorkerGroup,
    compare,
    project,
)
from smartgov.insurance import DEFAULT_PARAMETERS, Sex

TINY = Cohort((WorkerGroup(Sex.MALE, 59, 3, 100_000_000, 25),), (PensionerGroup(Sex.MALE, 70, 1, 80_000_000),))
LIFE = (MortalityBand(age_from=0, q=0), MortalityBand(age_from=70, q=0.1))


def tiny(**changes: object) -> Assumptions:
    base = {"start_year": 1404, "years": 3, "opening_balance": 1_000_000_000, "wage_growth_bp": 1000,
            "inflation_bp": 1000, "return_bp": 0, "mortality": LIFE}
    return Assumptions(**{**base, **changes})


def test_tiny_cohort_projection_matches_the_hand_computation() -> None:
    projection = project(TINY, tiny())
    rows = [(r.year, r.contributions, r.outlays, r.interest, r.balance) for r in projection.rows]
    assert rows == [
        (1404, 1_080_000_000, 960_000_000, 0, 1_120_000_000),
        (1405, 0, 4_382_399_988, 0, -3_262_399_988),
        (1406, 0, 4_716_095_976, 0, -7_978_495_964),
    ]
    assert [r.workers for r in projection.rows] == [3, 0, 0]
    assert [round(r.pensioners, 6) for r in projection.rows] == [1, 3.9, 3.81]
    assert projection.first_negative_year == 1405


def test_contribution_rates_default_to_the_insurance_modules_parameters() -> None:
    a = tiny()
    assert (a.employer_rate_bp, a.insured_rate_bp, a.government_rate_bp) == (
        DEFAULT_PARAMETERS.employer_rate_bp, DEFAULT_PARAMETERS.insured_rate_bp, DEFAULT_PARAMETERS.government_rate_bp)


def test_a_later_retirement_age_keeps_the_workers_contributing() -> None:
    """Shifted two years, the workers (60, 26 years: short of the 30-year rule) contribute three years."""
    projection = project(TINY, tiny(retirement_age_shift=2))
    # 1405: wages 110,000,000 × 30 % × 12 × 3; 1406: 121,000,000 × 30 % × 12 × 3
    assert [r.contributions for r in projection.rows] == [1_080_000_000, 1_188_000_000, 1_306_800_000]
    assert projection.first_negative_year is None or projection.first_negative_year > 1405


def test_interest_is_earned_on_a_positive_balance_and_paid_on_a_negative_one() -> None:
    projection = project(TINY, tiny(return_bp=1000))
    first, second = projection.rows[:2]
    assert first.interest == 100_000_000  # 10 % of the opening 1,000,000,000
    assert first.balance == 1_220_000_000
    assert second.interest == 122_000_000
    assert second.balance == 1_220_000_000 + 122_000_000 - 4_382_399_988
    third = projection.rows[2]
    assert third.interest == -((-second.balance * 1000 * 2 + 10_000) // 20_000)


def test_scenarios_side_by_side_differ_only_by_their_levers() -> None:
    higher = tiny(employer_rate_bp=2300)  # 33 % in all
    base, more = compare(TINY, [tiny(), higher])
    assert more.rows[0].contributions == 3 * 12 * 33_000_000
    assert more.rows[0].outlays == base.rows[0].outlays


def test_the_contribution_ceiling_applies() -> None:
    rich = Cohort((WorkerGroup(Sex.FEMALE, 30, 1, 10 * DEFAULT_PARAMETERS.max_insurable_monthly_wage, 5),), ())
    row = project(rich, tiny(years=1)).rows[0]
    assert row.contributions == 12 * (DEFAULT_PARAMETERS.max_insurable_monthly_wage * 3000 // 10_000)


def test_entrants_join_and_contribute_from_the_next_year() -> None:
    projection = project(Cohort((), ()), tiny(entrants_per_year=10, entry_wage=100_000_000, opening_balance=0))
    assert projection.rows[0].contributions == 0
    assert projection.rows[1].workers == 10
    assert projection.rows[1].contributions == 10 * 12 * 33_000_000  # entry wage grew 10 %


@pytest.mark.parametrize("bad", [
    {"employer_rate_bp": 9000, "insured_rate_bp": 1000, "government_rate_bp": 1000},
    {"mortality": (MortalityBand(age_from=10, q=0.1),)},
    {"mortality": (MortalityBand(age_from=0, q=0.1), MortalityBand(age_from=0, q=0.2))},
    {"years": 0},
    {"retirement_age_shift": 40},
])
def test_inconsistent_assumptions_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        tiny(**bad)


def test_a_projection_stops_before_its_amounts_leave_the_range_of_a_rial_column() -> None:
    runaway = tiny(years=75, wage_growth_bp=20000, inflation_bp=20000, return_bp=20000)
    projection = project(TINY, runaway)
    assert projection.out_of_range is not None
    assert len(projection.rows) == projection.out_of_range - 1404
    assert all(abs(r.balance) <= 10**17 for r in projection.rows)
