"""Merkle tree and proofs, checked against an independent verifier written here from RFC 9162 alone.

Nothing below the "reference" line imports the implementation: hashing, MTH, PATH, PROOF and
both verification algorithms are transcribed from RFC 9162 §2.1 so the two can disagree.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartgov.ledger import (
    EMPTY_ROOT,
    MemoryHashStore,
    append_entries,
    append_leaves,
    consistency_proof,
    inclusion_proof,
    root_from_inclusion_proof,
    root_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# --------------------------------------------------------------------------- reference (RFC 9162)


def ref_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_leaf(d: bytes) -> bytes:
    return ref_hash(b"\x00" + d)


def ref_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return ref_hash(b"")
    if n == 1:
        return ref_leaf(d[0])
    k = ref_k(n)
    return ref_hash(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


def ref_verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = ref_hash(b"\x01" + p + r)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn //= 2
                    sn //= 2
        else:
            r = ref_hash(b"\x01" + r + p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def ref_verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, step by step (for 0 < first < second)."""
    if not path:
        return False
    path = list(path)
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = ref_hash(b"\x01" + c + fr)
            sr = ref_hash(b"\x01" + c + sr)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn //= 2
                    sn //= 2
        else:
            sr = ref_hash(b"\x01" + sr + c)
        fn //= 2
        sn //= 2
    return fr == first_hash and sr == second_hash and sn == 0


# --------------------------------------------------------------------------- helpers

MAX = 70
DATA = [f"entry {i}: {'x' * (i % 7)}".encode() for i in range(MAX)]


def build(data: list[bytes], seed: int = 0) -> MemoryHashStore:
    """Append in random batch sizes so batching is exercised as well as single appends."""
    store = MemoryHashStore()
    rng = random.Random(seed)
    i = 0
    while i < len(data):
        step = rng.randint(1, 9)
        append_entries(store, data[i : i + step])
        i += step
    return store


@pytest.fixture(scope="module")
def store() -> MemoryHashStore:
    return build(DATA)


# --------------------------------------------------------------------------- RFC 6962 / CT vectors
# Leaves, node hashes and proofs of the 8-leaf tree used by every CT implementation
# (published in transparency-dev/merkle testonly/constants.go and proof/verify_test.go).

CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
CT_NODES = {
    (0, 0): "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    (0, 1): "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    (0, 2): "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    (0, 3): "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    (0, 4): "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    (0, 5): "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    (0, 6): "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    (0, 7): "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    (1, 0): "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    (1, 1): "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    (1, 2): "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    (1, 3): "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    (2, 0): "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    (2, 1): "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    (3, 0): "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
CT_INCLUSION = {  # (0-based leaf index, tree size) -> audit path
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
CT_CONSISTENCY = {  # (first, second) -> proof
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (6, 7): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}


def hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def test_ct_vectors_roots_nodes_and_proofs() -> None:
    ct = MemoryHashStore()
    assert root_hash(ct) == EMPTY_ROOT == CT_ROOTS[0]
    for n, leaf in enumerate(CT_LEAVES, start=1):
        append_entries(ct, [leaf])
        assert root_hash(ct) == CT_ROOTS[n]
    for size in range(9):  # past sizes are still answerable from the same store
        assert root_hash(ct, size) == CT_ROOTS[size]
        assert ref_mth(CT_LEAVES[:size]) == CT_ROOTS[size]
    keys = sorted(CT_NODES)
    assert hexes(ct.get_nodes(keys)) == [CT_NODES[k] for k in keys]
    assert ct.node_count() == len(CT_NODES)
    for (index, size), path in CT_INCLUSION.items():
        assert hexes(inclusion_proof(ct, index, size)) == path
        leaf = ref_leaf(CT_LEAVES[index])
        assert verify_inclusion(index, size, leaf, [bytes.fromhex(p) for p in path], CT_ROOTS[size])
    for (first, second), proof in CT_CONSISTENCY.items():
        assert hexes(consistency_proof(ct, first, second)) == proof
        raw = [bytes.fromhex(p) for p in proof]
        assert verify_consistency(first, second, CT_ROOTS[first], CT_ROOTS[second], raw)


# --------------------------------------------------------------------------- against the reference


def test_roots_match_reference_for_every_size(store: MemoryHashStore) -> None:
    for n in range(MAX + 1):
        assert root_hash(store, n) == ref_mth(DATA[:n])
        assert root_of([ref_leaf(d) for d in DATA[:n]]) == ref_mth(DATA[:n])


def test_every_inclusion_proof_up_to_70_leaves(store: MemoryHashStore) -> None:
    for n in range(1, MAX + 1):
        root = ref_mth(DATA[:n])
        for m in range(n):
            proof = inclusion_proof(store, m, n)
            assert proof == ref_path(m, DATA[:n]), (m, n)
            assert ref_verify_inclusion(m, n, ref_leaf(DATA[m]), proof, root), (m, n)
            assert verify_inclusion(m, n, ref_leaf(DATA[m]), proof, root), (m, n)


def test_every_consistency_proof_up_to_70_leaves(store: MemoryHashStore) -> None:
    for n in range(1, MAX + 1):
        second = ref_mth(DATA[:n])
        for m in range(1, n + 1):
            first = ref_mth(DATA[:m])
            proof = consistency_proof(store, m, n)
            if m == n:
                assert proof == []
                assert verify_consistency(m, n, first, second, proof)
                continue
            assert proof == ref_proof(m, DATA[:n]), (m, n)
            assert ref_verify_consistency(m, n, first, second, proof), (m, n)
            assert verify_consistency(m, n, first, second, proof), (m, n)


def test_batching_does_not_change_the_tree() -> None:
    one_by_one = MemoryHashStore()
    for d in DATA:
        append_entries(one_by_one, [d])
    all_at_once = MemoryHashStore()
    append_entries(all_at_once, DATA)
    for seed in range(5):
        other = build(DATA, seed)
        assert root_hash(other) == root_hash(one_by_one) == root_hash(all_at_once)
        assert other.node_count() == 2 * MAX - bin(MAX).count("1")


def test_empty_and_trivial_consistency() -> None:
    a = ref_mth(DATA[:3])
    assert verify_consistency(0, 3, EMPTY_ROOT, a, [])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(3, 3, a, ref_mth(DATA[:4]), [])
    assert not verify_consistency(3, 3, a, a, [a])
    assert not verify_consistency(0, 3, EMPTY_ROOT, a, [a])
    assert not verify_consistency(4, 3, a, a, [a])


def test_out_of_range_requests_are_refused(store: MemoryHashStore) -> None:
    with pytest.raises(ValueError):
        inclusion_proof(store, 5, 5)
    with pytest.raises(ValueError):
        inclusion_proof(store, 0, MAX + 1)
    with pytest.raises(ValueError):
        consistency_proof(store, 6, 5)
    with pytest.raises(ValueError):
        root_hash(store, MAX + 1)
    with pytest.raises(ValueError):
        append_leaves(store, [b"short"])


# --------------------------------------------------------------------------- tampering


def flipped(h: bytes, byte: int, bit: int = 0) -> bytes:
    b = bytearray(h)
    b[byte] ^= 1 << bit
    return bytes(b)


def test_tampered_inclusion_proofs_fail(store: MemoryHashStore) -> None:
    for n in range(1, 24):
        root = ref_mth(DATA[:n])
        for m in range(n):
            leaf = ref_leaf(DATA[m])
            proof = inclusion_proof(store, m, n)
            assert not verify_inclusion(m, n, ref_leaf(DATA[m] + b"!"), proof, root)
            assert not verify_inclusion(m, n, flipped(leaf, m % 32), proof, root)
            assert not verify_inclusion(m, n, leaf, proof, flipped(root, n % 32, 7))
            for i in range(len(proof)):
                for byte in range(32):
                    bad = [*proof[:i], flipped(proof[i], byte, byte % 8), *proof[i + 1 :]]
                    assert not verify_inclusion(m, n, leaf, bad, root)
                    assert not ref_verify_inclusion(m, n, leaf, bad, root)
            assert not verify_inclusion(m, n, leaf, [*proof, root], root)
            assert not verify_inclusion(m, n, leaf, [root, *proof], root)
            if proof:
                assert not verify_inclusion(m, n, leaf, proof[:-1], root)
            for wrong_m in {m - 1, m + 1, m ^ 2} - {m}:
                if 0 <= wrong_m < n and DATA[wrong_m] != DATA[m]:
                    assert not verify_inclusion(wrong_m, n, leaf, proof, root)
            assert not verify_inclusion(m, 2 * n, leaf, proof, root)


def test_tampered_consistency_proofs_fail(store: MemoryHashStore) -> None:
    for n in range(2, 24):
        second = ref_mth(DATA[:n])
        for m in range(1, n):
            first = ref_mth(DATA[:m])
            proof = consistency_proof(store, m, n)
            assert not verify_consistency(m, n, second, first, proof)
            assert not verify_consistency(m, n, first, second, [])
            assert not verify_consistency(m, n, first, second, [*proof, second])
            assert not verify_consistency(m, n, first, second, [proof[0], *proof])
            assert not verify_consistency(m, n, first, second, proof[:-1])
            for wrong_m in {m - 1, m + 1, m ^ 2} - {m}:
                if 0 < wrong_m < n:
                    assert not verify_consistency(wrong_m, n, first, second, proof)
            assert not verify_consistency(m, 2 * n, first, second, proof)
            for i in range(len(proof)):
                for byte in range(0, 32, 3):
                    bad = [*proof[:i], flipped(proof[i], byte, 4), *proof[i + 1 :]]
                    assert not verify_consistency(m, n, first, second, bad)
                    assert not ref_verify_consistency(m, n, first, second, bad)
            # A tree that rewrote one of the first m entries is not consistent with it.
            changed = [*DATA[:n]]
            changed[m - 1] = b"rewritten"
            forged = ref_mth(changed)
            assert not verify_consistency(m, n, first, forged, proof)


# --------------------------------------------------------------------------- properties


leaf_lists = st.lists(st.binary(max_size=40), min_size=1, max_size=300)


@settings(max_examples=60, deadline=None)
@given(data=leaf_lists, pick=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), seed=st.integers(0, 99))
def test_property_proofs_verify_independently(data: list[bytes], pick: tuple[int, int], seed: int) -> None:
    s = build(data, seed)
    n = 1 + pick[0] % len(data)
    m = pick[1] % n
    root = ref_mth(data[:n])
    assert root_hash(s, n) == root
    path = inclusion_proof(s, m, n)
    assert ref_verify_inclusion(m, n, ref_leaf(data[m]), path, root)
    assert root_from_inclusion_proof(m, n, ref_leaf(data[m]), path) == root
    first = m + 1
    proof = consistency_proof(s, first, n)
    if first < n:
        assert ref_verify_consistency(first, n, ref_mth(data[:first]), root, proof)
    assert verify_consistency(first, n, ref_mth(data[:first]), root, proof)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.binary(min_size=1, max_size=20), min_size=2, max_size=200, unique=True),
    where=st.integers(0, 10**6),
    byte=st.integers(0, 31),
)
def test_property_any_flipped_proof_byte_fails(data: list[bytes], where: int, byte: int) -> None:
    s = build(data)
    n = len(data)
    m = where % n
    root = ref_mth(data)
    path = inclusion_proof(s, m, n)
    i = where % len(path)
    bad = [*path[:i], flipped(path[i], byte), *path[i + 1 :]]
    assert not verify_inclusion(m, n, ref_leaf(data[m]), bad, root)
    first = 1 + where % (n - 1)
    proof = consistency_proof(s, first, n)
    j = where % len(proof)
    bad = [*proof[:j], flipped(proof[j], byte), *proof[j + 1 :]]
    assert not verify_consistency(first, n, ref_mth(data[:first]), root, bad)


# --------------------------------------------------------------------------- cost on a huge log


class CountingStore:
    """Pretends to hold ten million leaves; counts what a proof reads (values are irrelevant)."""

    size = 10_000_000

    def __init__(self) -> None:
        self.calls = 0
        self.reads = 0

    def get_nodes(self, keys: list[tuple[int, int]]) -> list[bytes]:
        self.calls += 1
        self.reads += len(keys)
        for level, index in keys:
            assert (index + 1) << level <= self.size, "asked for a node that is not complete"
        return [ref_hash(b"%d/%d" % key) for key in keys]


def test_proofs_on_ten_million_leaves_read_log_n_stored_nodes() -> None:
    big = CountingStore()
    for index in (0, 1, 4_999_999, 9_999_998, 9_999_999):
        before = big.reads
        proof = inclusion_proof(big, index)  # type: ignore[arg-type]
        assert len(proof) <= 24
        assert big.reads - before <= 2 * 24
    before_calls, before = big.calls, big.reads
    proof = consistency_proof(big, 7_654_321)  # type: ignore[arg-type]
    assert len(proof) <= 2 * 24
    assert big.reads - before <= 3 * 24
    assert big.calls == before_calls + 1  # one round trip to the store per proof
