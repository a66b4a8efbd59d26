"""A person's notification centre: the in-app copy of every message sent to their account.

Every read and change is scoped to the caller's own account: another person's message is not
found (404), never refused with a hint that it exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import NotFound
from smartgov.notifications.events import MESSAGES_READ
from smartgov.notifications.models import InboxMessage


def keep(db: Session, *, account_id: int, outbox_id: int, channel: str, template: str | None, lang: str,
         subject: str, body: str, link: str | None, sent: bool) -> None:
    """File the in-app copy of outbox message ``outbox_id`` (once: a redelivery adds nothing)."""
    if db.scalar(select(InboxMessage.id).where(InboxMessage.outbox_id == outbox_id)) is not None:
        return
    db.add(InboxMessage(account_id=account_id, outbox_id=outbox_id, channel=channel, template=template, lang=lang,
                        subject=subject[:1000], body=body, link=link, sent=sent, created_at=clock.now()))


def messages(db: Session, account_id: int, *, unread_only: bool = False, limit: int = 20,
             offset: int = 0) -> tuple[list[InboxMessage], int]:
    """One page of the account's messages, newest first, and how many there are."""
    conditions = [InboxMessage.account_id == account_id]
    if unread_only:
        conditions.append(InboxMessage.read_at.is_(None))
    total = int(db.scalar(select(func.count(InboxMessage.id)).where(*conditions)) or 0)
    rows = list(db.scalars(select(InboxMessage).where(*conditions).order_by(InboxMessage.id.desc())
                           .limit(limit).offset(offset)))
    return rows, total


def unread_count(db: Session, account_id: int) -> int:
    """How many of the account's messages are unread (the header's badge)."""
    return int(db.scalar(select(func.count(InboxMessage.id)).where(InboxMessage.account_id == account_id,
                                                                   InboxMessage.read_at.is_(None))) or 0)


def message(db: Session, account_id: int, message_id: int) -> InboxMessage:
    """The account's own message ``message_id`` (404 for anyone else's)."""
    row = db.get(InboxMessage, message_id)
    if row is None or row.account_id != account_id:
        raise NotFound("message")
    return row


def mark_read(db: Session, account_id: int, message_ids: Sequence[int] | None = None) -> int:
    """Mark the account's messages read (``None``: all of them); returns how many changed.

    An id that is not the account's is not found (404) and nothing changes.
    """
    conditions = [InboxMessage.account_id == account_id, InboxMessage.read_at.is_(None)]
    if message_ids is not None:
        for message_id in message_ids:
            message(db, account_id, message_id)
        conditions.append(InboxMessage.id.in_(list(message_ids)))
    changed = db.execute(update(InboxMessage).where(*conditions).values(read_at=clock.now())
                         .execution_options(synchronize_session="fetch")).rowcount
    if changed:
        events.publish(db, MESSAGES_READ, actor_id=account_id, account_id=account_id,
                       messages=list(message_ids) if message_ids is not None else "all", count=changed)
    return int(changed or 0)
