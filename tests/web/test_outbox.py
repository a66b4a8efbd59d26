"""The transactional outbox: delivery after commit, retries with back-off, exactly once across crashes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from smartgov import clock, events
from smartgov.events import OutboxMessage
from smartgov.identity import service
from smartgov.notifications import sinks
from tests.factories import create_account, sent_mail

# The test modules publish names of their own; publish refuses a name nobody declared.
events.declare("test.thing_happened", "Published by the tests only.")
events.declare("test.linked", "Published by the tests only.")


class WorkerKilled(BaseException):
    """Stands for the worker process dying (kill -9): nothing after it runs, no commit happens."""


def request_reset(database, username: str) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        service.request_password_reset(db, username)


def test_nothing_is_queued_when_the_transaction_rolls_back(database, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="rollback", email="rb@example.ir")
    db.commit()
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        service.request_password_reset(session, "rollback")
        raise RuntimeError("use case failed after queuing")
    assert db.scalars(select(OutboxMessage)).all() == []


def test_reset_email_is_delivered_exactly_once_when_the_worker_dies_mid_way(
    database, db, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="once", email="once@example.ir")
    db.commit()
    request_reset(database, "once")
    real_send = sinks.FolderEmailSender.send

    def send_then_die(self, **kw):  # type: ignore[no-untyped-def]
        real_send(self, **kw)  # the e-mail leaves ...
        raise WorkerKilled()  # ... and the worker dies before it can record that

    monkeypatch.setattr(sinks.FolderEmailSender, "send", send_then_die)
    with pytest.raises(WorkerKilled):
        events.drain_outbox(database)
    msg = db.scalar(select(OutboxMessage).where(OutboxMessage.handler == "notifications.email"))
    assert msg.status == "pending"  # not marked: the transaction never committed
    monkeypatch.setattr(sinks.FolderEmailSender, "send", real_send)
    assert events.drain_outbox(database) == 1  # the restarted worker delivers it again ...
    assert events.drain_outbox(database) == 0
    mails = sent_mail(settings.data_dir)
    assert len(mails) == 1  # ... but the sink keyed by message id sent it once
    db.expire_all()
    assert db.get(OutboxMessage, msg.id).status == "delivered"


def test_failures_are_retried_with_back_off_then_marked_dead(database, db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="retry", email="retry@example.ir")
    db.commit()
    request_reset(database, "retry")

    def smtp_down(self, **kw):  # type: ignore[no-untyped-def]
        raise ConnectionError("smtp down")

    monkeypatch.setattr(sinks.FolderEmailSender, "send", smtp_down)
    assert events.drain_outbox(database) == 0
    msg = db.scalar(select(OutboxMessage).where(OutboxMessage.handler == "notifications.email"))
    assert msg.attempts == 1 and "smtp down" in msg.last_error
    assert msg.available_at >= clock.now() + dt.timedelta(seconds=9)
    assert events.drain_outbox(database) == 0  # not due yet: no busy loop
    db.expire_all()
    assert db.get(OutboxMessage, msg.id).attempts == 1
    for _ in range(settings.worker_max_attempts):
        clock.advance(dt.timedelta(hours=1))
        events.drain_outbox(database, max_attempts=settings.worker_max_attempts)
    db.expire_all()
    assert db.get(OutboxMessage, msg.id).status == "dead"
    assert sent_mail(settings.data_dir) == []


def test_sync_subscribers_run_in_the_publishing_transaction(database) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    events.subscribe("test.thing_happened", lambda db, evt: seen.append(evt.data["what"]))
    with database.unit_of_work() as db:
        evt = events.publish(db, "test.thing_happened", what="x")
    assert seen == ["x"] and evt.id is not None


def test_outbox_rows_point_at_their_event_though_publish_does_not_flush(database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(events, "_async", {"test.linked": ["test.linked_handler"]})
    with database.unit_of_work() as db:
        evt = events.publish(db, "test.linked", n=1)
        assert evt.id is None  # not flushed yet ...
        events.enqueue(db, "test.linked_handler", events.Event(name="test.replayed", data={}, known_id=4242))
    assert evt.id is not None  # ... the commit's flush gave it its id
    with database.sessions() as db:
        linked = dict(db.execute(select(OutboxMessage.event_name, OutboxMessage.event_id)).tuples().all())
    assert linked == {"test.linked": evt.id, "test.replayed": 4242}
