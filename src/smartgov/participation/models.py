"""Tables of the participation module.

Processes (consultations, proposals, polls, participatory budgets, petitions, surveys,
accountability items) and what people do in them (comments, supports, signatures, ballots).

Secret ballot: who voted lives in :class:`Voter`; what was chosen lives in :class:`Ballot`,
encrypted under an :class:`ElectionKey` whose secret is shared by trustees outside the database,
and is only ever decrypted in aggregate (:class:`Tally`, :class:`Decryption`). See the README.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Date, Enum, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartgov.db import Base


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Phase(enum.StrEnum):
    UPCOMING = "upcoming"
    INFORMATION = "information"
    CONSULTATION = "consultation"
    ANALYSIS = "analysis"
    DECISION = "decision"
    ACCOUNTABILITY = "accountability"


#: Phases in order, each with the consultation column holding its start.
PHASES: tuple[Phase, ...] = (Phase.INFORMATION, Phase.CONSULTATION, Phase.ANALYSIS, Phase.DECISION,
                             Phase.ACCOUNTABILITY)


class DraftKind(enum.StrEnum):
    POLICY = "policy"
    REGULATION = "regulation"
    STANDARD = "standard"


class ContentStatus(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"  # held by the spam heuristics until a moderator looks
    HIDDEN = "hidden"  # hidden by a moderator or by enough reports
    DELETED = "deleted"  # withdrawn by its author


class AnswerStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EVALUATING = "evaluating"


class BudgetStyle(enum.StrEnum):
    APPROVAL = "approval"  # approve up to ``max_choices`` projects, whatever they cost
    KNAPSACK = "knapsack"  # pick projects whose total cost fits the budget


class ItemStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# --------------------------------------------------------------------------- consultations


class Consultation(Base):
    """A draft (policy, regulation, standard) in numbered sections, open for comment in phases."""

    __tablename__ = "participation_consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    kind: Mapped[DraftKind] = mapped_column(_enum(DraftKind))
    title_fa: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    summary_fa: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    information_starts_at: Mapped[dt.datetime]
    consultation_starts_at: Mapped[dt.datetime]
    analysis_starts_at: Mapped[dt.datetime]
    decision_starts_at: Mapped[dt.datetime]
    accountability_starts_at: Mapped[dt.datetime]
    response_fa: Mapped[str | None] = mapped_column(Text)  # the agency's summary of what it heard
    response_en: Mapped[str | None] = mapped_column(Text)
    response_published_at: Mapped[dt.datetime | None]
    final_published_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]

    sections: Mapped[list[Section]] = relationship(
        back_populates="consultation", order_by="Section.number", cascade="all, delete-orphan", lazy="selectin"
    )
    changes: Mapped[list[Change]] = relationship(order_by="Change.id", cascade="all, delete-orphan", lazy="selectin")

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en

    def summary(self, lang: str) -> str:
        return self.summary_fa if lang == "fa" else self.summary_en

    def response(self, lang: str) -> str | None:
        return self.response_fa if lang == "fa" else self.response_en

    def phase_starts(self) -> dict[Phase, dt.datetime]:
        return {p: getattr(self, f"{p.value}_starts_at") for p in PHASES}

    def phase_at(self, when: dt.datetime) -> Phase:
        current = Phase.UPCOMING
        for phase, starts in self.phase_starts().items():
            if starts <= when:
                current = phase
        return current


class Section(Base):
    """One numbered section of a draft, with its final text once the decision is published."""

    __tablename__ = "participation_section"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("participation_consultation.id", ondelete="CASCADE"))
    number: Mapped[int]
    heading_fa: Mapped[str] = mapped_column(String(300))
    heading_en: Mapped[str] = mapped_column(String(300))
    body_fa: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    final_body_fa: Mapped[str | None] = mapped_column(Text)
    final_body_en: Mapped[str | None] = mapped_column(Text)

    consultation: Mapped[Consultation] = relationship(back_populates="sections")

    def heading(self, lang: str) -> str:
        return self.heading_fa if lang == "fa" else self.heading_en

    def body(self, lang: str) -> str:
        return self.body_fa if lang == "fa" else self.body_en

    def final_body(self, lang: str) -> str | None:
        return self.final_body_fa if lang == "fa" else self.final_body_en


class Change(Base):
    """"What we changed and why": one decision of the agency, linked to the comments behind it."""

    __tablename__ = "participation_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("participation_consultation.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int | None] = mapped_column(ForeignKey("participation_section.id", ondelete="SET NULL"))
    text_fa: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    comment_ids: Mapped[list[Any]]
    created_at: Mapped[dt.datetime]

    def text(self, lang: str) -> str:
        return self.text_fa if lang == "fa" else self.text_en


class Comment(Base):
    """A comment or reply on a consultation (whole or one section), proposal or accountability item."""

    __tablename__ = "participation_comment"
    __table_args__ = (Index("ix_participation_comment_subject", "subject_kind", "subject_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))  # consultation | proposal | accountability | petition
    subject_id: Mapped[int]
    section_id: Mapped[int | None] = mapped_column(ForeignKey("participation_section.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("participation_comment.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[ContentStatus] = mapped_column(_enum(ContentStatus), default=ContentStatus.VISIBLE)
    agree_count: Mapped[int] = mapped_column(default=0)
    disagree_count: Mapped[int] = mapped_column(default=0)
    via: Mapped[str] = mapped_column(String(5), default="web")  # web | api | sms
    created_at: Mapped[dt.datetime]
    edited_at: Mapped[dt.datetime | None]


class CommentRating(Base):
    """One agree (+1) or disagree (-1) per account and comment."""

    __tablename__ = "participation_comment_rating"
    __table_args__ = (UniqueConstraint("comment_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("participation_comment.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id"))
    value: Mapped[int]


# --------------------------------------------------------------------------- proposals


class Initiative:
    """What a proposal and a petition share: a citizen writes to an agency, verified people back it
    (once each), and ``threshold`` backers oblige the agency to answer by a deadline."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[ContentStatus] = mapped_column(_enum(ContentStatus), default=ContentStatus.VISIBLE)
    threshold: Mapped[int]
    threshold_reached_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class Proposal(Initiative, Base):
    """A citizen's proposal to an agency; enough supports oblige an official answer."""

    __tablename__ = "participation_proposal"

    support_count: Mapped[int] = mapped_column(default=0)
    answer_due_at: Mapped[dt.datetime | None]
    answer_status: Mapped[AnswerStatus | None] = mapped_column(_enum(AnswerStatus))
    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_cost: Mapped[int | None] = mapped_column(BigInteger)  # rial
    answered_at: Mapped[dt.datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))


class Support(Base):
    """A verified person's support of a proposal (once each)."""

    __tablename__ = "participation_support"
    __table_args__ = (UniqueConstraint("proposal_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("participation_proposal.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"))
    created_at: Mapped[dt.datetime]


# --------------------------------------------------------------------------- votes


class Poll(Base):
    """A question with options; results are published only once it closes."""

    __tablename__ = "participation_poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("participation_consultation.id"))
    question_fa: Mapped[str] = mapped_column(String(500))
    question_en: Mapped[str] = mapped_column(String(500))
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    # None only for a poll from before ballots were encrypted that nobody has voted in since
    election_key_id: Mapped[int | None] = mapped_column(ForeignKey("participation_election_key.id"))
    #: Who may vote, in the services engine's expression language over ``voter.*`` (``None``: every
    #: proven person), and the plain words a refused voter is shown; fixed once voting starts.
    eligibility: Mapped[str | None] = mapped_column(Text)
    eligibility_note_fa: Mapped[str | None] = mapped_column(String(300))
    eligibility_note_en: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]

    # joined: a vote encrypts under it, and this saves the vote a round trip
    election_key: Mapped[ElectionKey | None] = relationship(lazy="joined")
    options: Mapped[list[PollOption]] = relationship(
        order_by="PollOption.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def question(self, lang: str) -> str:
        return self.question_fa if lang == "fa" else self.question_en

    def eligibility_note(self, lang: str) -> str | None:
        return self.eligibility_note_fa if lang == "fa" else self.eligibility_note_en


class PollOption(Base):
    __tablename__ = "participation_poll_option"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("participation_poll.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, 3 … (what SMS voters type)
    label_fa: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))

    def label(self, lang: str) -> str:
        return self.label_fa if lang == "fa" else self.label_en


class ElectionKey(Base):
    """The public half of a key shared by trustees (joint Feldman, any ``threshold`` of them decrypt).

    The trustees' secret shares are never here: they are files each trustee keeps.
    """

    __tablename__ = "participation_election_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    threshold: Mapped[int]
    trustees: Mapped[int]
    public_key: Mapped[str] = mapped_column(String(64))  # hex point
    commitments: Mapped[list[Any]]  # per trustee, the commitments to its polynomial (hex points)
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]  # new polls and budgets take the newest key not retired


class Voter(Base):
    """Who has voted in a ballot box: the database refuses a second row for the same person."""

    __tablename__ = "participation_voter"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    box_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # poll | budget
    box_id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"), primary_key=True)


class Ballot(Base):
    """An encrypted ballot as the public board shows it: no voter, no time, no plaintext.

    ``content`` holds one ciphertext per option (in position order), a proof that each encrypts
    0 or 1 and a proof of the number of choices; the tracker is the hash of the ciphertexts.
    """

    __tablename__ = "participation_ballot"
    __table_args__ = (Index("ix_participation_ballot_box", "box_kind", "box_id"), {"sqlite_with_rowid": False})

    tracker: Mapped[str] = mapped_column(String(64), primary_key=True)
    box_kind: Mapped[str] = mapped_column(String(10))
    box_id: Mapped[int]
    content: Mapped[dict[str, Any]]


class Tally(Base):
    """A closed box's count: the product of its ciphertexts, then the counts the trustees decrypted.

    ``legacy_*`` are ballots counted in plaintext by the migration that introduced encryption.
    """

    __tablename__ = "participation_tally"

    box_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    box_id: Mapped[int] = mapped_column(primary_key=True)
    ballots: Mapped[int] = mapped_column(default=0)  # encrypted ballots in the aggregate
    aggregate: Mapped[list[Any] | None]  # per option, [A, B] hex
    counts: Mapped[list[Any] | None]  # per option, decrypted from the aggregate
    legacy_ballots: Mapped[int] = mapped_column(default=0)
    legacy_counts: Mapped[list[Any] | None]
    published_at: Mapped[dt.datetime | None]


class Decryption(Base):
    """One trustee's partial decryption of a box's aggregate, with a proof per option."""

    __tablename__ = "participation_decryption"

    box_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    box_id: Mapped[int] = mapped_column(primary_key=True)
    trustee: Mapped[int] = mapped_column(primary_key=True)
    shares: Mapped[list[Any]]
    proofs: Mapped[list[Any]]
    submitted_at: Mapped[dt.datetime]


class Budget(Base):
    """A participatory budget: projects with costs, voted by approval or knapsack."""

    __tablename__ = "participation_budget"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    title_fa: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    total: Mapped[int] = mapped_column(BigInteger)  # rial
    style: Mapped[BudgetStyle] = mapped_column(_enum(BudgetStyle))
    max_choices: Mapped[int | None]  # approval: how many projects one voter may approve
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    election_key_id: Mapped[int | None] = mapped_column(ForeignKey("participation_election_key.id"))
    created_at: Mapped[dt.datetime]

    election_key: Mapped[ElectionKey | None] = relationship(lazy="joined")
    projects: Mapped[list[BudgetProject]] = relationship(
        order_by="BudgetProject.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en


class BudgetProject(Base):
    __tablename__ = "participation_budget_project"
    __table_args__ = (UniqueConstraint("budget_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("participation_budget.id", ondelete="CASCADE"))
    position: Mapped[int]
    title_fa: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    cost: Mapped[int] = mapped_column(BigInteger)
    #: Where the project would be built: a place name (both languages or neither) and an optional point (WGS 84).
    place_fa: Mapped[str | None] = mapped_column(String(200))
    place_en: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en

    def place(self, lang: str) -> str | None:
        return self.place_fa if lang == "fa" else self.place_en


# --------------------------------------------------------------------------- petitions


class Petition(Initiative, Base):
    """Enough signatures oblige the agency to respond by a deadline; overdue is shown publicly."""

    __tablename__ = "participation_petition"

    response_days: Mapped[int]
    #: Set by the agency's staff: no signatures after this moment (``None``: open until answered).
    signatures_close_at: Mapped[dt.datetime | None]
    signature_count: Mapped[int] = mapped_column(default=0)
    response_due_at: Mapped[dt.datetime | None]
    response_text: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[dt.datetime | None]
    responded_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    overdue_flagged_at: Mapped[dt.datetime | None]


class Signature(Base):
    __tablename__ = "participation_signature"
    __table_args__ = (UniqueConstraint("petition_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("participation_petition.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("identity_person.id"))
    created_at: Mapped[dt.datetime]


# --------------------------------------------------------------------------- surveys


class Survey(Base):
    """A reusable questionnaire other modules define by ``key`` (e.g. ``services.feedback``)."""

    __tablename__ = "participation_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title_fa: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    anonymous: Mapped[bool] = mapped_column(default=True)
    questions: Mapped[list[Any]]  # [{"key", "kind", "text_fa", "text_en", "options": [...], "required"}]
    created_at: Mapped[dt.datetime]

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en


class SurveyResponse(Base):
    __tablename__ = "participation_survey_response"
    __table_args__ = (Index("ix_participation_survey_response_survey", "survey_id", "subject_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("participation_survey.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"))  # None when anonymous
    subject_ref: Mapped[str | None] = mapped_column(String(100))  # e.g. "services.application:42"
    answers: Mapped[dict[str, Any]]
    language: Mapped[str] = mapped_column(String(2))
    submitted_on: Mapped[dt.date] = mapped_column(Date)  # a day only, not a moment


# --------------------------------------------------------------------------- accountability


class AccountabilityItem(Base):
    """A decision or project the government committed to, with progress, milestones and deadline."""

    __tablename__ = "participation_accountability_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # decision | project
    title_fa: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_fa: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus), default=ItemStatus.PLANNED)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    deadline: Mapped[dt.date] = mapped_column(Date)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("participation_consultation.id"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("participation_proposal.id"))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    milestones: Mapped[list[Milestone]] = relationship(
        order_by="Milestone.due_on", cascade="all, delete-orphan", lazy="selectin"
    )

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en

    def description(self, lang: str) -> str:
        return self.description_fa if lang == "fa" else self.description_en


class Milestone(Base):
    __tablename__ = "participation_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("participation_accountability_item.id", ondelete="CASCADE"), index=True
    )
    title_fa: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[dt.date] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en


# --------------------------------------------------------------------------- follows & notifications


class Follow(Base):
    __tablename__ = "participation_follow"
    __table_args__ = (UniqueConstraint("account_id", "subject_kind", "subject_id"),
                      Index("ix_participation_follow_subject", "subject_kind", "subject_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    created_at: Mapped[dt.datetime]


class InAppNotification(Base):
    """A message shown on the follower's participation page (the in-app channel)."""

    __tablename__ = "participation_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(String(200))  # English msgid, translated when shown
    params: Mapped[dict[str, Any]]
    link: Mapped[str] = mapped_column(String(200))
    outbox_id: Mapped[int | None]
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None]


# --------------------------------------------------------------------------- integrity & moderation


class Report(Base):
    """A participant flags content; enough reports hide it until a moderator decides."""

    __tablename__ = "participation_report"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))  # comment | proposal | petition
    subject_id: Mapped[int]
    reporter_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id"))
    reason: Mapped[str] = mapped_column(String(20))  # spam | offensive | personal_data | other
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]


class Block(Base):
    """An account barred from posting in participation."""

    __tablename__ = "participation_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    blocked_by: Mapped[int] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]
    lifted_at: Mapped[dt.datetime | None]


class ModerationAction(Base):
    """Append-only audit of every moderator decision."""

    __tablename__ = "participation_moderation_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"), index=True)  # None: automatic
    action: Mapped[str] = mapped_column(String(20))  # hide | unhide | approve | dismiss | block | unblock
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class Throttle(Base):
    """One row per rate-limited action, keyed by account or by a hash of the IP (never the IP)."""

    __tablename__ = "participation_throttle"
    __table_args__ = (Index("ix_participation_throttle_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime]


class Activity(Base):
    """Who took part in which process, with the cells statistics group by (snapshotted at the time).

    Votes are not recorded here: they are counted from :class:`Voter`, which has no time.
    """

    __tablename__ = "participation_activity"
    __table_args__ = (Index("ix_participation_activity_process", "process_kind", "process_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("identity_person.id"))
    process_kind: Mapped[str] = mapped_column(String(20))
    process_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str | None] = mapped_column(String(20))
    province: Mapped[str | None] = mapped_column(String(40))
    age_band: Mapped[str | None] = mapped_column(String(10))
    gender: Mapped[str | None] = mapped_column(String(1))
    on: Mapped[dt.date] = mapped_column(Date)


class SmsMessage(Base):
    """An inbound SMS, for idempotency and audit. The number is stored hashed; a VOTE keeps no arguments."""

    __tablename__ = "participation_sms"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, so it orders nothing
    gateway_ref: Mapped[str] = mapped_column(String(64), unique=True)  # hash of the gateway's id (its order)
    sender_hash: Mapped[str] = mapped_column(String(64))
    command: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(30))
    received_on: Mapped[dt.date] = mapped_column(Date)


class HeardDraft(Base):
    """A drafted "what we heard" summary waiting for the official to edit and publish it (one per
    consultation; a new draft replaces the old). ``origin`` names what drafted it, e.g. an insight project."""

    __tablename__ = "participation_heard_draft"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("participation_consultation.id", ondelete="CASCADE"), primary_key=True
    )
    summary_fa: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(80))
    drafted_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    drafted_at: Mapped[dt.datetime]


class HeardQuote(Base):
    """A quote from one comment under the theme it illustrates; drafted first, then published (or
    dropped) with the agency's response. The quote is the comment's own (redacted) words."""

    __tablename__ = "participation_heard_quote"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("participation_consultation.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int] = mapped_column(ForeignKey("participation_comment.id", ondelete="CASCADE"))
    theme: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int]
    published: Mapped[bool] = mapped_column(default=False)
    origin: Mapped[str] = mapped_column(String(80))  # "insight.theme:<guid>": the theme it came from
