"""What every participation use case shares: verification levels, rate limits, text checks,
activity for statistics, the subjects comments and follows attach to."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from smartgov import clock, identity
from smartgov.errors import Conflict, DomainError, Forbidden, NotFound
from smartgov.i18n import N_
from smartgov.identity import AccountRef, OrganizationView, can_use_personal_records, require_personal_records
from smartgov.participation import integrity, statistics
from smartgov.participation.models import (
    AccountabilityItem,
    Activity,
    Block,
    Consultation,
    ContentStatus,
    Petition,
    Proposal,
    Throttle,
)
from smartgov.settings import get_settings

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


def checked_text(text: str, field: str, *, min_len: int = COMMENT_MIN, max_len: int = COMMENT_MAX) -> str:
    """The text stripped, or a refusal naming ``field``: too short, too long, or insulting."""
    text = text.strip()
    if len(text) < min_len:
        raise DomainError("too_short", N_("Write at least {n} characters."), field=field, n=min_len)
    if len(text) > max_len:
        raise DomainError("too_long", N_("Write at most {n} characters."), field=field, n=max_len)
    if integrity.profane_words(text):
        raise DomainError("profanity", N_("Please rephrase without insulting or obscene words."), field=field)
    return text


def ensure_can_post(db: Session, account: AccountRef) -> None:
    """Refuse an account a moderator has blocked."""
    if is_blocked(db, account.id):
        raise Forbidden(N_("Your account may not post in participation. Contact the moderators if this is a mistake."))


def record_activity(db: Session, account: AccountRef | None, process_kind: str, process_id: int, action: str,
                     phase: str | None = None) -> None:
    """One participation act, for the open statistics (distinct people by phase, province, age band, gender)."""
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


def subject_of(db: Session, kind: str, subject_id: int) -> Any:
    """The consultation, proposal, accountability item or petition a comment or a follow is about."""
    model = {"consultation": Consultation, "proposal": Proposal, "accountability": AccountabilityItem,
             "petition": Petition}.get(kind)
    found = db.get(model, subject_id) if model else None
    if found is None:
        raise NotFound(kind)
    return found


def visible_or_own(found: Petition | Proposal | None, viewer_id: int | None, kind: str) -> Petition | Proposal:
    """What people may open: visible content, or their own while it waits for moderation; else 404."""
    if found is None or (found.status != ContentStatus.VISIBLE and found.author_id != viewer_id):
        raise NotFound(kind)
    return found


# --------------------------------------------------------------------------- calls backed by people


def checked_call(db: Session, account: AccountRef, *, title: str, body: str, threshold: int,
                 level: int = LEVEL_ACCOUNT) -> tuple[str, str]:
    """A proposal's or petition's title and body, stripped, or the refusal: a blocked account, one below
    ``level``, a text too short, too long or insulting, a threshold below one."""
    ensure_can_post(db, account)
    require_level(db, account, level)
    title = checked_text(title, "title", min_len=5, max_len=200)
    body = checked_text(body, "body", min_len=20)
    if threshold < 1:
        raise DomainError("invalid_threshold", N_("This value is too small."), field="threshold")
    return title, body


def first_status(title: str, body: str) -> ContentStatus:
    """New content is visible at once unless the spam check holds it for a moderator."""
    return ContentStatus.PENDING if integrity.spam_verdict(f"{title}\n{body}").hold else ContentStatus.VISIBLE


def count_backer(db: Session, call: Petition | Proposal, backer: Any, counter: InstrumentedAttribute[int],
                 already: Conflict) -> None:
    """Store one person's signature or support (the unique index refuses a second: ``already``) and
    raise ``counter`` in SQL, so that people backing at the same moment are all counted."""
    try:
        with db.begin_nested():
            db.add(backer)
    except IntegrityError:
        raise already from None
    model = type(call)
    db.execute(update(model).where(model.id == call.id).values({counter: counter + 1}))
    db.refresh(call)


def reach_threshold(db: Session, call: Petition | Proposal, backers: int, *, days: int,
                    due: InstrumentedAttribute[dt.datetime | None]) -> dt.datetime | None:
    """When ``backers`` first reach the threshold, record the moment and the agency's deadline ``due``
    (``days`` later); the deadline if this call set it (of two people crossing it at once, one does)."""
    if backers < call.threshold or call.threshold_reached_at is not None:
        return None
    reached = now()
    deadline = reached + dt.timedelta(days=days)
    model = type(call)
    done = db.execute(update(model).where(model.id == call.id, model.threshold_reached_at.is_(None))
                      .values({model.threshold_reached_at: reached, due: deadline}))
    if not done.rowcount:  # type: ignore[attr-defined]
        return None
    db.refresh(call)
    return deadline


def subject_title(db: Session, kind: str, subject_id: int, lang: str) -> str:
    subject = subject_of(db, kind, subject_id)
    return subject.title(lang) if callable(getattr(subject, "title", None)) else subject.title


def subject_link(kind: str, subject: Any) -> str:
    return {
        "consultation": lambda s: f"/participation/consultations/{s.slug}",
        "proposal": lambda s: f"/participation/proposals/{s.id}",
        "accountability": lambda s: f"/participation/accountability/{s.id}",
        "petition": lambda s: f"/participation/petitions/{s.id}",
    }[kind](subject)
