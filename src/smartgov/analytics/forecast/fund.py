"""The insurance fund, projected year by year: contributions from wages against pension outlays.

Pure: a starting :class:`Cohort` (workers and pensioners in groups by sex and age) and
:class:`Assumptions` (editable data) in, a :class:`Projection` out. The fund's own rules are not
restated here: contributions are ``insurance.contribution_split`` (employer 20 %, insured 7 % and
government 3 % of the insurable wage, capped, from ``insurance.DEFAULT_PARAMETERS`` unless a scenario
changes the rates), retirement is ``insurance``'s retirement rules (an age per sex and years of
contributions, or years alone) with the scenario's shift of every age condition, and a new
pension is ``insurance.pension_amount`` (art. 77: average × years ÷ 30, capped, floored).

One year, in this order (the tiny-cohort test redoes it by hand):

1. contributions: for each worker group, the monthly contribution on its average wage × 12 × count;
2. outlays: for each pensioner group, monthly pension × 12 × count;
3. interest: the opening balance × the return (a negative balance pays it as a cost);
4. closing balance = opening + interest + contributions − outlays;
5. then the year turns: deaths by the life table at each group's age (survivors = count × (1 − q)),
   everyone a year older, workers a contribution year more, wages grow by the wage growth, pensions
   and the minimum pension by inflation (the wage bounds by wage growth), workers who now meet a
   retirement rule become pensioners with the pension of their grown wage, and the year's entrants
   join at the entry age.

Money is integer rial: each group's yearly amount is rounded to the rial once; a growth step
rounds half up. Counts are expected values (fractions of people after mortality). Simplifications,
said so on the page: one average wage per group (no wage history), no survivors' or disability
pensions, no early retirement, a retired worker leaves the labour force for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smartgov.insurance import (
    DEFAULT_PARAMETERS,
    InsuranceParameters,
    Sex,
    contribution_split,
    pension_amount,
)

BP = 10_000
MAX_YEARS = 75
BIG = 10**17  # fits a BIGINT with room: a projection stops before an amount runs past it


class MortalityBand(BaseModel):
    """From ``age_from`` (to the next band), the yearly probability of death."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age_from: int = Field(ge=0, le=120)
    q: float = Field(ge=0, le=1)


# An illustrative abridged life table (both sexes), close to the WHO table for Iran; editable.
DEFAULT_MORTALITY: tuple[MortalityBand, ...] = (
    MortalityBand(age_from=0, q=0.0005), MortalityBand(age_from=40, q=0.0015),
    MortalityBand(age_from=50, q=0.004), MortalityBand(age_from=60, q=0.01),
    MortalityBand(age_from=70, q=0.03), MortalityBand(age_from=80, q=0.08),
    MortalityBand(age_from=90, q=0.2), MortalityBand(age_from=100, q=1.0),
)


class Assumptions(BaseModel):
    """One scenario of the projection: every number is data an admin may edit (validated here)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_year: int = Field(ge=1300, le=1600, description="First Jalali year projected")
    years: int = Field(default=30, ge=1, le=MAX_YEARS)
    opening_balance: int = Field(default=0, ge=-BIG, le=BIG, description="Fund balance at the start, rial")
    employer_rate_bp: int = Field(default=DEFAULT_PARAMETERS.employer_rate_bp, ge=0, le=BP)
    insured_rate_bp: int = Field(default=DEFAULT_PARAMETERS.insured_rate_bp, ge=0, le=BP)
    government_rate_bp: int = Field(default=DEFAULT_PARAMETERS.government_rate_bp, ge=0, le=BP)
    retirement_age_shift: int = Field(default=0, ge=-10, le=15, description="Years added to every age condition")
    wage_growth_bp: int = Field(default=2000, ge=-5000, le=20000, description="Yearly nominal wage growth")
    inflation_bp: int = Field(default=2000, ge=-5000, le=20000, description="Yearly pension indexation")
    return_bp: int = Field(default=1500, ge=-5000, le=20000, description="Yearly return on the balance")
    entrants_per_year: int = Field(default=0, ge=0, le=10_000_000)
    entry_age: int = Field(default=25, ge=15, le=70)
    entry_wage: int = Field(default=DEFAULT_PARAMETERS.min_insurable_monthly_wage, ge=0, le=BIG // 1000,
                            description="Monthly wage of an entrant in the first year, rial")
    mortality: tuple[MortalityBand, ...] = DEFAULT_MORTALITY

    @model_validator(mode="after")
    def _consistent(self) -> Assumptions:
        if self.employer_rate_bp + self.insured_rate_bp + self.government_rate_bp > BP:
            raise ValueError("contribution rates add up to more than 100 %")
        ages = [b.age_from for b in self.mortality]
        if not ages or ages[0] != 0 or ages != sorted(set(ages)):
            raise ValueError("the life table starts at age 0 and its ages increase")
        return self

    def q(self, age: int) -> float:
        """Probability of dying within the year at ``age`` (the band that covers it)."""
        out = self.mortality[0].q
        for band in self.mortality:
            if band.age_from <= age:
                out = band.q
        return out


@dataclass(frozen=True, slots=True)
class WorkerGroup:
    sex: Sex
    age: int
    count: float
    monthly_wage: int
    contribution_years: float


@dataclass(frozen=True, slots=True)
class PensionerGroup:
    sex: Sex
    age: int
    count: float
    monthly_pension: int


@dataclass(frozen=True, slots=True)
class Cohort:
    """The fund's people at the start: workers who contribute and pensioners who are paid."""

    workers: tuple[WorkerGroup, ...]
    pensioners: tuple[PensionerGroup, ...]


@dataclass(frozen=True, slots=True)
class YearRow:
    year: int
    workers: float
    pensioners: float
    contributions: int
    outlays: int
    interest: int
    balance: int  # closing

    @property
    def support_ratio(self) -> float | None:
        """Workers per pensioner (None without pensioners)."""
        return self.workers / self.pensioners if self.pensioners else None


@dataclass(frozen=True, slots=True)
class Projection:
    assumptions: Assumptions
    rows: list[YearRow]
    out_of_range: int | None = None  # the year amounts left what a rial column holds: the rows stop before it

    @property
    def first_negative_year(self) -> int | None:
        """The first Jalali year whose closing balance is below zero (None within the horizon)."""
        return next((r.year for r in self.rows if r.balance < 0), None)


def grow(amount: int, rate_bp: int) -> int:
    """``amount`` after one year at ``rate_bp``, rounded half up (amounts are never negative)."""
    return (2 * amount * (BP + rate_bp) + BP) // (2 * BP)


def signed_share(amount: int, rate_bp: int) -> int:
    """``amount × rate``, rounded half away from zero (the interest on a balance of either sign)."""
    magnitude = (2 * abs(amount) * abs(rate_bp) + BP) // (2 * BP)
    return magnitude if (amount >= 0) == (rate_bp >= 0) else -magnitude


def yearly(count: float, monthly: int) -> int:
    """A group's amount for a year: monthly × 12 × count, rounded to the rial."""
    return round(count * monthly * 12)


def parameters_for(assumptions: Assumptions, base: InsuranceParameters = DEFAULT_PARAMETERS) -> InsuranceParameters:
    """The insurance parameters of the first year with the scenario's contribution rates."""
    return base.model_copy(update={"employer_rate_bp": assumptions.employer_rate_bp,
                                   "insured_rate_bp": assumptions.insured_rate_bp,
                                   "government_rate_bp": assumptions.government_rate_bp})


def _next_parameters(params: InsuranceParameters, a: Assumptions) -> InsuranceParameters:
    """A year on: wage bounds follow wages, the minimum pension follows inflation."""
    return params.model_copy(update={
        "min_insurable_monthly_wage": grow(params.min_insurable_monthly_wage, a.wage_growth_bp),
        "max_insurable_monthly_wage": grow(params.max_insurable_monthly_wage, a.wage_growth_bp),
        "max_reported_monthly_wage": max(params.max_reported_monthly_wage,
                                         grow(params.max_insurable_monthly_wage, a.wage_growth_bp)),
        "minimum_pension": grow(params.minimum_pension, a.inflation_bp),
    })


def may_retire(group: WorkerGroup, params: InsuranceParameters, shift: int) -> bool:
    """Whether the group meets any of the insurance module's retirement rules (ages shifted)."""
    for rule in params.retirement_rules:
        min_age = rule.min_age_men if group.sex is Sex.MALE else rule.min_age_women
        if min_age is not None and group.age < min_age + shift:
            continue
        if group.contribution_years >= rule.min_contribution_years:
            return True
    return False


def new_pension(group: WorkerGroup, params: InsuranceParameters) -> int:
    """The art. 77 pension of the group's average worker (insurance's own formula)."""
    days = round(group.contribution_years * params.days_per_contribution_year)
    wage = min(group.monthly_wage, params.max_insurable_monthly_wage)
    return pension_amount([wage], max(days, 1), params).amount


def project(cohort: Cohort, assumptions: Assumptions,
            base: InsuranceParameters = DEFAULT_PARAMETERS) -> Projection:
    """Year-by-year contributions, outlays and balance for ``assumptions.years`` years."""
    a = assumptions
    params = parameters_for(a, base)
    workers = [w for w in cohort.workers if w.count > 0]
    pensioners = [p for p in cohort.pensioners if p.count > 0]
    entry_wage = a.entry_wage
    balance = a.opening_balance
    rows: list[YearRow] = []
    for k in range(a.years):
        contributions = sum(yearly(w.count, contribution_split(w.monthly_wage, None, params).total) for w in workers)
        outlays = sum(yearly(p.count, p.monthly_pension) for p in pensioners)
        interest = signed_share(balance, a.return_bp)
        balance = balance + interest + contributions - outlays
        if max(abs(balance), contributions, outlays) > BIG:
            return Projection(a, rows, out_of_range=a.start_year + k)
        rows.append(YearRow(a.start_year + k, sum(w.count for w in workers), sum(p.count for p in pensioners),
                            contributions, outlays, interest, balance))
        # the year turns
        params = _next_parameters(params, a)
        pensioners = [replace(p, age=p.age + 1, count=p.count * (1 - a.q(p.age)),
                              monthly_pension=grow(p.monthly_pension, a.inflation_bp)) for p in pensioners]
        aged = [replace(w, age=w.age + 1, count=w.count * (1 - a.q(w.age)), contribution_years=w.contribution_years + 1,
                        monthly_wage=grow(w.monthly_wage, a.wage_growth_bp)) for w in workers]
        workers = []
        for w in aged:
            if may_retire(w, params, a.retirement_age_shift):
                pensioners.append(PensionerGroup(w.sex, w.age, w.count, new_pension(w, params)))
            else:
                workers.append(w)
        entry_wage = grow(entry_wage, a.wage_growth_bp)
        if a.entrants_per_year:
            half = a.entrants_per_year / 2
            workers += [WorkerGroup(Sex.MALE, a.entry_age, half, entry_wage, 0.0),
                        WorkerGroup(Sex.FEMALE, a.entry_age, half, entry_wage, 0.0)]
        pensioners = [p for p in pensioners if p.count > 1e-9]
        workers = [w for w in workers if w.count > 1e-9]
    return Projection(a, rows)


def compare(cohort: Cohort, scenarios: Sequence[Assumptions],
            base: InsuranceParameters = DEFAULT_PARAMETERS) -> list[Projection]:
    """Every scenario projected from the same cohort, for the side-by-side table and chart."""
    return [project(cohort, s, base) for s in scenarios]
