"""Request and response shapes of the participation API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartgov.web.fields import Id, Int4, Rial

SubjectKind = Literal["consultation", "proposal", "accountability", "petition"]
ContentKind = Literal["comment", "proposal", "petition"]


class SectionIn(BaseModel):
    heading_fa: str = Field(min_length=1, max_length=300)
    heading_en: str = Field(min_length=1, max_length=300)
    body_fa: str = Field(min_length=1, max_length=20000)
    body_en: str = Field(min_length=1, max_length=20000)


class PhaseDates(BaseModel):
    information: dt.datetime
    consultation: dt.datetime
    analysis: dt.datetime
    decision: dt.datetime
    accountability: dt.datetime


class ConsultationCreate(BaseModel):
    """A draft in numbered sections, owned by an agency, with the start of each phase."""

    organization: str = Field(description="Code of the owning agency.")
    slug: str = Field(min_length=2, max_length=80, description="Short name used in addresses and SMS.")
    kind: Literal["policy", "regulation", "standard"]
    title_fa: str = Field(min_length=3, max_length=300)
    title_en: str = Field(min_length=3, max_length=300)
    summary_fa: str = Field("", max_length=5000)
    summary_en: str = Field("", max_length=5000)
    phases: PhaseDates
    sections: list[SectionIn] = Field(min_length=1, max_length=200)


class SectionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    heading_fa: str
    heading_en: str
    body_fa: str
    body_en: str
    final_body_fa: str | None
    final_body_en: str | None


class ChangePublic(BaseModel):
    section: int | None
    text_fa: str
    text_en: str
    comment_ids: list[int]


class ConsultationSummary(BaseModel):
    id: int
    slug: str
    organization: str
    kind: str
    title_fa: str
    title_en: str
    phase: str


class ConsultationPublic(ConsultationSummary):
    summary_fa: str
    summary_en: str
    phases: PhaseDates
    sections: list[SectionPublic]
    response_fa: str | None
    response_en: str | None
    response_published_at: dt.datetime | None
    changes: list[ChangePublic]
    final_published_at: dt.datetime | None


class ChangeIn(BaseModel):
    section: Int4 | None = Field(None, description="Section number the change is about, if any.")
    text_fa: str = Field(min_length=3, max_length=5000)
    text_en: str = Field(min_length=3, max_length=5000)
    comment_ids: list[Id] = Field(default_factory=list, description="Comments that led to this change.")


class ResponseCreate(BaseModel):
    """What the agency heard, and what it changed and why."""

    response_fa: str = Field(min_length=3, max_length=20000)
    response_en: str = Field(min_length=3, max_length=20000)
    changes: list[ChangeIn] = Field(default_factory=list, max_length=200)


class FinalSectionIn(BaseModel):
    number: Int4 = Field(ge=1)
    heading_fa: str = ""
    heading_en: str = ""
    body_fa: str = Field(max_length=20000, description="Empty removes the section.")
    body_en: str = Field(max_length=20000)


class FinalVersionCreate(BaseModel):
    sections: list[FinalSectionIn] = Field(description="Changed, removed or added sections; others stay as drafted.")


class SegmentPublic(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str


class SectionDiffPublic(BaseModel):
    number: int
    status: Literal["unchanged", "changed", "added", "removed"]
    segments: list[SegmentPublic]


class CommentCreate(BaseModel):
    subject_kind: SubjectKind
    subject_id: Id
    body: str = Field(max_length=5000)
    section: Int4 | None = Field(None, description="Section number (consultations only).")
    parent_id: Id | None = Field(None, description="The comment this one replies to.")


class CommentUpdate(BaseModel):
    body: str = Field(max_length=5000)


class CommentPublic(BaseModel):
    id: int
    subject_kind: str
    subject_id: int
    section: int | None
    parent_id: int | None
    body: str
    language: str
    status: str
    agree: int
    disagree: int
    mine: bool
    created_at: dt.datetime
    edited_at: dt.datetime | None


class RatingIn(BaseModel):
    value: Literal[-1, 0, 1] = Field(description="1 agree, -1 disagree, 0 take back.")


class ProposalCreate(BaseModel):
    organization: str
    title: str = Field(max_length=200)
    body: str = Field(max_length=5000)


class InitiativePublic(BaseModel):
    """What a proposal and a petition show alike: who it is addressed to, its text and its threshold."""

    id: int
    organization: str
    title: str
    body: str
    language: str
    status: str
    threshold: int


class ProposalPublic(InitiativePublic):
    supports: int
    threshold_reached_at: dt.datetime | None
    answer_due_at: dt.datetime | None
    answer_overdue: bool
    answer_status: str | None
    answer_text: str | None
    answer_cost: int | None
    created_at: dt.datetime


class AnswerCreate(BaseModel):
    status: Literal["accepted", "rejected", "evaluating"]
    text: str = Field(max_length=10000, description="The reason.")
    cost: Rial | None = Field(None, ge=0, description="Estimated cost in rial (required when accepted).")


class PollCreate(BaseModel):
    organization: str
    slug: str = Field(min_length=2, max_length=80)
    question_fa: str = Field(min_length=3, max_length=500)
    question_en: str = Field(min_length=3, max_length=500)
    options: list[tuple[str, str]] = Field(min_length=2, max_length=20, description="[Persian, English] labels.")
    opens_at: dt.datetime
    closes_at: dt.datetime
    consultation_id: Id | None = None


class OptionPublic(BaseModel):
    position: int
    label_fa: str
    label_en: str


class PollPublic(BaseModel):
    id: int
    slug: str
    question_fa: str
    question_en: str
    options: list[OptionPublic]
    opens_at: dt.datetime
    closes_at: dt.datetime
    results_published: bool
    you_voted: bool


class PollVote(BaseModel):
    option: Int4 = Field(ge=1, description="Option number, from 1.")


class VoteReceipt(BaseModel):
    """Keep the receipt: your ballot's tracker. Find it on the box's public ballot board; it shows
    that your ballot is counted, never what it says."""

    receipt: str = Field(description="The ballot's tracker (64 hex digits), as listed on the ballot board.")
    board: str = Field(description="Path of the box's ballot board page.")


class ReceiptCheckPublic(BaseModel):
    counted: bool
    tracker: str = Field(description="The tracker looked for, normalized.")
    board: str = Field(description="Path of the box's ballot board page.")


class BoardBox(BaseModel):
    kind: Literal["poll", "budget"]
    id: int
    slug: str
    opens_at: str
    closes_at: str
    question_fa: str | None = None
    question_en: str | None = None
    title_fa: str | None = None
    title_en: str | None = None
    style: str | None = None
    max_choices: int | None = None
    total: int | None = None
    options: list[dict[str, Any]] = Field(description="Options (poll) or projects (budget) in position order.")


class BoardTrustee(BaseModel):
    index: int
    public_share: str


class BoardKey(BaseModel):
    id: int
    threshold: int = Field(description="How many trustees must decrypt.")
    public_key: str
    commitments: list[list[str]] = Field(description="Per trustee, the Feldman commitments to its polynomial.")
    trustees: list[BoardTrustee]


class BoardBallot(BaseModel):
    tracker: str
    ciphertexts: list[list[str]] = Field(description="Per option, [A, B] = [rG, mG + rY] with m 0 or 1.")
    proofs: list[list[list[str]]] = Field(description="Per option, [c, s] pairs proving m is 0 or 1.")
    count_proof: list[list[str]] = Field(description="[c, s] pairs proving the number of choices is allowed.")


class BoardDecryption(BaseModel):
    trustee: int
    shares: list[str]
    proofs: list[list[str]]


class BoardLegacy(BaseModel):
    ballots: int
    counts: list[int]


class BoardTally(BaseModel):
    legacy: BoardLegacy | None = Field(description="Ballots counted in plaintext before ballots were encrypted.")
    aggregate: list[list[str]] | None
    decryptions: list[BoardDecryption]
    counts: list[int] | None
    result: list[int] | None
    published_at: str | None


class BallotBoard(BaseModel):
    """A box's public ballot board: check it with ``verify_ballots.py`` (see the participation README)."""

    format: str
    box: BoardBox
    election_key: BoardKey | None
    voters: int = Field(description="How many people voted (the voter markers); the ballots must match.")
    ballots: list[BoardBallot]
    tally: BoardTally


class OptionResult(BaseModel):
    position: int
    votes: int


class PollResults(BaseModel):
    total: int
    options: list[OptionResult]


class BudgetCreate(BaseModel):
    organization: str
    slug: str = Field(min_length=2, max_length=80)
    title_fa: str = Field(min_length=3, max_length=300)
    title_en: str = Field(min_length=3, max_length=300)
    total: Rial = Field(gt=0, description="Rial.")
    style: Literal["approval", "knapsack"]
    max_choices: Int4 | None = Field(None, ge=1)
    projects: list[tuple[str, str, Rial]] = Field(min_length=1, max_length=200,
                                                 description="[Persian title, English title, cost in rial].")
    opens_at: dt.datetime
    closes_at: dt.datetime


class ProjectPublic(BaseModel):
    id: int
    position: int
    title_fa: str
    title_en: str
    cost: int


class BudgetPublic(BaseModel):
    id: int
    slug: str
    title_fa: str
    title_en: str
    total: int
    style: str
    max_choices: int | None
    projects: list[ProjectPublic]
    opens_at: dt.datetime
    closes_at: dt.datetime
    results_published: bool
    you_voted: bool


class BudgetVote(BaseModel):
    projects: list[Id] = Field(description="Ids of the chosen projects.")


class BudgetLine(BaseModel):
    project_id: int
    rank: int
    votes: int
    cost: int
    funded: bool
    remaining_before: int
    reason: Literal["funded", "does_not_fit", "no_votes"]


class PetitionCreate(BaseModel):
    organization: str
    title: str = Field(max_length=200)
    body: str = Field(max_length=5000)
    threshold: int = Field(ge=1, le=10_000_000)
    response_days: int = Field(30, ge=1, le=365)


class PetitionPublic(InitiativePublic):
    signatures: int
    state: Literal["collecting", "awaiting_response", "overdue", "responded", "responded_late"]
    threshold_reached_at: dt.datetime | None
    response_due_at: dt.datetime | None
    response_text: str | None
    responded_at: dt.datetime | None
    created_at: dt.datetime


class TextIn(BaseModel):
    text: str = Field(max_length=10000)


class SurveyAnswers(BaseModel):
    answers: dict[str, Int4 | list[Int4] | str]
    subject_ref: str | None = Field(None, max_length=100)


class MilestonePublic(BaseModel):
    id: int
    title_fa: str
    title_en: str
    due_on: dt.date
    completed_on: dt.date | None
    missed: bool


class ItemCreate(BaseModel):
    organization: str
    kind: Literal["decision", "project"]
    title_fa: str = Field(min_length=3, max_length=300)
    title_en: str = Field(min_length=3, max_length=300)
    description_fa: str = ""
    description_en: str = ""
    deadline: dt.date
    consultation_id: Id | None = None
    proposal_id: Id | None = None
    milestones: list[tuple[str, str, dt.date]] = Field(default_factory=list)


class ItemUpdate(BaseModel):
    status: Literal["planned", "in_progress", "completed", "cancelled"] | None = None
    progress: int | None = Field(None, ge=0, le=100)
    completed_milestones: list[Int4] = Field(default_factory=list)


class ItemPublic(BaseModel):
    id: int
    organization: str
    kind: str
    title_fa: str
    title_en: str
    status: str
    progress: int
    deadline: dt.date
    overdue: bool
    consultation_id: int | None
    proposal_id: int | None
    milestones: list[MilestonePublic]


class FollowIn(BaseModel):
    subject_kind: SubjectKind
    subject_id: Id


class NotificationPublic(BaseModel):
    id: int
    message: str
    link: str
    created_at: dt.datetime
    read: bool


class ReportCreate(BaseModel):
    kind: ContentKind
    id: Id
    reason: Literal["spam", "offensive", "personal_data", "other"]
    details: str = Field("", max_length=1000)


class ModerationCreate(BaseModel):
    kind: ContentKind
    id: Id
    action: Literal["hide", "unhide", "approve", "dismiss"]
    reason: str = Field(max_length=1000)


class BlockCreate(BaseModel):
    account_id: Id
    reason: str = Field(max_length=1000)


class QueueItemPublic(BaseModel):
    kind: str
    id: int
    status: str
    text: str
    reports: int
    reasons: list[str]


class ModerationActionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    moderator_id: int | None
    action: str
    subject_kind: str
    subject_id: int
    reason: str
    created_at: dt.datetime


class SmsInbound(BaseModel):
    """What the SMS gateway posts for each message it receives."""

    message_id: str = Field(min_length=1, max_length=100, description="The gateway's id (for deduplication).")
    sender: str = Field(min_length=5, max_length=20, alias="from")
    text: str = Field(max_length=1000)

    model_config = ConfigDict(populate_by_name=True)


class SmsReply(BaseModel):
    reply: str | None = Field(description="The reply queued to the sender; null for a repeated message.")


class DocumentPublic(BaseModel):
    id: str
    text: str
    language: str
    section: str | None
    created: dt.date
    source: str


class Statistics(BaseModel):
    """Distinct participants; a cell under ``k`` is null (hidden), and so are cells that would reveal it."""

    k: int
    participants: int | None
    phase: dict[str, int | None]
    province: dict[str, int | None]
    age_band: dict[str, int | None]
    gender: dict[str, int | None]
