"""The ledger API: proofs check out with an independent RFC 9162 verifier; bad input gets the one envelope."""

from __future__ import annotations

import pytest

from smartgov.identity.models import Role
from smartgov.ledger import service
from tests.factories import api_token, auth, create_account

from . import rfc9162
from .conftest import publish

HEAD_SIZES = (1, 6, 13, 16, 17, 30)


@pytest.fixture
def log(database, db):  # type: ignore[no-untyped-def]
    """30 entries signed at sizes 1, 6, 13, 16, 17 and 30 (a head per batch)."""
    done = 0
    for size in HEAD_SIZES:
        publish(database, size - done - (1 if done == 0 else 0))
        service.append_pending(database)
        done = size
    return database


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def all_entries(client, token: str, size: int) -> list[bytes]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(size):
        r = client.get(f"/api/v1/ledger/entries/{i}", headers=auth(token))
        assert r.status_code == 200, r.text
        out.append(r.json()["data"].encode())
    return out


def test_every_signed_head_commits_to_the_entries(client, db, log) -> None:  # type: ignore[no-untyped-def]
    auditor = create_account(db, username="auditor1", role=Role.AUDITOR)
    db.commit()
    token = api_token(client, auditor, scopes=["read"])
    heads = client.get("/api/v1/ledger/tree-heads?per_page=100").json()
    assert [h["tree_size"] for h in reversed(heads["items"])] == list(HEAD_SIZES)
    latest = client.get("/api/v1/ledger/tree-heads/latest").json()
    assert latest == heads["items"][0]
    data = all_entries(client, token, latest["tree_size"])
    for head in heads["items"]:
        assert bytes.fromhex(head["root_hash"]) == rfc9162.mth(data[: head["tree_size"]])


def test_inclusion_proofs_verify_independently(client, log) -> None:  # type: ignore[no-untyped-def]
    heads = client.get("/api/v1/ledger/tree-heads?per_page=100").json()["items"]
    for head in heads:
        size, root = head["tree_size"], bytes.fromhex(head["root_hash"])
        for index in range(size):
            r = client.get(f"/api/v1/ledger/proofs/inclusion?index={index}&tree_size={size}")
            assert r.status_code == 200, r.text
            proof = r.json()
            assert proof["tree_head"] == head
            leaf = bytes.fromhex(proof["leaf_hash"])
            assert rfc9162.verify_inclusion(index, size, leaf, hexes(proof["audit_path"]), root)
            # and not for a neighbour's position or a different leaf
            assert not rfc9162.verify_inclusion(index, size, rfc9162.leaf(b"x"), hexes(proof["audit_path"]), root)


def test_inclusion_proof_by_receipt_code(client, log) -> None:  # type: ignore[no-untyped-def]
    entry = client.get("/api/v1/ledger/entries/9").json()
    by_hash = client.get(f"/api/v1/ledger/entries/by-leaf-hash/{entry['leaf_hash'].upper()}").json()
    assert by_hash == entry
    proof = client.get(f"/api/v1/ledger/proofs/inclusion?leaf_hash={entry['leaf_hash']}").json()
    latest = client.get("/api/v1/ledger/tree-heads/latest").json()
    assert proof["index"] == 9 and proof["tree_size"] == latest["tree_size"]
    assert rfc9162.verify_inclusion(9, proof["tree_size"], bytes.fromhex(entry["leaf_hash"]),
                                    hexes(proof["audit_path"]), bytes.fromhex(latest["root_hash"]))


def test_consistency_proofs_verify_independently(client, log) -> None:  # type: ignore[no-untyped-def]
    heads = {h["tree_size"]: bytes.fromhex(h["root_hash"])
             for h in client.get("/api/v1/ledger/tree-heads?per_page=100").json()["items"]}
    for first in HEAD_SIZES:
        for second in HEAD_SIZES:
            if first > second:
                continue
            r = client.get(f"/api/v1/ledger/proofs/consistency?first={first}&second={second}")
            assert r.status_code == 200, r.text
            body = r.json()
            assert bytes.fromhex(body["first_root"]) == heads[first]
            assert bytes.fromhex(body["second_root"]) == heads[second]
            assert rfc9162.verify_consistency(first, second, heads[first], heads[second], hexes(body["proof"]))
            if first < second:  # a proof for another old root does not pass
                assert not rfc9162.verify_consistency(first, second, rfc9162.leaf(b"forged"), heads[second],
                                                      hexes(body["proof"]))


def test_entry_content_is_shown_to_its_actor_and_auditors_only(client, db, database) -> None:  # type: ignore[no-untyped-def]
    citizen = create_account(db, username="citizen7")
    other = create_account(db, username="citizen8")
    auditor = create_account(db, username="auditor2", role=Role.AUDITOR)
    db.commit()
    tokens = {a.username: api_token(client, a, scopes=["read"]) for a in (citizen, other, auditor)}
    service.append_pending(database)
    heads = client.get("/api/v1/ledger/tree-heads/latest").json()
    own = None
    for i in range(heads["tree_size"]):
        public = client.get(f"/api/v1/ledger/entries/{i}").json()
        assert public["data"] is None and public["payload"] is None and len(public["leaf_hash"]) == 64
        seen = client.get(f"/api/v1/ledger/entries/{i}", headers=auth(tokens["citizen7"])).json()
        if public["event_name"] == "identity.token_created" and seen["data"] is not None:
            own = seen
        assert client.get(f"/api/v1/ledger/entries/{i}", headers=auth(tokens["auditor2"])).json()["data"]
    assert own is not None and own["payload"]["account_id"] == citizen.id
    assert rfc9162.leaf(own["data"].encode()).hex() == own["leaf_hash"]
    r = client.get(f"/api/v1/ledger/entries/{own['index']}", headers=auth(tokens["citizen8"]))
    assert r.json()["data"] is None


def test_public_keys_include_retired_ones(client, database, log) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        service.rotate_key(db)
    service.append_pending(database)
    keys = client.get("/api/v1/ledger/keys").json()
    assert [k["active"] for k in keys] == [False, True]
    assert keys[0]["retired_at_ms"] is not None and len(keys[0]["public_key"]) == 64
    latest = client.get("/api/v1/ledger/tree-heads/latest").json()
    assert latest["key_id"] == keys[1]["key_id"]


def test_empty_ledger_answers_404(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/ledger/tree-heads/latest", headers={"Accept-Language": "en"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "ledger_empty"
    assert client.get("/api/v1/ledger/entries/0").json()["error"]["code"] == "ledger_empty"


@pytest.mark.parametrize(("url", "status", "code", "field"), [
    ("/api/v1/ledger/entries/30", 404, "ledger_no_such_entry", "index"),
    (f"/api/v1/ledger/entries/{2**63 - 1}", 404, "ledger_no_such_entry", "index"),
    ("/api/v1/ledger/entries/99999999999999999999", 422, "invalid_input", "index"),  # past BIGINT
    ("/api/v1/ledger/entries/-1", 422, "invalid_input", "index"),
    ("/api/v1/ledger/entries/abc", 422, "invalid_input", "index"),
    ("/api/v1/ledger/entries/by-leaf-hash/zz", 422, "ledger_bad_leaf_hash", "leaf_hash"),
    ("/api/v1/ledger/entries/by-leaf-hash/" + "ab" * 32, 404, "ledger_unknown_leaf", "leaf_hash"),
    ("/api/v1/ledger/proofs/inclusion", 422, "ledger_index_or_leaf", "index"),
    ("/api/v1/ledger/proofs/inclusion?index=40", 404, "ledger_no_such_entry", "index"),
    ("/api/v1/ledger/proofs/inclusion?index=3&tree_size=31", 422, "ledger_bad_tree_size", "tree_size"),
    ("/api/v1/ledger/proofs/inclusion?index=20&tree_size=17", 422, "ledger_bad_tree_size", "tree_size"),
    ("/api/v1/ledger/proofs/inclusion?index=2&tree_size=-5", 422, "invalid_input", "tree_size"),
    ("/api/v1/ledger/proofs/consistency", 422, "invalid_input", "first"),
    ("/api/v1/ledger/proofs/consistency?first=31", 422, "ledger_bad_tree_size", "first"),
    ("/api/v1/ledger/proofs/consistency?first=20&second=10", 422, "ledger_bad_tree_size", "first"),
    ("/api/v1/ledger/proofs/consistency?first=1&second=1000", 422, "ledger_bad_tree_size", "second"),
    ("/api/v1/ledger/tree-heads?per_page=1000", 422, "invalid_input", "per_page"),
])
def test_bad_indexes_and_sizes_get_the_error_envelope(client, log, url, status, code, field) -> None:  # type: ignore[no-untyped-def]
    r = client.get(url, headers={"Accept-Language": "en"})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["field"] == field and error["message"]
    fa = client.get(url).json()["error"]["message"]  # Persian by default
    assert fa != error["message"] or code == "invalid_input"


def test_error_messages_name_the_range(client, log) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/ledger/proofs/inclusion?index=3&tree_size=31", headers={"Accept-Language": "en"})
    assert r.json()["error"]["message"] == "The tree size must be between 4 and 30."
    fa = client.get("/api/v1/ledger/proofs/inclusion?index=3&tree_size=31").json()["error"]["message"]
    assert "۴" in fa and "۳۰" in fa
