"""Tamper-evident append-only log: RFC 9162 Merkle tree, signed tree heads, proofs, full audit.

Every domain event (``kernel_event``) is appended off the request path by
:func:`append_pending`, which ``smartgov worker`` runs every round. Other modules do not call
the ledger: they publish events. The pure core (``merkle``, ``signing``, ``verify``) works on
any :class:`HashStore`; ``service`` runs it over the database.
"""

from .merkle import (
    EMPTY_ROOT,
    HashStore,
    MemoryHashStore,
    append_entries,
    append_leaves,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from .service import (
    AppendResult,
    DbHashStore,
    append_pending,
    canonical_json,
    latest_head,
    rotate_key,
)
from .service import verify as verify_database
from .signing import KeyRing, SignedTreeHead, TreeHead, TreeHeadSigner, TrustedKey, key_id
from .verify import Finding, LogReport, verify_log

__all__ = [
    "EMPTY_ROOT",
    "AppendResult",
    "DbHashStore",
    "Finding",
    "HashStore",
    "KeyRing",
    "LogReport",
    "MemoryHashStore",
    "SignedTreeHead",
    "TreeHead",
    "TreeHeadSigner",
    "TrustedKey",
    "append_entries",
    "append_leaves",
    "append_pending",
    "canonical_json",
    "consistency_proof",
    "inclusion_proof",
    "key_id",
    "latest_head",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "root_hash",
    "root_of",
    "rotate_key",
    "verify_consistency",
    "verify_database",
    "verify_inclusion",
    "verify_log",
]
