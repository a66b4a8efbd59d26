"""Tables of the insight module: a project's coders, sources, case variables, code system, coded
selections, memos and themes.

Every row that REFI-QDA knows carries the GUID it was exported or imported with, so a project
that goes to MAXQDA/ATLAS.ti/NVivo/QualCoder and comes back is the same project.
Offsets are in Unicode code points of the source's text, as REFI-QDA counts them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base

GUID = String(38)  # canonical lower-case with hyphens (36); braces are dropped on import

#: Theme levels of Attride-Stirling's thematic network, from the codes upwards.
THEME_LEVELS = ("basic", "organizing", "global")


class Project(Base):
    """A qualitative analysis of one corpus, owned by an agency."""

    __tablename__ = "insight_project"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(GUID, unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    blind: Mapped[bool] = mapped_column(Boolean, default=False)  # coders see only their own coding
    origin: Mapped[str] = mapped_column(String(200), default="smartgov")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]


class Coder(Base):
    """A REFI-QDA user: a platform account, or a person named in an imported project."""

    __tablename__ = "insight_coder"
    __table_args__ = (UniqueConstraint("project_id", "guid"), UniqueConstraint("project_id", "account_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("insight_project.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(GUID)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))


class Source(Base):
    """One text: an uploaded transcript or document, or a comment pulled from participation."""

    __tablename__ = "insight_source"
    __table_args__ = (UniqueConstraint("project_id", "guid"), UniqueConstraint("project_id", "external_ref"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("insight_project.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(GUID)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # transcript | document | comment | imported
    external_ref: Mapped[str | None] = mapped_column(String(80))  # "participation.comment:12"
    text: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class Variable(Base):
    """A case variable (attribute) such as speaker role, province, date or group."""

    __tablename__ = "insight_variable"
    __table_args__ = (UniqueConstraint("project_id", "guid"), UniqueConstraint("project_id", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("insight_project.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(GUID)
    name: Mapped[str] = mapped_column(String(200))
    type_name: Mapped[str] = mapped_column(String(10), default="Text")  # REFI typeOfVariable


class SourceValue(Base):
    """The value one source has for one variable, as text (typed by its variable)."""

    __tablename__ = "insight_source_value"

    source_id: Mapped[int] = mapped_column(ForeignKey("insight_source.id", ondelete="CASCADE"), primary_key=True)
    variable_id: Mapped[int] = mapped_column(ForeignKey("insight_variable.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class Code(Base):
    """A code in the hierarchical code system, with what a coder needs to apply it consistently."""

    __tablename__ = "insight_code"
    __table_args__ = (UniqueConstraint("project_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("insight_project.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(GUID)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("insight_code.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str] = mapped_column(String(7), default="#0b5394")
    definition: Mapped[str] = mapped_column(Text, default="")
    inclusion: Mapped[str] = mapped_column(Text, default="")
    exclusion: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[str] = mapped_column(Text, default="")
    codable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class Selection(Base):
    """A span of a source (``start`` inclusive, ``end`` exclusive, in code points) one coder marked."""

    __tablename__ = "insight_selection"
    __table_args__ = (UniqueConstraint("project_id", "guid"),
                      Index("ix_insight_selection_source", "source_id", "start"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("insight_project.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(GUID)
    source_id: Mapped[int] = mapped_column(ForeignKey("insight_source.id", ondelete="CASCADE"))
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("insight_coder.id"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]


class Coding(Base):
    """One code applied to one selection."""

    __tablename__ = "insight_coding"
    __table_args__ = (UniqueConstraint("selection_id", "code_id"), Index("ix_insight_coding_code", "code_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(GUID)
    selection_id: Mapped[int] = mapped_column(ForeignKey("insight_selection.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("insight_code.id", ondelete="CASCADE"))
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("insight_coder.id"))
    created_at: Mapped[dt.datetime]


class Memo(Base):
    """A memo (REFI-QDA note) on the project, a code, a source or a selection."""

    __tablename__ = "insight_memo"
    __table_args__ = (UniqueConstraint("project_id", "guid"),
                      Index("ix_insight_memo_target", "target_kind", "target_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("insight_project.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(GUID)
    target_kind: Mapped[str] = mapped_column(String(12))  # project | code | source | selection
    target_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("insight_coder.id"))
    created_at: Mapped[dt.datetime]


class Theme(Base):
    """A basic, organizing or global theme; basic themes group codes, the others group themes."""

    __tablename__ = "insight_theme"
    __table_args__ = (UniqueConstraint("project_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("insight_project.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(GUID)
    level: Mapped[str] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("insight_theme.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    framework_ref: Mapped[str | None] = mapped_column(String(80))  # "csf:A1.2": the master-data node it is
    created_at: Mapped[dt.datetime]


class ThemeCode(Base):
    """A code grouped into a basic theme."""

    __tablename__ = "insight_theme_code"

    theme_id: Mapped[int] = mapped_column(ForeignKey("insight_theme.id", ondelete="CASCADE"), primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("insight_code.id", ondelete="CASCADE"), primary_key=True)


#: What assisted coding suggests: a candidate theme (a new code), a code for an uncoded segment, a
#: group of near-duplicate sources (a campaign), a language model's summary of a theme (optional).
SUGGESTION_KINDS = ("theme", "code", "duplicate", "summary")
SUGGESTION_STATUSES = ("pending", "approved", "rejected")


class Suggestion(Base):
    """One machine suggestion and the human decision on it, with its provenance: the run that made
    it, the method and its parameters, who asked, who decided, when, and what the approval made."""

    __tablename__ = "insight_suggestion"
    __table_args__ = (Index("ix_insight_suggestion_project", "project_id", "status", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("insight_project.id", ondelete="CASCADE"))
    run: Mapped[str] = mapped_column(GUID, index=True)  # one run of a method makes many suggestions
    kind: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(60))  # "tfidf-nmf", "tfidf-centroid-cosine", "minhash-lsh"
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # terms, segments, code, score, sources …
    score: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))
    decided_at: Mapped[dt.datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")  # the decider's reason, or the name they gave
    result: Mapped[str | None] = mapped_column(String(80))  # what approval made: "code:12", "selection:40"
