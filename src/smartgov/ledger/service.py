"""The ledger as a running part of the platform: domain events in, signed tree heads and proofs out.

Every row of ``kernel_event`` becomes one leaf, appended off the request path by
:func:`append_pending` (the worker calls it every round). One batch is one transaction:
entries, the complete-subtree nodes they finish, the new tree size and a signed tree head
become visible together, so the public never sees an entry that no signed head covers.

**Events committing out of id order (PostgreSQL).** Event ids come from a sequence, so a
transaction that took id 41 may commit after the one that took id 42. A plain "ids after
the last appended one" cursor would skip 41 for ever. Instead the log keeps a *watermark*:
every event id up to it is in the log. Each batch takes events above the watermark that are
not in the log yet (an anti-join, so 42 is appended at once and 41 whenever it commits —
the log's order is the order events became visible, which is what it can honestly attest);
the watermark then moves over appended ids, and over a missing id only once the event after
it is older than ``gap_grace`` (a transaction open that long is assumed rolled back). Nothing
waits on a gap, so inclusion stays within one worker round. SQLite serialises writers and
reuses rolled-back ids, so it never has gaps.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import exists, func, insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.db import Database
from smartgov.errors import DomainError
from smartgov.events import EventRecord
from smartgov.i18n import N_
from smartgov.settings import get_settings

from .events import KEY_CREATED, KEY_ROTATED
from .merkle import (
    HASH_SIZE,
    NodeKey,
    append_leaves,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from .models import LedgerEntry, LedgerKey, LedgerNode, LedgerState, LedgerTreeHead
from .signing import KeyRing, SignedTreeHead, TreeHead, TreeHeadSigner, TrustedKey
from .verify import Finding, LogReport, verify_log

ENTRY_VERSION = 1
DEFAULT_BATCH = 10_000
DEFAULT_GAP_GRACE = dt.timedelta(minutes=5)
_STATE_ID = 1
_KDF_INFO = b"smartgov/ledger/signing-key/v1"


# --------------------------------------------------------------------------- entries


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same data always gives the same bytes (and hash)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def entry_data(event_id: int, name: str, occurred_at: dt.datetime, actor_id: int | None,
               data: dict[str, Any]) -> bytes:
    """The exact bytes a domain event is logged as (hashed as an RFC 9162 leaf): canonical JSON of
    ``{"actor_id", "data", "event", "event_id", "occurred_at", "v"}``."""
    # Same bytes as canonical_json() of the whole object (keys already in sorted order),
    # without re-walking the envelope for every event on the hot path.
    when = occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    actor = "null" if actor_id is None else str(int(actor_id))
    event = json.dumps(name, ensure_ascii=False)
    return (f'{{"actor_id":{actor},"data":{canonical_json(data).decode()},"event":{event},'
            f'"event_id":{int(event_id)},"occurred_at":"{when}","v":{ENTRY_VERSION}}}').encode()


# --------------------------------------------------------------------------- the hash store


class DbHashStore:
    """The :class:`~smartgov.ledger.merkle.HashStore` over ``ledger_node``, inside the caller's transaction."""

    def __init__(self, db: Session, size: int) -> None:
        self._db = db
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        if not keys:
            return []
        found: dict[NodeKey, bytes] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            rows = self._db.execute(
                select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(
                    tuple_(LedgerNode.level, LedgerNode.idx).in_(part))
            )
            found.update({(level, idx): bytes(h) for level, idx, h in rows})
        try:
            return [found[k] for k in keys]
        except KeyError as missing:
            raise KeyError(f"stored node {missing} is missing") from None

    def get_range(self, level: int, start: int, stop: int) -> list[bytes]:
        rows = self._db.execute(
            select(LedgerNode.hash)
            .where(LedgerNode.level == level, LedgerNode.idx >= start, LedgerNode.idx < stop)
            .order_by(LedgerNode.idx)
        ).scalars().all()
        if len(rows) != max(0, stop - start):
            raise KeyError((level, start, stop))
        return [bytes(h) for h in rows]

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]], new_size: int) -> None:
        _bulk_insert(self._db, LedgerNode, ("level", "idx", "hash"), nodes)
        self._size = new_size


_PG_TYPES = {"leaf_index": "int8", "event_id": "int8", "event_name": "text", "occurred_at": "timestamptz",
             "data": "bytea", "leaf_hash": "bytea", "appended_at": "timestamptz", "level": "int2", "idx": "int8",
             "hash": "bytea"}


def _bulk_insert(db: Session, model: type[Any], columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert many rows in the current transaction: binary COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    conn = db.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(
            f'COPY {model.__tablename__} ({", ".join(columns)}) FROM STDIN (FORMAT BINARY)'
        ) as copy:
            copy.set_types([_PG_TYPES[c] for c in columns])
            for row in rows:
                copy.write_row(row)
        return
    db.execute(insert(model), [dict(zip(columns, row, strict=True)) for row in rows])


# --------------------------------------------------------------------------- state and keys


def _state(db: Session, *, lock: bool = False) -> LedgerState:
    """The log's state row, created on first use; ``lock`` serialises appenders (PostgreSQL row lock)."""
    dialect = db.get_bind().dialect.name
    if lock or db.get(LedgerState, _STATE_ID) is None:
        values = {"id": _STATE_ID, "log_id": _default_log_id(), "tree_size": 0, "event_watermark": 0,
                  "updated_at": clock.now()}
        ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(LedgerState).values(**values)
        db.execute(ins.on_conflict_do_nothing(index_elements=["id"]))
    stmt = select(LedgerState).where(LedgerState.id == _STATE_ID)
    if lock and dialect == "postgresql":
        stmt = stmt.with_for_update()
    state = db.scalars(stmt.execution_options(populate_existing=True)).one()
    return state


def _default_log_id() -> str:
    from urllib.parse import urlsplit

    host = urlsplit(get_settings().base_url).netloc or "smartgov"
    return f"{host}/ledger"


def _kek() -> AESGCM:
    secret = get_settings().secret_key.get_secret_value().encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"smartgov-ledger", info=_KDF_INFO).derive(secret)
    return AESGCM(key)


def _seal(signer_raw: bytes, kid: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + _kek().encrypt(nonce, signer_raw, kid)


def _unseal(key: LedgerKey) -> TreeHeadSigner:
    sealed = key.sealed_private_key or b""
    try:
        raw = _kek().decrypt(sealed[:12], sealed[12:], key.key_id)
    except (InvalidTag, ValueError):
        raise DomainError(
            "ledger_key_sealed",
            N_("The ledger signing key cannot be opened with this secret key; rotate the key."),
            status=500,
        ) from None
    return TreeHeadSigner.from_private_bytes(raw)


def _new_key(db: Session) -> tuple[LedgerKey, TreeHeadSigner]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    private = Ed25519PrivateKey.generate()
    signer = TreeHeadSigner(private)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key = LedgerKey(key_id=signer.key_id, public_key=signer.public_key, sealed_private_key=_seal(raw, signer.key_id),
                    created_at=clock.now(), retired_at_ms=None)
    db.add(key)
    db.flush()
    return key, signer


def _active_key(db: Session) -> LedgerKey | None:
    return db.scalars(select(LedgerKey).where(LedgerKey.retired_at_ms.is_(None)).order_by(LedgerKey.id.desc())).first()


def _signer(db: Session) -> TreeHeadSigner:
    """The current signing key; the first call creates one (and logs that as an event)."""
    key = _active_key(db)
    if key is not None:
        return _unseal(key)
    key, signer = _new_key(db)
    events.publish(db, KEY_CREATED, key_id=key.key_id.hex())
    return signer


def rotate_key(db: Session, *, actor_id: int | None = None) -> LedgerKey:
    """Retire the signing key (its private half is destroyed) and start a new one.

    Old public keys stay in the key ring, so every head they signed still verifies; the
    rotation itself is published as an event and so becomes a ledger entry.
    """
    _state(db, lock=True)
    retired_at = max(_now_ms(), _last_head_ms(db))
    old = [k for k in db.scalars(select(LedgerKey).where(LedgerKey.retired_at_ms.is_(None)))]
    for key in old:
        key.retired_at_ms = retired_at
        key.sealed_private_key = None
    key, _ = _new_key(db)
    events.publish(db, KEY_ROTATED, actor_id=actor_id, new_key_id=key.key_id.hex(),
                   retired_key_ids=[k.key_id.hex() for k in old])
    return key


def keyring(db: Session) -> KeyRing:
    """Every public key the log has signed with, each trusted up to its retirement."""
    return KeyRing(TrustedKey(bytes(k.public_key), k.retired_at_ms)
                   for k in db.scalars(select(LedgerKey).order_by(LedgerKey.id)))


def public_keys(db: Session) -> list[LedgerKey]:
    """Signing keys, oldest first (public halves only are ever shown)."""
    return list(db.scalars(select(LedgerKey).order_by(LedgerKey.id)))


def _now_ms() -> int:
    return int(clock.now().timestamp() * 1000)


def _last_head_ms(db: Session) -> int:
    return db.scalar(select(func.max(LedgerTreeHead.timestamp_ms))) or 0


# --------------------------------------------------------------------------- appending


@dataclass(frozen=True)
class AppendResult:
    appended: int
    tree_size: int
    head: SignedTreeHead | None


def append_batch(db: Session, *, max_batch: int = DEFAULT_BATCH,
                 gap_grace: dt.timedelta = DEFAULT_GAP_GRACE) -> AppendResult:
    """Append up to ``max_batch`` pending events and sign a new tree head, in the caller's transaction."""
    state = _state(db, lock=True)
    signer = _signer(db)
    now = clock.now()
    store = DbHashStore(db, state.tree_size)
    # With the unique index on event_id this is one index probe.
    prev_max = db.scalar(select(func.max(LedgerEntry.event_id))) or 0
    stmt = (
        select(EventRecord.id, EventRecord.name, EventRecord.occurred_at, EventRecord.actor_id, EventRecord.payload)
        .where(EventRecord.id > state.event_watermark)
        .order_by(EventRecord.id)
        .limit(max_batch)
    )
    if prev_max > state.event_watermark:  # some events past a gap are in already: skip those
        stmt = stmt.where(~exists().where(LedgerEntry.event_id == EventRecord.id))
    pending = db.execute(stmt).all()
    if pending:
        rows, leaves = [], []
        for offset, (event_id, name, occurred_at, actor_id, payload) in enumerate(pending):
            data = entry_data(event_id, name, occurred_at, actor_id, payload)
            h = leaf_hash(data)
            leaves.append(h)
            rows.append((state.tree_size + offset, event_id, name, occurred_at, data, h, now))
        _bulk_insert(db, LedgerEntry, ("leaf_index", "event_id", "event_name", "occurred_at", "data", "leaf_hash",
                                       "appended_at"), rows)
        state.tree_size = append_leaves(store, leaves)
    _advance_watermark(db, state, now - gap_grace, [(r[0], r[2]) for r in pending], prev_max)
    state.updated_at = now
    head = None
    last = latest_head(db)
    if pending or last is None or last.head.tree_size != state.tree_size:
        head = _sign_head(db, state, store, signer)
    db.flush()
    return AppendResult(len(pending), state.tree_size, head)


def _advance_watermark(db: Session, state: LedgerState, cutoff: dt.datetime,
                       fresh: list[tuple[int, dt.datetime]], prev_max: int) -> None:
    """Move the watermark over appended ids, and over gaps older than ``cutoff``."""
    mark = state.event_watermark
    if prev_max <= mark:  # the usual case: nothing was appended ahead of a gap before this batch
        rows: Sequence[Any] = fresh
    else:
        rows = db.execute(
            select(LedgerEntry.event_id, LedgerEntry.occurred_at)
            .where(LedgerEntry.event_id > mark).order_by(LedgerEntry.event_id).limit(100_000)
        ).all()
    for event_id, occurred_at in rows:
        # A missing id below an event older than the grace period belongs to a transaction
        # that rolled back (or would have to have stayed open longer than the grace).
        if event_id != mark + 1 and occurred_at >= cutoff:
            break
        mark = event_id
    state.event_watermark = mark


def _sign_head(db: Session, state: LedgerState, store: DbHashStore, signer: TreeHeadSigner) -> SignedTreeHead:
    ts = max(_now_ms(), _last_head_ms(db))
    sth = signer.sign(TreeHead(state.log_id, store.size, root_hash(store), ts))
    db.add(LedgerTreeHead(log_id=state.log_id, tree_size=store.size, root_hash=sth.head.root_hash,
                          timestamp_ms=ts, key_id=sth.key_id, signature=sth.signature))
    return sth


def append_pending(database: Database, max_batch: int = DEFAULT_BATCH, *,
                   gap_grace: dt.timedelta = DEFAULT_GAP_GRACE) -> int:
    """Append every committed event not yet in the log, one transaction per batch; returns how many.

    Run by ``smartgov worker`` each round and by ``smartgov ledger append``.
    """
    total = 0
    while True:
        with database.unit_of_work() as db:
            result = append_batch(db, max_batch=max_batch, gap_grace=gap_grace)
        total += result.appended
        if result.appended < max_batch:
            return total


def _periodic_append(database: Database) -> int:
    return append_pending(database, DEFAULT_BATCH)


events.register_periodic("ledger.append", _periodic_append)


# --------------------------------------------------------------------------- reading


def head_of(row: LedgerTreeHead) -> SignedTreeHead:
    return SignedTreeHead(TreeHead(row.log_id, row.tree_size, bytes(row.root_hash), row.timestamp_ms),
                          bytes(row.key_id), bytes(row.signature))


def latest_head(db: Session) -> SignedTreeHead | None:
    """The newest signed tree head, or None before the first append."""
    row = db.scalars(select(LedgerTreeHead).order_by(LedgerTreeHead.id.desc()).limit(1)).first()
    return head_of(row) if row else None


def head_for_size(db: Session, size: int) -> SignedTreeHead | None:
    """The newest signed head of exactly ``size`` entries, if one was signed."""
    row = db.scalars(select(LedgerTreeHead).where(LedgerTreeHead.tree_size == size)
                     .order_by(LedgerTreeHead.id.desc()).limit(1)).first()
    return head_of(row) if row else None


def require_latest_head(db: Session) -> SignedTreeHead:
    head = latest_head(db)
    if head is None:
        raise DomainError("ledger_empty", N_("The ledger has no signed tree head yet."), status=404)
    return head


def tree_heads(db: Session, *, offset: int = 0, limit: int = 20) -> tuple[list[SignedTreeHead], int]:
    """Signed tree heads, newest first, and how many there are."""
    total = db.scalar(select(func.count()).select_from(LedgerTreeHead)) or 0
    rows = db.scalars(select(LedgerTreeHead).order_by(LedgerTreeHead.id.desc()).offset(offset).limit(limit))
    return [head_of(r) for r in rows], total


def all_heads(db: Session) -> list[SignedTreeHead]:
    return [head_of(r) for r in db.scalars(select(LedgerTreeHead).order_by(LedgerTreeHead.id))]


def parse_leaf_hash(text: str, field: str = "leaf_hash") -> bytes:
    """A leaf hash (receipt code) typed or pasted by someone: 64 hex digits, spaces ignored."""
    cleaned = "".join(text.split()).lower()
    try:
        value = bytes.fromhex(cleaned)
    except ValueError:
        value = b""
    if len(value) != HASH_SIZE:
        raise DomainError("ledger_bad_leaf_hash", N_("A leaf hash is 64 hexadecimal characters."), field=field,
                          status=422)
    return value


def _no_entry(index: int) -> DomainError:
    # the index as text: an entry's number is a name, never grouped as an amount is (#12345, not #12,345)
    return DomainError("ledger_no_such_entry", N_("There is no entry #{index} in the ledger."), field="index",
                       status=404, index=str(index))


def entry_at(db: Session, index: int) -> LedgerEntry:
    """The entry at ``index`` if a signed tree head covers it."""
    size = require_latest_head(db).head.tree_size
    entry = db.get(LedgerEntry, index) if 0 <= index < size else None
    if entry is None:
        raise _no_entry(index)
    return entry


def entry_by_leaf(db: Session, leaf: bytes) -> LedgerEntry:
    """The entry with this leaf hash (a receipt code), if a signed tree head covers it."""
    size = require_latest_head(db).head.tree_size
    entry = db.scalars(select(LedgerEntry).where(LedgerEntry.leaf_hash == leaf, LedgerEntry.leaf_index < size)
                       .order_by(LedgerEntry.leaf_index).limit(1)).first()
    if entry is None:
        raise DomainError("ledger_unknown_leaf", N_("No entry in the ledger has this leaf hash."), field="leaf_hash",
                          status=404)
    return entry


def _check_size(size: int | None, high: int, field: str, low: int = 0) -> int:
    if size is None:
        size = high
    if not low <= size <= high:
        raise DomainError("ledger_bad_tree_size", N_("The tree size must be between {low} and {high}."), field=field,
                          status=422, low=low, high=high)
    return size


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]
    root_hash: bytes
    head: SignedTreeHead | None  # the signed head of exactly this size, if there is one


def prove_inclusion(db: Session, index: int, tree_size: int | None = None) -> InclusionProof:
    """PATH(index, D[tree_size]) from stored nodes (default size: the latest signed head).

    Three small reads on the hot path: the latest head, the stored leaf, the path's nodes.
    """
    latest = require_latest_head(db)
    if not 0 <= index < latest.head.tree_size:
        raise _no_entry(index)
    size = _check_size(tree_size, latest.head.tree_size, "tree_size", low=index + 1)
    store = DbHashStore(db, size)
    leaf = store.get_nodes([(0, index)])[0]
    path = inclusion_proof(store, index, size)
    head = latest if size == latest.head.tree_size else head_for_size(db, size)
    root = head.head.root_hash if head else root_hash(store, size)
    return InclusionProof(index, size, leaf, path, root, head)


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    proof: list[bytes]


def prove_consistency(db: Session, first: int, second: int | None = None) -> ConsistencyProof:
    """PROOF(first, D[second]): the tree of ``second`` extends the tree of ``first``."""
    high = require_latest_head(db).head.tree_size
    second = _check_size(second, high, "second")
    first = _check_size(first, high, "first")
    if first > second:
        raise DomainError("ledger_bad_tree_size", N_("The tree size must be between {low} and {high}."), field="first",
                          status=422, low=0, high=second)
    store = DbHashStore(db, second)
    return ConsistencyProof(first, second, root_hash(store, first), root_hash(store, second),
                            consistency_proof(store, first, second))


@dataclass(frozen=True)
class HeadCheck:
    """A signed head as the public page shows it: is the signature good, does it extend the head before?"""

    head: SignedTreeHead
    signature_ok: bool
    consistent: bool | None  # None for the first head ever signed


def head_history(db: Session, *, offset: int = 0, limit: int = 20) -> tuple[list[HeadCheck], int]:
    """Signed heads, newest first, each checked against its key and against the head signed before it."""
    rows = list(db.scalars(select(LedgerTreeHead).order_by(LedgerTreeHead.id.desc()).offset(offset)
                           .limit(limit + 1)))
    total = db.scalar(select(func.count()).select_from(LedgerTreeHead)) or 0
    latest = latest_head(db)
    store = DbHashStore(db, latest.head.tree_size if latest else 0)
    ring = keyring(db)
    out = []
    for newer, older in zip(rows[:limit], [*rows[1:], None], strict=False):
        sth = head_of(newer)
        consistent = None
        if older is not None:
            before = head_of(older)
            try:
                proof = consistency_proof(store, before.head.tree_size, sth.head.tree_size)
            except (ValueError, KeyError):
                consistent = False
            else:
                consistent = verify_consistency(before.head.tree_size, sth.head.tree_size, before.head.root_hash,
                                                sth.head.root_hash, proof)
        out.append(HeadCheck(sth, ring.is_valid(sth), consistent))
    return out, total


@dataclass(frozen=True)
class EntryCheck:
    """The answer to "is this entry in the log?": the entry, its proof and what verified."""

    entry: LedgerEntry
    proof: InclusionProof
    head: SignedTreeHead
    included: bool  # the audit path folds to the signed head's root
    signed: bool  # the head's signature verifies with a trusted key


def check_entry(db: Session, query: str) -> EntryCheck:
    """Check an entry given by number (Persian digits welcome) or by leaf hash / receipt code."""
    from smartgov import digits

    text = digits.to_latin(query, "q").strip().lstrip("#")
    if not text:
        raise DomainError("ledger_index_or_leaf", N_("Give an entry number or a leaf hash."), field="q", status=422)
    if digits.is_ascii_digits(text) and len(text) < 19:
        entry = entry_at(db, int(text))
    else:
        entry = entry_by_leaf(db, parse_leaf_hash(text, field="q"))
    head = require_latest_head(db)
    proof = prove_inclusion(db, entry.leaf_index, head.head.tree_size)
    included = verify_inclusion(proof.index, proof.tree_size, leaf_hash(bytes(entry.data)), proof.audit_path,
                                head.head.root_hash)
    return EntryCheck(entry, proof, head, included, keyring(db).is_valid(head))


# --------------------------------------------------------------------------- auditing


def _entries(db: Session, findings: list[Finding]) -> Iterator[bytes]:
    rows = db.execute(
        select(LedgerEntry.leaf_index, LedgerEntry.data, LedgerEntry.leaf_hash)
        .order_by(LedgerEntry.leaf_index).execution_options(yield_per=5000)
    )
    for index, data, lookup in rows:
        data = bytes(data)
        if leaf_hash(data) != bytes(lookup) and len(findings) < 100:
            findings.append(Finding("lookup_mismatch",
                                    N_("The lookup hash of entry #{entry} does not match its content."), index))
        yield data


def verify(db: Session, *, max_findings: int = 100) -> LogReport:
    """Recompute the whole log from the database and report each entry changed, removed or reordered.

    Entries, stored nodes and signed heads are compared (see :func:`verify_log`); memory stays
    bounded however long the log is.
    """
    state = _state(db)
    extra: list[Finding] = []
    report = verify_log(_entries(db, extra), DbHashStore(db, state.tree_size), all_heads(db), keyring(db),
                        log_id=state.log_id, max_findings=max_findings)
    named = {f.entry for f in report.findings}
    extra = [f for f in extra if f.entry not in named]
    if extra:
        report = LogReport(report.entries, report.tree_size, report.heads_checked, [*report.findings, *extra])
    return report
