"""Domain events and the transactional outbox.

``publish(db, name, **data)`` is called inside a use case's transaction. It records the
event in ``kernel_event`` (the append-only event store the ledger and analytics read),
runs synchronous subscribers in the same transaction, and writes one outbox row per
asynchronous subscriber. ``smartgov worker`` drains the outbox after commit with retries
and back-off; a message is marked delivered in the same transaction as the handler's own
database effects, so a crash never loses one and never half-delivers one.

Event names are declared before they are used: the publishing module writes
``THING_HAPPENED = events.declare("module.thing_happened", "One line: what it means.")`` in its
``<module>/events.py``; ``publish`` refuses a name nobody declared, and subscribers import the
constant from the publisher (a misspelt name is an ImportError, not a silent subscriber).
Code that reads names back from the event store says so with :func:`reads`.
``tests/web/test_event_catalogue.py`` checks that every name listened for is declared and every
declared name is published somewhere; ``smartgov events`` prints the catalogue (docs/events.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Index, String, Text, cast, func, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from smartgov import clock
from smartgov.db import Base, Database

log = logging.getLogger(__name__)


class EventRecord(Base):
    """Every domain event, in publication order; never updated or deleted."""

    __tablename__ = "kernel_event"
    # The audit log's filters: one person's actions in a period, and a period alone.
    __table_args__ = (Index("ix_kernel_event_actor_occurred", "actor_id", "occurred_at"),
                      Index("ix_kernel_event_occurred", "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]]
    actor_id: Mapped[int | None]
    occurred_at: Mapped[dt.datetime]


class OutboxMessage(Base):
    """Work for one asynchronous subscriber, written in the publishing transaction."""

    __tablename__ = "kernel_outbox"
    __table_args__ = (Index("ix_kernel_outbox_due", "status", "available_at"),
                      # a handler's messages by date: the notifications' delivery status page
                      Index("ix_kernel_outbox_handler", "handler", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    handler: Mapped[str] = mapped_column(String(100))
    event_name: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(default=0)  # tries so far (a failed one sets last_error)
    available_at: Mapped[dt.datetime]  # not before: the next try of a message that failed
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Set when the event is written in the same flush, which then fills ``event_id``.
    event: Mapped[EventRecord | None] = relationship(
        EventRecord, primaryjoin="foreign(OutboxMessage.event_id) == EventRecord.id", lazy="raise")


@dataclass(frozen=True)
class Event:
    """What happened, with enough data for subscribers that cannot read the publisher's tables."""

    name: str
    data: dict[str, Any]
    actor_id: int | None = None
    occurred_at: dt.datetime = field(default_factory=clock.now)
    #: The id when it is known at construction (an event read back from the outbox).
    known_id: int | None = field(default=None, repr=False)
    #: The row written by ``publish``; it gets its id when the publishing session flushes.
    row: EventRecord | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> int | None:
        """The ``kernel_event`` id; None until the publishing session has flushed."""
        if self.known_id is not None or self.row is None:
            return self.known_id
        identity = inspect(self.row).identity
        return int(identity[0]) if identity else None


@dataclass(frozen=True)
class Declaration:
    """One event name in the catalogue: what it means and which module declared it."""

    name: str
    meaning: str
    module: str


class UndeclaredEvent(LookupError):
    """``publish`` was given a name no module declared (a typo, or a missing ``declare``)."""


_NAME = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
_declared: dict[str, Declaration] = {}
_readers: dict[str, set[str]] = {}


def declare(name: str, meaning: str) -> str:
    """Register ``name`` (``module.thing_happened``) with a one-line meaning; returns the name.

    The declaring module is the caller's (its ``__name__``), so the catalogue can say who owns
    a name; a second module declaring the same name is a programming error.
    """
    module = sys._getframe(1).f_globals.get("__name__", "?")
    if not _NAME.fullmatch(name) or len(name) > 100:
        raise ValueError(f"event name {name!r} is not module.thing_happened (at most 100 characters)")
    found = _declared.get(name)
    if found is not None and found.module != module:
        raise ValueError(f"event {name!r} is already declared by {found.module}")
    _declared[name] = Declaration(name, meaning, module)
    return name


def reads(*names: str) -> tuple[str, ...]:
    """Note that the calling module reads ``names`` back from the event store (not subscribed).

    Only recorded, so the catalogue test can check the names exist; returns them unchanged.
    """
    module = sys._getframe(1).f_globals.get("__name__", "?")
    for name in names:
        _readers.setdefault(name, set()).add(module)
    return names


def catalogue() -> list[Declaration]:
    """Every declared event, by name."""
    return sorted(_declared.values(), key=lambda d: d.name)


def listened() -> dict[str, set[str]]:
    """Every name something listens for (``*`` excluded), with who listens: handlers and readers."""
    found: dict[str, set[str]] = {}
    for name, handlers in _sync.items():
        for handler in handlers:
            found.setdefault(name, set()).add(f"{handler.__module__}.{handler.__qualname__}")
    for name, handler_names in _async.items():
        for handler_name in handler_names:
            handler = _async_handlers.get(handler_name)
            who = f"{handler.__module__}.{handler.__qualname__}" if handler else handler_name
            found.setdefault(name, set()).add(who)
    for name, modules in _readers.items():
        found.setdefault(name, set()).update(modules)
    found.pop("*", None)
    return found


def catalogue_markdown() -> str:
    """The platform's catalogue as a markdown table (docs/events.md is this text; a test keeps it current).

    Only names and listeners of ``smartgov`` modules are shown (tests declare their own).
    """
    listeners = {name: {w for w in who if w.startswith("smartgov.")} for name, who in listened().items()}
    lines = [
        "# Event catalogue",
        "",
        "Generated by `smartgov events` from the `events.declare(...)` calls; do not edit by hand.",
        "Every event is written to `kernel_event` and read by the ledger; the last column lists",
        "the other subscribers and readers.",
        "",
        "| event | meaning | declared in | listened to by |",
        "|---|---|---|---|",
    ]
    for d in catalogue():
        if not d.module.startswith("smartgov."):
            continue
        who = ", ".join(f"`{x}`" for x in sorted(listeners.get(d.name, ()))) or "—"
        lines.append(f"| `{d.name}` | {d.meaning} | `{d.module}` | {who} |")
    return "\n".join(lines) + "\n"


SyncHandler = Callable[[Session, Event], None]
AsyncHandler = Callable[[Session, Event, int], None]

PeriodicJob = Callable[[Database], int]

_sync: dict[str, list[SyncHandler]] = {}
_async: dict[str, list[str]] = {}
_async_handlers: dict[str, AsyncHandler] = {}
_periodic: dict[str, PeriodicJob] = {}


def subscribe(event_name: str, handler: SyncHandler) -> None:
    """Run ``handler(db, event)`` inside the publishing transaction (``*`` for every event)."""
    if handler not in _sync.setdefault(event_name, []):
        _sync[event_name].append(handler)


def subscribe_async(event_name: str, handler_name: str, handler: AsyncHandler) -> None:
    """Deliver the event to ``handler(db, event, outbox_id)`` later, through the outbox.

    ``outbox_id`` lets a handler with outside effects (e-mail, SMS) deduplicate them.
    """
    _async_handlers[handler_name] = handler
    if handler_name not in _async.setdefault(event_name, []):
        _async[event_name].append(handler_name)


def register_periodic(name: str, job: PeriodicJob) -> None:
    """Have ``smartgov worker`` call ``job(database)`` every round (it returns how much it did).

    For batch work that reads committed data rather than single events (e.g. the ledger
    appending everything new); the job runs its own transactions.
    """
    _periodic[name] = job


def run_periodic(database: Database) -> int:
    """Run every periodic job once; a failing job is logged and does not stop the others."""
    done = 0
    for name, job in list(_periodic.items()):
        try:
            done += job(database)
        except Exception:
            log.exception("periodic job %s failed", name)
    return done


def since(db: Session, after_id: int, limit: int) -> list[Event]:
    """Up to ``limit`` stored events with an id above ``after_id``, oldest id first (for readers
    of the store that keep a watermark: analytics). On PostgreSQL an id may commit after a larger
    one: the reader keeps the gaps it saw and asks for them again with :func:`by_ids`."""
    rows = db.execute(select(EventRecord.id, EventRecord.name, EventRecord.payload, EventRecord.actor_id,
                             EventRecord.occurred_at).where(EventRecord.id > after_id)
                      .order_by(EventRecord.id).limit(limit)).all()
    return [Event(name, payload, actor_id, occurred_at, known_id=event_id)
            for event_id, name, payload, actor_id, occurred_at in rows]


def by_ids(db: Session, ids: list[int]) -> list[Event]:
    """The stored events among ``ids`` (those committed by now), by id."""
    if not ids:
        return []
    rows = db.execute(select(EventRecord.id, EventRecord.name, EventRecord.payload, EventRecord.actor_id,
                             EventRecord.occurred_at).where(EventRecord.id.in_(ids)).order_by(EventRecord.id)).all()
    return [Event(name, payload, actor_id, occurred_at, known_id=event_id)
            for event_id, name, payload, actor_id, occurred_at in rows]


@dataclass(frozen=True)
class EventFilter:
    """What an auditor narrows the event store to (every part optional, all of them together)."""

    actor_id: int | None = None
    name_prefix: str | None = None  # "identity." or "identity.role_"
    record_key: str | None = None  # a key of the payload naming a record: "account_id", "reference"
    record_value: str | None = None  # its value, compared as text
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive


def search(db: Session, flt: EventFilter, *, limit: int, offset: int = 0) -> tuple[list[Event], int]:
    """Stored events matching ``flt``, newest first, one page of them and how many match in all.

    For the audit log: who did what to which record and when. The record is found in the payload
    (``payload[record_key]`` as text), the same on SQLite and PostgreSQL.
    """
    conditions: list[Any] = []
    if flt.actor_id is not None:
        conditions.append(EventRecord.actor_id == flt.actor_id)
    if flt.name_prefix:
        conditions.append(EventRecord.name.startswith(flt.name_prefix, autoescape=True))
    if flt.record_key and flt.record_value is not None:
        conditions.append(cast(EventRecord.payload[flt.record_key].as_string(), String) == flt.record_value)
    if flt.since is not None:
        conditions.append(EventRecord.occurred_at >= flt.since)
    if flt.until is not None:
        conditions.append(EventRecord.occurred_at < flt.until)
    total = int(db.scalar(select(func.count(EventRecord.id)).where(*conditions)) or 0)
    rows = db.execute(select(EventRecord.id, EventRecord.name, EventRecord.payload, EventRecord.actor_id,
                             EventRecord.occurred_at).where(*conditions)
                      .order_by(EventRecord.id.desc()).limit(limit).offset(offset)).all()
    return [Event(name, payload, actor_id, occurred_at, known_id=event_id)
            for event_id, name, payload, actor_id, occurred_at in rows], total


def last_id(db: Session) -> int:
    """The largest event id stored (0 when none): how far a reader of the store has to go."""
    return int(db.scalar(select(func.max(EventRecord.id))) or 0)


def publish(db: Session, name: str, *, actor_id: int | None = None, **data: Any) -> Event:
    """Record ``name`` with ``data`` (JSON-serialisable) in the current transaction."""
    return publish_event(db, Event(name=name, data=data, actor_id=actor_id, occurred_at=clock.now()))


def publish_event(db: Session, evt: Event) -> Event:
    """``publish`` for an event already built (a planned submission's, at the submission's instant)."""
    row, outbox = rows(evt)
    record = EventRecord(**row)
    db.add(record)
    # No flush here: the events and outbox rows of a use case go to the database together at
    # its next flush, as one multi-row INSERT per table (a flush per event cost a round trip each).
    # Synchronous subscribers therefore see ``evt.id`` as None; it is set from the flush on.
    evt = replace(evt, row=record)
    for handler in sync_handlers(evt.name):
        handler(db, evt)
    for values in outbox:
        msg = OutboxMessage(**values)
        if evt.id is None:
            msg.event = record  # the flush fills event_id
        db.add(msg)
    return evt


def rows(evt: Event, event_id: int | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``kernel_event`` row of ``evt`` and its outbox rows, one per asynchronous subscriber.

    The one place these rows are built: ``publish`` stores them through the session, the
    services' group writer (``services.intake``) as JSON in its group statement (``event_id``:
    the id it took for the event; without one the row has none and the outbox rows wait for it).
    """
    if evt.name not in _declared:
        raise UndeclaredEvent(f"event {evt.name!r} is not declared (events.declare in its module's events.py)")
    event_id = event_id if event_id is not None else evt.id
    row: dict[str, Any] = {"name": evt.name, "payload": evt.data, "actor_id": evt.actor_id,
                           "occurred_at": evt.occurred_at}
    if event_id is not None:
        row["id"] = event_id
    outbox = [_outbox_row(handler_name, evt, event_id) for handler_name in async_handler_names(evt.name)]
    return row, outbox


def _outbox_row(handler_name: str, evt: Event, event_id: int | None) -> dict[str, Any]:
    return {"handler": handler_name, "event_name": evt.name, "event_id": event_id, "payload": outbox_payload(evt),
            "status": "pending", "attempts": 0, "available_at": evt.occurred_at, "created_at": evt.occurred_at}


def sync_handlers(name: str) -> list[SyncHandler]:
    """The handlers ``publish`` runs in the publishing transaction for ``name``."""
    return [*_sync.get(name, []), *_sync.get("*", [])]


def async_handler_names(name: str) -> list[str]:
    """The handlers ``publish`` writes an outbox row for, for ``name``, in order."""
    return [*_async.get(name, []), *_async.get("*", [])]


def outbox_payload(evt: Event) -> dict[str, Any]:
    """What an outbox row keeps of its event (``drain_outbox`` rebuilds the event from it)."""
    return {"data": evt.data, "actor_id": evt.actor_id, "occurred_at": evt.occurred_at.isoformat()}


def enqueue(db: Session, handler_name: str, evt: Event) -> OutboxMessage:
    """Write one outbox row for ``handler_name``; an unflushed event row is linked, not looked up."""
    msg = OutboxMessage(**_outbox_row(handler_name, evt, evt.id))
    if evt.id is None and evt.row is not None:
        msg.event = evt.row  # the flush fills event_id
    db.add(msg)
    return msg


def backoff(attempts: int) -> dt.timedelta:
    """Exponential back-off: 10 s, 20 s, 40 s … capped at one hour."""
    return dt.timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def drain_outbox(database: Database, *, batch: int = 100, max_attempts: int = 8) -> int:
    """Deliver due outbox messages, each in its own transaction; returns how many were delivered.

    On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several workers can
    run; on SQLite the write lock serialises workers.
    """
    delivered = 0
    for _ in range(batch):
        with database.sessions() as db:
            stmt = (
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.available_at <= clock.now())
                .order_by(OutboxMessage.id)
                .limit(1)
            )
            if database.is_postgres:
                stmt = stmt.with_for_update(skip_locked=True)
            msg = db.scalars(stmt).first()
            if msg is None:
                db.rollback()
                break
            handler = _async_handlers.get(msg.handler)
            payload = msg.payload
            evt = Event(
                name=msg.event_name,
                data=payload["data"],
                actor_id=payload.get("actor_id"),
                occurred_at=dt.datetime.fromisoformat(payload["occurred_at"]),
                known_id=msg.event_id,
            )
            try:
                if handler is None:
                    raise LookupError(f"no handler registered as {msg.handler!r}")
                with db.begin_nested():
                    handler(db, evt, msg.id)
            except Exception as exc:
                msg.attempts += 1
                msg.last_error = "".join(traceback.format_exception_only(exc))[-2000:]
                if msg.attempts >= max_attempts:
                    msg.status = "dead"
                    log.error("outbox message %s dead after %s attempts", msg.id, msg.attempts)
                else:
                    msg.available_at = clock.now() + backoff(msg.attempts)
                db.commit()
                continue
            msg.status = "delivered"
            msg.attempts += 1
            msg.delivered_at = clock.now()
            db.commit()
            delivered += 1
    return delivered
