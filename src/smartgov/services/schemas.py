"""Request and response shapes of the e-services API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartgov.web.fields import Id


class ServicePublic(BaseModel):
    """A published service in the catalog."""

    id: str
    version: int
    title_fa: str
    title_en: str
    description_fa: str
    description_en: str
    agency: str
    relationship: str
    fee: int | None = Field(None, description="Fixed fee in rial; null when it depends on the answers.")
    sla_hours: int | None = Field(None, description="Whole-process target in hours.")


class DefinitionPublic(BaseModel):
    """A stored version of a service definition."""

    id: int
    service_id: str
    version: int
    status: Literal["draft", "published", "retired"]
    agency: str
    title_fa: str
    title_en: str
    created_at: dt.datetime
    published_at: dt.datetime | None


class DefinitionDetail(DefinitionPublic):
    source: str = Field(description="The YAML as published.")
    form: list[dict[str, Any]] = Field(description="The form schema (fields with types, labels, conditions).")
    documents: list[dict[str, Any]]
    workflow: dict[str, Any]


class DefinitionIn(BaseModel):
    """A definition to store: its YAML text."""

    yaml: str = Field(max_length=512 * 1024, description="The definition in YAML.")
    source_name: str = Field("definition.yaml", max_length=200, description="File name shown in error messages.")
    publish: bool = Field(True, description="Publish at once (false: keep as a draft).")


class PrefillPublic(BaseModel):
    """What the platform already knows: suggested answers and problems with eligibility."""

    answers: dict[str, Any]
    eligibility_problems: list[dict[str, Any]]


class DraftIn(BaseModel):
    answers: dict[str, Any] = Field(default_factory=dict)
    documents: dict[str, Any] = Field(default_factory=dict)
    replace: bool = Field(False, description="Replace the saved answers instead of merging.")


class DraftPublic(BaseModel):
    service_id: str
    answers: dict[str, Any]
    documents: dict[str, Any]
    updated_at: dt.datetime


class ApplicationIn(BaseModel):
    """A submission: answers by field name, supporting documents by id (file answers come from uploads)."""

    service_id: str = Field(max_length=64)
    answers: dict[str, Any]
    documents: dict[str, Any] = Field(default_factory=dict)
    organization: str | None = Field(None, description="Business code for G2B services.")


class FilePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ref: str = Field(description="Put this object as the answer of a file question.")
    name: str
    mime: str
    size: int


class InvoicePublic(BaseModel):
    number: str
    amount: int = Field(description="Rial.")
    status: str
    created_at: dt.datetime
    paid_at: dt.datetime | None


class DocumentPublic(BaseModel):
    id: str
    title_fa: str
    title_en: str
    issued_at: dt.datetime
    key_id: str
    pdf_url: str
    json_url: str
    verify_url: str


class ActionPublic(BaseModel):
    action: str
    to: str
    label_fa: str
    label_en: str
    requires_reason: bool


class ApplicationPublic(BaseModel):
    reference: str
    service_id: str
    version: int
    state: str
    state_label: str
    terminal: bool
    agency: str
    answers: dict[str, Any]
    documents: dict[str, Any]
    computed: dict[str, Any]
    fee: int
    paid: bool
    submitted_at: dt.datetime
    updated_at: dt.datetime
    sla_deadline: dt.datetime | None
    due_at: dt.datetime | None
    breached: bool
    seconds_left: int | None = Field(None, description="Until the current state's deadline; negative when late.")
    assignee_id: int | None
    decided_automatically: bool | None
    invoices: list[InvoicePublic] = []
    issued_documents: list[DocumentPublic] = []
    actions: list[ActionPublic] = Field([], description="What the caller may do now.")
    open_question: str | None = None


class CaseSummary(BaseModel):
    """A row of the official inbox."""

    reference: str
    service_id: str
    state: str
    state_label: str
    submitted_at: dt.datetime
    sla_deadline: dt.datetime | None
    seconds_left: int | None
    breached: bool
    assignee_id: int | None


class TimelineEntryPublic(BaseModel):
    at: dt.datetime
    kind: str
    action: str
    from_state: str | None
    to_state: str | None
    automatic: bool
    actor_id: int | None
    text: str | None


class TransitionIn(BaseModel):
    action: str = Field(max_length=64, description="An action the case's state offers (see `actions`).")
    reason: str | None = Field(None, max_length=2000, description="Required for decisions and questions.")


class AnswerIn(BaseModel):
    answer: str = Field(max_length=4000)
    files: list[str] = Field(default_factory=list, max_length=10, description="Refs of uploaded files.")


class WithdrawIn(BaseModel):
    reason: str | None = Field(None, max_length=2000)


class RatingIn(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=4000)


class RatingPublic(BaseModel):
    score: int
    comment: str | None
    created_at: dt.datetime


class AssignIn(BaseModel):
    assignee_id: Id | None = Field(None, description="Account id of an official; null releases the case.")


class TransferIn(BaseModel):
    branch: str = Field(max_length=40, description="Code of the branch to move the case to.")
    reason: str = Field(max_length=4000, description="Why the case moves; kept in the case's history.")


class BulkIn(BaseModel):
    references: list[str] = Field(min_length=1, max_length=100)
    action: str = Field(max_length=64, description="A workflow action, or `claim`.")
    reason: str | None = Field(None, max_length=2000)


class BulkResultPublic(BaseModel):
    reference: str
    ok: bool
    state: str | None
    error: dict[str, Any] | None


class PaymentStarted(BaseModel):
    payment_id: int
    invoice: str
    amount: int
    redirect_url: str = Field(description="Send the payer's browser here.")


class PaymentPublic(BaseModel):
    id: int
    invoice: str
    amount: int
    paid_amount: int | None
    status: str
    gateway: str
    gateway_reference: str | None
    created_at: dt.datetime
    settled_at: dt.datetime | None


class ReceiptPublic(BaseModel):
    payment_id: int
    invoice: str
    reference: str
    amount: int
    gateway: str
    gateway_reference: str | None
    paid_at: dt.datetime | None
    service_id: str


class MismatchPublic(BaseModel):
    kind: str
    invoice: str
    payment_id: int | None
    detail: str


class ReconciliationPublic(BaseModel):
    day: dt.date
    invoiced_total: int
    collected_total: int
    invoices: list[InvoicePublic]
    payments: list[PaymentPublic]
    mismatches: list[MismatchPublic]


class AgencyNamePublic(BaseModel):
    code: str | None
    name_fa: str | None
    name_en: str | None


class HolderPublic(BaseModel):
    initials_fa: str
    initials_en: str
    national_code: str = Field(description="Masked: all but the last three digits are •.")


class DocumentSummaryPublic(BaseModel):
    """What anyone with a document's link may see."""

    document_id: str | None
    title_fa: str | None
    title_en: str | None
    agency: AgencyNamePublic
    issued_at: str | None
    key_id: str | None
    holder: HolderPublic


class VerificationPublic(BaseModel):
    valid: bool
    reason: str
    document: dict[str, Any] | None = Field(
        description="The whole signed content: only for who may see the case, or with the document's "
                    "verification code; otherwise null.")
    summary: DocumentSummaryPublic | None = Field(
        None, description="Type, issuer, date, signing key and a masked holder, for anyone.")
    disclosed: bool = Field(description="Whether `document` holds the whole content.")
    key_id: str | None
    checked: list[str]


class VerificationCodeIn(BaseModel):
    code: str = Field(max_length=40, description="The verification code printed beside the document's QR code.")


class ServiceStatsPublic(BaseModel):
    service_id: str
    total: int
    closed: int
    automatic: int
    automatic_share: float | None
    breached: int
    mean_rating: float | None


class KeyPublic(BaseModel):
    key_id: str
    agency: str
    public_key: str = Field(description="Raw Ed25519 public key, base64.")
    active: bool
    created_at: dt.datetime
    retired_at: dt.datetime | None
