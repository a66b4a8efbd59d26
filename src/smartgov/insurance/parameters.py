"""Social-security parameters: rates, wage bounds, retirement rules, pension formula, medical coverage.

Every number the law or the yearly circulars can change is a field here, never a literal in
the calculations, so an amendment is a configuration change. Defaults follow Iran's Social
Security Law (قانون تأمین اجتماعی, 1354) as commonly applied, with the 1403 (2024-25) minimum
wage; they are **configurable defaults, not legal advice** — check the current amendments and
the Supreme Labour Council's yearly wage decision before relying on them.

Money is integer rial. Rates are basis points (1 bp = 0.01 %) so that every computation is
exact integer arithmetic with one explicit rounding step.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

BP = 10_000  # basis points in 100 %

# Supreme Labour Council decision for 1403: 2,388,728 rial a day, 30 days a month.
MINIMUM_MONTHLY_WAGE_1403 = 71_661_840


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class RetirementRule(BaseModel):
    """One way to qualify for an old-age pension: an age (per sex, or none) and contribution years."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    title_en: str
    title_fa: str
    min_age_men: int | None = Field(default=None, ge=0, le=100, description="None: no age condition")
    min_age_women: int | None = Field(default=None, ge=0, le=100, description="None: no age condition")
    min_contribution_years: int = Field(ge=0, le=60)
    basis: str = Field(default="", description="Where the rule comes from (article of the law)")

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en


class MedicalCoverage(BaseModel):
    """How much of one category of medical expense is reimbursed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str
    title_en: str
    title_fa: str
    coverage_bp: int = Field(ge=0, le=BP, description="Share reimbursed, in basis points")
    item_ceiling: int | None = Field(default=None, gt=0, description="Most reimbursed for one item, rial")

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en


DEFAULT_RETIREMENT_RULES: tuple[RetirementRule, ...] = (
    RetirementRule(
        code="age",
        title_en="Retirement by age",
        title_fa="بازنشستگی با شرط سن",
        min_age_men=60,
        min_age_women=55,
        min_contribution_years=20,
        basis="Social Security Law art. 76(1); the statute's floor is 10 years with a reduced pension, "
        "20 is the commonly applied full-pension default",
    ),
    RetirementRule(
        code="service",
        title_en="Retirement with 30 years of contributions",
        title_fa="بازنشستگی با ۳۰ سال سابقه",
        min_contribution_years=30,
        basis="Social Security Law art. 76 as amended and commonly applied: 30 years at any age",
    ),
)

DEFAULT_MEDICAL_COVERAGE: tuple[MedicalCoverage, ...] = (
    # Commonly applied co-payment (franchise): 30 % outpatient, 10 % inpatient. Ceilings are illustrative.
    MedicalCoverage(category="outpatient", title_en="Outpatient visit", title_fa="ویزیت سرپایی", coverage_bp=7000),
    MedicalCoverage(category="inpatient", title_en="Hospital stay", title_fa="بستری", coverage_bp=9000),
    MedicalCoverage(category="medicine", title_en="Medicine", title_fa="دارو", coverage_bp=7000),
    MedicalCoverage(
        category="paraclinical",
        title_en="Tests and imaging",
        title_fa="آزمایش و تصویربرداری",
        coverage_bp=7000,
        item_ceiling=50_000_000,
    ),
    MedicalCoverage(
        category="dental",
        title_en="Dental care",
        title_fa="دندان‌پزشکی",
        coverage_bp=5000,
        item_ceiling=20_000_000,
    ),
)


class InsuranceParameters(BaseModel):
    """All configurable numbers of the social-security domain, with documented defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Contributions — Social Security Law art. 28: 30 % of the insurable wage.
    employer_rate_bp: int = Field(default=2000, ge=0, le=BP, description="Employer's share: 20 % (art. 28)")
    insured_rate_bp: int = Field(default=700, ge=0, le=BP, description="Insured person's share: 7 % (art. 28)")
    government_rate_bp: int = Field(default=300, ge=0, le=BP, description="Government's share: 3 % (art. 28)")

    # Wage bounds (monthly, for a 30-day month; prorated by days worked).
    days_per_month: int = Field(default=30, gt=0, description="Days a monthly wage stands for (labour law practice)")
    min_insurable_monthly_wage: int = Field(
        default=MINIMUM_MONTHLY_WAGE_1403,
        gt=0,
        description="Statutory minimum wage; lower reports are refused",
    )
    max_insurable_monthly_wage: int = Field(
        default=7 * MINIMUM_MONTHLY_WAGE_1403,
        gt=0,
        description="Contribution ceiling, set yearly (commonly 7 × minimum wage)",
    )
    max_reported_monthly_wage: int = Field(
        default=100_000_000_000, gt=0, description="Typo guard: larger monthly wages are refused as mistakes"
    )

    # Retirement — art. 76 (eligibility) and art. 77 (amount), art. 111 (minimum pension).
    retirement_rules: tuple[RetirementRule, ...] = DEFAULT_RETIREMENT_RULES
    days_per_contribution_year: int = Field(default=365, gt=0, description="Contribution days that make a year")
    pension_average_months: int = Field(default=24, gt=0, description="Last months averaged for the pension (art. 77)")
    pension_divisor_years: int = Field(default=30, gt=0, description="Pension = average × years ÷ this (art. 77)")
    pension_cap_years: int = Field(default=35, gt=0, description="Pension is at most average × this ÷ divisor")
    minimum_pension: int = Field(
        default=MINIMUM_MONTHLY_WAGE_1403,
        ge=0,
        description="Floor of a granted pension (art. 111: minimum wage)",
    )

    # Medical expense reimbursement.
    medical_coverage: tuple[MedicalCoverage, ...] = DEFAULT_MEDICAL_COVERAGE
    medical_claim_ceiling: int | None = Field(
        default=1_000_000_000, gt=0, description="Most reimbursed for one claim, rial (None: no ceiling)"
    )
    medical_annual_ceiling: int | None = Field(
        default=None, gt=0, description="Most reimbursed to one person in a year, rial (None: no ceiling)"
    )

    @property
    def total_rate_bp(self) -> int:
        return self.employer_rate_bp + self.insured_rate_bp + self.government_rate_bp

    @model_validator(mode="after")
    def _consistent(self) -> InsuranceParameters:
        if self.total_rate_bp > BP:
            raise ValueError("contribution rates add up to more than 100 %")
        if self.min_insurable_monthly_wage > self.max_insurable_monthly_wage:
            raise ValueError("minimum insurable wage is above the maximum")
        if self.max_insurable_monthly_wage > self.max_reported_monthly_wage:
            raise ValueError("the typo guard is below the contribution ceiling")
        if self.pension_cap_years < self.pension_divisor_years:
            raise ValueError("the pension cap is below 100 % of the average wage")
        codes = [r.code for r in self.retirement_rules]
        if len(set(codes)) != len(codes):
            raise ValueError("retirement rule codes must be unique")
        categories = [c.category for c in self.medical_coverage]
        if len(set(categories)) != len(categories):
            raise ValueError("medical categories must be unique")
        return self

    def coverage_for(self, category: str) -> MedicalCoverage | None:
        return next((c for c in self.medical_coverage if c.category == category), None)


DEFAULT_PARAMETERS = InsuranceParameters()
