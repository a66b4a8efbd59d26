"""Moderation: reports, hiding and restoring content, blocking accounts, the queue and its log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartgov import events, identity
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import AccountRef
from smartgov.participation.events import CONTENT_REPORTED, MODERATION_ACTION
from smartgov.participation.models import Block, Comment, ContentStatus, ModerationAction, Petition, Proposal, Report

from .common import REPORTS_TO_HIDE, now, rate_limit, subject_of

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
        subject = subject_of(db, item.subject_kind, item.subject_id)
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
    events.publish(db, CONTENT_REPORTED, actor_id=account.id, kind=kind, content_id=content_id,
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
    events.publish(db, MODERATION_ACTION, actor_id=moderator_id, action=action, kind=kind,
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
