"""Full audit of a log: recompute every hash from the entries and say exactly what differs.

Three independent witnesses are compared, streaming, in one pass:

* the **entries** (what the database says happened), hashed afresh as RFC 9162 leaves;
* the **stored tree** (leaf and complete-subtree hashes written when entries were appended);
* the **signed tree heads** (roots the log committed to, signed with keys in a key ring).

An entry edited in place differs from its stored leaf hash; a deleted or inserted row shifts
every later entry by one, which is recognised and named once instead of as a cascade; a
swapped row matches a nearby stored leaf. If someone rewrote the entries *and* recomputed
the stored tree, only the signed heads disagree, and the report bounds the damage to the
entries between the last head that still matches and the first that does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from smartgov.errors import DomainError
from smartgov.i18n import N_, gettext

from .merkle import EMPTY_ROOT, HashStore, leaf_hash, node_hash
from .signing import KeyRing, SignedTreeHead

_CHUNK = 4096
_WINDOW = 16  # how far to look for a shifted or swapped entry
_EXACT = frozenset(
    {
        "entry_changed",
        "entry_removed",
        "entry_inserted",
        "entry_reordered",
        "entries_missing",
        "entries_unhashed",
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One discrepancy; ``entry`` is the 0-based leaf index of the first entry concerned."""

    code: str
    message: str
    entry: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def localized(self, lang: str | None = None) -> str:
        return gettext(self.message, lang, entry=self.entry, **self.params)


@dataclass(frozen=True, slots=True)
class LogReport:
    entries: int
    tree_size: int
    heads_checked: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The earliest problem pinned to one entry, else the first problem of any kind (a range)."""
        exact = [f for f in self.findings if f.code in _EXACT]
        return min(exact, key=lambda f: f.entry or 0) if exact else next(iter(self.findings), None)


class _Leaves:
    """Recomputed leaf hashes with a little lookahead, without holding the whole log."""

    def __init__(self, entries: Iterable[bytes]) -> None:
        self._it: Iterator[bytes] = iter(entries)
        self._buf: list[bytes] = []
        self._base = 0
        self._done = False

    def get(self, i: int) -> bytes | None:
        while not self._done and i >= self._base + len(self._buf):
            chunk = [leaf_hash(e) for _, e in zip(range(_CHUNK), self._it, strict=False)]
            if not chunk:
                self._done = True
            self._buf.extend(chunk)
        if i < self._base:
            raise IndexError(i)
        j = i - self._base
        return self._buf[j] if j < len(self._buf) else None

    def trim(self, keep_from: int) -> None:
        drop = keep_from - self._base
        if drop > _CHUNK:
            del self._buf[:drop]
            self._base += drop


class _Level:
    """Sequential reads of one stored level, a chunk at a time."""

    def __init__(self, store: HashStore, level: int, count: int) -> None:
        self._store, self._level, self._count = store, level, count
        self._start = 0
        self._buf: list[bytes] = []

    def get(self, i: int) -> bytes | None:
        if not 0 <= i < self._count:
            return None
        if not self._start <= i < self._start + len(self._buf):
            self._start = max(0, i - _WINDOW)
            self._buf = self._store.get_range(
                self._level, self._start, min(self._count, self._start + _CHUNK + 2 * _WINDOW)
            )
        return self._buf[i - self._start]


def _fold(stack: list[tuple[int, bytes]]) -> bytes:
    if not stack:
        return EMPTY_ROOT
    h = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        h = node_hash(left, h)
    return h


def _push(stack: list[tuple[int, bytes]], h: bytes, index: int) -> list[tuple[int, int, bytes]]:
    """Add leaf ``index`` to a compact-range stack; return the complete nodes it finished."""
    done = []
    level = 0
    while stack and stack[-1][0] == level:
        h = node_hash(stack.pop()[1], h)
        level += 1
        done.append((level, index >> level, h))
    stack.append((level, h))
    return done


def _classify(i: int, leaves: _Leaves, stored: _Level) -> Finding:
    """Name what happened at the first differing position ``i`` from a small window around it."""
    r = [leaves.get(i + k) for k in range(_WINDOW + 1)]
    s = [stored.get(i + k) for k in range(_WINDOW + 1)]
    around = range(max(0, i - _WINDOW), i + _WINDOW + 1)
    stored_near = {stored.get(j): j for j in around if j != i}
    entries_near = {leaves.get(j) for j in around if j != i}
    if r[0] in stored_near and s[0] in entries_near:  # both contents still present: moved
        return Finding(
            "entry_reordered",
            N_("Entry #{entry} is out of order: it holds the content of entry #{other}."),
            i,
            {"other": stored_near[r[0]]},
        )
    ahead = [(a, b) for a, b in zip(r, s[1:], strict=False) if a is not None and b is not None]
    if ahead and all(a == b for a, b in ahead):
        return Finding("entry_removed", N_("Entry #{entry} has been removed; later entries moved up."), i)
    behind = [(a, b) for a, b in zip(r[1:], s, strict=False) if a is not None and b is not None]
    if behind and all(a == b for a, b in behind):
        return Finding("entry_inserted", N_("An entry that is not in the tree was inserted at #{entry}."), i)
    return Finding("entry_changed", N_("Entry #{entry} has been changed."), i)


def verify_log(
    entries: Iterable[bytes],
    store: HashStore,
    heads: Sequence[SignedTreeHead],
    keyring: KeyRing,
    *,
    log_id: str | None = None,
    max_findings: int = 100,
) -> LogReport:
    """Recompute the whole log from ``entries`` (raw leaf data, in log order) and report every discrepancy.

    Backs ``smartgov ledger verify``; memory stays bounded however long the log is.
    """
    findings: list[Finding] = []
    size = store.size
    leaves = _Leaves(entries)
    levels: dict[int, _Level] = {0: _Level(store, 0, size)}
    head_sizes = {h.head.tree_size for h in heads}
    roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in head_sizes else {}
    entry_stack: list[tuple[int, bytes]] = []
    stored_stack: list[tuple[int, bytes]] = []
    shifted = False
    i = 0
    while (r := leaves.get(i)) is not None:
        _push(entry_stack, r, i)
        if i + 1 in head_sizes:
            roots[i + 1] = _fold(entry_stack)
        s = levels[0].get(i)
        if s is not None and not shifted and r != s and len(findings) < max_findings:
            finding = _classify(i, leaves, levels[0])
            findings.append(finding)
            shifted = finding.code in ("entry_removed", "entry_inserted")
        if s is not None:
            for level, index, h in _push(stored_stack, s, i):
                cursor = levels.setdefault(level, _Level(store, level, size >> level))
                if cursor.get(index) != h and len(findings) < max_findings:
                    first = index << level
                    findings.append(
                        Finding(
                            "node_mismatch",
                            N_("The stored hash over entries #{entry} to #{last} does not match them."),
                            first,
                            {"last": first + (1 << level) - 1},
                        )
                    )
        leaves.trim(i - _WINDOW)
        i += 1
    count = i
    if count < size and not shifted and len(findings) < max_findings:
        findings.append(
            Finding(
                "entries_missing",
                N_("Entries #{entry} to #{last} are missing: the log ends early."),
                count,
                {"last": size - 1},
            )
        )
    elif count > size and not shifted and len(findings) < max_findings:
        findings.append(
            Finding("entries_unhashed", N_("Entries from #{entry} on are not in the hash tree."), size)
        )
    findings.extend(
        _check_heads(heads, keyring, roots, count, log_id)[: max(0, max_findings - len(findings))]
    )
    return LogReport(entries=count, tree_size=size, heads_checked=len(heads), findings=findings)


def _check_heads(
    heads: Sequence[SignedTreeHead], keyring: KeyRing, roots: dict[int, bytes], count: int, log_id: str | None
) -> list[Finding]:
    findings = []
    good_sizes = [0]
    previous: SignedTreeHead | None = None
    for number, sth in enumerate(heads):
        head = sth.head
        params = {"head": number, "size": head.tree_size}
        try:
            keyring.check(sth)
        except DomainError as err:
            findings.append(Finding("head_signature", err.message, None, params))
        if log_id is not None and head.log_id != log_id:
            findings.append(
                Finding("head_other_log", N_("Tree head {head} belongs to another log."), None, params)
            )
        if previous is not None and (
            head.tree_size < previous.head.tree_size or head.timestamp_ms < previous.head.timestamp_ms
        ):
            findings.append(
                Finding(
                    "head_out_of_order",
                    N_("Tree head {head} goes back in size or time from the head before it."),
                    None,
                    params,
                )
            )
        previous = sth
        if head.tree_size > count:
            findings.append(
                Finding(
                    "head_beyond_log",
                    N_("Tree head {head} commits to {size} entries but the log has fewer."),
                    count,
                    params,
                )
            )
        elif roots.get(head.tree_size) != head.root_hash:
            since = max((s for s in good_sizes if s <= head.tree_size), default=0)
            findings.append(
                Finding(
                    "head_root_mismatch",
                    N_("Tree head {head} does not match the entries: one of #{entry} to #{last} differs."),
                    since,
                    {**params, "last": head.tree_size - 1},
                )
            )
        else:
            good_sizes.append(head.tree_size)
    return findings
