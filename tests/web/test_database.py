"""The database kernel on PostgreSQL: read sessions (no transaction until the first write), counters."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from smartgov import clock, events
from smartgov.events import EventRecord

# The test modules publish names of their own; publish refuses a name nobody declared.
events.declare("test.read_then_write", "Published by the tests only.")
events.declare("test.locked", "Published by the tests only.")
events.declare("test.in_savepoint", "Published by the tests only.")


@pytest.fixture
def pg(database):  # type: ignore[no-untyped-def]
    if not database.is_postgres:
        pytest.skip("PostgreSQL only: on SQLite a transaction costs no round trip and counters stay in the caller's transaction")
    return database


def status(session) -> str:  # type: ignore[no-untyped-def]
    return session.connection().connection.dbapi_connection.info.transaction_status.name


def count(database) -> int:  # type: ignore[no-untyped-def]
    with database.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(EventRecord)))


def test_plain_reads_open_no_transaction(pg) -> None:  # type: ignore[no-untyped-def]
    with pg.read_sessions() as s:
        s.scalar(select(func.count()).select_from(EventRecord))
        assert status(s) == "IDLE"
        s.commit()  # nothing to send


def test_a_write_gets_one_transaction_that_commits_or_rolls_back_whole(pg) -> None:  # type: ignore[no-untyped-def]
    with pg.read_sessions() as s:
        s.scalar(select(func.count()).select_from(EventRecord))
        events.publish(s, "test.read_then_write", n=1)
        events.publish(s, "test.read_then_write", n=2)
        s.flush()
        assert status(s) == "INTRANS" and count(pg) == 0  # not visible before commit
        s.rollback()
    assert count(pg) == 0
    with pg.read_sessions() as s:
        events.publish(s, "test.read_then_write", n=1)
        s.commit()
        assert status(s) == "IDLE"
    assert count(pg) == 1


def test_locking_reads_and_savepoints_run_inside_a_transaction(pg) -> None:  # type: ignore[no-untyped-def]
    with pg.unit_of_work() as s:
        events.publish(s, "test.locked")
    with pg.read_sessions() as s:
        s.scalars(select(EventRecord).with_for_update()).all()
        assert status(s) == "INTRANS"  # the lock is held until the session ends
        s.rollback()
        with s.begin_nested():
            events.publish(s, "test.in_savepoint")
        assert status(s) == "INTRANS"
        s.commit()
    assert count(pg) == 2


def test_a_token_used_only_for_reads_still_records_its_use(client, db) -> None:  # type: ignore[no-untyped-def]
    """GET routes do not commit; the token's last use is committed on its own."""
    from smartgov.identity.models import ApiToken
    from tests.factories import api_token, auth, create_account

    account = create_account(db, username="reader")
    db.commit()
    token = api_token(client, account)
    assert db.scalar(select(ApiToken.last_used_at).where(ApiToken.account_id == account.id)) is None
    assert client.get("/api/v1/identity/me", headers=auth(token)).status_code == 200
    db.expire_all()
    assert db.scalar(select(ApiToken.last_used_at).where(ApiToken.account_id == account.id)) is not None


def test_browsing_pages_slides_the_session_expiry(client, db) -> None:  # type: ignore[no-untyped-def]
    from smartgov.identity.models import LoginSession
    from tests.factories import create_account
    from tests.identity.test_identity_pages import login

    create_account(db, username="browser")
    db.commit()
    login(client, "browser")
    first = db.scalar(select(LoginSession.expires_at))
    clock.advance(dt.timedelta(minutes=10))
    assert client.get("/account").status_code == 200
    db.expire_all()
    assert db.scalar(select(LoginSession.expires_at)) - first >= dt.timedelta(minutes=10)


def test_counters_commit_without_waiting_for_the_flush_and_nothing_else_does(pg) -> None:  # type: ignore[no-untyped-def]
    from smartgov.services.service import next_number

    with pg.bookkeeping() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
    with pg.sessions() as s:
        assert s.connection().exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
        first, second = next_number(s, "T-{seq:04d}"), next_number(s, "T-{seq:04d}")
        s.rollback()  # the numbers were taken for good: the next one does not reuse them
        assert (first, second) == ("T-0001", "T-0002") and next_number(s, "T-{seq:04d}") == "T-0003"


def test_a_connection_idle_for_a_while_is_pinged_before_use(pg, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A server restart or idle timeout in a quiet spell costs no request; a busy pool pings nothing."""
    from sqlalchemy import exc, text

    from smartgov import db as kernel

    def backend() -> int:
        with pg.sessions() as s:
            return int(s.scalar(text("SELECT pg_backend_pid()")))

    def drop_behind_the_pools_back(pid: int) -> None:
        with pg.bookkeeping() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()

    first = backend()
    assert backend() == first  # LIFO: the warm connection again
    drop_behind_the_pools_back(first)
    with pytest.raises(exc.OperationalError):  # recently used: not pinged, so the one request fails…
        backend()
    second = backend()  # …and the pool has replaced its connections
    drop_behind_the_pools_back(second)
    monkeypatch.setattr(kernel, "IDLE_PING_SECONDS", 0.0)  # as if it had sat idle
    assert backend() not in (first, second)


def test_hot_read_connections_keep_the_urls_own_settings() -> None:
    """The URL's parameters win over HotReads' defaults; its options are kept beside the timeouts."""
    from sqlalchemy import create_engine

    from smartgov.db import HotReads

    engine = create_engine("postgresql+psycopg://app:secret@db.example:6432/gov?application_name=sg-api"
                           "&connect_timeout=9&options=-c%20search_path%3Dgov")
    info = HotReads(engine)._conninfo
    assert "application_name=sg-api" in info and "connect_timeout=9" in info and "port=6432" in info
    assert "search_path=gov" in info and "statement_timeout=" in info and "timezone=UTC" in info
    bare = HotReads(create_engine("postgresql+psycopg://app@db.example/gov"))._conninfo
    assert f"application_name={HotReads.NAME}" in bare and "connect_timeout=2" in bare
