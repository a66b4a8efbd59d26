"""The ledger over the database: events in, signed heads out, tampering found at the exact entry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from smartgov import clock, events
from smartgov.errors import DomainError
from smartgov.events import EventRecord
from smartgov.identity import service as identity
from smartgov.ledger import service
from smartgov.ledger.models import LedgerEntry, LedgerKey, LedgerNode, LedgerState, LedgerTreeHead
from tests.factories import PASSWORD, create_account

from . import rfc9162
from .conftest import ledger_rows, publish


def report_codes(database) -> list[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    with database.sessions() as db:
        return [(f.code, f.entry) for f in service.verify(db).findings]


def test_events_published_by_the_platform_end_up_in_the_ledger(database, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="ledgeruser")
    db.commit()
    with database.unit_of_work() as session:
        identity.authenticate(session, "ledgeruser", PASSWORD, "10.0.0.1")
    with database.unit_of_work() as session, pytest.raises(DomainError):
        identity.authenticate(session, "ledgeruser", "wrong-password-1", "10.0.0.1")
    with database.unit_of_work() as session:  # a failed login is recorded by the caller committing anyway
        identity.authenticate(session, "ledgeruser", PASSWORD, "10.0.0.2")
        events.publish(session, "identity.login_failed", username="ledgeruser", ip="10.0.0.3")
    appended = service.append_pending(database)
    kernel = list(db.scalars(select(EventRecord).order_by(EventRecord.id)))
    rows = ledger_rows(db)
    assert appended == len(rows) == len(kernel)
    assert [r.event_id for r in rows] == [e.id for e in kernel]
    names = [r.event_name for r in rows]
    assert {"identity.account_created", "identity.login_succeeded", "identity.login_failed",
            "ledger.key_created"} <= set(names)
    for row, event in zip(rows, kernel, strict=True):
        body = json.loads(row.data)
        assert body["event"] == event.name and body["data"] == event.payload and body["actor_id"] == event.actor_id
        assert bytes(row.leaf_hash) == rfc9162.leaf(bytes(row.data))
    head = service.latest_head(db)
    assert head is not None and head.head.tree_size == len(rows)
    assert head.head.root_hash == rfc9162.mth([bytes(r.data) for r in rows])
    with database.sessions() as session:
        assert service.verify(session).ok


def test_append_is_batched_and_idempotent(database, db) -> None:  # type: ignore[no-untyped-def]
    publish(database, 25)
    assert service.append_pending(database, max_batch=10) == 26  # + the key-creation event
    heads = db.scalar(select(func.count()).select_from(LedgerTreeHead))
    assert heads == 3  # one signed head per batch: 10, 20, 26
    assert service.append_pending(database, max_batch=10) == 0
    assert db.scalar(select(func.count()).select_from(LedgerTreeHead)) == heads  # nothing new, nothing signed
    assert db.scalar(select(LedgerState.event_watermark)) == db.scalar(select(func.max(EventRecord.id)))
    # every complete subtree is stored once: 2n - popcount(n) nodes for n leaves
    assert db.scalar(select(func.count()).select_from(LedgerNode)) == 2 * 26 - bin(26).count("1")


def test_worker_round_appends_and_signs(database, db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from smartgov.cli import app as cli

    publish(database, 3)
    assert "ledger.append" in events._periodic
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    head = service.latest_head(db)
    assert head is not None and head.head.tree_size == 4


def test_run_periodic_isolates_a_failing_job(database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def broken(_db):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(events, "_periodic", {})
    events.register_periodic("test.broken", broken)
    events.register_periodic("test.counting", lambda _db: calls.append("ran") or 2)
    assert events.run_periodic(database) == 2
    assert calls == ["ran"]


def _raw_event(db, event_id: int, at: dt.datetime | None = None) -> None:  # type: ignore[no-untyped-def]
    """A kernel_event row with a chosen id, as a transaction that took that id would commit it."""
    db.add(EventRecord(id=event_id, name="test.raw", payload={"id": event_id}, actor_id=None,
                       occurred_at=at or clock.now()))
    db.commit()


def test_an_event_committed_after_a_later_one_is_still_appended(database, db) -> None:  # type: ignore[no-untyped-def]
    first = publish(database, 2)[-1]
    service.append_pending(database)  # creates the signing key (an event of its own)
    first += 1
    _raw_event(db, first + 2)  # first + 1 is still in flight
    service.append_pending(database)
    assert db.scalar(select(LedgerState.event_watermark)) == first  # stays below the gap
    _raw_event(db, first + 1)  # ... and commits now
    assert service.append_pending(database) == 1
    ids = [r.event_id for r in ledger_rows(db)]
    assert ids[-2:] == [first + 2, first + 1]  # appended in the order they became visible
    assert sorted(ids) == list(range(1, first + 3))
    assert db.scalar(select(LedgerState.event_watermark)) == first + 2


def test_a_gap_older_than_the_grace_period_is_passed(database, db) -> None:  # type: ignore[no-untyped-def]
    last = publish(database, 2)[-1] + 1
    service.append_pending(database)  # creates the signing key (an event of its own)
    _raw_event(db, last + 2)  # last + 1 rolled back
    service.append_pending(database)
    assert db.scalar(select(LedgerState.event_watermark)) == last
    clock.advance(service.DEFAULT_GAP_GRACE + dt.timedelta(seconds=1))
    service.append_pending(database)
    db.expire_all()
    assert db.scalar(select(LedgerState.event_watermark)) == last + 2


def test_concurrent_transactions_committing_out_of_order(database, db) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL ids are handed out at insert; the later id may commit first."""
    if not database.is_postgres:
        pytest.skip("SQLite serialises writers: ids always commit in order")
    service.append_pending(database)  # creates the signing key first
    slow = database.sessions()
    slow_event = events.publish(slow, "test.slow")
    slow.flush()  # takes its id, does not commit yet
    slow_id = slow_event.id
    fast = publish(database, 1, "test.fast")[0]
    assert fast > slow_id
    service.append_pending(database)
    assert [r.event_name for r in ledger_rows(db)] == ["ledger.key_created", "test.fast"]
    slow.commit()
    slow.close()
    assert service.append_pending(database) == 1
    rows = ledger_rows(db)
    assert rows[-1].event_id == slow_id
    assert len({r.event_id for r in rows}) == len(rows) == db.scalar(select(func.count()).select_from(EventRecord))
    with database.sessions() as session:
        assert service.verify(session).ok


# --------------------------------------------------------------------------- tampering


@pytest.fixture
def filled(database, db):  # type: ignore[no-untyped-def]
    """A ledger of 40 entries signed in batches of 7."""
    publish(database, 39)
    service.append_pending(database, max_batch=7)
    assert len(ledger_rows(db)) == 40
    return database


def test_intact_ledger_verifies(filled) -> None:  # type: ignore[no-untyped-def]
    assert report_codes(filled) == []


def test_changed_payload_is_named(filled, db) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(db.scalar(select(LedgerEntry.data).where(LedgerEntry.leaf_index == 17)))
    data["data"]["seq"] = 999
    db.execute(text("UPDATE ledger_entry SET data = :d WHERE leaf_index = 17"),
               {"d": json.dumps(data).encode()})
    db.commit()
    codes = report_codes(filled)
    assert codes[0] == ("entry_changed", 17)
    with filled.sessions() as session:
        report = service.verify(session)
    assert report.first is not None and report.first.entry == 17
    assert "17" in report.first.localized("en") and "۱۷" in report.first.localized("fa")


def test_deleted_row_is_named(filled, db) -> None:  # type: ignore[no-untyped-def]
    db.execute(text("DELETE FROM ledger_entry WHERE leaf_index = 23"))
    db.commit()
    codes = report_codes(filled)
    assert codes[0] == ("entry_removed", 23)


def test_swapped_rows_are_named(filled, db) -> None:  # type: ignore[no-untyped-def]
    a, b = (db.scalar(select(LedgerEntry.data).where(LedgerEntry.leaf_index == i)) for i in (11, 12))
    db.execute(text("UPDATE ledger_entry SET data = :d WHERE leaf_index = 11"), {"d": b})
    db.execute(text("UPDATE ledger_entry SET data = :d WHERE leaf_index = 12"), {"d": a})
    db.commit()
    codes = report_codes(filled)
    assert codes[0] == ("entry_reordered", 11)


def test_rewritten_entries_and_tree_are_caught_by_the_signed_heads(filled, db) -> None:  # type: ignore[no-untyped-def]
    """Someone who rewrites an entry and recomputes every stored hash still disagrees with the signatures."""
    from smartgov.ledger import MemoryHashStore, append_entries

    rows = ledger_rows(db)
    forged = [bytes(r.data) for r in rows]
    forged[30] = forged[30].replace(b'"seq":', b'"seq":1')
    store = MemoryHashStore()
    append_entries(store, forged)
    db.execute(text("UPDATE ledger_entry SET data = :d, leaf_hash = :h WHERE leaf_index = 30"),
               {"d": forged[30], "h": rfc9162.leaf(forged[30])})
    db.execute(text("DELETE FROM ledger_node"))
    for level, count in enumerate(store._levels):
        for idx in range(len(count) // 32):
            db.execute(text("INSERT INTO ledger_node (level, idx, hash) VALUES (:l, :i, :h)"),
                       {"l": level, "i": idx, "h": bytes(count[idx * 32:(idx + 1) * 32])})
    db.commit()
    codes = report_codes(filled)
    assert codes and all(code == "head_root_mismatch" for code, _ in codes)
    assert codes[0][1] == 28  # the last good head covered 28 entries: the damage is in #28..#34


def test_lookup_hash_tampering_is_named(filled, db) -> None:  # type: ignore[no-untyped-def]
    db.execute(text("UPDATE ledger_entry SET leaf_hash = :h WHERE leaf_index = 5"), {"h": b"\x01" * 32})
    db.commit()
    assert report_codes(filled) == [("lookup_mismatch", 5)]


# --------------------------------------------------------------------------- keys


def test_key_rotation_keeps_old_heads_verifiable(database, db, settings) -> None:  # type: ignore[no-untyped-def]
    publish(database, 5)
    service.append_pending(database)
    old = service.latest_head(db)
    clock.advance(dt.timedelta(seconds=5))
    with database.unit_of_work() as session:
        service.rotate_key(session)
    publish(database, 5)
    service.append_pending(database)
    new = service.latest_head(db)
    assert old is not None and new is not None and old.key_id != new.key_id
    keys = list(db.scalars(select(LedgerKey).order_by(LedgerKey.id)))
    assert len(keys) == 2 and keys[0].retired_at_ms is not None and keys[0].sealed_private_key is None
    assert keys[1].retired_at_ms is None and keys[1].sealed_private_key
    with database.sessions() as session:
        ring = service.keyring(session)
        assert ring.is_valid(old) and ring.is_valid(new)
        assert service.verify(session).ok
    rotation = [json.loads(r.data) for r in ledger_rows(db) if r.event_name == "ledger.key_rotated"]
    assert rotation and rotation[0]["data"]["new_key_id"] == bytes(keys[1].key_id).hex()
    assert rotation[0]["data"]["retired_key_ids"] == [bytes(keys[0].key_id).hex()]


def test_a_head_signed_later_with_the_retired_key_is_refused(database, db) -> None:  # type: ignore[no-untyped-def]
    from smartgov.ledger import TreeHead, TreeHeadSigner

    publish(database, 2)
    service.append_pending(database)
    with database.unit_of_work() as session:
        key = session.scalars(select(LedgerKey)).one()
        leaked = service._unseal(key)  # the private key as it was before rotation
        service.rotate_key(session)
    assert isinstance(leaked, TreeHeadSigner)
    with database.sessions() as session:
        ring = service.keyring(session)
        retired_at = session.scalars(select(LedgerKey.retired_at_ms)).first()
    forged = leaked.sign(TreeHead("x", 1, b"\x00" * 32, retired_at + 1))
    assert not ring.is_valid(forged)


def test_private_key_is_sealed_under_the_secret(database, db, settings) -> None:  # type: ignore[no-untyped-def]
    from smartgov.settings import Settings, use_settings

    publish(database, 1)
    service.append_pending(database)
    key = db.scalars(select(LedgerKey)).one()
    assert len(key.sealed_private_key) == 12 + 32 + 16  # nonce, Ed25519 seed, GCM tag
    use_settings(Settings(**{**settings.model_dump(), "secret_key": "another-secret-" * 3}))
    try:
        publish(database, 1)
        with pytest.raises(DomainError) as err:
            service.append_pending(database)
        assert err.value.code == "ledger_key_sealed"
    finally:
        use_settings(settings)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(event_id=st.integers(1, 2**62), name=st.text(min_size=1, max_size=40),
       actor=st.none() | st.integers(1, 2**31), data=st.dictionaries(st.text(max_size=10), _json, max_size=5),
       micros=st.integers(0, 10**15))
@hsettings(max_examples=200)
def test_entry_bytes_are_the_canonical_json_of_the_event(event_id, name, actor, data, micros) -> None:  # type: ignore[no-untyped-def]
    when = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)
    expected = service.canonical_json({"v": 1, "event_id": event_id, "event": name, "actor_id": actor, "data": data,
                                       "occurred_at": when.isoformat(timespec="microseconds")})
    assert service.entry_data(event_id, name, when, actor, data) == expected
    assert json.loads(expected)["data"] == data
