"""Tamper-evident append-only log: RFC 9162 Merkle tree, signed tree heads, proofs, full audit.

Only the pure core lives here so far; tables, API and pages come with the database foundation.
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
from .signing import KeyRing, SignedTreeHead, TreeHead, TreeHeadSigner, TrustedKey, key_id
from .verify import Finding, LogReport, verify_log

__all__ = [
    "EMPTY_ROOT",
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
    "consistency_proof",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "root_hash",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
]
