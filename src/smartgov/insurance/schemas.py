"""Request and response models of ``/api/v1/insurance``."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from smartgov.digits import Amount
from smartgov.web.fields import Int4


class StepPublic(BaseModel):
    code: str
    label_en: str
    label_fa: str
    value: int
    unit: str


class EmployerPeriodPublic(BaseModel):
    workshop_code: str
    name_fa: str
    name_en: str
    first: str = Field(description="Jalali year/month of the first contribution, e.g. 1395/07")
    last: str
    days: int


class YearDaysPublic(BaseModel):
    year: int
    days: int


class InsuredRecordPublic(BaseModel):
    national_code: str
    insurance_number: str
    status: str
    total_days: int
    years: int
    remaining_days: int
    by_year: list[YearDaysPublic]
    employers: list[EmployerPeriodPublic]


class ContributionPublic(BaseModel):
    year: int
    month: int
    days: int
    wage: int
    insurable_wage: int
    employer_share: int
    insured_share: int
    government_share: int
    workshop_code: str | None


class ReasonPublic(BaseModel):
    met: bool
    label_en: str
    label_fa: str


class PensionEstimatePublic(BaseModel):
    eligible: bool
    rule: str | None
    age: int
    contribution_days: int
    amount: int | None
    steps: list[StepPublic]
    reasons: list[ReasonPublic]


class WorkshopPublic(BaseModel):
    code: str
    name_fa: str
    name_en: str
    province: str | None


class WageReportPublic(BaseModel):
    id: int
    workshop_code: str
    year: int
    month: int
    status: str
    rows: int
    total_wages: int
    total_insurable_wages: int
    employer_share: int
    insured_share: int
    government_share: int
    amount_due: int
    application_reference: str | None
    created_at: dt.datetime
    credited_at: dt.datetime | None


class CellError(BaseModel):
    row: int | None = Field(description="Spreadsheet row (header = 1); null for file-level errors")
    column: str | None
    code: str
    message: str


class WageCheckPublic(BaseModel):
    valid: bool
    rows: int
    total_wages: int | None = None
    amount_due: int | None = None
    errors: list[CellError]


class PensionPublic(BaseModel):
    reference: str
    national_code: str
    rule: str
    contribution_days: int
    average_wage: int
    amount: int
    status: str
    steps: list[StepPublic]
    decided_at: dt.datetime | None
    decision_ref: str | None


class ClaimItemPublic(BaseModel):
    position: int
    category: str
    description: str
    amount: int
    approved_amount: int | None
    reimbursed: int | None
    receipt_ref: str | None


class MedicalClaimPublic(BaseModel):
    reference: str
    national_code: str
    claimed: int
    approved: int | None
    reimbursed: int | None
    status: str
    steps: list[StepPublic]
    items: list[ClaimItemPublic]
    payment_reference: str | None
    paid_at: dt.datetime | None


class ApprovedAmount(BaseModel):
    position: Int4 = Field(ge=1)
    approved_amount: Amount = Field(ge=0, le=10**15, description="Rial; a number, or digits as text.")


class ApprovedAmountsIn(BaseModel):
    items: list[ApprovedAmount] = Field(min_length=1, max_length=20)
