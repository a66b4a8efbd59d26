"""Delivery status of every message, read from the outbox rows the worker keeps.

The outbox already records what delivery needs (status, attempts, last error, when the next try
is due); the in-app copy adds whether a channel was skipped at the recipient's request. Status as
people read it: queued (not tried yet), retrying (failed, another try due), sent, failed (given
up), not sent (the recipient turned this channel off).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from smartgov.events import OutboxMessage
from smartgov.notifications.models import InboxMessage

HANDLERS: dict[str, str] = {"email": "notifications.email", "sms": "notifications.sms"}
CHANNEL_OF = {handler: channel for channel, handler in HANDLERS.items()}
STATUSES: tuple[str, ...] = ("queued", "retrying", "sent", "failed", "skipped")


@dataclass(frozen=True)
class DeliveryFilter:
    """What an admin narrows the list to (every part optional, all of them together)."""

    channel: str | None = None
    status: str | None = None
    template: str | None = None
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive


@dataclass(frozen=True)
class Delivery:
    """One message and where its delivery stands."""

    id: int
    channel: str
    template: str | None
    to: str
    status: str
    attempts: int
    last_error: str | None
    next_try: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


def _status_condition(status: str) -> Any:
    skipped = InboxMessage.sent.is_(False)
    return {
        "queued": and_(OutboxMessage.status == "pending", OutboxMessage.attempts == 0),
        "retrying": and_(OutboxMessage.status == "pending", OutboxMessage.attempts > 0),
        "sent": and_(OutboxMessage.status == "delivered", or_(InboxMessage.id.is_(None), InboxMessage.sent.is_(True))),
        "failed": OutboxMessage.status == "dead",
        "skipped": and_(OutboxMessage.status == "delivered", skipped),
    }[status]


def _status_of(row_status: str, attempts: int, sent: bool | None) -> str:
    if row_status == "pending":
        return "retrying" if attempts else "queued"
    if row_status == "dead":
        return "failed"
    return "skipped" if sent is False else "sent"


def search(db: Session, flt: DeliveryFilter, *, limit: int, offset: int = 0) -> tuple[list[Delivery], int]:
    """Messages matching ``flt``, newest first: one page of them and how many match in all."""
    handlers = [HANDLERS[flt.channel]] if flt.channel else list(HANDLERS.values())
    conditions: list[Any] = [OutboxMessage.handler.in_(handlers)]
    if flt.status:
        conditions.append(_status_condition(flt.status))
    if flt.template:
        conditions.append(cast(OutboxMessage.payload[("data", "template")].as_string(), String) == flt.template)
    if flt.since is not None:
        conditions.append(OutboxMessage.created_at >= flt.since)
    if flt.until is not None:
        conditions.append(OutboxMessage.created_at < flt.until)
    joined = select(OutboxMessage.id).outerjoin(InboxMessage, InboxMessage.outbox_id == OutboxMessage.id)
    total = int(db.scalar(select(func.count()).select_from(joined.where(*conditions).subquery())) or 0)
    rows = db.execute(
        select(OutboxMessage.id, OutboxMessage.handler, OutboxMessage.payload, OutboxMessage.status,
               OutboxMessage.attempts, OutboxMessage.last_error, OutboxMessage.available_at,
               OutboxMessage.created_at, OutboxMessage.delivered_at, InboxMessage.sent)
        .outerjoin(InboxMessage, InboxMessage.outbox_id == OutboxMessage.id)
        .where(*conditions).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).all()
    found = []
    for (msg_id, handler, payload, status, attempts, error, available, created, delivered, sent) in rows:
        data = payload.get("data", {})
        shown = _status_of(status, attempts, sent)
        found.append(Delivery(msg_id, CHANNEL_OF[handler], data.get("template"), str(data.get("to", "")), shown,
                              attempts, error, available if shown == "retrying" else None, created, delivered))
    return found, total
