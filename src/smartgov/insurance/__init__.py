"""Social-security reference domain: contributions, wage reports, retirement, pensions, medical claims.

Only the pure core lives here so far; tables, services on the engine, API and pages come later.
"""

from .calculations import (
    ClaimItem,
    ContributionSplit,
    Eligibility,
    Pension,
    PremiumInvoice,
    Reason,
    Reimbursement,
    Step,
    contribution_split,
    insurable_wage,
    medical_reimbursement,
    pension_amount,
    premium_invoice,
    retirement_eligibility,
)
from .parameters import (
    DEFAULT_PARAMETERS,
    InsuranceParameters,
    MedicalCoverage,
    RetirementRule,
    Sex,
)
from .wagereport import WageReport, WageRow, parse_wage_report

__all__ = [
    "DEFAULT_PARAMETERS",
    "ClaimItem",
    "ContributionSplit",
    "Eligibility",
    "InsuranceParameters",
    "MedicalCoverage",
    "Pension",
    "PremiumInvoice",
    "Reason",
    "Reimbursement",
    "RetirementRule",
    "Sex",
    "Step",
    "WageReport",
    "WageRow",
    "contribution_split",
    "insurable_wage",
    "medical_reimbursement",
    "parse_wage_report",
    "pension_amount",
    "premium_invoice",
    "retirement_eligibility",
]
