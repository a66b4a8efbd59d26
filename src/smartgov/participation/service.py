"""Participation use cases: consultations, proposals, votes, budgets, petitions, surveys,
accountability, follows, moderation, statistics and exports.

Functions take a Session and never commit; the caller's unit of work does. Authorization is
checked by the caller with ``permissions``; these functions check the rules of the process
itself (phase, thresholds, verification level, one person one vote).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartgov import clock, digits, events, files, identity
from smartgov.db import INT4_MAX, Database, lock
from smartgov.errors import Conflict, DomainError, Forbidden, NotFound
from smartgov.i18n import N_, to_latin_digits
from smartgov.identity import (
    AccountRef,
    OrganizationRef,
    OrganizationView,
    can_use_personal_records,
    require_personal_records,
)
from smartgov.notifications import MessageTemplate, queue_email, register_template
from smartgov.participation import budgeting, diffing, election, integrity, statistics, verify_ballots
from smartgov.participation.models import (
    PHASES,
    AccountabilityItem,
    Activity,
    AnswerStatus,
    Ballot,
    Block,
    Budget,
    BudgetProject,
    BudgetStyle,
    Change,
    Comment,
    CommentRating,
    Consultation,
    ContentStatus,
    Decryption,
    DraftKind,
    ElectionKey,
    Follow,
    InAppNotification,
    ItemStatus,
    Milestone,
    ModerationAction,
    Petition,
    Phase,
    Poll,
    PollOption,
    Proposal,
    Report,
    Section,
    Signature,
    Support,
    Survey,
    SurveyResponse,
    Tally,
    Throttle,
    Voter,
)
from smartgov.settings import get_settings, public_url

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Verification levels: 1 an account, 2 an account that has proven its person (``identity.proof``).
LEVEL_ACCOUNT = 1
LEVEL_VERIFIED = 2

PROPOSAL_THRESHOLD = 100  # supports that oblige an official answer
PROPOSAL_ANSWER_DAYS = 30
PETITION_RESPONSE_DAYS = 30
REPORTS_TO_HIDE = 3  # reports from different people that hide content until a moderator decides
#: (actions, window) allowed per account and per IP for writing actions (not votes: see rate_limit).
RATE_PER_ACCOUNT = (10, dt.timedelta(minutes=10))
RATE_PER_IP = (60, dt.timedelta(minutes=10))
COMMENT_MIN, COMMENT_MAX = 2, 5000
SUBJECT_KINDS = ("consultation", "proposal", "accountability", "petition")

register_template(MessageTemplate(
    key="participation.followed_update",
    subject_fa="خبر تازه دربارهٔ «{title}»",
    subject_en="News about “{title}”",
    body_fa=("سلام،\n\n{what}\n\nبرای دیدن آن به این نشانی بروید:\n{link}\n\n"
             "برای قطع این پیام‌ها، دنبال کردن را در همان صفحه لغو کنید."),
    body_en="Hello,\n\n{what}\n\nSee it here:\n{link}\n\nTo stop these messages, unfollow on that page.",
))


def now() -> dt.datetime:
    return clock.now()


def today() -> dt.date:
    return clock.today()


# --------------------------------------------------------------------------- verification & integrity


def verification_level(db: Session, account: AccountRef | None) -> int:
    """0 anonymous, 1 account, 2 an account that has proven its person (identity owns what "proven" means)."""
    if account is None:
        return 0
    return LEVEL_VERIFIED if can_use_personal_records(account) else LEVEL_ACCOUNT


def require_level(db: Session, account: AccountRef, level: int) -> None:
    """Level 2 is identity's proof (its refusal, 403 ``person_not_proven``, also for the SMS channel);
    level 1 is any account."""
    if level >= LEVEL_VERIFIED:
        require_personal_records(account)


def _ip_key(ip: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return "ip:" + hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


class RateLimited(DomainError):
    status = 429

    def __init__(self) -> None:
        super().__init__("rate_limited", N_("You are doing this too often. Wait a few minutes and try again."))


def rate_limit(db: Session, *, account_id: int | None, ip: str | None) -> None:
    """Count one writing action against the account and the (hashed) IP; 429 over the limit.

    Never called for votes: a timed row per voter would let someone line voters up with ballots.
    """
    since_acct = now() - RATE_PER_ACCOUNT[1]
    since_ip = now() - RATE_PER_IP[1]
    keys = []
    if account_id is not None:
        key = f"acct:{account_id}"
        n = db.scalar(select(func.count()).where(Throttle.key == key, Throttle.at > since_acct)) or 0
        if n >= RATE_PER_ACCOUNT[0]:
            raise RateLimited()
        keys.append(key)
    if ip:
        key = _ip_key(ip)
        n = db.scalar(select(func.count()).where(Throttle.key == key, Throttle.at > since_ip)) or 0
        if n >= RATE_PER_IP[0]:
            raise RateLimited()
        keys.append(key)
    for key in keys:
        db.add(Throttle(key=key, at=now()))


def is_blocked(db: Session, account_id: int) -> bool:
    return db.scalar(select(Block.id).where(Block.account_id == account_id, Block.lifted_at.is_(None))) is not None


def _check_text(text: str, field: str, *, min_len: int = COMMENT_MIN, max_len: int = COMMENT_MAX) -> str:
    text = text.strip()
    if len(text) < min_len:
        raise DomainError("too_short", N_("Write at least {n} characters."), field=field, n=min_len)
    if len(text) > max_len:
        raise DomainError("too_long", N_("Write at most {n} characters."), field=field, n=max_len)
    if integrity.profane_words(text):
        raise DomainError("profanity", N_("Please rephrase without insulting or obscene words."), field=field)
    return text


def _can_post(db: Session, account: AccountRef) -> None:
    if is_blocked(db, account.id):
        raise Forbidden(N_("Your account may not post in participation. Contact the moderators if this is a mistake."))


def _record_activity(db: Session, account: AccountRef | None, process_kind: str, process_id: int, action: str,
                     phase: str | None = None) -> None:
    person = identity.person_profile(db, account.person_id) if account is not None else None
    db.add(Activity(
        person_id=person.id if person else None, process_kind=process_kind, process_id=process_id, action=action,
        phase=phase, province=person.province if person else None,
        age_band=statistics.age_band(person.birth_date, today()) if person else None,
        gender=person.gender if person else None, on=today(),
    ))


def _organization(db: Session, org_id: int) -> OrganizationView:
    org = identity.organization_view(db, org_id)
    if org is None:
        raise NotFound("organization", field="organization")
    return org


# --------------------------------------------------------------------------- consultations


def current_phase(consultation: Consultation) -> Phase:
    return consultation.phase_at(now())


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
    starts = []
    for phase in PHASES:
        if phase.value not in phases:
            raise DomainError("missing_phase", N_("Give the start of every phase."), field=f"phases.{phase.value}")
        starts.append(phases[phase.value])
    if any(b <= a for a, b in itertools.pairwise(starts)):
        raise DomainError("phase_order", N_("Each phase must start after the one before it."), field="phases")
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
    events.publish(db, "participation.consultation_created", actor_id=actor_id, consultation_id=consultation.id,
                   organization=organization.code, slug=slug)
    return consultation


def consultation_by_slug(db: Session, slug: str) -> Consultation:
    found = db.scalar(select(Consultation).where(Consultation.slug == slug))
    if found is None:
        raise NotFound("consultation")
    return found


def consultation_by_id(db: Session, consultation_id: int) -> Consultation:
    found = db.get(Consultation, consultation_id)
    if found is None:
        raise NotFound("consultation")
    return found


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
    events.publish(db, "participation.phase_changed", actor_id=actor_id, consultation_id=consultation.id,
                   phase=nxt.value)
    return nxt


def section_by_number(consultation: Consultation, number: int) -> Section:
    for sec in consultation.sections:
        if sec.number == number:
            return sec
    raise NotFound("section", field="section")


def _subject(db: Session, kind: str, subject_id: int) -> Any:
    model = {"consultation": Consultation, "proposal": Proposal, "accountability": AccountabilityItem,
             "petition": Petition}.get(kind)
    found = db.get(model, subject_id) if model else None
    if found is None:
        raise NotFound(kind)
    return found


def subject_title(db: Session, kind: str, subject_id: int, lang: str) -> str:
    subject = _subject(db, kind, subject_id)
    return subject.title(lang) if callable(getattr(subject, "title", None)) else subject.title


def subject_link(kind: str, subject: Any) -> str:
    return {
        "consultation": lambda s: f"/participation/consultations/{s.slug}",
        "proposal": lambda s: f"/participation/proposals/{s.id}",
        "accountability": lambda s: f"/participation/accountability/{s.id}",
        "petition": lambda s: f"/participation/petitions/{s.id}",
    }[kind](subject)


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
    _can_post(db, account)
    if subject_kind not in SUBJECT_KINDS:
        raise NotFound(subject_kind)
    subject = _subject(db, subject_kind, subject_id)
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
    text = _check_text(body, "body")
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
    _record_activity(db, account, subject_kind, subject_id, "comment", phase.value if phase else None)
    follow(db, account, subject_kind, subject_id)
    events.publish(db, "participation.comment_posted", actor_id=account.id, comment_id=comment.id,
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
    text = _check_text(body, "body")
    if comment.subject_kind == "consultation" and \
            current_phase(_subject(db, "consultation", comment.subject_id)) != Phase.CONSULTATION:
        raise Conflict("not_open", N_("Comments are accepted only during the consultation phase."))
    comment.body = text
    comment.language = integrity.detect_language(text)
    comment.edited_at = now()
    if integrity.spam_verdict(text).hold and comment.status == ContentStatus.VISIBLE:
        comment.status = ContentStatus.PENDING
    events.publish(db, "participation.comment_edited", actor_id=actor_id, comment_id=comment.id)
    return comment


def delete_comment(db: Session, comment: Comment, *, actor_id: int) -> None:
    """The author withdraws a comment; its text is erased, replies stay."""
    comment.status = ContentStatus.DELETED
    comment.body = ""
    comment.edited_at = now()
    events.publish(db, "participation.comment_deleted", actor_id=actor_id, comment_id=comment.id)


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
    events.publish(db, "participation.comment_rated", actor_id=account.id, comment_id=comment.id, value=value)
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


def publish_response(
    db: Session,
    consultation: Consultation,
    *,
    response_fa: str,
    response_en: str,
    changes: Sequence[dict[str, Any]] = (),
    actor_id: int | None,
) -> Consultation:
    """The agency's summary of what it heard and "what we changed and why", linked to comments."""
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
    consultation.response_fa = response_fa.strip()
    consultation.response_en = response_en.strip()
    consultation.response_published_at = now()
    db.flush()
    events.publish(db, "participation.response_published", actor_id=actor_id, consultation_id=consultation.id,
                   changes=len(changes))
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
    events.publish(db, "participation.final_version_published", actor_id=actor_id, consultation_id=consultation.id)
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


# --------------------------------------------------------------------------- proposals


def create_proposal(db: Session, *, account: AccountRef, organization: OrganizationRef, title: str, body: str,
                    threshold: int = PROPOSAL_THRESHOLD, ip: str | None = None) -> Proposal:
    """A citizen proposes something to an agency; its author follows it."""
    _can_post(db, account)
    title = _check_text(title, "title", min_len=5, max_len=200)
    body = _check_text(body, "body", min_len=20)
    if threshold < 1:
        raise DomainError("invalid_threshold", N_("This value is too small."), field="threshold")
    rate_limit(db, account_id=account.id, ip=ip)
    held = integrity.spam_verdict(f"{title}\n{body}").hold
    proposal = Proposal(
        organization_id=organization.id, author_id=account.id, title=title, body=body,
        language=integrity.detect_language(body), status=ContentStatus.PENDING if held else ContentStatus.VISIBLE,
        threshold=threshold, support_count=0, created_at=now(),
    )
    db.add(proposal)
    db.flush()
    _record_activity(db, account, "proposal", proposal.id, "propose")
    follow(db, account, "proposal", proposal.id)
    events.publish(db, "participation.proposal_created", actor_id=account.id, proposal_id=proposal.id,
                   organization=organization.code, status=proposal.status.value)
    return proposal


def proposal_by_id(db: Session, proposal_id: int, viewer_id: int | None = None) -> Proposal:
    found = db.get(Proposal, proposal_id)
    if found is None or (found.status != ContentStatus.VISIBLE and found.author_id != viewer_id):
        raise NotFound("proposal")
    return found


def support_proposal(db: Session, proposal: Proposal, account: AccountRef, *, ip: str | None = None) -> Proposal:
    """A verified person supports once; reaching the threshold obliges an answer by a deadline."""
    require_level(db, account, LEVEL_VERIFIED)
    if proposal.status != ContentStatus.VISIBLE:
        raise NotFound("proposal")
    assert account.person_id is not None
    rate_limit(db, account_id=account.id, ip=ip)
    try:
        with db.begin_nested():
            db.add(Support(proposal_id=proposal.id, person_id=account.person_id, created_at=now()))
    except IntegrityError:
        raise Conflict("already_supported", N_("You already support this proposal.")) from None
    db.execute(update(Proposal).where(Proposal.id == proposal.id)
               .values(support_count=Proposal.support_count + 1))
    db.refresh(proposal)
    _record_activity(db, account, "proposal", proposal.id, "support")
    events.publish(db, "participation.proposal_supported", actor_id=account.id, proposal_id=proposal.id)
    if proposal.support_count >= proposal.threshold and proposal.threshold_reached_at is None:
        reached = now()
        due = reached + dt.timedelta(days=PROPOSAL_ANSWER_DAYS)
        done = db.execute(update(Proposal).where(Proposal.id == proposal.id, Proposal.threshold_reached_at.is_(None))
                          .values(threshold_reached_at=reached, answer_due_at=due))
        if done.rowcount:  # type: ignore[attr-defined]
            db.refresh(proposal)
            events.publish(db, "participation.proposal_threshold_reached", proposal_id=proposal.id,
                           answer_due_at=due.isoformat())
    return proposal


def answer_proposal(db: Session, proposal: Proposal, *, status: AnswerStatus | str, text: str,
                    cost: int | None = None, actor_id: int | None) -> Proposal:
    """The agency's official answer: accepted (with a cost), rejected or being evaluated, with its reason.

    "Being evaluated" may be followed by a final answer; a final answer stands (409). The row is
    locked first, so of two officials answering at once the second sees the first's answer.
    """
    status = AnswerStatus(status)
    lock(db, proposal)
    if proposal.answer_status in (AnswerStatus.ACCEPTED, AnswerStatus.REJECTED):
        raise Conflict("already_answered", N_("The agency has already given its final answer."))
    text = text.strip()
    if len(text) < 10:
        raise DomainError("reason_required", N_("Explain the answer in at least {n} characters."), field="text", n=10)
    if status == AnswerStatus.ACCEPTED and (cost is None or cost < 0):
        raise DomainError("cost_required", N_("Give the estimated cost in rial."), field="cost")
    proposal.answer_status = status
    proposal.answer_text = text
    proposal.answer_cost = cost
    proposal.answered_at = now()
    proposal.answered_by = actor_id
    events.publish(db, "participation.proposal_answered", actor_id=actor_id, proposal_id=proposal.id,
                   status=status.value, cost=cost)
    return proposal


def answer_overdue(proposal: Proposal) -> bool:
    return (proposal.answer_due_at is not None and proposal.answered_at is None and now() > proposal.answer_due_at)


# --------------------------------------------------------------------------- ballot boxes (polls, budgets)
#
# A ballot is encrypted on the server at cast time under the box's election key, whose secret
# is shared by trustees outside the database (``election``); the randomness is dropped at once.
# Who voted (``Voter``) and the encrypted ballot commit in one transaction. After closing, the
# ciphertexts are added up and only that aggregate is decrypted, by ``threshold`` trustees, each
# with a proof. ``board`` publishes everything needed to check it (``verify_ballots``).

Box = Poll | Budget
#: After closing, how long before the tally starts: longer than any vote's transaction, so a vote
#: that passed the closing check just in time is in the aggregate.
TALLY_GRACE = dt.timedelta(minutes=1)
#: The key ceremony run on first need outside production (``smartgov participation trustee ceremony``).
DEMO_TRUSTEES, DEMO_THRESHOLD = 3, 2


def trustees_dir() -> Path:
    """Where the demo's trustee share files live (production trustees keep theirs elsewhere)."""
    return Path(get_settings().data_dir) / "trustees"


def _key_folder(folder: Path, key: ElectionKey) -> Path:
    """A key's share files: named by id and fingerprint, so files left by a ceremony whose
    transaction rolled back never pass for a later key's."""
    return folder / f"key-{key.id}-{key.public_key[:16]}"


def register_election_key(db: Session, keys: election.KeySet) -> ElectionKey:
    """Store a ceremony's public half as the key for new boxes (older keys keep their boxes)."""
    for old in db.scalars(select(ElectionKey).where(ElectionKey.retired_at.is_(None))):
        old.retired_at = now()
    row = ElectionKey(threshold=keys.threshold, trustees=len(keys.shares), public_key=keys.public_key.hex(),
                      commitments=[[c.hex() for c in dealer] for dealer in keys.commitments], created_at=now())
    db.add(row)
    db.flush()
    events.publish(db, "participation.election_key_created", election_key_id=row.id, public_key=row.public_key,
                   threshold=row.threshold, trustees=row.trustees)
    return row


def hold_ceremony(db: Session, *, threshold: int, trustees: int, folder: Path) -> tuple[ElectionKey, list[Path]]:
    """Make a new election key; write each trustee's share to its own file under ``folder``.

    Only the public half enters the database. The files must then go to their trustees.
    """
    keys = election.ceremony(threshold, trustees)
    row = register_election_key(db, keys)
    paths = []
    for j, secret in sorted(keys.shares.items()):
        path = _key_folder(folder, row) / f"trustee-{j}.json"
        election.write_share(path, election.TrusteeShare(row.id, j, secret))
        paths.append(path)
    return row, paths


def current_election_key(db: Session) -> ElectionKey:
    """The key new boxes use. Outside production the first need holds the demo ceremony, whose
    share files go under the data folder; production refuses until the trustees have held theirs."""
    row = db.scalars(select(ElectionKey).where(ElectionKey.retired_at.is_(None)).order_by(ElectionKey.id.desc())
                     ).first()
    if row is not None:
        return row
    if get_settings().environment == "production":
        raise Conflict("no_election_key", N_("There is no election key yet: the trustees must hold their key "
                                             "ceremony first (smartgov participation trustee ceremony)."))
    return hold_ceremony(db, threshold=DEMO_THRESHOLD, trustees=DEMO_TRUSTEES, folder=trustees_dir())[0]


def _box_key(db: Session, box: Box) -> ElectionKey:
    """The box's election key; a box from before ballots were encrypted takes the current one."""
    if box.election_key is None:
        lock(db, box)
        if box.election_key is None:
            box.election_key = current_election_key(db)
            db.flush()
    assert box.election_key is not None
    return box.election_key


def _kind(box: Box) -> str:
    return "poll" if isinstance(box, Poll) else "budget"


def _options(box: Box) -> int:
    return len(box.options) if isinstance(box, Poll) else len(box.projects)


def _allowed(box: Box) -> list[int]:
    if isinstance(box, Poll):
        return verify_ballots.allowed_counts("poll", len(box.options))
    return verify_ballots.allowed_counts("budget", len(box.projects), box.style.value, box.max_choices)


def _mark_voter(db: Session, box_kind: str, box_id: int, person_id: int) -> bool:
    """Insert the voter marker unless it exists: one statement, no savepoint; False if it did.

    RETURNING says whether a row went in (an ORM insert's rowcount is not reliable on PostgreSQL).
    """
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = db.execute(insert(Voter).values(box_kind=box_kind, box_id=box_id, person_id=person_id)
                       .on_conflict_do_nothing().returning(Voter.person_id)).first()
    return added is not None


def _cast(db: Session, box: Box, person_id: int, selection: list[int]) -> str:
    """Mark the person as having voted (the database refuses a second mark) and store the ballot
    encrypted, in the same transaction. ``selection`` is 0/1 per option in position order.

    Returns the ballot's tracker: the voter's receipt, which they find on the public board. It
    proves that the ballot is counted, not what it says (the randomness is gone).
    """
    kind = _kind(box)
    public_key = bytes.fromhex(_box_key(db, box).public_key)
    ballot = election.encrypt_ballot(verify_ballots.context(kind, box.id, public_key), public_key, selection,
                                     _allowed(box))
    if not _mark_voter(db, kind, box.id, person_id):
        raise Conflict("already_voted", N_("You have already voted here; each person votes once."))
    tracker = ballot.pop("tracker")
    db.add(Ballot(tracker=tracker, box_kind=kind, box_id=box.id, content=ballot))
    # No actor: the ledger gets every tracker (so a ballot dropped from the board shows), not who cast it.
    events.publish(db, "participation.vote_cast", box_kind=kind, box_id=box.id, tracker=tracker)
    return tracker


def normalize_tracker(code: str) -> str:
    """A tracker as typed: any digits, any case, spaces and dashes ignored."""
    return "".join(ch for ch in to_latin_digits(code).lower() if ch not in " -\u200c\t")


@dataclass(frozen=True)
class ReceiptCheck:
    counted: bool
    tracker: str  # normalized; what to look for on the board


def check_receipt(db: Session, box_kind: str, box_id: int, code: str) -> ReceiptCheck:
    """Whether the ballot with this tracker is in the box (its content is never shown: no proof for a coercer)."""
    tracker = normalize_tracker(code)
    counted = db.scalar(select(Ballot.tracker).where(Ballot.tracker == tracker, Ballot.box_kind == box_kind,
                                                     Ballot.box_id == box_id)) is not None
    return ReceiptCheck(counted, tracker)


def has_voted(db: Session, box_kind: str, box_id: int, person_id: int | None) -> bool:
    return person_id is not None and db.get(Voter, (box_kind, box_id, person_id)) is not None


def _voter(db: Session, account: AccountRef) -> int:
    require_level(db, account, LEVEL_VERIFIED)
    assert account.person_id is not None
    return account.person_id


def _open_window(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    if now() < opens_at:
        raise Conflict("not_open_yet", N_("Voting has not started yet."))
    if now() >= closes_at:
        raise Conflict("closed", N_("Voting has closed."))


def _check_window(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    if closes_at <= opens_at:
        raise DomainError("invalid_dates", N_("The closing time must be after the opening time."), field="closes_at")


def create_poll(db: Session, *, organization: OrganizationRef, slug: str, question_fa: str, question_en: str,
                options: Sequence[tuple[str, str]], opens_at: dt.datetime, closes_at: dt.datetime,
                consultation_id: int | None = None, actor_id: int | None = None) -> Poll:
    """A poll with two or more options, numbered from 1 in the given order, under the current election key."""
    if len(options) < 2:
        raise DomainError("few_options", N_("Give at least two options."), field="options")
    _check_window(opens_at, closes_at)
    if db.scalar(select(Poll.id).where(Poll.slug == slug)):
        raise Conflict("duplicate_slug", N_("This short name is taken."), field="slug")
    poll = Poll(slug=slug, organization_id=organization.id, consultation_id=consultation_id, question_fa=question_fa,
                question_en=question_en, opens_at=opens_at, closes_at=closes_at,
                election_key=current_election_key(db), created_at=now())
    for i, (fa, en) in enumerate(options, start=1):
        poll.options.append(PollOption(position=i, label_fa=fa, label_en=en))
    db.add(poll)
    db.flush()
    events.publish(db, "participation.poll_created", actor_id=actor_id, poll_id=poll.id)
    return poll


def _by_ref(db: Session, model: type[T], ref: str | int) -> T | None:
    """A poll or budget by id (digits that fit an id) or by short name."""
    ref = to_latin_digits(str(ref)).strip()
    number = digits.integer(ref) if ref.isascii() else None
    if number is not None:
        return db.get(model, number) if number <= INT4_MAX else None
    return db.scalar(select(model).where(model.slug == ref.lower()))  # type: ignore[attr-defined]


def poll_by_ref(db: Session, ref: str | int) -> Poll:
    """A poll by id or short name."""
    poll = _by_ref(db, Poll, ref)
    if poll is None:
        raise NotFound("poll", field="poll")
    return poll


def vote_in_poll(db: Session, poll: Poll, account: AccountRef, option_position: int) -> str:
    """Cast the account holder's secret ballot for option number ``option_position``; returns the tracker."""
    person_id = _voter(db, account)
    _open_window(poll.opens_at, poll.closes_at)
    if not any(o.position == option_position for o in poll.options):
        raise DomainError("unknown_option", N_("Choose one of the options, from 1 to {n}."), field="option",
                          n=len(poll.options))
    return _cast(db, poll, person_id, [int(o.position == option_position) for o in poll.options])


def results_published(db: Session, box: Box) -> bool:
    """Whether the box's result is out: it has closed and its tally is decrypted."""
    return _published_tally(db, box) is not None


def _published_tally(db: Session, box: Box) -> Tally | None:
    if now() < box.closes_at:
        return None
    tally = db.get(Tally, (_kind(box), box.id))
    return tally if tally is not None and tally.published_at is not None else None


def _result(db: Session, box: Box) -> list[int]:
    """Votes per option (position order): the decrypted counts plus any ballots counted before encryption."""
    if now() < box.closes_at:
        raise Conflict("results_hidden", N_("Results are published when voting closes."))
    tally = _published_tally(db, box)
    if tally is None:
        raise Conflict("results_counting", N_("Voting has closed; the result is published as soon as the trustees "
                                              "have decrypted the tally."))
    return _tally_result(tally, _options(box))


def _tally_result(tally: Tally, options: int) -> list[int]:
    counts = tally.counts or [0] * options
    legacy = tally.legacy_counts or [0] * options
    return [int(c) + int(x) for c, x in zip(counts, legacy, strict=True)]


def poll_results(db: Session, poll: Poll) -> dict[str, Any]:
    """Votes per option, published once the poll has closed and its tally is decrypted."""
    votes = _result(db, poll)
    return {"total": sum(votes),
            "options": [{"position": o.position, "option_id": o.id, "votes": n} for o, n in zip(poll.options, votes,
                                                                                                strict=True)]}


def create_budget(db: Session, *, organization: OrganizationRef, slug: str, title_fa: str, title_en: str, total: int,
                  style: BudgetStyle | str, projects: Sequence[tuple[str, str, int]], opens_at: dt.datetime,
                  closes_at: dt.datetime, max_choices: int | None = None, actor_id: int | None = None) -> Budget:
    """A participatory budget with projects ``(title_fa, title_en, cost)``, under the current election key."""
    if total <= 0:
        raise DomainError("invalid_total", N_("This value is too small."), field="total")
    if not projects:
        raise DomainError("no_projects", N_("Give at least one project."), field="projects")
    if any(cost <= 0 for _fa, _en, cost in projects):
        raise DomainError("invalid_cost", N_("Every project needs a cost above zero."), field="projects")
    _check_window(opens_at, closes_at)
    if db.scalar(select(Budget.id).where(Budget.slug == slug)):
        raise Conflict("duplicate_slug", N_("This short name is taken."), field="slug")
    budget = Budget(slug=slug, organization_id=organization.id, title_fa=title_fa, title_en=title_en, total=total,
                    style=BudgetStyle(style), max_choices=max_choices, opens_at=opens_at, closes_at=closes_at,
                    election_key=current_election_key(db), created_at=now())
    for i, (fa, en, cost) in enumerate(projects, start=1):
        budget.projects.append(BudgetProject(position=i, title_fa=fa, title_en=en, cost=cost))
    db.add(budget)
    db.flush()
    events.publish(db, "participation.budget_created", actor_id=actor_id, budget_id=budget.id, style=budget.style.value)
    return budget


def budget_by_ref(db: Session, ref: str | int) -> Budget:
    """A participatory budget by id or short name."""
    budget = _by_ref(db, Budget, ref)
    if budget is None:
        raise NotFound("budget", field="budget")
    return budget


def _costs(budget: Budget) -> list[budgeting.ProjectCost]:
    return [budgeting.ProjectCost(p.id, p.position, p.cost) for p in budget.projects]


def vote_in_budget(db: Session, budget: Budget, account: AccountRef, project_ids: Sequence[int]) -> str:
    """Cast a secret ballot for a set of projects under the budget's style; returns the tracker.

    The style's rule (at most ``max_choices``, or the cost within the budget) is checked here, on the
    plaintext, before it is encrypted; the ballot's proofs show publicly that each project is 0 or 1
    and how many were chosen is allowed (the README says what this leaves to the server).
    """
    person_id = _voter(db, account)
    _open_window(budget.opens_at, budget.closes_at)
    chosen = set(budgeting.check_ballot(budget.style.value, budget.total, budget.max_choices, _costs(budget),
                                        project_ids))
    return _cast(db, budget, person_id, [int(p.id in chosen) for p in budget.projects])


def budget_results(db: Session, budget: Budget) -> list[budgeting.ResultLine]:
    """Funded and unfunded projects with the reason for each, once the tally is decrypted."""
    votes = _result(db, budget)
    return budgeting.allocate(budget.total, _costs(budget),
                              Counter({p.id: n for p, n in zip(budget.projects, votes, strict=True)}))


# --------------------------------------------------------------------------- tallies and trustees


def _ballots(db: Session, box_kind: str, box_id: int) -> list[Ballot]:
    return list(db.scalars(select(Ballot).where(Ballot.box_kind == box_kind, Ballot.box_id == box_id)
                           .order_by(Ballot.tracker)))


def _aggregate(db: Session, box: Box, tally: Tally) -> None:
    """Check every ballot's proofs, then add up their ciphertexts option by option (once, after closing).

    A trustee decrypts nothing it has not checked: a ballot with a bad proof stops the tally.
    """
    kind = _kind(box)
    assert box.election_key is not None
    public_key = bytes.fromhex(box.election_key.public_key)
    ctx = verify_ballots.context(kind, box.id, public_key)
    allowed, options = _allowed(box), _options(box)
    ballots = []
    for row in _ballots(db, kind, box.id):
        ballot = verify_ballots.read_ballot({"tracker": row.tracker, **row.content}, options, row.tracker)
        verify_ballots.check_ballot(ctx, public_key, ballot, allowed, row.tracker)
        ballots.append(ballot)
    tally.aggregate = [[a.hex(), b.hex()] for a, b in
                       (verify_ballots.total(b.ciphertexts[i] for b in ballots) for i in range(options))]
    tally.ballots = len(ballots)


def _ciphertexts(tally: Tally) -> list[verify_ballots.Ciphertext]:
    return [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in tally.aggregate or []]


def _decryptions(db: Session, box_kind: str, box_id: int) -> list[Decryption]:
    return list(db.scalars(select(Decryption).where(Decryption.box_kind == box_kind, Decryption.box_id == box_id)
                           .order_by(Decryption.trustee)))


def _tally_for(db: Session, box: Box) -> Tally:
    kind = _kind(box)
    tally = db.get(Tally, (kind, box.id))
    if tally is None:
        tally = Tally(box_kind=kind, box_id=box.id, ballots=0, legacy_ballots=0)
        db.add(tally)
    if tally.aggregate is None and box.election_key_id is not None:
        _aggregate(db, box, tally)
    db.flush()
    return tally


def submit_decryption(db: Session, box: Box, share: election.TrusteeShare) -> bool:
    """A trustee's partial decryption of a closed box's aggregate; publishes the result once
    ``threshold`` trustees have given theirs. False if this trustee had already decrypted this box."""
    kind = _kind(box)
    if now() < box.closes_at + TALLY_GRACE:
        raise Conflict("not_closed", N_("Voting in this box has not closed yet."))
    if box.election_key_id != share.key_id:
        raise DomainError("wrong_key", N_("This share belongs to another election key."), field="share")
    key = box.election_key
    assert key is not None
    commitments = [[bytes.fromhex(c) for c in dealer] for dealer in key.commitments]
    if verify_ballots.public_share(commitments, share.trustee) != share.public_share:
        raise DomainError("wrong_share", N_("This share does not match the trustee's public share."), field="share")
    tally = _tally_for(db, box)
    if tally.published_at is not None or db.get(Decryption, (kind, box.id, share.trustee)) is not None:
        return False
    public_key = bytes.fromhex(key.public_key)
    part = election.decrypt_share(verify_ballots.context(kind, box.id, public_key), share, _ciphertexts(tally))
    db.add(Decryption(box_kind=kind, box_id=box.id, trustee=share.trustee, shares=part["shares"],
                      proofs=part["proofs"], submitted_at=now()))
    db.flush()
    events.publish(db, "participation.tally_decrypted", box_kind=kind, box_id=box.id, trustee=share.trustee)
    decryptions = _decryptions(db, kind, box.id)
    if len(decryptions) >= key.threshold:
        chosen = decryptions[:key.threshold]
        tally.counts = verify_ballots.combine(
            _ciphertexts(tally), {d.trustee: [bytes.fromhex(x) for x in d.shares] for d in chosen}, tally.ballots)
        _publish(db, box, tally)
    return True


def _publish(db: Session, box: Box, tally: Tally) -> None:
    tally.published_at = now()
    db.flush()
    events.publish(db, "participation.tally_published", box_kind=tally.box_kind, box_id=tally.box_id,
                   result=_tally_result(tally, _options(box)))


def _local_shares(key: ElectionKey) -> list[election.TrusteeShare]:
    """Share files of this key under the data folder: the demo's trustees, who live with the server."""
    folder = _key_folder(trustees_dir(), key)
    return [election.read_share(p) for p in sorted(folder.glob("trustee-*.json"))] if folder.is_dir() else []


def tally_closed_boxes(db: Session) -> int:
    """Count every box closed for at least ``TALLY_GRACE`` whose result is not out yet: add up its
    ciphertexts, decrypt with the trustee shares found under the data folder (the demo's), publish
    when enough trustees have decrypted. Returns how many results were published.

    A box whose ballots do not check out (a proof fails: someone wrote to the table) is logged and
    left uncounted; the others go on.
    """
    published = 0
    for model in (Poll, Budget):
        kind = "poll" if model is Poll else "budget"
        done = exists().where(Tally.box_kind == kind, Tally.box_id == model.id, Tally.published_at.is_not(None))
        # SKIP LOCKED: two workers sweeping at once take different boxes (PostgreSQL)
        for box in db.scalars(select(model).where(model.closes_at <= now() - TALLY_GRACE, ~done)
                              .with_for_update(skip_locked=True, of=model)):
            try:
                with db.begin_nested():
                    published += _count(db, box)
            except verify_ballots.BoardError:
                log.exception("%s %s not counted: its ballots do not check out", kind, box.id)
    return published


def _count(db: Session, box: Box) -> bool:
    tally = _tally_for(db, box)
    if box.election_key is None:  # nobody voted since ballots were encrypted
        tally.counts = [0] * _options(box)
        _publish(db, box, tally)
        return True
    for share in _local_shares(box.election_key):
        submit_decryption(db, box, share)
    return tally.published_at is not None


def trustee_decrypt(db: Session, share: election.TrusteeShare) -> list[str]:
    """Every closed box under the share's key that still needs this trustee: decrypt it.
    Returns the boxes decrypted, as ``kind:slug``."""
    done = []
    for model in (Poll, Budget):
        for box in db.scalars(select(model).where(model.election_key_id == share.key_id,
                                                  model.closes_at <= now() - TALLY_GRACE)
                              .with_for_update(of=model)):
            if submit_decryption(db, box, share):
                done.append(f"{_kind(box)}:{box.slug}")
    return done


def _box_public(box: Box) -> dict[str, Any]:
    common = {"kind": _kind(box), "id": box.id, "slug": box.slug, "opens_at": box.opens_at.isoformat(),
              "closes_at": box.closes_at.isoformat()}
    if isinstance(box, Poll):
        return {**common, "question_fa": box.question_fa, "question_en": box.question_en,
                "options": [{"position": o.position, "label_fa": o.label_fa, "label_en": o.label_en}
                            for o in box.options]}
    return {**common, "title_fa": box.title_fa, "title_en": box.title_en, "style": box.style.value,
            "max_choices": box.max_choices, "total": box.total,
            "options": [{"position": p.position, "label_fa": p.title_fa, "label_en": p.title_en, "cost": p.cost}
                        for p in box.projects]}


def election_key_public(db: Session, key_id: int) -> dict[str, Any]:
    """An election key's public half: the key, the threshold, each trustee's commitments and public share."""
    key = db.get(ElectionKey, key_id)
    assert key is not None
    commitments = [[bytes.fromhex(c) for c in dealer] for dealer in key.commitments]
    return {"id": key.id, "threshold": key.threshold, "public_key": key.public_key, "commitments": key.commitments,
            "trustees": [{"index": j, "public_share": verify_ballots.public_share(commitments, j).hex()}
                         for j in range(1, key.trustees + 1)]}


def board_summary(db: Session, box: Box) -> dict[str, Any]:
    """The board without its ballots (``ballot_count`` instead): what the board page shows above its trackers."""
    kind = _kind(box)
    tally = db.get(Tally, (kind, box.id))
    published = _published_tally(db, box)
    voters = db.scalar(select(func.count()).select_from(Voter).where(Voter.box_kind == kind, Voter.box_id == box.id))
    ballots = db.scalar(select(func.count()).select_from(Ballot).where(Ballot.box_kind == kind,
                                                                      Ballot.box_id == box.id))
    legacy = ({"ballots": tally.legacy_ballots, "counts": tally.legacy_counts}
              if tally is not None and tally.legacy_counts is not None else None)
    return {
        "format": verify_ballots.FORMAT,
        "box": _box_public(box),
        "election_key": election_key_public(db, box.election_key_id) if box.election_key_id is not None else None,
        "voters": voters,
        "ballot_count": ballots,
        "tally": {
            "legacy": legacy,
            "aggregate": tally.aggregate if tally is not None else None,
            "decryptions": [{"trustee": d.trustee, "shares": d.shares, "proofs": d.proofs}
                            for d in _decryptions(db, kind, box.id)],
            "counts": published.counts if published is not None else None,
            "result": _tally_result(published, _options(box)) if published is not None else None,
            "published_at": published.published_at.isoformat() if published and published.published_at else None,
        },
    }


def trackers(db: Session, box: Box, *, offset: int, limit: int) -> list[str]:
    """A page of the box's trackers, in tracker order (which follows nothing: not the voting order)."""
    return list(db.scalars(select(Ballot.tracker).where(Ballot.box_kind == _kind(box), Ballot.box_id == box.id)
                           .order_by(Ballot.tracker).offset(offset).limit(limit)))


def board(db: Session, box: Box) -> dict[str, Any]:
    """The public ballot board (``verify_ballots.FORMAT``): everything needed to check the box's result."""
    out = board_summary(db, box)
    del out["ballot_count"]
    out["ballots"] = [{"tracker": b.tracker, **b.content} for b in _ballots(db, _kind(box), box.id)]
    return out


# --------------------------------------------------------------------------- petitions


def create_petition(db: Session, *, account: AccountRef, organization: OrganizationRef, title: str, body: str,
                    threshold: int, response_days: int = PETITION_RESPONSE_DAYS, ip: str | None = None) -> Petition:
    """Start a petition to an agency; the author signs it first."""
    _can_post(db, account)
    require_level(db, account, LEVEL_VERIFIED)
    title = _check_text(title, "title", min_len=5, max_len=200)
    body = _check_text(body, "body", min_len=20)
    if threshold < 1:
        raise DomainError("invalid_threshold", N_("This value is too small."), field="threshold")
    if not 1 <= response_days <= 365:
        raise DomainError("invalid_days", N_("Give between 1 and 365 days."), field="response_days")
    rate_limit(db, account_id=account.id, ip=ip)
    held = integrity.spam_verdict(f"{title}\n{body}").hold
    petition = Petition(
        organization_id=organization.id, author_id=account.id, title=title, body=body,
        language=integrity.detect_language(body), status=ContentStatus.PENDING if held else ContentStatus.VISIBLE,
        threshold=threshold, response_days=response_days, signature_count=0, created_at=now(),
    )
    db.add(petition)
    db.flush()
    events.publish(db, "participation.petition_created", actor_id=account.id, petition_id=petition.id,
                   organization=organization.code)
    follow(db, account, "petition", petition.id)
    if petition.status == ContentStatus.VISIBLE:
        sign_petition(db, petition, account)
    return petition


def petition_by_id(db: Session, petition_id: int, viewer_id: int | None = None) -> Petition:
    found = db.get(Petition, petition_id)
    if found is None or (found.status != ContentStatus.VISIBLE and found.author_id != viewer_id):
        raise NotFound("petition")
    return found


def sign_petition(db: Session, petition: Petition, account: AccountRef, *, ip: str | None = None) -> Petition:
    """A verified person signs once; crossing the threshold starts the response deadline."""
    require_level(db, account, LEVEL_VERIFIED)
    if petition.status != ContentStatus.VISIBLE:
        raise NotFound("petition")
    assert account.person_id is not None
    if ip:
        rate_limit(db, account_id=None, ip=ip)
    try:
        with db.begin_nested():
            db.add(Signature(petition_id=petition.id, person_id=account.person_id, created_at=now()))
    except IntegrityError:
        raise Conflict("already_signed", N_("You have already signed this petition.")) from None
    db.execute(update(Petition).where(Petition.id == petition.id)
               .values(signature_count=Petition.signature_count + 1))
    db.refresh(petition)
    _record_activity(db, account, "petition", petition.id, "sign")
    events.publish(db, "participation.petition_signed", actor_id=account.id, petition_id=petition.id)
    if petition.signature_count >= petition.threshold and petition.threshold_reached_at is None:
        reached = now()
        due = reached + dt.timedelta(days=petition.response_days)
        done = db.execute(update(Petition).where(Petition.id == petition.id, Petition.threshold_reached_at.is_(None))
                          .values(threshold_reached_at=reached, response_due_at=due))
        if done.rowcount:  # type: ignore[attr-defined]
            db.refresh(petition)
            events.publish(db, "participation.petition_threshold_reached", petition_id=petition.id,
                           organization_id=petition.organization_id, response_due_at=due.isoformat())
    return petition


def respond_to_petition(db: Session, petition: Petition, text: str, *, actor_id: int | None) -> Petition:
    """The agency's public response (possible before the threshold, obligatory after it); given once (409).

    The row is locked first, so of two officials responding at once the second sees the first's response.
    """
    lock(db, petition)
    if petition.responded_at is not None:
        raise Conflict("already_responded", N_("The agency has already responded."))
    text = text.strip()
    if len(text) < 10:
        raise DomainError("reason_required", N_("Explain the answer in at least {n} characters."), field="text", n=10)
    petition.response_text = text
    petition.responded_at = now()
    petition.responded_by = actor_id
    events.publish(db, "participation.petition_responded", actor_id=actor_id, petition_id=petition.id,
                   late=bool(petition.response_due_at and petition.responded_at > petition.response_due_at))
    return petition


def answers_due(db: Session, org_ids: set[int] | None) -> tuple[list[Petition], list[Proposal]]:
    """What the agencies ``org_ids`` (``None``: every agency) owe the public, soonest deadline first.

    Petitions past their threshold without a response; proposals past theirs that are unanswered
    or still being evaluated.
    """
    petitions = (select(Petition).where(Petition.status == ContentStatus.VISIBLE,
                                        Petition.response_due_at.is_not(None), Petition.responded_at.is_(None))
                 .order_by(Petition.response_due_at, Petition.id))
    proposals = (select(Proposal).where(Proposal.status == ContentStatus.VISIBLE, Proposal.answer_due_at.is_not(None),
                                        or_(Proposal.answered_at.is_(None),
                                            Proposal.answer_status == AnswerStatus.EVALUATING))
                 .order_by(Proposal.answer_due_at, Proposal.id))
    if org_ids is not None:
        petitions = petitions.where(Petition.organization_id.in_(org_ids))
        proposals = proposals.where(Proposal.organization_id.in_(org_ids))
    return list(db.scalars(petitions)), list(db.scalars(proposals))


def petition_state(petition: Petition) -> str:
    """collecting | awaiting_response | overdue | responded | responded_late."""
    if petition.responded_at is not None:
        late = petition.response_due_at is not None and petition.responded_at > petition.response_due_at
        return "responded_late" if late else "responded"
    if petition.response_due_at is None:
        return "collecting"
    return "overdue" if now() > petition.response_due_at else "awaiting_response"


def flag_overdue(db: Session) -> int:
    """Publish ``participation.petition_overdue`` once for each petition past its response deadline.

    The public pages compute "overdue" from the clock; this sweep (``sweep``, run by the worker)
    records the moment for the ledger and notifies followers.
    """
    rows = db.scalars(select(Petition).where(Petition.response_due_at < now(), Petition.responded_at.is_(None),
                                             Petition.overdue_flagged_at.is_(None)).with_for_update(skip_locked=True))
    n = 0
    for petition in rows:
        petition.overdue_flagged_at = now()
        events.publish(db, "participation.petition_overdue", petition_id=petition.id,
                       organization_id=petition.organization_id, due_at=petition.response_due_at.isoformat()
                       if petition.response_due_at else None)
        n += 1
    return n


# --------------------------------------------------------------------------- surveys (public API for other modules)

QUESTION_KINDS = ("single", "multi", "scale", "text")


def define_survey(db: Session, *, key: str, title_fa: str, title_en: str, questions: Sequence[dict[str, Any]],
                  anonymous: bool = True) -> Survey:
    """Create the survey ``key`` or update it while it has no answers (idempotent for module start-up).

    A question is ``{"key", "kind": single|multi|scale|text, "text_fa", "text_en", "options":
    [{"fa", "en"}, …] (single/multi), "required": bool}``; scale questions take 1–5.
    """
    for i, q in enumerate(questions):
        if q.get("kind") not in QUESTION_KINDS or not q.get("key"):
            raise DomainError("invalid_question", N_("Choose one of the allowed values."), field=f"questions.{i}")
        if q["kind"] in ("single", "multi") and len(q.get("options", [])) < 2:
            raise DomainError("few_options", N_("Give at least two options."), field=f"questions.{i}.options")
    survey = db.scalar(select(Survey).where(Survey.key == key))
    if survey is None:
        survey = Survey(key=key, title_fa=title_fa, title_en=title_en, anonymous=anonymous,
                        questions=list(questions), created_at=now())
        db.add(survey)
    elif survey.questions != list(questions):
        if db.scalar(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id).limit(1)):
            raise Conflict("survey_answered", N_("This survey already has answers; define a new one instead."))
        survey.questions = list(questions)
        survey.title_fa, survey.title_en, survey.anonymous = title_fa, title_en, anonymous
    db.flush()
    return survey


def survey_by_key(db: Session, key: str) -> Survey:
    found = db.scalar(select(Survey).where(Survey.key == key))
    if found is None:
        raise NotFound("survey")
    return found


def submit_survey(db: Session, key: str, answers: dict[str, Any], *, account: AccountRef | None = None,
                  subject_ref: str | None = None, language: str = "fa") -> SurveyResponse:
    """Validate and store one response; anonymous surveys never store who answered."""
    survey = survey_by_key(db, key)
    clean: dict[str, Any] = {}
    for q in survey.questions:
        value = answers.get(q["key"])
        field = f"answers.{q['key']}"
        if value in (None, "", []):
            if q.get("required"):
                raise DomainError("required", N_("This field is required."), field=field)
            continue
        n_opts = len(q.get("options", []))
        try:
            if q["kind"] == "single":
                value = int(value)
                ok = 0 <= value < n_opts
            elif q["kind"] == "multi":
                value = sorted({int(v) for v in value})
                ok = all(0 <= v < n_opts for v in value)
            elif q["kind"] == "scale":
                value = int(value)
                ok = 1 <= value <= 5
            else:
                value = _check_text(str(value), field, min_len=1, max_len=2000)
                ok = True
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise DomainError("invalid_answer", N_("This value is not valid."), field=field)
        clean[q["key"]] = value
    unknown = set(answers) - {q["key"] for q in survey.questions}
    if unknown:
        raise DomainError("unknown_question", N_("This value is not valid."), field=f"answers.{sorted(unknown)[0]}")
    response = SurveyResponse(
        survey_id=survey.id, person_id=None if survey.anonymous or account is None else account.person_id,
        subject_ref=subject_ref, answers=clean, language=language if language in ("fa", "en") else "fa",
        submitted_on=today(),
    )
    db.add(response)
    db.flush()
    events.publish(db, "participation.survey_response_submitted", survey=key, subject_ref=subject_ref)
    return response


def survey_summary(db: Session, key: str, *, subject_ref: str | None = None) -> dict[str, Any]:
    """Counts per option, mean of scales and the number of text answers (never the texts themselves)."""
    survey = survey_by_key(db, key)
    stmt = select(SurveyResponse.answers).where(SurveyResponse.survey_id == survey.id)
    if subject_ref is not None:
        stmt = stmt.where(SurveyResponse.subject_ref == subject_ref)
    rows = list(db.scalars(stmt))
    out: dict[str, Any] = {"key": key, "responses": len(rows), "questions": {}}
    for q in survey.questions:
        values = [r[q["key"]] for r in rows if q["key"] in r]
        if q["kind"] == "single":
            counts = Counter(values)
            summary: dict[str, Any] = {"counts": [counts.get(i, 0) for i in range(len(q["options"]))]}
        elif q["kind"] == "multi":
            counts = Counter(v for vs in values for v in vs)
            summary = {"counts": [counts.get(i, 0) for i in range(len(q["options"]))]}
        elif q["kind"] == "scale":
            summary = {"mean": round(sum(values) / len(values), 2) if values else None,
                       "counts": [values.count(i) for i in range(1, 6)]}
        else:
            summary = {"answered": len(values)}
        out["questions"][q["key"]] = {"kind": q["kind"], "answered": len(values), **summary}
    return out


# --------------------------------------------------------------------------- accountability


def create_item(db: Session, *, organization: OrganizationRef, kind: str, title_fa: str, title_en: str,
                deadline: dt.date, description_fa: str = "", description_en: str = "",
                consultation_id: int | None = None, proposal_id: int | None = None,
                milestones: Sequence[tuple[str, str, dt.date]] = (), actor_id: int | None = None) -> AccountabilityItem:
    """A decision or project to be tracked in public, linked to where it came from."""
    if kind not in ("decision", "project"):
        raise DomainError("invalid_kind", N_("Choose one of the allowed values."), field="kind")
    if consultation_id is not None:
        consultation_by_id(db, consultation_id)
    if proposal_id is not None and db.get(Proposal, proposal_id) is None:
        raise NotFound("proposal", field="proposal_id")
    item = AccountabilityItem(
        organization_id=organization.id, kind=kind, title_fa=title_fa, title_en=title_en, description_fa=description_fa,
        description_en=description_en, status=ItemStatus.PLANNED, progress=0, deadline=deadline,
        consultation_id=consultation_id, proposal_id=proposal_id, created_at=now(), updated_at=now(),
    )
    for fa, en, due in milestones:
        item.milestones.append(Milestone(title_fa=fa, title_en=en, due_on=due))
    db.add(item)
    db.flush()
    events.publish(db, "participation.accountability_created", actor_id=actor_id, item_id=item.id)
    return item


def item_by_id(db: Session, item_id: int) -> AccountabilityItem:
    found = db.get(AccountabilityItem, item_id)
    if found is None:
        raise NotFound("accountability")
    return found


def update_item(db: Session, item: AccountabilityItem, *, status: ItemStatus | str | None = None,
                progress: int | None = None, completed_milestones: Sequence[int] = (),
                actor_id: int | None) -> AccountabilityItem:
    """Report progress: status, percentage, milestones completed today."""
    if progress is not None:
        if not 0 <= progress <= 100:
            raise DomainError("invalid_progress", N_("Give a percentage from 0 to 100."), field="progress")
        item.progress = progress
    if status is not None:
        item.status = ItemStatus(status)
        if item.status == ItemStatus.COMPLETED:
            item.progress = 100
    for mid in completed_milestones:
        ms = next((m for m in item.milestones if m.id == mid), None)
        if ms is None:
            raise NotFound("milestone", field="completed_milestones")
        ms.completed_on = ms.completed_on or today()
    item.updated_at = now()
    events.publish(db, "participation.accountability_updated", actor_id=actor_id, item_id=item.id,
                   status=item.status.value, progress=item.progress)
    return item


def milestone_missed(ms: Milestone) -> bool:
    """Not done by its due date (done late counts as missed too)."""
    if ms.completed_on is not None:
        return ms.completed_on > ms.due_on
    return today() > ms.due_on


def item_overdue(item: AccountabilityItem) -> bool:
    return item.status not in (ItemStatus.COMPLETED, ItemStatus.CANCELLED) and today() > item.deadline


def list_items(db: Session) -> list[AccountabilityItem]:
    return list(db.scalars(select(AccountabilityItem).order_by(AccountabilityItem.deadline)))


# --------------------------------------------------------------------------- follows & in-app notifications


def follow(db: Session, account: AccountRef, subject_kind: str, subject_id: int) -> None:
    if db.scalar(select(Follow.id).where(Follow.account_id == account.id, Follow.subject_kind == subject_kind,
                                         Follow.subject_id == subject_id)) is None:
        try:
            with db.begin_nested():
                db.add(Follow(account_id=account.id, subject_kind=subject_kind, subject_id=subject_id,
                              created_at=now()))
        except IntegrityError:
            pass


def unfollow(db: Session, account: AccountRef, subject_kind: str, subject_id: int) -> None:
    for row in db.scalars(select(Follow).where(Follow.account_id == account.id, Follow.subject_kind == subject_kind,
                                               Follow.subject_id == subject_id)):
        db.delete(row)


def is_following(db: Session, account_id: int | None, subject_kind: str, subject_id: int) -> bool:
    if account_id is None:
        return False
    return db.scalar(select(Follow.id).where(Follow.account_id == account_id, Follow.subject_kind == subject_kind,
                                             Follow.subject_id == subject_id)) is not None


def notifications_for(db: Session, account_id: int, limit: int = 50) -> list[InAppNotification]:
    return list(db.scalars(select(InAppNotification).where(InAppNotification.account_id == account_id)
                           .order_by(InAppNotification.id.desc()).limit(limit)))


def mark_read(db: Session, account_id: int) -> None:
    db.execute(update(InAppNotification).where(InAppNotification.account_id == account_id,
                                               InAppNotification.read_at.is_(None)).values(read_at=now()))


#: event → (subject kind, id field, English message id of the notification)
FOLLOWED_EVENTS: dict[str, tuple[str, str, str]] = {
    "participation.comment_posted": ("", "", N_("A new comment was posted on “{title}”.")),
    "participation.response_published": ("consultation", "consultation_id",
                                         N_("The agency published its response to “{title}”.")),
    "participation.final_version_published": ("consultation", "consultation_id",
                                              N_("The final version of “{title}” was published.")),
    "participation.proposal_threshold_reached": ("proposal", "proposal_id",
                                                 N_("“{title}” reached its support threshold.")),
    "participation.proposal_answered": ("proposal", "proposal_id", N_("The agency answered “{title}”.")),
    "participation.petition_threshold_reached": ("petition", "petition_id",
                                                 N_("“{title}” reached its signature threshold.")),
    "participation.petition_responded": ("petition", "petition_id", N_("The agency responded to “{title}”.")),
    "participation.petition_overdue": ("petition", "petition_id", N_("The response to “{title}” is overdue.")),
    "participation.accountability_updated": ("accountability", "item_id", N_("“{title}” has new progress.")),
}


def notify_followers(db: Session, evt: events.Event, outbox_id: int) -> None:
    """Outbox handler: an in-app notification and an e-mail for every follower but the actor."""
    from smartgov.i18n import gettext

    kind, id_field, message = FOLLOWED_EVENTS[evt.name]
    if evt.name == "participation.comment_posted":
        if evt.data.get("status") != ContentStatus.VISIBLE.value:
            return
        kind, subject_id = evt.data["subject_kind"], evt.data["subject_id"]
    else:
        subject_id = evt.data[id_field]
    subject = _subject(db, kind, subject_id)
    link = subject_link(kind, subject)
    followers = list(db.scalars(select(Follow.account_id).where(Follow.subject_kind == kind,
                                                                Follow.subject_id == subject_id)))
    for account_id in followers:
        if account_id == evt.actor_id:
            continue
        if db.scalar(select(InAppNotification.id).where(InAppNotification.account_id == account_id,
                                                        InAppNotification.outbox_id == outbox_id)):
            continue
        account = identity.account_view(db, account_id)
        if account is None:
            continue
        lang = account.language
        title = subject.title(lang) if callable(getattr(subject, "title", None)) else subject.title
        db.add(InAppNotification(account_id=account_id, message_id=message, params={"title": title}, link=link,
                                 outbox_id=outbox_id, created_at=now()))
        person = identity.person_profile(db, account.person_id)
        if person is not None and person.email:
            queue_email(db, to=person.email, template="participation.followed_update", lang=lang,
                        context={"title": title, "what": gettext(message, lang, title=title), "link": public_url(link)})


for _name in FOLLOWED_EVENTS:
    events.subscribe_async(_name, "participation.notify_followers", notify_followers)


# --------------------------------------------------------------------------- moderation

REPORT_REASONS = ("spam", "offensive", "personal_data", "other")
MODERATION_ACTIONS = ("hide", "unhide", "approve", "dismiss")
_CONTENT = {"comment": Comment, "proposal": Proposal, "petition": Petition}


def content(db: Session, kind: str, content_id: int) -> Any:
    model = _CONTENT.get(kind)
    found = db.get(model, content_id) if model else None
    if found is None or found.status == ContentStatus.DELETED:
        raise NotFound(kind)
    return found


def content_organization_id(db: Session, kind: str, item: Any) -> int:
    """The agency answerable for a piece of content (whose officials moderate it)."""
    if kind == "comment":
        subject = _subject(db, item.subject_kind, item.subject_id)
        return int(subject.organization_id)
    return int(item.organization_id)


def report_content(db: Session, account: AccountRef, kind: str, content_id: int, reason: str, details: str = "",
                   *, ip: str | None = None) -> Report:
    """Flag content; at ``REPORTS_TO_HIDE`` reports from different people it is hidden pending review."""
    if reason not in REPORT_REASONS:
        raise DomainError("invalid_reason", N_("Choose one of the allowed values."), field="reason")
    item = content(db, kind, content_id)
    rate_limit(db, account_id=account.id, ip=ip)
    try:
        with db.begin_nested():
            report = Report(subject_kind=kind, subject_id=content_id, reporter_id=account.id, reason=reason,
                            details=details.strip()[:1000], created_at=now())
            db.add(report)
    except IntegrityError:
        raise Conflict("already_reported", N_("You have already reported this.")) from None
    events.publish(db, "participation.content_reported", actor_id=account.id, kind=kind, content_id=content_id,
                   reason=reason)
    open_reports = db.scalar(select(func.count()).where(Report.subject_kind == kind, Report.subject_id == content_id,
                                                        Report.resolved_at.is_(None))) or 0
    if open_reports >= REPORTS_TO_HIDE and item.status == ContentStatus.VISIBLE:
        item.status = ContentStatus.HIDDEN
        _log_action(db, None, "hide", kind, content_id, f"{open_reports} reports")
    return report


def _log_action(db: Session, moderator_id: int | None, action: str, kind: str, content_id: int,
                reason: str) -> ModerationAction:
    entry = ModerationAction(moderator_id=moderator_id, action=action, subject_kind=kind, subject_id=content_id,
                             reason=reason, created_at=now())
    db.add(entry)
    db.flush()
    events.publish(db, "participation.moderation_action", actor_id=moderator_id, action=action, kind=kind,
                   content_id=content_id, reason=reason, audit_id=entry.id)
    return entry


def moderate(db: Session, moderator_id: int, kind: str, content_id: int, action: str, reason: str) -> ModerationAction:
    """hide / unhide / approve (a held item) / dismiss (reports unfounded); always logged with the reason."""
    if action not in MODERATION_ACTIONS:
        raise DomainError("invalid_action", N_("Choose one of the allowed values."), field="action")
    if len(reason.strip()) < 3:
        raise DomainError("reason_required", N_("Give the reason for the record."), field="reason")
    item = content(db, kind, content_id)
    if action == "hide":
        item.status = ContentStatus.HIDDEN
    elif action in ("unhide", "approve", "dismiss"):
        item.status = ContentStatus.VISIBLE
    db.execute(update(Report).where(Report.subject_kind == kind, Report.subject_id == content_id,
                                    Report.resolved_at.is_(None)).values(resolved_at=now()))
    return _log_action(db, moderator_id, action, kind, content_id, reason.strip())


def block_account(db: Session, moderator_id: int, account_id: int, reason: str) -> Block:
    """Bar an account from posting; logged like every moderator action."""
    if identity.account_view(db, account_id) is None:
        raise NotFound("account", field="account_id")
    if len(reason.strip()) < 3:
        raise DomainError("reason_required", N_("Give the reason for the record."), field="reason")
    existing = db.scalar(select(Block).where(Block.account_id == account_id, Block.lifted_at.is_(None)))
    if existing:
        return existing
    block = Block(account_id=account_id, reason=reason.strip(), blocked_by=moderator_id, created_at=now())
    db.add(block)
    _log_action(db, moderator_id, "block", "account", account_id, reason.strip())
    return block


def unblock_account(db: Session, moderator_id: int, account_id: int, reason: str) -> None:
    for block in db.scalars(select(Block).where(Block.account_id == account_id, Block.lifted_at.is_(None))):
        block.lifted_at = now()
    _log_action(db, moderator_id, "unblock", "account", account_id, reason.strip() or "-")


@dataclass(frozen=True)
class QueueItem:
    kind: str
    id: int
    status: str
    text: str
    organization_id: int
    reports: int
    reasons: list[str]


def moderation_queue(db: Session, org_ids: set[int] | None) -> list[QueueItem]:
    """Held or reported content, for moderators of ``org_ids`` (``None``: every agency)."""
    out: list[QueueItem] = []
    reports: dict[tuple[str, int], list[str]] = {}
    for r in db.scalars(select(Report).where(Report.resolved_at.is_(None))):
        reports.setdefault((r.subject_kind, r.subject_id), []).append(r.reason)
    for kind, model in _CONTENT.items():
        ids = {cid for (k, cid) in reports if k == kind}
        stmt = select(model).where(or_(model.status == ContentStatus.PENDING, model.id.in_(ids)))
        for item in db.scalars(stmt.order_by(model.id)):
            if item.status == ContentStatus.DELETED:
                continue
            org_id = content_organization_id(db, kind, item)
            if org_ids is not None and org_id not in org_ids:
                continue
            text = item.body if kind == "comment" else f"{item.title}\n{item.body}"
            rs = reports.get((kind, item.id), [])
            out.append(QueueItem(kind, item.id, item.status.value, text, org_id, len(rs), sorted(set(rs))))
    return out


def moderation_log(db: Session, limit: int = 200) -> list[ModerationAction]:
    return list(db.scalars(select(ModerationAction).order_by(ModerationAction.id.desc()).limit(limit)))


# --------------------------------------------------------------------------- statistics & exports

DIMENSIONS = ("phase", "province", "age_band", "gender")


def participation_statistics(db: Session, process_kind: str, process_id: int) -> dict[str, Any]:
    """Distinct participants by phase, province, age band and gender, small cells suppressed (k=5)."""
    cells: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    people: set[Any] = set()
    if process_kind in ("poll", "budget"):
        rows = identity.person_demographics(db, select(Voter.person_id).where(Voter.box_kind == process_kind,
                                                                            Voter.box_id == process_id))
        for pid, province, birth, gender in rows:
            people.add(pid)
            for dim, value in (("phase", "voting"), ("province", province),
                               ("age_band", statistics.age_band(birth, today())), ("gender", gender)):
                cells[dim][value or "unknown"] += 1
    else:
        seen: dict[str, set[tuple[Any, str]]] = {d: set() for d in DIMENSIONS}
        rows2 = db.execute(select(Activity.person_id, Activity.id, Activity.phase, Activity.province,
                                  Activity.age_band, Activity.gender)
                           .where(Activity.process_kind == process_kind, Activity.process_id == process_id))
        for pid, aid, phase, province, band, gender in rows2:
            who = pid if pid is not None else f"anon-{aid}"
            people.add(who)
            for dim, value in (("phase", phase), ("province", province), ("age_band", band), ("gender", gender)):
                key = value or "unknown"
                if (who, key) not in seen[dim]:
                    seen[dim].add((who, key))
                    cells[dim][key] += 1
    return {
        "k": statistics.K,
        "participants": statistics.suppress_total(len(people)),
        **{dim: statistics.suppress(cells[dim]) for dim in DIMENSIONS},
    }


def _pseudonym(scope: str, account_id: int) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"participation-export:{scope}:{account_id}".encode(), hashlib.sha256).hexdigest()[:12]


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return files.csv_text(header, rows)  # formulas people typed (a comment "=HYPERLINK(…)") are neutralized


def comments_csv(db: Session, consultation: Consultation) -> str:
    """Visible comments for analysis: pseudonymous authors (stable within this consultation only),
    the day not the moment, phone numbers, e-mails and 10-digit codes redacted."""
    numbers = {s.id: s.number for s in consultation.sections}
    rows = db.scalars(select(Comment).where(Comment.subject_kind == "consultation",
                                            Comment.subject_id == consultation.id,
                                            Comment.status == ContentStatus.VISIBLE).order_by(Comment.id))
    return _csv(["comment_id", "parent_id", "section", "language", "created_date", "author", "agree", "disagree",
                 "text"],
                ([c.id, c.parent_id or "", numbers.get(c.section_id or 0, ""), c.language,
                  clock.local(c.created_at).date().isoformat(),
                  _pseudonym(f"consultation:{consultation.id}", c.author_id),
                  c.agree_count, c.disagree_count, integrity.redact(c.body)] for c in rows))


def poll_results_csv(db: Session, poll: Poll) -> str:
    res = poll_results(db, poll)
    labels = {o.id: o for o in poll.options}
    return _csv(["option", "label_fa", "label_en", "votes"],
                ([r["position"], labels[r["option_id"]].label_fa, labels[r["option_id"]].label_en, r["votes"]]
                 for r in res["options"]))


def budget_results_csv(db: Session, budget: Budget) -> str:
    projects = {p.id: p for p in budget.projects}
    return _csv(["rank", "project", "title_fa", "title_en", "cost", "votes", "funded", "reason"],
                ([line.rank, projects[line.project_id].position, projects[line.project_id].title_fa,
                  projects[line.project_id].title_en, line.cost, line.votes, int(line.funded), line.reason]
                 for line in budget_results(db, budget)))


@dataclass(frozen=True)
class Document:
    """One text for the text-analysis module: stable id, text, language, section, creation day."""

    id: str
    text: str
    language: str
    section: str | None
    created: dt.date
    source: str


def export_documents(db: Session, *, consultation_id: int | None = None, subject_kind: str = "consultation",
                     since: dt.date | None = None) -> list[Document]:
    """Visible comments as documents (redacted), oldest first; the interface ``insight`` reads."""
    stmt = select(Comment).where(Comment.subject_kind == subject_kind, Comment.status == ContentStatus.VISIBLE)
    if consultation_id is not None:
        stmt = stmt.where(Comment.subject_id == consultation_id)
    if since is not None:
        stmt = stmt.where(Comment.created_at >= clock.day_start(since))
    numbers = dict(db.execute(select(Section.id, Section.number)).tuples().all())
    return [
        Document(id=f"participation.comment:{c.id}", text=integrity.redact(c.body), language=c.language,
                 section=str(numbers[c.section_id]) if c.section_id in numbers else None,
                 created=clock.local(c.created_at).date(), source=f"{c.subject_kind}:{c.subject_id}")
        for c in db.scalars(stmt.order_by(Comment.id))
    ]


# --------------------------------------------------------------------------- upkeep


def sweep(database: Database) -> tuple[int, int]:
    """Flag overdue petitions, then count closed ballot boxes (each its own transaction): (flagged, published)."""
    with database.unit_of_work() as db:
        flagged = flag_overdue(db)
    with database.unit_of_work() as db:
        return flagged, tally_closed_boxes(db)


SWEEP_EVERY = dt.timedelta(minutes=1)
_last_sweep: dict[str, dt.datetime] = {}


def _periodic_sweep(database: Database) -> int:
    """The worker's job: a sweep at most once a minute (deadlines are not finer than that)."""
    last = _last_sweep.get(database.url)
    if last is not None and now() - last < SWEEP_EVERY:
        return 0
    _last_sweep[database.url] = now()
    return sum(sweep(database))


events.register_periodic("participation.sweep", _periodic_sweep)
