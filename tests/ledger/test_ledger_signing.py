"""Signed tree heads: Ed25519, key ids, and rotation that keeps old heads verifiable."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartgov.errors import DomainError
from smartgov.ledger import KeyRing, SignedTreeHead, TreeHead, TreeHeadSigner, key_id

ROOT = hashlib.sha256(b"root").digest()


def head(size: int = 10, ts: int = 1_700_000_000_000, root: bytes = ROOT) -> TreeHead:
    return TreeHead("smartgov.test/ledger", size, root, ts)


def test_key_id_is_sha256_of_raw_public_key() -> None:
    signer = TreeHeadSigner.from_private_bytes(bytes(range(32)))
    assert len(signer.public_key) == 32
    assert signer.key_id == hashlib.sha256(signer.public_key).digest() == key_id(signer.public_key)


def test_signature_is_plain_ed25519_over_the_canonical_message() -> None:
    signer = TreeHeadSigner.generate()
    sth = signer.sign(head())
    # Anyone with the public key and the documented message layout can check it.
    Ed25519PublicKey.from_public_bytes(signer.public_key).verify(sth.signature, sth.head.message(sth.key_id))
    msg = sth.head.message(sth.key_id)
    assert msg.startswith(b"smartgov/ledger/tree-head/v1\n")
    assert msg.endswith(ROOT + signer.key_id)
    assert (10).to_bytes(8, "big") + (1_700_000_000_000).to_bytes(8, "big") in msg


def test_verifies_and_round_trips_through_json_form() -> None:
    signer = TreeHeadSigner.generate()
    ring = KeyRing()
    ring.add(signer.public_key)
    sth = signer.sign(head())
    ring.check(sth)
    again = SignedTreeHead.from_dict(sth.to_dict())
    assert again == sth
    assert ring.is_valid(again)


@pytest.mark.parametrize(
    "change",
    [
        lambda h: TreeHead(h.log_id, h.tree_size + 1, h.root_hash, h.timestamp_ms),
        lambda h: TreeHead(h.log_id, h.tree_size, hashlib.sha256(b"other").digest(), h.timestamp_ms),
        lambda h: TreeHead(h.log_id, h.tree_size, h.root_hash, h.timestamp_ms + 1),
        lambda h: TreeHead("another.log", h.tree_size, h.root_hash, h.timestamp_ms),
    ],
)
def test_any_changed_field_breaks_the_signature(change) -> None:  # type: ignore[no-untyped-def]
    signer = TreeHeadSigner.generate()
    ring = KeyRing()
    ring.add(signer.public_key)
    sth = signer.sign(head())
    forged = SignedTreeHead(change(sth.head), sth.key_id, sth.signature)
    with pytest.raises(DomainError) as err:
        ring.check(forged)
    assert err.value.code == "ledger_bad_signature"


def test_flipped_signature_byte_fails() -> None:
    signer = TreeHeadSigner.generate()
    ring = KeyRing()
    ring.add(signer.public_key)
    sth = signer.sign(head())
    for i in range(0, 64, 7):
        sig = bytearray(sth.signature)
        sig[i] ^= 1
        assert not ring.is_valid(SignedTreeHead(sth.head, sth.key_id, bytes(sig)))


def test_unknown_key_is_refused_with_a_translated_message() -> None:
    sth = TreeHeadSigner.generate().sign(head())
    with pytest.raises(DomainError) as err:
        KeyRing().check(sth)
    assert err.value.code == "ledger_unknown_key"
    assert err.value.field == "key_id"
    assert err.value.localized("en") == "The tree head is signed by an unknown key."
    assert err.value.localized("fa") != err.value.localized("en")


def test_rotation_keeps_old_heads_valid_and_stops_the_old_key_forging_new_ones() -> None:
    old, new = TreeHeadSigner.generate(), TreeHeadSigner.generate()
    ring = KeyRing()
    ring.add(old.public_key)
    before = old.sign(head(10, ts=1_000))
    ring.add(new.public_key)
    ring.retire(old.key_id, at_ms=2_000)
    after = new.sign(head(20, ts=3_000))
    assert ring.is_valid(before)
    assert ring.is_valid(after)
    leaked = old.sign(head(30, ts=4_000))
    with pytest.raises(DomainError) as err:
        ring.check(leaked)
    assert err.value.code == "ledger_key_retired"
    # The ring can be rebuilt from what is stored (public keys and retirement times).
    rebuilt = KeyRing(ring.keys())
    assert rebuilt.is_valid(before) and rebuilt.is_valid(after) and not rebuilt.is_valid(leaked)


def test_bad_heads_are_rejected_at_construction() -> None:
    with pytest.raises(ValueError):
        TreeHead("x", -1, ROOT, 0)
    with pytest.raises(ValueError):
        TreeHead("x", 1, b"short", 0)
