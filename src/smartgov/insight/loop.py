"""Closing the loop: a project's themes become the draft of a consultation's "what we heard".

Only what people decided goes in: the basic themes an analyst made (or approved from a suggestion)
and the segments coded with their codes. Each theme is counted in comments, and up to
``QUOTES_PER_THEME`` of its coded segments are quoted, each linked to the comment it is from. The
draft goes to participation through ``participation.draft_what_we_heard``; the agency's official
edits it there and publishes it with the response. Insight never reads participation's tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import identity, participation
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_, gettext
from smartgov.identity import Principal

from . import service
from .models import Project, Source

QUOTES_PER_THEME = 3
QUOTE_MIN, QUOTE_MAX = 12, 400  # characters: shorter says nothing alone, longer is not a quote
COMMENT_REF = "participation.comment:"


@dataclass(frozen=True)
class ThemeCount:
    """A basic theme, the comments of one consultation coded under it, and the quotes chosen."""

    theme_id: int
    name: str
    comments: int
    quotes: list[participation.QuoteDraft]


def consultations(db: Session, project: Project) -> list[participation.ConsultationRef]:
    """The consultations whose comments the project pulled (those still there)."""
    subjects = db.scalars(select(Source.description).where(Source.project_id == project.id, Source.kind == "comment",
                                                           Source.description.like("consultation:%")).distinct())
    out = []
    for subject in sorted(set(subjects)):
        try:
            out.append(participation.consultation_ref(db, int(subject.split(":", 1)[1])))
        except (NotFound, ValueError):
            continue
    return out


def may_draft_for(db: Session, project: Project, consultation: participation.ConsultationRef) -> bool:
    """A project drafts only for a consultation of its own agency or one below it."""
    return consultation.organization_id in identity.agency_subtree(db, project.organization_id)


def theme_counts(db: Session, project: Project, consultation_id: int) -> list[ThemeCount]:
    """Every basic theme with comments of this consultation coded under it, most comments first."""
    comment_sources = {s.id: s for s in db.scalars(select(Source).where(
        Source.project_id == project.id, Source.kind == "comment",
        Source.description == f"consultation:{consultation_id}", Source.external_ref.like(COMMENT_REF + "%")))}
    basic = {t.id: t for t in service.themes(db, project) if t.level == "basic"}
    names = {tid: t.name for tid, t in basic.items()}
    segs = [s for s in service.segments(db, project) if s.source_id in comment_sources]
    by_code: dict[int, list[service.Segment]] = defaultdict(list)
    for seg in segs:
        by_code[seg.code_id].append(seg)
    out = []
    for theme_id, code_ids in service.theme_codes(db, project).items():
        if theme_id not in names:
            continue
        found = sorted((s for c in code_ids for s in by_code.get(c, [])), key=lambda s: (s.source_id, s.start))
        if not found:
            continue
        quotes: list[participation.QuoteDraft] = []
        quoted: set[int] = set()
        for seg in found:
            source = comment_sources[seg.source_id]
            words = source.text[seg.start:seg.end].strip()
            if seg.source_id in quoted or not QUOTE_MIN <= len(words) <= QUOTE_MAX:
                continue
            quoted.add(seg.source_id)
            quotes.append(participation.QuoteDraft(
                comment_id=int(str(source.external_ref).removeprefix(COMMENT_REF)), theme=names[theme_id],
                text=words, origin=f"insight.theme:{basic[theme_id].guid}"))
            if len(quotes) == QUOTES_PER_THEME:
                break
        out.append(ThemeCount(theme_id, names[theme_id], len({s.source_id for s in found}), quotes))
    return sorted(out, key=lambda t: (-t.comments, t.name))


def summary_text(counts: list[ThemeCount], total: int, lang: str) -> str:
    """The opening text of the draft in one language; the official rewrites it as they see fit."""
    lines = [gettext("We read the {count} comments on this draft and grouped what they say into themes.", lang,
                     count=total), gettext("What we heard most:", lang)]
    lines += ["• " + gettext("{theme}: {count} comments", lang, theme=t.name, count=t.comments) for t in counts]
    return "\n".join(lines)


def draft_what_we_heard(db: Session, project: Project, principal: Principal,
                        consultation_id: int) -> participation.ConsultationRef:
    """Send the draft of ``consultation_id``'s "what we heard" to participation; returns the consultation."""
    ref = participation.consultation_ref(db, consultation_id)
    if ref.id not in {c.id for c in consultations(db, project)} or not may_draft_for(db, project, ref):
        raise NotFound("consultation", field="consultation")
    counts = theme_counts(db, project, ref.id)
    if not counts:
        raise DomainError("no_themes", N_("No basic theme groups codes of this consultation's comments yet."),
                          field="consultation", status=422)
    total = len(set(db.scalars(select(Source.id).where(Source.project_id == project.id, Source.kind == "comment",
                                                       Source.description == f"consultation:{ref.id}"))))
    quotes = [q for t in counts for q in t.quotes]
    participation.draft_what_we_heard(db, ref.id, summary_fa=summary_text(counts, total, "fa"),
                                      summary_en=summary_text(counts, total, "en"), quotes=quotes,
                                      origin=f"insight.project:{project.guid}", actor_id=principal.id)
    return ref
