"""Tables of the assessment module: questionnaires, rounds, invitations, responses, roadmap.

Frameworks themselves are versioned files shipped in the package (``frameworks/*.yaml``);
the database only stores what an agency makes of them.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartgov.db import Base


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"  # items can still be edited, nobody can answer yet
    OPEN = "open"  # invitations work, answers are collected
    CLOSED = "closed"  # no more answers; full results (with CFA) are stored


class ResponseStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class SurveyInstrument(Base):
    """A questionnaire built from one framework by an agency: scale and items."""

    __tablename__ = "assessment_instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    framework_id: Mapped[str] = mapped_column(String(40))
    framework_options: Mapped[dict[str, Any]]
    scale_points: Mapped[int] = mapped_column(Integer)
    title_fa: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]

    items: Mapped[list[SurveyItem]] = relationship(
        back_populates="instrument", order_by="SurveyItem.position", cascade="all, delete-orphan", lazy="selectin"
    )


class SurveyItem(Base):
    """One Likert statement measuring one framework component; ``code`` is its CSV column."""

    __tablename__ = "assessment_item"
    __table_args__ = (UniqueConstraint("instrument_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("assessment_instrument.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    component: Mapped[str] = mapped_column(String(40))
    text_fa: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    reverse: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(Integer)

    instrument: Mapped[SurveyInstrument] = relationship(back_populates="items")

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_fa


class AssessmentRound(Base):
    """One run of an instrument in an agency, with its stage answers and stored results."""

    __tablename__ = "assessment_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("assessment_instrument.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    title_fa: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[RoundStatus] = mapped_column(Enum(RoundStatus, native_enum=False, length=12), index=True)
    tgov_answers: Mapped[dict[str, Any]]  # {"internal": bool, "external": bool, "context": bool}
    gartner_answers: Mapped[dict[str, Any]]  # {"presence": bool, ...}
    total_services: Mapped[int | None] = mapped_column(Integer)  # all services, online or not
    operating_cost_rial: Mapped[int | None] = mapped_column(BigInteger)  # cost of the period, for cost/service
    results: Mapped[dict[str, Any] | None]  # snapshot computed when the round closed
    results_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    instrument: Mapped[SurveyInstrument] = relationship(lazy="joined")

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_fa


class Invitation(Base):
    """A single-use link (only its SHA-256 is stored) or an invited account."""

    __tablename__ = "assessment_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_round.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class SurveyResponse(Base):
    """One respondent's answers (item code → 1..scale); in progress until submitted."""

    __tablename__ = "assessment_response"
    __table_args__ = (UniqueConstraint("round_id", "respondent_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_round.id", ondelete="CASCADE"), index=True)
    respondent_key: Mapped[str] = mapped_column(String(80))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_invitation.id", ondelete="SET NULL"), unique=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"), index=True)
    answers: Mapped[dict[str, Any]]
    status: Mapped[ResponseStatus] = mapped_column(Enum(ResponseStatus, native_enum=False, length=12))
    source: Mapped[str] = mapped_column(String(10))  # web | import
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]


class RoadmapAction(Base):
    """One step of the improvement roadmap for a weak component; owner and date are the agency's."""

    __tablename__ = "assessment_roadmap_action"
    __table_args__ = (UniqueConstraint("round_id", "action_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_round.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(String(40))
    action_key: Mapped[str] = mapped_column(String(80))
    phase: Mapped[int] = mapped_column(Integer)
    title_fa: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    capabilities: Mapped[list[Any]]
    score_percent: Mapped[float | None] = mapped_column(Float)
    owner: Mapped[str | None] = mapped_column(String(120))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="planned")  # planned | in_progress | done
    updated_at: Mapped[dt.datetime]

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_fa


class FrameworkAddition(Base):
    """An agency's own success factor or indicator added under a node of a shipped framework, with
    where it came from (e.g. a theme of a thematic analysis in ``insight``), so both sides show the link."""

    __tablename__ = "assessment_framework_addition"
    __table_args__ = (UniqueConstraint("organization_id", "framework_id", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    framework_id: Mapped[str] = mapped_column(String(40))
    parent_code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # success_factor | indicator
    label: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(80), index=True)  # "insight.theme:<guid>"
    origin_label: Mapped[str] = mapped_column(String(300), default="")
    origin_url: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]
