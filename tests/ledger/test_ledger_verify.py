"""`verify_log`: recompute everything and name the exact entry that was changed, removed or reordered."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartgov.ledger import (
    KeyRing,
    MemoryHashStore,
    SignedTreeHead,
    TreeHead,
    TreeHeadSigner,
    append_entries,
    leaf_hash,
    root_hash,
    verify_log,
)

LOG = "smartgov.test/ledger"
N = 100
HEAD_SIZES = (0, 1, 17, 40, 64, 99, 100)


def entries(n: int = N) -> list[bytes]:
    return [f'{{"seq": {i}, "event": "application.submitted"}}'.encode() for i in range(n)]


def make_log(
    data: list[bytes], signer: TreeHeadSigner, sizes: tuple[int, ...] = HEAD_SIZES
) -> tuple[MemoryHashStore, list[SignedTreeHead]]:
    store = MemoryHashStore()
    heads = []
    done = 0
    for ts, size in enumerate(sizes):
        append_entries(store, data[done:size])
        done = size
        heads.append(signer.sign(TreeHead(LOG, size, root_hash(store), 1_000 + ts)))
    append_entries(store, data[done:])
    return store, heads


@pytest.fixture
def log() -> tuple[list[bytes], MemoryHashStore, list[SignedTreeHead], KeyRing]:
    signer = TreeHeadSigner.generate()
    ring = KeyRing()
    ring.add(signer.public_key)
    data = entries()
    store, heads = make_log(data, signer)
    return data, store, heads, ring


def codes(report) -> list[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    return [(f.code, f.entry) for f in report.findings]


def test_intact_log_verifies(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    report = verify_log(data, store, heads, ring, log_id=LOG)
    assert report.ok, codes(report)
    assert (report.entries, report.tree_size, report.heads_checked) == (N, N, len(HEAD_SIZES))
    assert report.first is None


def test_changed_entry_is_named(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    data[37] = data[37].replace(b"submitted", b"approved")
    report = verify_log(data, store, heads, ring)
    assert report.first is not None
    assert (report.first.code, report.first.entry) == ("entry_changed", 37)
    assert report.first.localized("en") == "Entry #37 has been changed."
    assert "۳۷" in report.first.localized("fa")
    # Heads after entry 37 no longer match; each bounds the change to entries since the last good head.
    mismatched = [
        (f.params["size"], f.entry, f.params["last"])
        for f in report.findings
        if f.code == "head_root_mismatch"
    ]
    assert mismatched == [(40, 17, 39), (64, 17, 63), (99, 17, 98), (100, 17, 99)]


def test_removed_entry_is_named_once_not_as_a_cascade(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    del data[37]
    report = verify_log(data, store, heads, ring)
    entry_level = [c for c in codes(report) if c[0].startswith("entr")]
    assert entry_level == [("entry_removed", 37)]
    assert report.first is not None and report.first.entry == 37


def test_removed_last_entries_are_named(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    report = verify_log(data[:95], store, heads, ring)
    assert ("entries_missing", 95) in codes(report)
    missing = next(f for f in report.findings if f.code == "entries_missing")
    assert missing.localized("en") == "Entries #95 to #99 are missing: the log ends early."


def test_reordered_entries_are_named(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    data[37], data[38] = data[38], data[37]
    report = verify_log(data, store, heads, ring)
    entry_level = [
        (f.code, f.entry, f.params.get("other")) for f in report.findings if f.code.startswith("entr")
    ]
    assert entry_level == [("entry_reordered", 37, 38), ("entry_reordered", 38, 37)]


def test_inserted_entry_is_named(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    data.insert(50, b'{"forged": true}')
    report = verify_log(data, store, heads, ring)
    assert [c for c in codes(report) if c[0].startswith("entr")] == [("entry_inserted", 50)]


def test_tampered_stored_hash_is_found(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    store.put_nodes([(2, 5, leaf_hash(b"junk"))], store.size)  # the subtree over entries 20..23
    report = verify_log(data, store, heads, ring)
    assert codes(report) == [("node_mismatch", 20)]
    assert report.findings[0].params["last"] == 23


def test_rewrite_with_a_recomputed_tree_is_caught_by_the_signed_heads(log) -> None:  # type: ignore[no-untyped-def]
    data, _, heads, ring = log
    data[70] = b'{"seq": 70, "event": "payment.refunded"}'
    forged_store = MemoryHashStore()
    append_entries(forged_store, data)  # a consistent tree over the forged entries
    report = verify_log(data, forged_store, heads, ring)
    assert [(f.code, f.entry, f.params["last"]) for f in report.findings] == [
        ("head_root_mismatch", 64, 98),
        ("head_root_mismatch", 64, 99),
    ]


def test_head_problems_are_reported(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    stranger = TreeHeadSigner.generate()
    foreign = stranger.sign(heads[-1].head)
    report = verify_log(data, store, [*heads, foreign], ring)
    assert [f.code for f in report.findings] == ["head_signature"]
    assert report.findings[0].message == "The tree head is signed by an unknown key."
    assert [f.code for f in verify_log(data[:50], store, heads[:3], ring).findings] == ["entries_missing"]
    out_of_order = verify_log(data, store, [heads[3], heads[2]], ring)
    assert [f.code for f in out_of_order.findings] == ["head_out_of_order"]
    other = verify_log(data, store, heads, ring, log_id="another")
    assert {f.code for f in other.findings} == {"head_other_log"}


def test_rotated_keys_verify_the_whole_history() -> None:
    old, new = TreeHeadSigner.generate(), TreeHeadSigner.generate()
    ring = KeyRing()
    ring.add(old.public_key)
    ring.add(new.public_key)
    ring.retire(old.key_id, at_ms=1_003)
    data = entries()
    store, heads = make_log(data, old, HEAD_SIZES[:4])
    heads += [new.sign(TreeHead(LOG, N, root_hash(store), 2_000))]
    assert verify_log(data, store, heads, ring).ok
    late = old.sign(TreeHead(LOG, N, root_hash(store), 2_001))
    assert [f.code for f in verify_log(data, store, [*heads, late], ring).findings] == ["head_signature"]


def test_entries_not_yet_hashed_are_reported(log) -> None:  # type: ignore[no-untyped-def]
    data, store, heads, ring = log
    report = verify_log([*data, b"late"], store, heads, ring)
    assert codes(report) == [("entries_unhashed", N)]


def test_verify_streams_a_bigger_log_and_names_the_change() -> None:
    signer = TreeHeadSigner.generate()
    ring = KeyRing()
    ring.add(signer.public_key)
    data = [i.to_bytes(4, "big") for i in range(20_000)]
    store, heads = make_log(data, signer, (5_000, 12_345, 20_000))
    assert verify_log(iter(data), store, heads, ring).ok
    data[15_001] = b"x"
    report = verify_log(iter(data), store, heads, ring)
    assert report.first is not None and (report.first.code, report.first.entry) == ("entry_changed", 15_001)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 150), where=st.integers(0, 10**6), kind=st.sampled_from(["change", "delete", "swap"]))
def test_property_first_damaged_entry_is_named(n: int, where: int, kind: str) -> None:
    signer = TreeHeadSigner.generate()
    ring = KeyRing()
    ring.add(signer.public_key)
    data = entries(n)
    store, heads = make_log(data, signer, (n // 2, n))
    i = where % (n - 1)
    if kind == "change":
        data[i] = b"changed"
    elif kind == "delete":
        del data[i]
    else:
        data[i], data[i + 1] = data[i + 1], data[i]
    report = verify_log(data, store, heads, ring)
    assert report.first is not None
    expected = {"change": "entry_changed", "delete": "entry_removed", "swap": "entry_reordered"}[kind]
    if kind == "delete" and i == n - 1:
        expected = "entries_missing"
    assert (report.first.code, report.first.entry) == (expected, i)
