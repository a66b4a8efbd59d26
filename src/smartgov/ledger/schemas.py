"""Pydantic models of the ledger API: hashes and signatures travel as lowercase hex."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from .signing import SignedTreeHead


class TreeHeadPublic(BaseModel):
    """A signed tree head: ``signature`` is Ed25519 over fixed-width fields (the byte layout is in the
    description of ``GET /api/v1/ledger/tree-heads/latest``), by the key ``key_id`` of ``GET /api/v1/ledger/keys``."""

    log_id: str = Field(description="Name of the log, signed as UTF-8 after its 2-byte big-endian length.")
    tree_size: int = Field(description="Entries covered; signed as 8 bytes, big-endian.")
    root_hash: str = Field(description="RFC 9162 MTH of the first tree_size entries (32 bytes), hex.")
    timestamp_ms: int = Field(description="Signing time, ms since the Unix epoch; signed as 8 bytes, big-endian.")
    timestamp: dt.datetime = Field(description="timestamp_ms as a date (not signed).")
    key_id: str = Field(description="SHA-256 of the signer's raw 32-byte Ed25519 public key (32 bytes), hex.")
    signature: str = Field(description="64-byte Ed25519 signature over the signed bytes, hex.")

    @classmethod
    def of(cls, sth: SignedTreeHead) -> TreeHeadPublic:
        return cls(**sth.to_dict(), timestamp=dt.datetime.fromtimestamp(sth.head.timestamp_ms / 1000, dt.UTC))


class EntryPublic(BaseModel):
    """One ledger entry. ``data`` (the exact bytes hashed, UTF-8 canonical JSON) is shown to the
    actor it concerns, auditors and platform admins only, because events can carry personal data."""

    index: int
    event_id: int
    event_name: str
    occurred_at: dt.datetime
    appended_at: dt.datetime
    leaf_hash: str = Field(description="SHA-256(0x00 || data), hex: the entry's receipt code.")
    data: str | None = None
    payload: dict[str, Any] | None = None


class InclusionProofPublic(BaseModel):
    """RFC 9162 PATH(index, D[tree_size]); with ``leaf_hash`` it folds to ``root_hash``."""

    index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]
    root_hash: str
    tree_head: TreeHeadPublic | None = Field(None, description="The signed head of this size, if one was signed.")


class ConsistencyProofPublic(BaseModel):
    """RFC 9162 PROOF(first, D[second]): the tree of ``second`` extends the tree of ``first``."""

    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class KeyPublic(BaseModel):
    """A tree-head signing key; retired keys still verify the heads they signed before ``retired_at_ms``."""

    key_id: str
    public_key: str = Field(description="Raw 32-byte Ed25519 public key, hex.")
    created_at: dt.datetime
    retired_at_ms: int | None
    active: bool
