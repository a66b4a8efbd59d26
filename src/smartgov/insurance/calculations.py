"""Contributions, premium invoices, retirement eligibility, pensions and medical reimbursements.

Pure functions of their inputs and :class:`InsuranceParameters`; integer rial throughout.
Each result that a person may contest carries its working (steps or reasons with message
ids), so a page can show *how* the number was reached in Persian or English.

Rounding: every amount is rounded once, half up, from exact integer arithmetic. When one
total is split into shares, each share is its exact value rounded down, and the rials still
missing from the rounded total go to the largest remainders (Hamilton), so the shares always add
up to the rounded total and none is off its exact value by a rial or more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jdatetime

from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, format_number, gettext

from .parameters import BP, DEFAULT_PARAMETERS, InsuranceParameters, Sex
from .wagereport import WageReport

# --------------------------------------------------------------------------- helpers


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator ÷ denominator rounded to the nearest integer, halves up (non-negative inputs)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder; the parts sum to ``total``.

    Ties in the remainder go to the earlier weight, so the order of weights is the priority.
    """
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def round_shares(exact: Sequence[int], denominator: int) -> list[int]:
    """Each ``exact[i] / denominator`` in whole units, summing to the rounded (half up) total.

    Apportioning the rounded total in proportion to the shares can move a share a whole unit
    off its exact value (13 + 0.0468 + 0.4576 → 14 gave the 13 its extra rial); starting from the
    exact values cannot: only shares with a remainder get one more, largest first, earlier first.
    """
    parts = [e // denominator for e in exact]
    remainders = [e % denominator for e in exact]
    missing = round_half_up(sum(exact), denominator) - sum(parts)
    for i in sorted(range(len(exact)), key=lambda i: (-remainders[i], i))[:missing]:
        parts[i] += 1
    return parts


def _shown(params: dict[str, Any], lang: str | None) -> dict[str, Any]:
    return {
        k: format_number(v, lang) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in params.items()
    }


@dataclass(frozen=True, slots=True)
class Step:
    """One line of working: a labelled number; ``label`` is an English message id."""

    code: str
    label: str
    value: int
    unit: str
    params: dict[str, int] = field(default_factory=dict)

    def localized(self, lang: str | None = None) -> str:
        return gettext(self.label, lang, **_shown(self.params, lang))

    def as_dict(self) -> dict[str, Any]:
        """Both languages at once, for an API response or a decision letter."""
        return {
            "code": self.code,
            "label_en": self.localized("en"),
            "label_fa": self.localized("fa"),
            "value": self.value,
            "unit": self.unit,
        }


# --------------------------------------------------------------------------- contributions


@dataclass(frozen=True, slots=True)
class ContributionSplit:
    wage: int
    insurable_wage: int
    employer: int
    insured: int
    government: int

    @property
    def total(self) -> int:
        return self.employer + self.insured + self.government


def insurable_wage(wage: int, days_worked: int, params: InsuranceParameters = DEFAULT_PARAMETERS) -> int:
    """The wage contributions are charged on: the reported wage, capped at the ceiling for the days worked."""
    if wage < 0 or days_worked < 0:
        raise ValueError("wage and days must not be negative")
    ceiling = params.max_insurable_monthly_wage * days_worked // params.days_per_month
    return min(wage, ceiling)


def contribution_split(
    wage: int, days_worked: int | None = None, params: InsuranceParameters = DEFAULT_PARAMETERS
) -> ContributionSplit:
    """Employer, insured and government shares of the contribution on one month's wage.

    ``days_worked`` prorates the ceiling (default: a full month). The total is the rounded
    exact total rate × insurable wage; the three shares are rounded to add up to it (`round_shares`).
    """
    days = params.days_per_month if days_worked is None else days_worked
    base = insurable_wage(wage, days, params)
    rates = (params.employer_rate_bp, params.insured_rate_bp, params.government_rate_bp)
    employer, insured, government = round_shares([base * rate for rate in rates], BP)
    return ContributionSplit(wage, base, employer, insured, government)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    row: int
    national_code: str
    days_worked: int
    split: ContributionSplit


@dataclass(frozen=True, slots=True)
class PremiumInvoice:
    """What an employer owes for one monthly wage report; totals are sums of the lines."""

    year: int
    month: int
    lines: list[InvoiceLine]
    total_wages: int
    total_insurable_wages: int
    employer_share: int
    insured_share: int
    government_share: int

    @property
    def amount_due(self) -> int:
        """The employer pays its share and the insured share it withheld; the state pays its own."""
        return self.employer_share + self.insured_share


def premium_invoice(report: WageReport, params: InsuranceParameters = DEFAULT_PARAMETERS) -> PremiumInvoice:
    """The premium invoice for a validated :class:`~smartgov.insurance.wagereport.WageReport`."""
    lines = [
        InvoiceLine(r.row, r.national_code, r.days_worked, contribution_split(r.monthly_wage, r.days_worked, params))
        for r in report.rows
    ]
    return PremiumInvoice(
        year=report.year,
        month=report.month,
        lines=lines,
        total_wages=sum(line.split.wage for line in lines),
        total_insurable_wages=sum(line.split.insurable_wage for line in lines),
        employer_share=sum(line.split.employer for line in lines),
        insured_share=sum(line.split.insured for line in lines),
        government_share=sum(line.split.government for line in lines),
    )


# --------------------------------------------------------------------------- retirement


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule is or is not met; ``message`` is an English message id."""

    rule: str
    met: bool
    message: str
    params: dict[str, int] = field(default_factory=dict)

    def localized(self, lang: str | None = None) -> str:
        return gettext(self.message, lang, **_shown(self.params, lang))


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    rule: str | None
    age: int
    contribution_days: int
    reasons: list[Reason]


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Full years, counted on the Jalali calendar as Iranian records do."""
    b = jdatetime.date.fromgregorian(date=birth_date)
    d = jdatetime.date.fromgregorian(date=on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def retirement_eligibility(
    *,
    sex: Sex,
    birth_date: dt.date,
    contribution_days: int,
    on: dt.date,
    params: InsuranceParameters = DEFAULT_PARAMETERS,
) -> Eligibility:
    """Whether any configured retirement rule is met on ``on``, with a reason for every condition checked."""
    if contribution_days < 0:
        raise ValueError("contribution days must not be negative")
    age = age_on(birth_date, on)
    years, days = divmod(contribution_days, params.days_per_contribution_year)
    reasons: list[Reason] = []
    granted: str | None = None
    for rule in params.retirement_rules:
        ok = True
        min_age = rule.min_age_men if sex is Sex.MALE else rule.min_age_women
        if min_age is not None:
            met = age >= min_age
            ok &= met
            reasons.append(
                Reason(
                    rule.code,
                    met,
                    N_("Age {age} meets the required {required}.")
                    if met
                    else N_("Age {age} is below the required {required}."),
                    {"age": age, "required": min_age},
                )
            )
        need = rule.min_contribution_years * params.days_per_contribution_year
        met = contribution_days >= need
        ok &= met
        reasons.append(
            Reason(
                rule.code,
                met,
                N_("{years} years and {days} days of contributions meet the required {required} years.")
                if met
                else N_("{years} years and {days} days of contributions are below the required {required} years."),
                {"years": years, "days": days, "required": rule.min_contribution_years},
            )
        )
        if ok and granted is None:
            granted = rule.code
    return Eligibility(granted is not None, granted, age, contribution_days, reasons)


@dataclass(frozen=True, slots=True)
class Pension:
    amount: int
    steps: list[Step]


def pension_amount(
    monthly_wages: Sequence[int],
    contribution_days: int,
    params: InsuranceParameters = DEFAULT_PARAMETERS,
) -> Pension:
    """Old-age pension by art. 77: average of the last months' insurable wages × years ÷ 30, capped, floored.

    ``monthly_wages`` are insurable wages in date order; only the last
    ``pension_average_months`` are averaged. Each step is rounded half up before the next
    uses it, so the shown working can be redone by hand.
    """
    if contribution_days <= 0:
        raise ValueError("a pension needs contribution days")
    if not monthly_wages or any(w < 0 for w in monthly_wages):
        raise ValueError("a pension needs the insured's monthly wages")
    last = list(monthly_wages)[-params.pension_average_months :]
    months = len(last)
    total = sum(last)
    average = round_half_up(total, months)
    per_year = params.days_per_contribution_year
    divisor = params.pension_divisor_years
    formula = round_half_up(average * contribution_days, per_year * divisor)
    cap = round_half_up(average * params.pension_cap_years, divisor)
    capped = min(formula, cap)
    amount = max(capped, params.minimum_pension)
    steps = [
        Step(
            "wage_sum",
            N_("Sum of insurable wages over the last {months} months"),
            total,
            "rial",
            {"months": months},
        ),
        Step(
            "average",
            N_("Average monthly wage = {total} ÷ {months}"),
            average,
            "rial",
            {"total": total, "months": months},
        ),
        Step(
            "contribution_days",
            N_("Contribution record: {days} days ({per_year} days make a year)"),
            contribution_days,
            "days",
            {"days": contribution_days, "per_year": per_year},
        ),
        Step(
            "formula",
            N_("Average × years ÷ {divisor} = {average} × {days} ÷ ({per_year} × {divisor})"),
            formula,
            "rial",
            {"average": average, "days": contribution_days, "per_year": per_year, "divisor": divisor},
        ),
        Step(
            "cap",
            N_("Ceiling: {cap_years}/{divisor} of the average = {average} × {cap_years} ÷ {divisor}"),
            cap,
            "rial",
            {"cap_years": params.pension_cap_years, "divisor": divisor, "average": average},
        ),
        Step("capped", N_("Smaller of the formula amount and the ceiling"), capped, "rial"),
        Step("minimum", N_("Minimum pension"), params.minimum_pension, "rial"),
        Step("pension", N_("Monthly pension: the larger of the two above"), amount, "rial"),
    ]
    return Pension(amount, steps)


# --------------------------------------------------------------------------- medical claims


@dataclass(frozen=True, slots=True)
class ClaimItem:
    category: str
    amount: int


@dataclass(frozen=True, slots=True)
class ReimbursedItem:
    category: str
    amount: int
    coverage_bp: int
    covered: int
    reimbursed: int


@dataclass(frozen=True, slots=True)
class Reimbursement:
    items: list[ReimbursedItem]
    claimed: int
    amount: int
    steps: list[Step]


def medical_reimbursement(
    items: Sequence[ClaimItem],
    params: InsuranceParameters = DEFAULT_PARAMETERS,
    *,
    reimbursed_this_year: int = 0,
) -> Reimbursement:
    """Partial reimbursement: coverage share per item, item ceilings, then claim and annual ceilings.

    Raises :class:`ValidationFailed` naming each bad item (unknown category, non-positive amount).
    """
    errors: list[DomainError] = []
    for i, item in enumerate(items):
        if params.coverage_for(item.category) is None:
            errors.append(
                DomainError("unknown_category", N_("Unknown expense category."), field=f"items[{i}].category")
            )
        if item.amount <= 0:
            errors.append(
                DomainError(
                    "amount_invalid",
                    N_("Amount must be a positive whole number of rials."),
                    field=f"items[{i}].amount",
                )
            )
    if not items:
        errors.append(DomainError("required", N_("A claim needs at least one expense."), field="items"))
    if errors:
        raise ValidationFailed(errors)
    lines = []
    for item in items:
        cover = params.coverage_for(item.category)
        assert cover is not None
        covered = round_half_up(item.amount * cover.coverage_bp, BP)
        paid = covered if cover.item_ceiling is None else min(covered, cover.item_ceiling)
        lines.append(ReimbursedItem(item.category, item.amount, cover.coverage_bp, covered, paid))
    claimed = sum(line.amount for line in lines)
    subtotal = sum(line.reimbursed for line in lines)
    steps = [
        Step("claimed", N_("Expenses claimed"), claimed, "rial"),
        Step("covered", N_("Covered share of each expense, after item ceilings"), subtotal, "rial"),
    ]
    amount = subtotal
    if params.medical_claim_ceiling is not None:
        amount = min(amount, params.medical_claim_ceiling)
        steps.append(
            Step(
                "claim_ceiling",
                N_("After the ceiling of {ceiling} rials for one claim"),
                amount,
                "rial",
                {"ceiling": params.medical_claim_ceiling},
            )
        )
    if params.medical_annual_ceiling is not None:
        left = max(0, params.medical_annual_ceiling - reimbursed_this_year)
        amount = min(amount, left)
        steps.append(
            Step(
                "annual_ceiling",
                N_("After the yearly ceiling ({left} rials left this year)"),
                amount,
                "rial",
                {"left": left},
            )
        )
    steps.append(Step("reimbursed", N_("Amount reimbursed"), amount, "rial"))
    return Reimbursement(lines, claimed, amount, steps)
