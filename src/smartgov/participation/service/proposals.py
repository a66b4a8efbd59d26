"""Citizens' proposals: supports, the threshold that obliges an answer, the agency's answer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov import events
from smartgov.db import lock
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import AccountRef, OrganizationRef
from smartgov.participation import integrity
from smartgov.participation.events import (
    PROPOSAL_ANSWERED,
    PROPOSAL_CREATED,
    PROPOSAL_SUPPORTED,
    PROPOSAL_THRESHOLD_REACHED,
)
from smartgov.participation.models import AnswerStatus, ContentStatus, Proposal, Support

from .common import (
    LEVEL_VERIFIED,
    PROPOSAL_ANSWER_DAYS,
    PROPOSAL_THRESHOLD,
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


def create_proposal(db: Session, *, account: AccountRef, organization: OrganizationRef, title: str, body: str,
                    threshold: int = PROPOSAL_THRESHOLD, ip: str | None = None) -> Proposal:
    """A citizen proposes something to an agency; its author follows it."""
    title, body = checked_call(db, account, title=title, body=body, threshold=threshold)
    rate_limit(db, account_id=account.id, ip=ip)
    proposal = Proposal(
        organization_id=organization.id, author_id=account.id, title=title, body=body,
        language=integrity.detect_language(body), status=first_status(title, body),
        threshold=threshold, support_count=0, created_at=now(),
    )
    db.add(proposal)
    db.flush()
    record_activity(db, account, "proposal", proposal.id, "propose")
    follow(db, account, "proposal", proposal.id)
    events.publish(db, PROPOSAL_CREATED, actor_id=account.id, proposal_id=proposal.id,
                   organization=organization.code, status=proposal.status.value)
    return proposal


def proposal_by_id(db: Session, proposal_id: int, viewer_id: int | None = None) -> Proposal:
    found = visible_or_own(db.get(Proposal, proposal_id), viewer_id, "proposal")
    assert isinstance(found, Proposal)
    return found


def support_proposal(db: Session, proposal: Proposal, account: AccountRef, *, ip: str | None = None) -> Proposal:
    """A verified person supports once; reaching the threshold obliges an answer by a deadline."""
    require_level(db, account, LEVEL_VERIFIED)
    if proposal.status != ContentStatus.VISIBLE:
        raise NotFound("proposal")
    assert account.person_id is not None
    rate_limit(db, account_id=account.id, ip=ip)
    count_backer(db, proposal, Support(proposal_id=proposal.id, person_id=account.person_id, created_at=now()),
                 Proposal.support_count, Conflict("already_supported", N_("You already support this proposal.")))
    record_activity(db, account, "proposal", proposal.id, "support")
    events.publish(db, PROPOSAL_SUPPORTED, actor_id=account.id, proposal_id=proposal.id)
    due = reach_threshold(db, proposal, proposal.support_count, days=PROPOSAL_ANSWER_DAYS, due=Proposal.answer_due_at)
    if due is not None:
        events.publish(db, PROPOSAL_THRESHOLD_REACHED, proposal_id=proposal.id, answer_due_at=due.isoformat())
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
    events.publish(db, PROPOSAL_ANSWERED, actor_id=actor_id, proposal_id=proposal.id,
                   status=status.value, cost=cost)
    return proposal


def answer_overdue(proposal: Proposal) -> bool:
    return (proposal.answer_due_at is not None and proposal.answered_at is None and now() > proposal.answer_due_at)
