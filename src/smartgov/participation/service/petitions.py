"""Petitions: signatures, the response threshold, deadlines and the agency's response."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.db import lock
from smartgov.errors import Conflict, DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import AccountRef, OrganizationRef
from smartgov.participation import integrity
from smartgov.participation.events import (
    PETITION_CREATED,
    PETITION_OVERDUE,
    PETITION_RESPONDED,
    PETITION_SIGNED,
    PETITION_TERMS_SET,
    PETITION_THRESHOLD_REACHED,
)
from smartgov.participation.models import AnswerStatus, ContentStatus, Petition, Proposal, Signature

from .common import (
    LEVEL_VERIFIED,
    PETITION_RESPONSE_DAYS,
    checked_call,
    count_backer,
    first_status,
    now,
    rate_limit,
    reach_threshold,
    record_activity,
    require_level,
    visible_or_own,
)
from .following import follow


def create_petition(db: Session, *, account: AccountRef, organization: OrganizationRef, title: str, body: str,
                    threshold: int, response_days: int = PETITION_RESPONSE_DAYS, ip: str | None = None) -> Petition:
    """Start a petition to an agency; the author signs it first."""
    title, body = checked_call(db, account, title=title, body=body, threshold=threshold, level=LEVEL_VERIFIED)
    if not 1 <= response_days <= 365:
        raise DomainError("invalid_days", N_("Give between 1 and 365 days."), field="response_days")
    rate_limit(db, account_id=account.id, ip=ip)
    petition = Petition(
        organization_id=organization.id, author_id=account.id, title=title, body=body,
        language=integrity.detect_language(body), status=first_status(title, body),
        threshold=threshold, response_days=response_days, signature_count=0, created_at=now(),
    )
    db.add(petition)
    db.flush()
    events.publish(db, PETITION_CREATED, actor_id=account.id, petition_id=petition.id,
                   organization=organization.code)
    follow(db, account, "petition", petition.id)
    if petition.status == ContentStatus.VISIBLE:
        sign_petition(db, petition, account)
    return petition


def petition_by_id(db: Session, petition_id: int, viewer_id: int | None = None) -> Petition:
    found = visible_or_own(db.get(Petition, petition_id), viewer_id, "petition")
    assert isinstance(found, Petition)
    return found


def signed_at(db: Session, petition: Petition, account: AccountRef | None) -> dt.datetime | None:
    """When the caller's person signed ``petition`` (``None``: not signed, or nobody signed in)."""
    if account is None or account.person_id is None:
        return None
    return db.scalar(select(Signature.created_at).where(Signature.petition_id == petition.id,
                                                        Signature.person_id == account.person_id))


def sign_petition(db: Session, petition: Petition, account: AccountRef, *, ip: str | None = None) -> Petition:
    """A verified person signs once; crossing the threshold starts the response deadline."""
    require_level(db, account, LEVEL_VERIFIED)
    if petition.status != ContentStatus.VISIBLE:
        raise NotFound("petition")
    assert account.person_id is not None
    if petition.signatures_close_at is not None and now() >= petition.signatures_close_at:
        raise Conflict("signing_closed", N_("This petition no longer takes signatures."))
    if ip:
        rate_limit(db, account_id=None, ip=ip)
    count_backer(db, petition, Signature(petition_id=petition.id, person_id=account.person_id, created_at=now()),
                 Petition.signature_count, Conflict("already_signed", N_("You have already signed this petition.")))
    record_activity(db, account, "petition", petition.id, "sign")
    events.publish(db, PETITION_SIGNED, actor_id=account.id, petition_id=petition.id)
    _reach_threshold(db, petition)
    return petition


#: The largest threshold staff may set (a guard against a typo with many zeros).
THRESHOLD_MAX = 100_000_000


def _reach_threshold(db: Session, petition: Petition) -> None:
    """Once the signatures reach the threshold: start the response deadline (once, whoever gets there first)."""
    due = reach_threshold(db, petition, petition.signature_count, days=petition.response_days,
                          due=Petition.response_due_at)
    if due is not None:
        events.publish(db, PETITION_THRESHOLD_REACHED, petition_id=petition.id,
                       organization_id=petition.organization_id, response_due_at=due.isoformat())


def set_petition_terms(db: Session, petition: Petition, *, threshold: int, response_days: int,
                       signatures_close_at: dt.datetime | None, actor_id: int | None) -> Petition:
    """The agency's staff set how many signatures oblige a response, how many days the response may take,
    and when signing ends. Until it is answered; a threshold already reached cannot be raised (the
    obligation stands), and a new response time moves the deadline from when it was reached."""
    lock(db, petition)
    if petition.responded_at is not None:
        raise Conflict("already_responded", N_("The agency has already responded."))
    errors: list[DomainError] = []
    if not 1 <= threshold <= THRESHOLD_MAX:
        errors.append(DomainError("invalid_threshold", N_("Enter a whole number from {low} to {high}."),
                                  field="threshold", low=1, high=THRESHOLD_MAX))
    elif petition.threshold_reached_at is not None and threshold > petition.threshold:
        errors.append(DomainError("threshold_reached", N_("The threshold was reached; it cannot be raised now."),
                                  field="threshold"))
    if not 1 <= response_days <= 365:
        errors.append(DomainError("invalid_days", N_("Give between 1 and 365 days."), field="response_days"))
    if (signatures_close_at is not None and signatures_close_at != petition.signatures_close_at
            and signatures_close_at <= now()):
        errors.append(DomainError("invalid_dates", N_("The closing time must be in the future."),
                                  field="signatures_close_at"))
    if errors:
        raise ValidationFailed(errors)
    petition.threshold, petition.response_days = threshold, response_days
    petition.signatures_close_at = signatures_close_at
    if petition.threshold_reached_at is not None:
        petition.response_due_at = petition.threshold_reached_at + dt.timedelta(days=response_days)
    db.flush()
    events.publish(db, PETITION_TERMS_SET, actor_id=actor_id, petition_id=petition.id, threshold=threshold,
                   response_days=response_days,
                   signatures_close_at=signatures_close_at.isoformat() if signatures_close_at else None)
    _reach_threshold(db, petition)
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
    events.publish(db, PETITION_RESPONDED, actor_id=actor_id, petition_id=petition.id,
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
        events.publish(db, PETITION_OVERDUE, petition_id=petition.id,
                       organization_id=petition.organization_id, due_at=petition.response_due_at.isoformat()
                       if petition.response_due_at else None)
        n += 1
    return n
