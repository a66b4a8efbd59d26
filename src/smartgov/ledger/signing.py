"""Signed tree heads: the log operator's Ed25519 commitment to (size, root) at a time.

A head is only as useful as its verifiability years later, so verification takes a *set*
of trusted keys (a :class:`KeyRing`): rotating the signing key adds a key and retires the
old one from a given time, and every head signed before that still verifies. A retired
key cannot vouch for heads dated after its retirement, so a key leaked later cannot
rewrite history.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from smartgov.errors import DomainError
from smartgov.i18n import N_

from .merkle import HASH_SIZE

# Domain separation: a signature over a tree head can never be replayed as anything else.
_CONTEXT = b"smartgov/ledger/tree-head/v1\n"

#: The published format (OpenAPI, the ledger README): enough for an outside verifier with any
#: Ed25519 library. ``TreeHead.message`` is the code it describes; a test checks a head against
#: this text alone.
FORMAT = """\
**Signed tree head, version 1.** `signature` (64 bytes, hex) is a pure Ed25519 signature
(RFC 8032, no pre-hashing) over the concatenation of these fields, in this order, with no padding:

| # | field | bytes | content |
|---|---|---|---|
| 1 | context | 29 | the ASCII text `smartgov/ledger/tree-head/v1` and one newline (0x0A) |
| 2 | log id length | 2 | the length in bytes of field 3, unsigned big-endian |
| 3 | log id | that length | `log_id`, UTF-8 |
| 4 | tree size | 8 | `tree_size`, unsigned big-endian |
| 5 | timestamp | 8 | `timestamp_ms` (milliseconds since 1970-01-01T00:00:00Z), unsigned big-endian |
| 6 | root hash | 32 | `root_hash` (hex in JSON): Merkle tree hash of the first `tree_size` entries |
| 7 | key id | 32 | `key_id` (hex in JSON): SHA-256 of the signer's raw 32-byte Ed25519 public key |

**Root hash**: RFC 9162 §2.1.1 over the entries in log order — leaf = SHA-256(0x00 ‖ entry data),
node = SHA-256(0x01 ‖ left ‖ right), empty tree = SHA-256 of nothing; each entry's leaf hash is
`GET /api/v1/ledger/entries/{index}` → `leaf_hash`.

**Keys**: `GET /api/v1/ledger/keys` lists every key the log has signed with, current and retired
(`public_key`: the raw 32-byte Ed25519 key, hex; `key_id` = SHA-256 of those 32 bytes, hex).
**A head is valid** when its `key_id` names a listed key, the signature verifies with that key
over the bytes above, and, if the key is retired, `timestamp_ms` ≤ its `retired_at_ms`. Pin the
keys you trust; a key list fetched together with the heads proves only that the platform signed them.
"""


def key_id(public_key: bytes) -> bytes:
    """SHA-256 of the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).digest()


@dataclass(frozen=True, slots=True)
class TreeHead:
    """What is signed: which log, how many entries, their root, and when (ms since the epoch)."""

    log_id: str
    tree_size: int
    root_hash: bytes
    timestamp_ms: int

    def __post_init__(self) -> None:
        if self.tree_size < 0 or self.timestamp_ms < 0:
            raise ValueError("tree size and timestamp must not be negative")
        if len(self.root_hash) != HASH_SIZE:
            raise ValueError("root hash must be 32 bytes")

    def message(self, signer_key_id: bytes) -> bytes:
        """Canonical bytes to sign: fixed-width fields, length-prefixed log id, the key id bound in."""
        origin = self.log_id.encode()
        return b"".join(
            (
                _CONTEXT,
                struct.pack(">H", len(origin)),
                origin,
                struct.pack(">QQ", self.tree_size, self.timestamp_ms),
                self.root_hash,
                signer_key_id,
            )
        )


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    head: TreeHead
    key_id: bytes
    signature: bytes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (hex for bytes) for the API, the CLI and storage."""
        return {
            "log_id": self.head.log_id,
            "tree_size": self.head.tree_size,
            "root_hash": self.head.root_hash.hex(),
            "timestamp_ms": self.head.timestamp_ms,
            "key_id": self.key_id.hex(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedTreeHead:
        head = TreeHead(
            log_id=str(data["log_id"]),
            tree_size=int(data["tree_size"]),
            root_hash=bytes.fromhex(data["root_hash"]),
            timestamp_ms=int(data["timestamp_ms"]),
        )
        return cls(head, bytes.fromhex(data["key_id"]), bytes.fromhex(data["signature"]))


class TreeHeadSigner:
    """Holds the log's current private key; the key itself comes from settings or a key file."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> TreeHeadSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> TreeHeadSigner:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def sign(self, head: TreeHead) -> SignedTreeHead:
        return SignedTreeHead(head, self.key_id, self._key.sign(head.message(self.key_id)))


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A public key heads may be signed with; ``not_after_ms`` is set when it is retired."""

    public_key: bytes
    not_after_ms: int | None = None

    @property
    def key_id(self) -> bytes:
        return key_id(self.public_key)


class KeyRing:
    """Every key the log has ever signed with, so old heads stay verifiable after rotation."""

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._keys: dict[bytes, TrustedKey] = {}
        for key in keys:
            self._keys[key.key_id] = key

    def add(self, public_key: bytes, *, not_after_ms: int | None = None) -> bytes:
        if len(public_key) != 32:
            raise ValueError("Ed25519 public keys are 32 bytes")
        key = TrustedKey(bytes(public_key), not_after_ms)
        self._keys[key.key_id] = key
        return key.key_id

    def retire(self, kid: bytes, at_ms: int) -> None:
        """Stop trusting ``kid`` for heads dated after ``at_ms``; earlier heads still verify."""
        key = self._keys[kid]
        self._keys[kid] = TrustedKey(key.public_key, at_ms)

    def keys(self) -> list[TrustedKey]:
        return list(self._keys.values())

    def check(self, sth: SignedTreeHead) -> None:
        """Raise :class:`DomainError` unless ``sth`` is signed by a key trusted at its timestamp."""
        key = self._keys.get(sth.key_id)
        if key is None:
            raise DomainError(
                "ledger_unknown_key", N_("The tree head is signed by an unknown key."), field="key_id"
            )
        if key.not_after_ms is not None and sth.head.timestamp_ms > key.not_after_ms:
            raise DomainError(
                "ledger_key_retired",
                N_("The tree head is dated after its signing key was retired."),
                field="key_id",
            )
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(
                sth.signature, sth.head.message(sth.key_id)
            )
        except InvalidSignature:
            raise DomainError(
                "ledger_bad_signature", N_("The tree head signature is not valid."), field="signature"
            ) from None

    def is_valid(self, sth: SignedTreeHead) -> bool:
        try:
            self.check(sth)
        except DomainError:
            return False
        return True
