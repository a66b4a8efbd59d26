"""An outside verifier checks signed tree heads from what the platform publishes alone: the API's
JSON, the key list and the format in the OpenAPI description, with any Ed25519 library (here
``cryptography`` directly, none of smartgov's code)."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartgov.ledger import service
from smartgov.ledger.signing import FORMAT

from .conftest import publish

README = Path(__file__).resolve().parents[2] / "src" / "smartgov" / "ledger" / "README.md"


def signed_bytes(head: dict[str, Any]) -> bytes:
    """The bytes the published table lists, in its order."""
    log_id = head["log_id"].encode("utf-8")
    return b"".join((
        b"smartgov/ledger/tree-head/v1\n",  # 1: context, 29 bytes
        struct.pack(">H", len(log_id)),  # 2: length of the log id, unsigned big-endian
        log_id,  # 3: log id, UTF-8
        struct.pack(">Q", head["tree_size"]),  # 4: tree size, 8 bytes big-endian
        struct.pack(">Q", head["timestamp_ms"]),  # 5: timestamp, 8 bytes big-endian
        bytes.fromhex(head["root_hash"]),  # 6: root hash, 32 bytes
        bytes.fromhex(head["key_id"]),  # 7: key id, 32 bytes
    ))


def valid(head: dict[str, Any], keys: list[dict[str, Any]]) -> bool:
    """The published rule: a listed key with that id, a good signature, and not dated after the key retired."""
    key = next((k for k in keys if k["key_id"] == head["key_id"]), None)
    if key is None:
        return False
    raw = bytes.fromhex(key["public_key"])
    assert hashlib.sha256(raw).hexdigest() == key["key_id"]  # key id = SHA-256 of the raw 32-byte key
    if key["retired_at_ms"] is not None and head["timestamp_ms"] > key["retired_at_ms"]:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(bytes.fromhex(head["signature"]), signed_bytes(head))
    except InvalidSignature:
        return False
    return True


def test_every_tree_head_verifies_from_the_published_format_alone(client, database) -> None:  # type: ignore[no-untyped-def]
    publish(database, 5)
    service.append_pending(database)
    with database.unit_of_work() as db:
        service.rotate_key(db)
    publish(database, 3)
    service.append_pending(database)
    heads = client.get("/api/v1/ledger/tree-heads?per_page=100").json()["items"]
    keys = client.get("/api/v1/ledger/keys").json()
    assert len({h["key_id"] for h in heads}) == 2 and len(keys) == 2  # signed before and after a rotation
    assert all(valid(head, keys) for head in heads)
    latest = heads[0]
    assert not valid({**latest, "tree_size": latest["tree_size"] + 1}, keys)
    assert not valid({**latest, "log_id": latest["log_id"] + "x"}, keys)
    old = next(h for h in heads if h["key_id"] == keys[0]["key_id"])
    assert not valid({**old, "timestamp_ms": keys[0]["retired_at_ms"] + 1}, keys)  # a retired key vouches no more


def test_the_format_is_published_in_the_openapi_the_readme_and_the_ledger_page(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").json()
    latest = spec["paths"]["/api/v1/ledger/tree-heads/latest"]["get"]["description"]
    assert FORMAT.strip() in latest
    for fact in ("`smartgov/ledger/tree-head/v1` and one newline (0x0A)", "| 2 | log id length | 2 |",
                 "| 4 | tree size | 8 |", "| 5 | timestamp | 8 |", "| 7 | key id | 32 |", "GET /api/v1/ledger/keys",
                 "pure Ed25519", "`retired_at_ms`"):
        assert fact in latest
    assert FORMAT in README.read_text(encoding="utf-8")
    for lang, words in (("fa", "امضا را خودتان بررسی کنید"), ("en", "Check a signature yourself")):
        page = client.get("/ledger", params={"lang": lang}).text
        assert words in page and "smartgov/ledger/tree-head/v1" in page and "/api/v1/ledger/keys" in page
