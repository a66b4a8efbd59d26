"""Tables of the ledger: entries, stored subtree hashes, signed tree heads, signing keys, log state.

Entries and nodes are append-only; nothing in the platform updates or deletes them, which
is exactly what ``smartgov ledger verify`` checks.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base


class LedgerState(Base):
    """The one row describing the log: its id, how many leaves are hashed, how far events are taken.

    Appenders lock this row, so two workers never append at once.
    """

    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[str] = mapped_column(String(200))
    tree_size: Mapped[int] = mapped_column(BigInteger, default=0)
    # Every kernel_event id up to here is in the log or known never to have committed.
    event_watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime]


class LedgerEntry(Base):
    """One leaf: the canonical JSON of a domain event, hashed as an RFC 9162 leaf."""

    __tablename__ = "ledger_entry"

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    event_name: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[dt.datetime]
    data: Mapped[bytes] = mapped_column(LargeBinary)  # canonical JSON, the exact bytes hashed
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    appended_at: Mapped[dt.datetime]


class LedgerNode(Base):
    """The hash of a complete subtree ``(level, idx)``; level 0 holds the leaf hashes."""

    __tablename__ = "ledger_node"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerTreeHead(Base):
    """A signed commitment to the first ``tree_size`` entries, in signing order."""

    __tablename__ = "ledger_tree_head"
    __table_args__ = (Index("ix_ledger_tree_head_size", "tree_size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[str] = mapped_column(String(200))
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class LedgerKey(Base):
    """An Ed25519 signing key; the private half is sealed with AES-GCM under a key derived from the secret."""

    __tablename__ = "ledger_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # nonce || ciphertext; None once retired
    created_at: Mapped[dt.datetime]
    retired_at_ms: Mapped[int | None] = mapped_column(BigInteger)  # heads after this are not trusted from it
