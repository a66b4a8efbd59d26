""""What we heard": a drafted summary of a consultation's comments with quotes linked to the comments
they come from, which the agency's official edits and publishes with the response.

Another module (``insight``, from the approved themes of an analysis) drafts through
:func:`draft_what_we_heard`; the official sees the draft on the response form, keeps or drops each
quote, edits the text and publishes (``publish_response`` publishes the kept quotes). A quote must be
the comment's own words (its redacted text, as ``export_documents`` gave them out), so a draft can
never put words in someone's mouth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.participation import integrity
from smartgov.participation.events import HEARD_DRAFTED
from smartgov.participation.models import Comment, Consultation, ContentStatus, HeardDraft, HeardQuote, Phase

from .common import now

MAX_QUOTES = 60
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ConsultationRef:
    """What another module may know of a consultation: enough to name it, link it and check its agency."""

    id: int
    slug: str
    title_fa: str
    title_en: str
    organization_id: int
    phase: str

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en


@dataclass(frozen=True)
class QuoteDraft:
    """One quote a drafter proposes: the comment, the theme it illustrates, the words, where it came from."""

    comment_id: int
    theme: str
    text: str
    origin: str = ""


@dataclass(frozen=True)
class HeardView:
    """A consultation's drafted summary (if any) and its quotes, drafted and published."""

    draft: HeardDraft | None
    drafted: list[HeardQuote]
    published: list[HeardQuote]


def _consultation(db: Session, consultation_id: int) -> Consultation:
    found = db.get(Consultation, consultation_id)
    if found is None:
        raise NotFound("consultation")
    return found


def consultation_ref(db: Session, consultation_id: int) -> ConsultationRef:
    """The consultation as other modules see it (404 if there is none)."""
    c = _consultation(db, consultation_id)
    return ConsultationRef(id=c.id, slug=c.slug, title_fa=c.title_fa, title_en=c.title_en,
                           organization_id=c.organization_id, phase=c.phase_at(now()).value)


def _flat(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def draft_what_we_heard(db: Session, consultation_id: int, *, summary_fa: str, summary_en: str,
                        quotes: Sequence[QuoteDraft], origin: str, actor_id: int | None) -> HeardView:
    """Replace the consultation's draft with this summary and these quotes. Each quote must be words of
    a visible comment on this consultation; the agency's official edits and publishes it later."""
    c = _consultation(db, consultation_id)
    if c.phase_at(now()) in (Phase.UPCOMING, Phase.INFORMATION):
        raise Conflict("too_early", N_("There is nothing to summarize before comments open."))
    if not summary_fa.strip() or not summary_en.strip():
        raise DomainError("required", N_("This field is required."),
                          field="summary_fa" if not summary_fa.strip() else "summary_en", status=422)
    if len(quotes) > MAX_QUOTES:
        raise DomainError("too_many_quotes", N_("A summary quotes at most {max} comments."), field="quotes",
                          status=422, max=MAX_QUOTES)
    bodies = {cid: body for cid, body in db.execute(
        select(Comment.id, Comment.body).where(Comment.subject_kind == "consultation", Comment.subject_id == c.id,
                                               Comment.status == ContentStatus.VISIBLE))}
    for i, q in enumerate(quotes):
        body = bodies.get(q.comment_id)
        if body is None:
            raise DomainError("unknown_comment", N_("Link only comments made on this consultation."),
                              field=f"quotes.{i}.comment_id", status=422)
        if not _flat(q.text) or _flat(q.text) not in _flat(integrity.redact(body)):
            raise DomainError("quote_not_in_comment", N_("A quote must be the comment's own words."),
                              field=f"quotes.{i}.text", status=422)
    db.execute(delete(HeardQuote).where(HeardQuote.consultation_id == c.id, HeardQuote.published.is_(False)))
    draft = db.get(HeardDraft, c.id)
    if draft is None:
        draft = HeardDraft(consultation_id=c.id)
        db.add(draft)
    draft.summary_fa, draft.summary_en = summary_fa.strip(), summary_en.strip()
    draft.origin, draft.drafted_by, draft.drafted_at = origin[:80], actor_id, now()
    for position, q in enumerate(quotes):
        db.add(HeardQuote(consultation_id=c.id, comment_id=q.comment_id, theme=q.theme.strip()[:300] or "—",
                          text=_flat(q.text), position=position, published=False, origin=(q.origin or origin)[:80]))
    db.flush()
    events.publish(db, HEARD_DRAFTED, actor_id=actor_id, consultation_id=c.id, quotes=len(quotes), origin=origin[:80])
    return heard_view(db, c.id)


def heard_view(db: Session, consultation_id: int, *, visible_only: bool = True) -> HeardView:
    """The draft and the quotes of a consultation; quotes of comments hidden since are left out."""
    stmt = select(HeardQuote).where(HeardQuote.consultation_id == consultation_id)
    if visible_only:
        stmt = stmt.join(Comment, Comment.id == HeardQuote.comment_id).where(Comment.status == ContentStatus.VISIBLE)
    quotes = list(db.scalars(stmt.order_by(HeardQuote.position, HeardQuote.id)))
    return HeardView(draft=db.get(HeardDraft, consultation_id), drafted=[q for q in quotes if not q.published],
                     published=[q for q in quotes if q.published])


def publish_drafted_quotes(db: Session, consultation: Consultation, keep: Sequence[int] | None) -> int:
    """With the response: publish the drafted quotes in ``keep`` (every one when ``None``), drop the
    others and the draft. Returns how many quotes were published."""
    drafted = list(db.scalars(select(HeardQuote).where(HeardQuote.consultation_id == consultation.id,
                                                       HeardQuote.published.is_(False))))
    wanted = None if keep is None else set(keep)
    if wanted is not None and wanted - {q.id for q in drafted}:
        raise DomainError("unknown_quote", N_("Choose quotes of this consultation's draft."), field="quotes",
                          status=422)
    base = len(heard_view(db, consultation.id, visible_only=False).published)
    kept = 0
    for q in sorted(drafted, key=lambda q: (q.position, q.id)):
        if wanted is None or q.id in wanted:
            q.published, q.position = True, base + kept
            kept += 1
        else:
            db.delete(q)
    draft = db.get(HeardDraft, consultation.id)
    if draft is not None:
        db.delete(draft)
    db.flush()
    return kept


def grouped(quotes: Sequence[HeardQuote]) -> list[tuple[str, list[HeardQuote]]]:
    """Quotes under their themes, themes in the order their first quote comes (pages show them so)."""
    out: dict[str, list[HeardQuote]] = {}
    for q in quotes:
        out.setdefault(q.theme, []).append(q)
    return list(out.items())
