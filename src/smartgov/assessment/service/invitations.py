"""Invitations: anonymous links and named accounts, and the respondent's way back to their response."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, identity
from smartgov.assessment.models import AssessmentRound, Invitation, RoundStatus, SurveyResponse
from smartgov.db import scalar_or_not_found
from smartgov.errors import Conflict, DomainError
from smartgov.i18n import N_
from smartgov.identity import AccountRef, AccountView


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invite_links(db: Session, rnd: AssessmentRound, count: int, labels: Sequence[str] = ()) -> list[str]:
    """Make single-use links; the raw tokens are returned once and only their hashes are stored."""
    if rnd.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", N_("This round is closed."))
    total = max(count, len(labels))
    if not 1 <= total <= 500:
        raise DomainError("invitation_count", N_("Make between 1 and 500 links at a time."), field="count")
    raws = []
    for n in range(total):
        raw = secrets.token_urlsafe(24)
        label = (labels[n].strip()[:120] or None) if n < len(labels) and not rnd.anonymous else None
        db.add(Invitation(round_id=rnd.id, token_hash=_hash(raw), label=label, created_at=clock.now()))
        raws.append(raw)
    db.flush()
    return raws


def invite_accounts(db: Session, rnd: AssessmentRound, usernames: Sequence[str]) -> list[AccountView]:
    """Invite existing accounts; they answer while signed in."""
    if rnd.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", N_("This round is closed."))
    invited = []
    for name in usernames:
        name = name.strip().lower()
        if not name:
            continue
        account = identity.account_view_by_username(db, name)
        if account is None:
            raise DomainError(
                "unknown_account", N_("There is no account {username}."), field="usernames", username=name
            )
        exists = db.scalar(
            select(Invitation.id).where(Invitation.round_id == rnd.id, Invitation.account_id == account.id)
        )
        if not exists:
            db.add(Invitation(round_id=rnd.id, account_id=account.id, created_at=clock.now()))
        invited.append(account)
    db.flush()
    return invited


def invitation_by_token(db: Session, raw: str) -> Invitation:
    """The invitation behind a link; a used link answers 410 so it works only once."""
    inv = scalar_or_not_found(db, select(Invitation).where(Invitation.token_hash == _hash(raw.strip())), "invitation")
    if inv.used_at is not None:
        raise DomainError("invitation_used", N_("This link has already been used to submit answers."), status=410)
    return inv


def account_invitation(db: Session, rnd: AssessmentRound, account: AccountRef) -> Invitation:
    inv = scalar_or_not_found(db, select(Invitation).where(Invitation.round_id == rnd.id,
                                                           Invitation.account_id == account.id), "invitation")
    if inv.used_at is not None:
        raise DomainError("invitation_used", N_("You have already submitted your answers."), status=410)
    return inv


def invitations_of(db: Session, account: AccountRef) -> list[tuple[Invitation, AssessmentRound]]:
    """Open rounds an account has been invited to and has not answered yet."""
    rows = db.execute(
        select(Invitation, AssessmentRound)
        .join(AssessmentRound, AssessmentRound.id == Invitation.round_id)
        .where(
            Invitation.account_id == account.id,
            Invitation.used_at.is_(None),
            AssessmentRound.status == RoundStatus.OPEN,
        )
    ).all()
    return [(inv, rnd) for inv, rnd in rows]


def response_for(db: Session, inv: Invitation) -> SurveyResponse | None:
    return db.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == inv.id))
