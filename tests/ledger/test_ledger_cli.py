"""``smartgov ledger``: verify names the tampered entry and exits non-zero; append, proof, rotate-key."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from smartgov.cli import app as cli
from smartgov.ledger import service
from smartgov.ledger.models import LedgerEntry, LedgerKey

from . import rfc9162
from .conftest import ledger_rows, publish

runner = CliRunner()


@pytest.mark.parametrize("command", [["ledger"], ["ledger", "verify"], ["ledger", "append"], ["ledger", "proof"],
                                     ["ledger", "rotate-key"]])
def test_every_ledger_command_has_help(command: list[str]) -> None:
    result = runner.invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output.splitlines()) > 3


@pytest.fixture
def appended(database, db):  # type: ignore[no-untyped-def]
    publish(database, 20)
    result = runner.invoke(cli, ["ledger", "append", "--max-batch", "6"])
    assert result.exit_code == 0, result.output
    assert "appended 21; tree size 21" in result.output
    return database


def test_append_then_verify(appended) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "ledger verifies" in result.output and "entries: 21" in result.output


def test_verify_names_a_changed_entry(appended, db) -> None:  # type: ignore[no-untyped-def]
    db.execute(text("UPDATE ledger_entry SET data = :d WHERE leaf_index = 9"), {"d": b'{"seq":"rewritten"}'})
    db.commit()
    result = runner.invoke(cli, ["ledger", "verify"])
    assert result.exit_code == 1
    assert "entry_changed: Entry #9 has been changed." in result.output
    fa = runner.invoke(cli, ["ledger", "verify", "--lang", "fa"])
    assert "رکورد شمارهٔ ۹ تغییر کرده است." in fa.output


def test_verify_names_a_deleted_entry(appended, db) -> None:  # type: ignore[no-untyped-def]
    db.execute(text("DELETE FROM ledger_entry WHERE leaf_index = 14"))
    db.commit()
    result = runner.invoke(cli, ["ledger", "verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert not report["ok"] and report["findings"][0]["code"] == "entry_removed"
    assert report["findings"][0]["entry"] == 14


def test_verify_names_swapped_entries(appended, db) -> None:  # type: ignore[no-untyped-def]
    """Swap two whole rows by renumbering them, as someone with database access could."""
    db.execute(text("UPDATE ledger_entry SET leaf_index = -1 WHERE leaf_index = 3"))
    db.execute(text("UPDATE ledger_entry SET leaf_index = 3 WHERE leaf_index = 4"))
    db.execute(text("UPDATE ledger_entry SET leaf_index = 4 WHERE leaf_index = -1"))
    db.commit()
    result = runner.invoke(cli, ["ledger", "verify", "--json"])
    assert result.exit_code == 1
    first = json.loads(result.output)["findings"][0]
    assert (first["code"], first["entry"]) == ("entry_reordered", 3)
    assert "holds the content of entry #4" in first["message"]


def test_proof_prints_a_checkable_inclusion_proof(appended, db) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["ledger", "proof", "5", "--tree-size", "12"])
    assert result.exit_code == 0, result.output
    proof = json.loads(result.output)
    assert proof["verifies"] is True
    data = [bytes(r.data) for r in ledger_rows(db)]
    assert proof["root_hash"] == rfc9162.mth(data[:12]).hex()
    assert rfc9162.verify_inclusion(5, 12, rfc9162.leaf(data[5]), [bytes.fromhex(h) for h in proof["audit_path"]],
                                    rfc9162.mth(data[:12]))
    by_hash = json.loads(runner.invoke(cli, ["ledger", "proof", "--leaf-hash", proof["leaf_hash"]]).output)
    assert by_hash["index"] == 5 and by_hash["tree_size"] == 21


def test_proof_prints_a_consistency_proof(appended) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["ledger", "proof", "--from-size", "6", "--tree-size", "18"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["verifies"] and rfc9162.verify_consistency(
        6, 18, bytes.fromhex(body["first_root"]), bytes.fromhex(body["second_root"]),
        [bytes.fromhex(h) for h in body["proof"]])


def test_proof_reports_bad_input(appended) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["ledger", "proof", "50"])
    assert result.exit_code == 2 and "There is no entry #50 in the ledger." in result.output
    assert runner.invoke(cli, ["ledger", "proof"]).exit_code == 2


def test_rotate_key_keeps_history_verifiable(appended, db) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["ledger", "rotate-key"])
    assert result.exit_code == 0, result.output
    keys = list(db.scalars(select(LedgerKey).order_by(LedgerKey.id)))
    assert len(keys) == 2 and bytes(keys[1].key_id).hex() in result.output
    last = db.scalars(select(LedgerEntry).order_by(LedgerEntry.leaf_index.desc())).first()
    assert last.event_name == "ledger.key_rotated"  # the rotation is itself in the log ...
    with appended.sessions() as session:
        assert service.latest_head(session).key_id == bytes(keys[1].key_id)  # ... under the new key
    verify = runner.invoke(cli, ["ledger", "verify"])
    assert verify.exit_code == 0, verify.output
