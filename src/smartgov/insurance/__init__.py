"""Social-security reference domain: insured people, workshops, wage reports, contributions, pensions,
medical claims — implemented as services on the e-services engine.

The pure core (``parameters``, ``calculations``, ``wagereport``) has no database; ``service``
holds the use cases; ``hooks`` plugs the four bundled services (``definitions/*.yaml``) into the
engine and offers the ``contribution-history`` data service on the exchange.
"""

from smartgov.insurance.home import home_panel

from . import demo as _demo  # noqa: F401 - registers the demo loader
from . import hooks as _hooks
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
from .population import FundGroup, FundPopulation, fund_population
from .wagereport import WageReport, WageRow, parse_wage_report

_hooks.install()

__all__ = [
    "DEFAULT_PARAMETERS",
    "ClaimItem",
    "ContributionSplit",
    "Eligibility",
    "FundGroup",
    "FundPopulation",
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
    "fund_population",
    "home_panel",
    "insurable_wage",
    "medical_reimbursement",
    "parse_wage_report",
    "pension_amount",
    "premium_invoice",
    "retirement_eligibility",
]
