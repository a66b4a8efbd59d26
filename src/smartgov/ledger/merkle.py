"""RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing and proofs over stored subtrees.

Every *complete* subtree of the log (``2**level`` leaves starting at ``index * 2**level``) is
hashed once, when its last leaf is appended, and kept in a :class:`HashStore` under
``(level, index)``. Those nodes never change, so the root of any past tree size and every
inclusion or consistency proof is a fold over O(log n) stored nodes: proof generation reads
a handful of rows instead of rehashing the log, which is what makes a 10-million-entry log
cheap to serve. The incomplete right edge of a tree is never stored; it is recomputed from
the complete subtrees that cover it (at most ``log2 n`` of them).

Naming follows RFC 9162 §2.1: ``MTH`` (root), ``PATH`` (inclusion proof), ``PROOF`` /
``SUBPROOF`` (consistency proof). Verification follows §2.1.3.2 and §2.1.4.2 literally.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]
"""``(level, index)`` of a complete subtree: leaves ``[index << level, (index + 1) << level)``."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the prefix keeps a leaf from ever colliding with a node."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``): RFC 9162's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


# --------------------------------------------------------------------------- stores


class HashStore(Protocol):
    """Where complete-subtree hashes live. The in-memory one is below; a database one comes later.

    ``put_nodes`` must make the nodes and the new size visible together (one transaction).
    """

    @property
    def size(self) -> int:
        """Number of leaves whose hashes are stored."""
        ...

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """The hashes of ``keys``, in order; one round trip for a whole proof."""
        ...

    def get_range(self, level: int, start: int, stop: int) -> list[bytes]:
        """Consecutive nodes ``start..stop-1`` of one level (for streaming verification)."""
        ...

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]], new_size: int) -> None:
        """Store new complete-subtree hashes and the new leaf count."""
        ...


class MemoryHashStore:
    """A :class:`HashStore` keeping each level as one contiguous ``bytearray`` (32 bytes a node).

    Two bytes-objects per leaf would cost ~70 bytes each in Python; packed levels keep a
    10-million-leaf tree at ~640 MB.
    """

    def __init__(self) -> None:
        self._levels: list[bytearray] = []
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        out = []
        for level, index in keys:
            buf = self._levels[level] if level < len(self._levels) else b""
            start = index * HASH_SIZE
            if index < 0 or start + HASH_SIZE > len(buf):
                raise KeyError((level, index))
            out.append(bytes(buf[start : start + HASH_SIZE]))
        return out

    def get_range(self, level: int, start: int, stop: int) -> list[bytes]:
        buf = self._levels[level] if level < len(self._levels) else bytearray()
        if start < 0 or stop * HASH_SIZE > len(buf):
            raise KeyError((level, start, stop))
        view = bytes(buf[start * HASH_SIZE : stop * HASH_SIZE])
        return [view[i : i + HASH_SIZE] for i in range(0, len(view), HASH_SIZE)]

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]], new_size: int) -> None:
        for level, index, value in nodes:
            while len(self._levels) <= level:
                self._levels.append(bytearray())
            buf = self._levels[level]
            start = index * HASH_SIZE
            if start == len(buf):
                buf += value
            elif start + HASH_SIZE <= len(buf):
                buf[start : start + HASH_SIZE] = value
            else:
                raise ValueError(f"gap at level {level}, index {index}")
        self._size = new_size

    def node_count(self) -> int:
        return sum(len(b) for b in self._levels) // HASH_SIZE


# --------------------------------------------------------------------------- appending


def compact_range(size: int) -> list[NodeKey]:
    """The complete subtrees covering leaves ``[0, size)``, left (largest) to right.

    One per set bit of ``size``; these are also the only stored nodes still waiting
    for a right sibling, i.e. everything an append needs to read.
    """
    keys = []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, (size >> level) - 1))
    return keys


def append_leaves(store: HashStore, leaf_hashes: Sequence[bytes]) -> int:
    """Append already-hashed leaves, storing every complete subtree they finish; returns the new size.

    Reads at most one stored node per level (the compact range of the old size) and
    hashes each new node exactly once, so a batch of ``b`` leaves costs ~``2b`` hashes.
    """
    old = store.size
    if not leaf_hashes:
        return old
    for h in leaf_hashes:
        if len(h) != HASH_SIZE:
            raise ValueError("leaf hashes must be 32 bytes")
    pending = dict(zip(compact_range(old), store.get_nodes(compact_range(old)), strict=True))
    new_nodes: list[tuple[int, int, bytes]] = []
    level, start, row = 0, old, list(leaf_hashes)
    while row:
        new_nodes.extend((level, start + i, h) for i, h in enumerate(row))
        if start & 1:  # the first new node's left sibling was already stored
            row = [pending[(level, start - 1)], *row]
            start -= 1
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        start >>= 1
        level += 1
    new_size = old + len(leaf_hashes)
    store.put_nodes(new_nodes, new_size)
    return new_size


def append_entries(store: HashStore, entries: Iterable[bytes]) -> int:
    """Hash raw entries as RFC 9162 leaves and append them."""
    return append_leaves(store, [leaf_hash(e) for e in entries])


# --------------------------------------------------------------------------- planning
# A proof is a list of subtree hashes MTH(D[a:b]). Every such range is a node of the
# tree of the requested size: either complete (stored) or on its right edge (b == size),
# in which case it is the right fold of the complete subtrees covering it.


def _cover(a: int, b: int) -> list[NodeKey]:
    """Complete subtrees covering ``[a, b)``, largest first; ``a`` is aligned for tree nodes."""
    keys = []
    while a < b:
        level = (b - a).bit_length() - 1
        if a:
            level = min(level, (a & -a).bit_length() - 1)
        keys.append((level, a >> level))
        a += 1 << level
    return keys


def _path_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """PATH(m, D[n]) as the ranges of its hashes, in proof order (leaf sibling first)."""
    out = []
    a, b = 0, size
    while b - a > 1:
        k = split_point(b - a)
        if index < a + k:
            out.append((a + k, b))
            b = a + k
        else:
            out.append((a, a + k))
            a += k
    out.reverse()
    return out


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as the ranges of its hashes, in proof order."""
    out = []
    a, b, whole = 0, second, True
    while first != b:
        k = split_point(b - a)
        if first - a <= k:
            out.append((a + k, b))
            b = a + k
        else:
            out.append((a, a + k))
            a += k
            whole = False
    if not whole:
        out.append((a, b))
    out.reverse()
    return out


def _resolve(store: HashStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """Hashes of the given tree-node ranges from one batched read of stored nodes."""
    covers = [_cover(a, b) for a, b in ranges]
    wanted = sorted({key for cover in covers for key in cover})
    found = dict(zip(wanted, store.get_nodes(wanted), strict=True))
    out = []
    for cover in covers:
        h = found[cover[-1]]
        for key in reversed(cover[:-1]):
            h = node_hash(found[key], h)
        out.append(h)
    return out


def _check_size(store: HashStore, size: int) -> None:
    if size < 0 or size > store.size:
        raise ValueError(f"tree size {size} is outside 0..{store.size}")


def root_hash(store: HashStore, size: int | None = None) -> bytes:
    """MTH of the first ``size`` leaves (default: all); any past size works."""
    size = store.size if size is None else size
    _check_size(store, size)
    if size == 0:
        return EMPTY_ROOT
    return _resolve(store, [(0, size)])[0]


def inclusion_proof(store: HashStore, index: int, size: int | None = None) -> list[bytes]:
    """PATH(index, D[size]): the audit path proving leaf ``index`` is in the tree of ``size``."""
    size = store.size if size is None else size
    _check_size(store, size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside 0..{size - 1}")
    return _resolve(store, _path_ranges(index, size))


def consistency_proof(store: HashStore, first: int, second: int | None = None) -> list[bytes]:
    """PROOF(first, D[second]): proves the tree of ``second`` extends the tree of ``first``.

    Empty when ``first`` is 0 or equal to ``second`` (nothing to prove).
    """
    second = store.size if second is None else second
    _check_size(store, second)
    if not 0 <= first <= second:
        raise ValueError(f"first size {first} is outside 0..{second}")
    if first in (0, second):
        return []
    return _resolve(store, _consistency_ranges(first, second))


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes held in memory (small trees, tests, receipts)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []  # (level, hash) of the compact range so far
    for h in leaf_hashes:
        level = 0
        while stack and stack[-1][0] == level:
            h = node_hash(stack.pop()[1], h)
            level += 1
        stack.append((level, h))
    h = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        h = node_hash(left, h)
    return h


# --------------------------------------------------------------------------- verifying


def _valid_hashes(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes | bytearray) and len(h) == HASH_SIZE for h in hashes)


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root that ``proof`` implies for ``leaf`` at ``index`` (RFC 9162 §2.1.3.2), or None."""
    if not 0 <= index < size or not _valid_hashes(leaf, *proof):
        return None
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """True when ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree with ``root``."""
    return root_from_inclusion_proof(index, size, leaf, proof) == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows the tree (second, second_root) extends (first, first_root).

    RFC 9162 §2.1.4.2 for ``0 < first < second``; equal sizes need equal roots and an empty
    proof, and every tree extends the empty one (empty proof).
    """
    if not 0 <= first <= second or not _valid_hashes(first_root, second_root, *proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is itself a subtree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
