"""Comments and replies on any subject (consultation sections, proposals, petitions, accountability)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import AccountRef
from smartgov.participation import integrity
from smartgov.participation.events import COMMENT_DELETED, COMMENT_EDITED, COMMENT_POSTED, COMMENT_RATED
from smartgov.participation.models import Comment, CommentRating, ContentStatus, Phase

from .common import SUBJECT_KINDS, checked_text, ensure_can_post, now, rate_limit, record_activity, subject_of
from .consultations import current_phase, section_by_number
from .following import follow


def post_comment(
    db: Session,
    *,
    account: AccountRef,
    subject_kind: str,
    subject_id: int,
    body: str,
    section_number: int | None = None,
    parent_id: int | None = None,
    ip: str | None = None,
    via: str = "web",
) -> Comment:
    """Comment on a consultation (whole or a section), a proposal, petition or accountability item."""
    ensure_can_post(db, account)
    if subject_kind not in SUBJECT_KINDS:
        raise NotFound(subject_kind)
    subject = subject_of(db, subject_kind, subject_id)
    section_id = None
    phase = None
    if subject_kind == "consultation":
        phase = current_phase(subject)
        if phase != Phase.CONSULTATION:
            raise Conflict("not_open", N_("Comments are accepted only during the consultation phase."))
        if section_number is not None:
            section_id = section_by_number(subject, section_number).id
    elif getattr(subject, "status", None) in (ContentStatus.HIDDEN, ContentStatus.DELETED):
        raise NotFound(subject_kind)
    parent = None
    if parent_id is not None:
        parent = db.get(Comment, parent_id)
        if parent is None or (parent.subject_kind, parent.subject_id) != (subject_kind, subject_id) \
                or parent.status != ContentStatus.VISIBLE:
            raise NotFound("comment", field="parent_id")
        section_id = parent.section_id
    text = checked_text(body, "body")
    print_ = integrity.fingerprint(text)
    mine = db.scalars(select(Comment.body).where(
        Comment.author_id == account.id, Comment.subject_kind == subject_kind, Comment.subject_id == subject_id,
        Comment.status != ContentStatus.DELETED))
    if any(integrity.fingerprint(b) == print_ for b in mine):
        raise Conflict("duplicate_comment", N_("You have already posted this text here."), field="body")
    rate_limit(db, account_id=account.id, ip=ip)
    verdict = integrity.spam_verdict(text)
    # The same text from several accounts within a day is a copy-paste campaign: hold it.
    recent = db.scalars(select(Comment.body).where(
        Comment.subject_kind == subject_kind, Comment.subject_id == subject_id,
        Comment.created_at > now() - dt.timedelta(days=1)).limit(500))
    copies = sum(1 for b in recent if integrity.fingerprint(b) == print_)
    status = ContentStatus.PENDING if verdict.hold or copies >= 2 else ContentStatus.VISIBLE
    comment = Comment(
        subject_kind=subject_kind, subject_id=subject_id, section_id=section_id, parent_id=parent_id,
        author_id=account.id, body=text, language=integrity.detect_language(text), status=status,
        agree_count=0, disagree_count=0, via=via, created_at=now(),
    )
    db.add(comment)
    db.flush()
    record_activity(db, account, subject_kind, subject_id, "comment", phase.value if phase else None)
    follow(db, account, subject_kind, subject_id)
    events.publish(db, COMMENT_POSTED, actor_id=account.id, comment_id=comment.id,
                   subject_kind=subject_kind, subject_id=subject_id, section_id=section_id, parent_id=parent_id,
                   status=status.value, held_for=list(verdict.reasons) + (["copies"] if copies >= 2 else []))
    return comment


def comment_by_id(db: Session, comment_id: int) -> Comment:
    found = db.get(Comment, comment_id)
    if found is None or found.status == ContentStatus.DELETED:
        raise NotFound("comment")
    return found


def edit_comment(db: Session, comment: Comment, body: str, *, actor_id: int) -> Comment:
    """The author rewrites their comment (who may is checked by ``permissions.can_edit_comment``)."""
    text = checked_text(body, "body")
    if comment.subject_kind == "consultation" and \
            current_phase(subject_of(db, "consultation", comment.subject_id)) != Phase.CONSULTATION:
        raise Conflict("not_open", N_("Comments are accepted only during the consultation phase."))
    comment.body = text
    comment.language = integrity.detect_language(text)
    comment.edited_at = now()
    if integrity.spam_verdict(text).hold and comment.status == ContentStatus.VISIBLE:
        comment.status = ContentStatus.PENDING
    events.publish(db, COMMENT_EDITED, actor_id=actor_id, comment_id=comment.id)
    return comment


def delete_comment(db: Session, comment: Comment, *, actor_id: int) -> None:
    """The author withdraws a comment; its text is erased, replies stay."""
    comment.status = ContentStatus.DELETED
    comment.body = ""
    comment.edited_at = now()
    events.publish(db, COMMENT_DELETED, actor_id=actor_id, comment_id=comment.id)


def rate_comment(db: Session, comment: Comment, account: AccountRef, value: int) -> Comment:
    """Agree (+1) or disagree (-1); choosing again changes the rating, 0 takes it back."""
    if value not in (-1, 0, 1):
        raise DomainError("invalid_rating", N_("Choose one of the allowed values."), field="value")
    if comment.status != ContentStatus.VISIBLE:
        raise NotFound("comment")
    if comment.author_id == account.id:
        raise Conflict("own_comment", N_("You cannot rate your own comment."))
    existing = db.scalar(select(CommentRating).where(CommentRating.comment_id == comment.id,
                                                     CommentRating.account_id == account.id))
    old = existing.value if existing else 0
    if existing is None and value:
        db.add(CommentRating(comment_id=comment.id, account_id=account.id, value=value))
    elif existing is not None and value:
        existing.value = value
    elif existing is not None:
        db.delete(existing)
    agree = (value == 1) - (old == 1)
    disagree = (value == -1) - (old == -1)
    db.execute(update(Comment).where(Comment.id == comment.id).values(
        agree_count=Comment.agree_count + agree, disagree_count=Comment.disagree_count + disagree))
    db.flush()
    db.refresh(comment)
    events.publish(db, COMMENT_RATED, actor_id=account.id, comment_id=comment.id, value=value)
    return comment


def comments_for(db: Session, subject_kind: str, subject_id: int, viewer_id: int | None = None,
                 *, limit: int = 500) -> list[Comment]:
    """Visible comments (and the viewer's own held or hidden ones), oldest first; deleted ones with replies."""
    cond = [Comment.status == ContentStatus.VISIBLE, Comment.status == ContentStatus.DELETED]
    if viewer_id is not None:
        cond.append(Comment.author_id == viewer_id)
    stmt = (select(Comment).where(Comment.subject_kind == subject_kind, Comment.subject_id == subject_id, or_(*cond))
            .order_by(Comment.id).limit(limit))
    rows = list(db.scalars(stmt))
    parents = {c.parent_id for c in rows if c.parent_id}
    return [c for c in rows if c.status != ContentStatus.DELETED or c.id in parents]
