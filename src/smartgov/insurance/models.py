"""Tables of the social-security domain: insured people, workshops, wage reports, contributions,
pensions and medical claims. Money is integer rial; periods are Jalali year and month."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, Date, Enum, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class InsuredStatus(enum.StrEnum):
    ACTIVE = "active"  # contributions are being paid
    INACTIVE = "inactive"  # has a record, no current employment
    RETIRED = "retired"  # receives an old-age pension


class WageReportStatus(enum.StrEnum):
    INVOICED = "invoiced"  # validated and stored; the premium invoice waits for payment
    CREDITED = "credited"  # paid; every row credited to its insured person
    CANCELLED = "cancelled"  # withdrawn before payment


class DecisionStatus(enum.StrEnum):
    PROPOSED = "proposed"  # computed at submission, waiting for an official
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    PAID = "paid"  # medical claims: the reimbursement was paid to the insured


class InsuredPerson(Base):
    """A person known to the social-security fund, linked to the identity person by id and national code."""

    __tablename__ = "insurance_insured_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"), unique=True)
    national_code: Mapped[str] = mapped_column(String(10), unique=True)
    insurance_number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[InsuredStatus] = mapped_column(_enum(InsuredStatus))
    registered_at: Mapped[dt.datetime]


class Workshop(Base):
    """A workplace (کارگاه) of an employer organization; wage reports are filed per workshop."""

    __tablename__ = "insurance_workshop"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]

    def name(self, lang: str) -> str:
        return self.name_fa if lang == "fa" else self.name_en


class WageReport(Base):
    """One workshop's monthly wage report (لیست حقوق و دستمزد), its totals and the application that filed it."""

    __tablename__ = "insurance_wage_report"
    __table_args__ = (Index("ix_insurance_wage_report_period", "workshop_id", "year", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("insurance_workshop.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[WageReportStatus] = mapped_column(_enum(WageReportStatus))
    rows: Mapped[int] = mapped_column(Integer)
    total_wages: Mapped[int] = mapped_column(BigInteger)
    total_insurable_wages: Mapped[int] = mapped_column(BigInteger)
    employer_share: Mapped[int] = mapped_column(BigInteger)
    insured_share: Mapped[int] = mapped_column(BigInteger)
    government_share: Mapped[int] = mapped_column(BigInteger)
    amount_due: Mapped[int] = mapped_column(BigInteger)
    application_reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    credited_at: Mapped[dt.datetime | None]


class WageReportRow(Base):
    """One worker's line of a wage report, with the contribution computed on it."""

    __tablename__ = "insurance_wage_report_row"
    __table_args__ = (UniqueConstraint("report_id", "national_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("insurance_wage_report.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    national_code: Mapped[str] = mapped_column(String(10))
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    start_date: Mapped[dt.date] = mapped_column(Date)
    days_worked: Mapped[int] = mapped_column(SmallInteger)
    daily_wage: Mapped[int | None] = mapped_column(BigInteger)
    monthly_wage: Mapped[int] = mapped_column(BigInteger)
    insurable_wage: Mapped[int] = mapped_column(BigInteger)
    employer_share: Mapped[int] = mapped_column(BigInteger)
    insured_share: Mapped[int] = mapped_column(BigInteger)
    government_share: Mapped[int] = mapped_column(BigInteger)


class Contribution(Base):
    """One month of one person's contribution record at one workshop: days, wage and the three shares.

    ``report_id`` is the wage report that credited it (none for records migrated from before).
    """

    __tablename__ = "insurance_contribution"
    __table_args__ = (
        UniqueConstraint("report_id", "national_code"),
        Index("ix_insurance_contribution_person", "national_code", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    national_code: Mapped[str] = mapped_column(String(10))
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_workshop.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_wage_report.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    days: Mapped[int] = mapped_column(SmallInteger)
    wage: Mapped[int] = mapped_column(BigInteger)
    insurable_wage: Mapped[int] = mapped_column(BigInteger)
    employer_share: Mapped[int] = mapped_column(BigInteger)
    insured_share: Mapped[int] = mapped_column(BigInteger)
    government_share: Mapped[int] = mapped_column(BigInteger)


class Pension(Base):
    """An old-age pension worked out for an application: the amount, its working and the decision."""

    __tablename__ = "insurance_pension"

    id: Mapped[int] = mapped_column(primary_key=True)
    national_code: Mapped[str] = mapped_column(String(10), index=True)
    application_reference: Mapped[str] = mapped_column(String(40), unique=True)
    rule: Mapped[str] = mapped_column(String(40))
    contribution_days: Mapped[int] = mapped_column(Integer)
    average_wage: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    steps: Mapped[list[Any]]
    status: Mapped[DecisionStatus] = mapped_column(_enum(DecisionStatus))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_ref: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]


class MedicalClaim(Base):
    """A claim for medical expenses: what was claimed, what an official approved, what was paid."""

    __tablename__ = "insurance_medical_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    national_code: Mapped[str] = mapped_column(String(10), index=True)
    application_reference: Mapped[str] = mapped_column(String(40), unique=True)
    claimed: Mapped[int] = mapped_column(BigInteger)
    approved: Mapped[int | None] = mapped_column(BigInteger)
    reimbursed: Mapped[int | None] = mapped_column(BigInteger)
    steps: Mapped[list[Any]]
    status: Mapped[DecisionStatus] = mapped_column(_enum(DecisionStatus))
    bank_account: Mapped[str] = mapped_column(String(30))
    payment_reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    paid_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class MedicalClaimItem(Base):
    """One expense of a claim, with its receipt and the amount the official accepted."""

    __tablename__ = "insurance_medical_claim_item"
    __table_args__ = (UniqueConstraint("claim_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("insurance_medical_claim.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    amount: Mapped[int] = mapped_column(BigInteger)
    approved_amount: Mapped[int | None] = mapped_column(BigInteger)
    reimbursed: Mapped[int | None] = mapped_column(BigInteger)
    receipt_ref: Mapped[str | None] = mapped_column(String(32))


class Employment(Base):
    """One spell of work of an insured person at a workshop, from a population import: when it began,
    when it ended (none while it lasts) and the monthly wage, rial. Monthly contributions stay in
    ``Contribution``; a spell is the register's summary, one row per job rather than per month."""

    __tablename__ = "insurance_employment"
    __table_args__ = (UniqueConstraint("national_code", "workshop_id", "start_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    national_code: Mapped[str] = mapped_column(String(10))
    workshop_id: Mapped[int] = mapped_column(ForeignKey("insurance_workshop.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    monthly_wage: Mapped[int] = mapped_column(BigInteger)


class ImportCheckpoint(Base):
    """How far the import of one file got: the last line committed, with its counts; a re-run of the
    same file resumes after it, and a finished file is not read again unless asked."""

    __tablename__ = "insurance_import_checkpoint"
    __table_args__ = (UniqueConstraint("kind", "file_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_key: Mapped[str] = mapped_column(String(64))  # sha256 of the kind, size and first MiB
    file_name: Mapped[str] = mapped_column(String(300))
    line: Mapped[int] = mapped_column(BigInteger)  # the last line whose chunk is committed (1: the header)
    accepted: Mapped[int] = mapped_column(BigInteger)
    inserted: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
