"""JSON API of the ledger under ``/api/v1/ledger``: tree heads, entries, proofs, keys. All public reads."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Path, Query

from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.web.deps import DbSession, OptionalPrincipal
from smartgov.web.fields import Position
from smartgov.web.pagination import Page, Pagination, page_of
from smartgov.web.routing import ModuleRouter

from . import permissions, service
from .models import LedgerEntry
from .schemas import ConsistencyProofPublic, EntryPublic, InclusionProofPublic, KeyPublic, TreeHeadPublic
from .signing import FORMAT

router = ModuleRouter(prefix="/api/v1/ledger", tags=["ledger"])

Index = Annotated[Position, Path(description="0-based position of the entry in the log.")]
TreeSize = Annotated[Position | None, Query(description="Tree size; default: the latest signed tree head.")]


def entry_public(entry: LedgerEntry, principal: Any) -> EntryPublic:
    data = bytes(entry.data)
    parsed = json.loads(data)
    shown = permissions.can_read_entry_data(principal, parsed.get("actor_id"))
    return EntryPublic(
        index=entry.leaf_index, event_id=entry.event_id, event_name=entry.event_name, occurred_at=entry.occurred_at,
        appended_at=entry.appended_at, leaf_hash=bytes(entry.leaf_hash).hex(),
        data=data.decode() if shown else None, payload=parsed.get("data") if shown else None,
    )


@router.get("/tree-heads/latest", response_model=TreeHeadPublic,
            description="The newest signed tree head: how many entries the log holds and the root they hash to."
                        "\n\n" + FORMAT)
def latest_tree_head(db: DbSession) -> TreeHeadPublic:
    """The newest signed tree head: how many entries the log holds and the root they hash to."""
    return TreeHeadPublic.of(service.require_latest_head(db))


@router.get("/tree-heads", response_model=Page[TreeHeadPublic])
def tree_heads(db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Every signed tree head, newest first; check any two with a consistency proof."""
    heads, total = service.tree_heads(db, offset=pagination.offset, limit=pagination.per_page)
    return page_of([TreeHeadPublic.of(h) for h in heads], total, pagination)


@router.get("/entries/{index}", response_model=EntryPublic)
def entry(index: Index, db: DbSession, principal: OptionalPrincipal) -> EntryPublic:
    """One entry by position: event, times and leaf hash (its content for those allowed to read it)."""
    return entry_public(service.entry_at(db, index), principal)


@router.get("/entries/by-leaf-hash/{leaf_hash}", response_model=EntryPublic)
def entry_by_leaf_hash(leaf_hash: str, db: DbSession, principal: OptionalPrincipal) -> EntryPublic:
    """The entry with this leaf hash (a receipt code)."""
    return entry_public(service.entry_by_leaf(db, service.parse_leaf_hash(leaf_hash)), principal)


@router.get("/proofs/inclusion", response_model=InclusionProofPublic)
def inclusion_proof(
    db: DbSession,
    tree_size: TreeSize = None,
    index: Annotated[Position | None, Query(description="Entry position.")] = None,
    leaf_hash: Annotated[str | None, Query(description="Or the entry's leaf hash (receipt code), hex.")] = None,
) -> InclusionProofPublic:
    """Audit path proving an entry (by index or leaf hash) is in the tree of ``tree_size``."""
    if index is None:
        if not leaf_hash:
            raise DomainError("ledger_index_or_leaf", N_("Give an entry number or a leaf hash."), field="index",
                              status=422)
        index = service.entry_by_leaf(db, service.parse_leaf_hash(leaf_hash)).leaf_index
    proof = service.prove_inclusion(db, index, tree_size)
    return InclusionProofPublic(
        index=proof.index, tree_size=proof.tree_size, leaf_hash=proof.leaf_hash.hex(),
        audit_path=[h.hex() for h in proof.audit_path], root_hash=proof.root_hash.hex(),
        tree_head=TreeHeadPublic.of(proof.head) if proof.head else None,
    )


@router.get("/proofs/consistency", response_model=ConsistencyProofPublic)
def consistency_proof(
    db: DbSession,
    first: Annotated[Position, Query(description="The older tree size.")],
    second: TreeSize = None,
) -> ConsistencyProofPublic:
    """Proof that the tree of ``second`` (default: latest) extends the tree of ``first``: nothing was rewritten."""
    proof = service.prove_consistency(db, first, second)
    return ConsistencyProofPublic(first=proof.first, second=proof.second, first_root=proof.first_root.hex(),
                                  second_root=proof.second_root.hex(), proof=[h.hex() for h in proof.proof])


@router.get("/keys", response_model=list[KeyPublic])
def keys(db: DbSession) -> list[KeyPublic]:
    """Every tree-head signing key, current and retired, oldest first.

    `key_id` is SHA-256 of the raw 32-byte `public_key`; a retired key vouches only for heads with
    `timestamp_ms` ≤ `retired_at_ms`. How to check a head's signature: `GET /tree-heads/latest`.
    """
    return [KeyPublic(key_id=bytes(k.key_id).hex(), public_key=bytes(k.public_key).hex(), created_at=k.created_at,
                      retired_at_ms=k.retired_at_ms, active=k.retired_at_ms is None)
            for k in service.public_keys(db)]
