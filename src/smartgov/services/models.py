"""Tables of the e-services engine: published definitions, applications and everything around them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class DefinitionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    MISMATCH = "mismatch"  # the gateway confirmed another amount than the invoice's


class Definition(Base):
    """One version of one service as stored: its YAML source is the truth, parsed on use."""

    __tablename__ = "services_definition"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[DefinitionStatus] = mapped_column(_enum(DefinitionStatus), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(3))
    title_fa: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    search_text: Mapped[str] = mapped_column(Text)  # lower-cased titles and descriptions in both languages
    source: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]
    published_at: Mapped[dt.datetime | None]
    retired_at: Mapped[dt.datetime | None]

    @property
    def key(self) -> str:
        return f"{self.service_id}@{self.version}"


class Counter(Base):
    """Named sequences (reference and invoice numbers per year), incremented under a row lock."""

    __tablename__ = "services_counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Application(Base):
    """A submitted case: who asked what of which service version, and where it stands."""

    __tablename__ = "services_application"
    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key"),
        Index("ix_services_application_inbox", "branch_id", "state", "sla_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("services_definition.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"))
    #: The branch of the agency that serves the case (``routing.py``); its officials work it and
    #: the supervisors above it see it. Set by both submission paths (``None`` only for rows of a
    #: database migrated while a submission was in flight: the agency's, see ``permissions``).
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("identity_organization.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("identity_organization.id"))
    answers: Mapped[dict[str, Any]]
    documents: Mapped[dict[str, Any]]
    computed: Mapped[dict[str, Any]]  # what automatic actions of domain modules stored
    state: Mapped[str] = mapped_column(String(64))
    terminal: Mapped[bool] = mapped_column(Boolean, default=False)
    state_entered_at: Mapped[dt.datetime]
    sla_deadline: Mapped[dt.datetime | None]
    due_at: Mapped[dt.datetime | None]  # whole-process target
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[dt.datetime | None]
    decided_automatically: Mapped[bool | None]
    submitted_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]


class Draft(Base):
    """Answers saved on the way, one per applicant and service, resumable until submitted."""

    __tablename__ = "services_draft"
    __table_args__ = (UniqueConstraint("account_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"))
    service_id: Mapped[str] = mapped_column(String(64))
    definition_id: Mapped[int] = mapped_column(ForeignKey("services_definition.id"))
    answers: Mapped[dict[str, Any]]
    documents: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class TransitionLog(Base):
    """Every step of a case: who, when, from → to, which action, why, and whether automatic."""

    __tablename__ = "services_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("services_application.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # assignments: not shown to applicants
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime]


class InfoRequest(Base):
    """An official's question to the applicant, and the applicant's answer."""

    __tablename__ = "services_info_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("services_application.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    requested_at: Mapped[dt.datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answer_files: Mapped[list[Any]]
    answered_at: Mapped[dt.datetime | None]


class StoredFile(Base):
    """An uploaded file's metadata; the bytes are under ``data_dir/uploads``."""

    __tablename__ = "services_file"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("services_application.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]


class Rating(Base):
    """The applicant's 1–5 rating of a finished case."""

    __tablename__ = "services_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("services_application.id"), unique=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class Invoice(Base):
    """What an application costs, in rial."""

    __tablename__ = "services_invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("services_application.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(300))
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus), index=True)
    created_at: Mapped[dt.datetime]
    paid_at: Mapped[dt.datetime | None]


class Payment(Base):
    """One attempt to pay an invoice through a gateway; settled once, whatever the callbacks."""

    __tablename__ = "services_payment"
    __table_args__ = (UniqueConstraint("gateway", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("services_invoice.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(30))
    token: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus), index=True)
    gateway_reference: Mapped[str | None] = mapped_column(String(100))
    callbacks: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    settled_at: Mapped[dt.datetime | None]


class SigningKey(Base):
    """An agency's Ed25519 key; the private half is encrypted with a key derived from the secret key."""

    __tablename__ = "services_signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(100))
    private_key_encrypted: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]


class IssuedDocument(Base):
    """A signed certificate or decision: the signed JSON record and the PDF made from it."""

    __tablename__ = "services_document"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("services_application.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"))
    key_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    signature: Mapped[str] = mapped_column(String(200))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_path: Mapped[str | None] = mapped_column(String(300))
    issued_at: Mapped[dt.datetime]
    # The verification code printed on the document (see documents.py): a salted SHA-256 to check
    # a typed code, and sealed with a key derived from the platform secret to print it again.
    verify_code_hash: Mapped[str | None] = mapped_column(String(64))
    verify_code_sealed: Mapped[str | None] = mapped_column(String(120))


class DefinitionSchedule(Base):
    """A draft version the worker publishes at ``publish_at`` (the service designer's "schedule")."""

    __tablename__ = "services_definition_schedule"

    definition_id: Mapped[int] = mapped_column(ForeignKey("services_definition.id", ondelete="CASCADE"),
                                               primary_key=True)
    publish_at: Mapped[dt.datetime] = mapped_column(index=True)
    scheduled_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    scheduled_at: Mapped[dt.datetime]


class InboxFilter(Base):
    """A search of the inbox an official named and kept (their own: nobody else sees or runs it)."""

    __tablename__ = "services_inbox_filter"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[dict[str, Any]]  # the inbox's filters: q, state, service_id, breached, mine, sort
    created_at: Mapped[dt.datetime]
