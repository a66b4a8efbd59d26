"""Accountability tracking of decisions: items, milestones, progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.db import get_or_not_found
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import OrganizationRef
from smartgov.participation.events import ACCOUNTABILITY_CREATED, ACCOUNTABILITY_UPDATED
from smartgov.participation.models import AccountabilityItem, ItemStatus, Milestone, Proposal

from .common import now, today
from .consultations import consultation_by_id


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
    events.publish(db, ACCOUNTABILITY_CREATED, actor_id=actor_id, item_id=item.id)
    return item


def item_by_id(db: Session, item_id: int) -> AccountabilityItem:
    return get_or_not_found(db, AccountabilityItem, item_id, "accountability")


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
    events.publish(db, ACCOUNTABILITY_UPDATED, actor_id=actor_id, item_id=item.id,
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
