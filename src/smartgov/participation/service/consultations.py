"""Consultations on drafts: phases, sections, the agency's response and the final version."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.db import get_or_not_found, scalar_or_not_found
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import OrganizationRef
from smartgov.participation import diffing
from smartgov.participation.events import (
    CONSULTATION_CREATED,
    CONSULTATION_UPDATED,
    FINAL_VERSION_PUBLISHED,
    PHASE_CHANGED,
    RESPONSE_PUBLISHED,
)
from smartgov.participation.models import PHASES, Change, Comment, Consultation, DraftKind, Phase, Section

from . import heard
from .common import now


def current_phase(consultation: Consultation) -> Phase:
    return consultation.phase_at(now())


def _phase_starts(phases: dict[str, dt.datetime]) -> list[dt.datetime]:
    """The start of every phase in ``PHASES`` order, each after the one before (a new or corrected draft)."""
    starts = []
    for phase in PHASES:
        if phase.value not in phases:
            raise DomainError("missing_phase", N_("Give the start of every phase."), field=f"phases.{phase.value}")
        starts.append(phases[phase.value])
    if any(b <= a for a, b in itertools.pairwise(starts)):
        raise DomainError("phase_order", N_("Each phase must start after the one before it."), field="phases")
    return starts


def create_consultation(
    db: Session,
    *,
    organization: OrganizationRef,
    slug: str,
    kind: DraftKind | str,
    title_fa: str,
    title_en: str,
    summary_fa: str = "",
    summary_en: str = "",
    phases: dict[str, dt.datetime],
    sections: Sequence[dict[str, str]],
    actor_id: int | None = None,
) -> Consultation:
    """Publish a draft in numbered sections (1, 2, …) with the start of each phase."""
    slug = slug.strip().lower()
    if not slug or not all(c.isascii() and (c.isalnum() or c == "-") for c in slug):
        raise DomainError("invalid_slug", N_("Use Latin letters, digits and dashes."), field="slug")
    if db.scalar(select(Consultation.id).where(Consultation.slug == slug)):
        raise Conflict("duplicate_slug", N_("This short name is taken."), field="slug")
    starts = _phase_starts(phases)
    if not sections:
        raise DomainError("no_sections", N_("A draft needs at least one section."), field="sections")
    consultation = Consultation(
        slug=slug, organization_id=organization.id, kind=DraftKind(kind), title_fa=title_fa.strip(),
        title_en=title_en.strip(), summary_fa=summary_fa, summary_en=summary_en, created_by=actor_id,
        created_at=now(), **{f"{p.value}_starts_at": s for p, s in zip(PHASES, starts, strict=True)},
    )
    for number, sec in enumerate(sections, start=1):
        consultation.sections.append(Section(
            number=number, heading_fa=sec["heading_fa"], heading_en=sec["heading_en"], body_fa=sec["body_fa"],
            body_en=sec["body_en"],
        ))
    db.add(consultation)
    db.flush()
    events.publish(db, CONSULTATION_CREATED, actor_id=actor_id, consultation_id=consultation.id,
                   organization=organization.code, slug=slug)
    return consultation


def update_consultation(
    db: Session,
    consultation: Consultation,
    *,
    kind: DraftKind | str,
    title_fa: str,
    title_en: str,
    summary_fa: str,
    summary_en: str,
    phases: dict[str, dt.datetime],
    sections: Sequence[dict[str, str]],
    actor_id: int | None,
) -> Consultation:
    """Correct a draft, its phases and its sections while nobody can have commented yet.

    Once the consultation phase has started, comments point at sections and people have read the
    text: from then on only ``advance_phase``, the response and the final version change it (409).
    """
    if current_phase(consultation) not in (Phase.UPCOMING, Phase.INFORMATION):
        raise Conflict("already_open", N_("The draft can be edited only until the consultation phase starts."))
    starts = _phase_starts(phases)
    if starts[1] <= now():
        raise DomainError("phase_past", N_("The consultation phase must start in the future; to open it now, "
                                           "start the next phase."), field="phases.consultation")
    if not sections:
        raise DomainError("no_sections", N_("A draft needs at least one section."), field="sections")
    consultation.kind = DraftKind(kind)
    consultation.title_fa, consultation.title_en = title_fa.strip(), title_en.strip()
    consultation.summary_fa, consultation.summary_en = summary_fa, summary_en
    for phase, start in zip(PHASES, starts, strict=True):
        setattr(consultation, f"{phase.value}_starts_at", start)
    existing = {s.number: s for s in consultation.sections}
    for number, sec in enumerate(sections, start=1):
        row = existing.pop(number, None)
        if row is None:
            row = Section(number=number)
            consultation.sections.append(row)
        row.heading_fa, row.heading_en = sec["heading_fa"], sec["heading_en"]
        row.body_fa, row.body_en = sec["body_fa"], sec["body_en"]
    for row in existing.values():
        consultation.sections.remove(row)
    db.flush()
    events.publish(db, CONSULTATION_UPDATED, actor_id=actor_id, consultation_id=consultation.id,
                   sections=len(sections))
    return consultation


def consultation_by_slug(db: Session, slug: str) -> Consultation:
    return scalar_or_not_found(db, select(Consultation).where(Consultation.slug == slug), "consultation")


def consultation_by_id(db: Session, consultation_id: int) -> Consultation:
    return get_or_not_found(db, Consultation, consultation_id, "consultation")


def list_consultations(db: Session) -> Select[Any]:
    return select(Consultation).order_by(Consultation.consultation_starts_at.desc(), Consultation.id.desc())


def advance_phase(db: Session, consultation: Consultation, *, actor_id: int | None) -> Phase:
    """Start the next phase now (the agency may move faster than planned, never back)."""
    phase = current_phase(consultation)
    order = [Phase.UPCOMING, *PHASES]
    if phase == Phase.ACCOUNTABILITY:
        raise Conflict("last_phase", N_("The consultation is already in its last phase."))
    nxt = order[order.index(phase) + 1]
    setattr(consultation, f"{nxt.value}_starts_at", now())
    events.publish(db, PHASE_CHANGED, actor_id=actor_id, consultation_id=consultation.id,
                   phase=nxt.value)
    return nxt


def section_by_number(consultation: Consultation, number: int) -> Section:
    for sec in consultation.sections:
        if sec.number == number:
            return sec
    raise NotFound("section", field="section")


def publish_response(
    db: Session,
    consultation: Consultation,
    *,
    response_fa: str,
    response_en: str,
    changes: Sequence[dict[str, Any]] = (),
    quote_ids: Sequence[int] | None = None,
    actor_id: int | None,
) -> Consultation:
    """The agency's summary of what it heard and "what we changed and why", linked to comments; the
    drafted quotes in ``quote_ids`` (all of them when ``None``) are published with it."""
    phase = current_phase(consultation)
    if phase in (Phase.UPCOMING, Phase.INFORMATION, Phase.CONSULTATION):
        raise Conflict("too_early", N_("The response can be published once the analysis phase has started."))
    if not response_fa.strip() or not response_en.strip():
        raise DomainError("required", N_("This field is required."), field="response_fa" if not response_fa.strip()
                          else "response_en")
    own = set(db.scalars(select(Comment.id).where(Comment.subject_kind == "consultation",
                                                  Comment.subject_id == consultation.id)))
    for i, change in enumerate(changes):
        ids = [int(c) for c in change.get("comment_ids", [])]
        if any(c not in own for c in ids):
            raise DomainError("unknown_comment", N_("Link only comments made on this consultation."),
                              field=f"changes.{i}.comment_ids")
        number = change.get("section")
        section_id = section_by_number(consultation, int(number)).id if number else None
        consultation.changes.append(Change(
            section_id=section_id, text_fa=change["text_fa"], text_en=change["text_en"], comment_ids=ids,
            created_at=now()))
    quotes = heard.publish_drafted_quotes(db, consultation, quote_ids)
    consultation.response_fa = response_fa.strip()
    consultation.response_en = response_en.strip()
    consultation.response_published_at = now()
    db.flush()
    events.publish(db, RESPONSE_PUBLISHED, actor_id=actor_id, consultation_id=consultation.id,
                   changes=len(changes), quotes=quotes)
    return consultation


def publish_final_version(db: Session, consultation: Consultation, sections: Sequence[dict[str, Any]], *,
                          actor_id: int | None) -> Consultation:
    """Publish the final text per section number; unmentioned sections stay as drafted,
    an empty text removes a section, a new number adds one."""
    if current_phase(consultation) not in (Phase.DECISION, Phase.ACCOUNTABILITY):
        raise Conflict("too_early", N_("The final version can be published once the decision phase has started."))
    given = {int(s["number"]): s for s in sections}
    for sec in consultation.sections:
        s = given.pop(sec.number, None)
        sec.final_body_fa = s["body_fa"] if s else sec.body_fa
        sec.final_body_en = s["body_en"] if s else sec.body_en
    for number, s in sorted(given.items()):
        consultation.sections.append(Section(
            number=number, heading_fa=s.get("heading_fa", ""), heading_en=s.get("heading_en", ""), body_fa="",
            body_en="", final_body_fa=s["body_fa"], final_body_en=s["body_en"]))
    consultation.final_published_at = now()
    db.flush()
    events.publish(db, FINAL_VERSION_PUBLISHED, actor_id=actor_id, consultation_id=consultation.id)
    return consultation


@dataclass(frozen=True)
class SectionDiff:
    section: Section
    status: str  # unchanged | changed | added | removed
    segments: list[diffing.Segment]


def section_diffs(consultation: Consultation, lang: str) -> list[SectionDiff]:
    """Draft against final, section by section, as word-level segments."""
    out = []
    for sec in consultation.sections:
        before, after = sec.body(lang), sec.final_body(lang) or ""
        if sec.final_body(lang) is None:
            continue
        status = ("unchanged" if before == after else "added" if not before else "removed" if not after
                  else "changed")
        out.append(SectionDiff(sec, status, diffing.diff_words(before, after)))
    return out
