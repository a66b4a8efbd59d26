"""The public ballot board and its checker: every receipt is on the board, the result is recomputed
from the board alone by ``scripts/verify_ballots.py``, and a tampered board is refused; the
trustees' ceremony and decryptions; the migration that counted the old plaintext ballots."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, text

from smartgov import clock
from smartgov.db import Database, migrate
from smartgov.errors import Conflict
from smartgov.participation import election, service, verify_ballots
from smartgov.participation.models import Ballot, Poll
from smartgov.settings import use_settings
from tests.participation.helpers import agency, citizen, count_votes

SCRIPT = Path(__file__).parents[2] / "scripts" / "verify_ballots.py"


def make_poll(db, slug: str = "hours") -> Poll:  # type: ignore[no-untyped-def]
    return service.create_poll(db, organization=agency(db), slug=slug, question_fa="ساعت کار؟", question_en="Hours?",
                               options=[("صبح", "Morning"), ("عصر", "Evening"), ("هر دو", "Both")],
                               opens_at=clock.now() - dt.timedelta(hours=1), closes_at=clock.now() + dt.timedelta(days=7))


def refused(board: dict[str, Any], why: str) -> None:
    with pytest.raises(verify_ballots.BoardError, match=why):
        verify_ballots.verify_board(board)


def run_script(board: dict[str, Any], path: Path) -> subprocess.CompletedProcess[str]:
    path.write_text(json.dumps(board), encoding="utf-8")
    return subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False,
                          timeout=300)


def test_every_receipt_is_on_the_board_and_the_script_recomputes_the_result(client, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    poll, other = make_poll(db), make_poll(db, "other")
    rng = random.Random(15)
    choices = [rng.randint(1, 3) for _ in range(12)]
    trackers = [service.vote_in_poll(db, poll, citizen(db, f"voter{i}"), c) for i, c in enumerate(choices)]
    service.vote_in_poll(db, other, citizen(db, "elsewhere"), 2)
    db.commit()
    board = client.get("/participation/polls/hours/board.json").json()
    assert sorted(b["tracker"] for b in board["ballots"]) == sorted(trackers)  # every receipt, while open too
    assert board["voters"] == 12 and board["tally"]["result"] is None
    refused(board, "not published")
    assert count_votes(db, dt.timedelta(days=7)) == 2
    board = client.get("/participation/polls/hours/board.json").json()
    expected = [choices.count(k) for k in (1, 2, 3)]
    report = verify_ballots.verify_board(board)
    assert report.counts == report.result == expected == board["tally"]["result"] and report.ballots == 12
    assert [o["votes"] for o in service.poll_results(db, poll)["options"]] == expected
    done = run_script(board, tmp_path / "board.json")
    assert done.returncode == 0, done.stderr
    assert "12 ballots, every proof holds" in done.stdout and "The published result is correct." in done.stdout

    changed = copy.deepcopy(board)  # one ciphertext swapped for another ballot's
    changed["ballots"][3]["ciphertexts"][0] = changed["ballots"][4]["ciphertexts"][0]
    refused(changed, "tracker is not the hash")
    done = run_script(changed, tmp_path / "changed.json")
    assert done.returncode == 1 and "REFUSED" in done.stderr
    forged = copy.deepcopy(board)  # …and its tracker recomputed: the proofs no longer hold
    ballot = verify_ballots.read_ballot(forged["ballots"][3], 3, "x")
    ballot.ciphertexts[0] = ballot.ciphertexts[1]
    forged["ballots"][3]["ciphertexts"][0] = forged["ballots"][3]["ciphertexts"][1]
    ctx = verify_ballots.context("poll", poll.id, bytes.fromhex(board["election_key"]["public_key"]))
    forged["ballots"][3]["tracker"] = verify_ballots.tracker(ctx, ballot.ciphertexts)
    refused(forged, "proof")
    dropped = copy.deepcopy(board)
    del dropped["ballots"][5]
    refused(dropped, "12 people voted but the board has 11 ballots")
    dropped["voters"] = 11  # the count of voters changed too: the aggregate gives it away
    refused(dropped, "aggregate is not the product")
    wrong = copy.deepcopy(board)
    wrong["tally"]["result"][0] += 1
    refused(wrong, "the result should be")
    wrong = copy.deepcopy(board)
    wrong["tally"]["counts"][1] += 1
    refused(wrong, "decrypted counts are")
    replayed = copy.deepcopy(board)  # a ballot from another box: its proofs are bound to that box
    replayed["ballots"].append(client.get("/participation/polls/other/board.json").json()["ballots"][0])
    replayed["voters"] += 1
    refused(replayed, "tracker is not the hash")
    bad_trustee = copy.deepcopy(board)
    first = bad_trustee["tally"]["decryptions"][0]
    first["shares"][0] = bad_trustee["tally"]["decryptions"][1]["shares"][0]
    refused(bad_trustee, "decryption proof for option 1 fails")


def test_a_box_whose_stored_ballots_were_altered_is_not_counted_and_the_others_are(db, caplog) -> None:  # type: ignore[no-untyped-def]
    good, bad = make_poll(db), make_poll(db, "altered")
    for i in range(3):
        service.vote_in_poll(db, good, citizen(db, f"good{i}"), 1 + i)
        service.vote_in_poll(db, bad, citizen(db, f"bad{i}"), 1 + i)
    db.commit()
    row = db.scalars(select(Ballot).where(Ballot.box_id == bad.id)).first()
    cts = row.content["ciphertexts"]
    row.content = {**row.content, "ciphertexts": [cts[1], cts[0], cts[2]]}  # someone with UPDATE moves a vote
    db.commit()
    assert count_votes(db, dt.timedelta(days=7)) == 1
    assert [o["votes"] for o in service.poll_results(db, good)["options"]] == [1, 1, 1]
    with pytest.raises(Conflict) as err:
        service.poll_results(db, bad)
    assert err.value.code == "results_counting" and "not counted: its ballots do not check out" in caplog.text


def test_the_checker_needs_only_the_standard_library_and_pynacl() -> None:
    assert SCRIPT.resolve() == Path(verify_ballots.__file__).resolve()  # one file: the platform runs it too
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - set(sys.stdlib_module_names) == {"nacl"}


def test_budget_boards_prove_the_number_of_choices(db) -> None:  # type: ignore[no-untyped-def]
    budget = service.create_budget(db, organization=agency(db), slug="pb", title_fa="بودجه", title_en="Budget",
                                   total=100, style="approval", max_choices=2,
                                   projects=[("الف", "A", 60), ("ب", "B", 30), ("ج", "C", 40)],
                                   opens_at=clock.now() - dt.timedelta(hours=1),
                                   closes_at=clock.now() + dt.timedelta(days=3))
    ids = [p.id for p in budget.projects]
    for i, chosen in enumerate([[0], [0, 2], [1, 2], [2]]):
        service.vote_in_budget(db, budget, citizen(db, f"budgeter{i}"), [ids[k] for k in chosen])
    count_votes(db, dt.timedelta(days=3))
    board = service.board(db, budget)
    assert verify_ballots.verify_board(board).result == [2, 1, 3]
    # A ballot approving all three, slipped onto the board by someone with write access, is refused:
    # its proof of the number of choices cannot hold for a count outside 1..2.
    public_key = bytes.fromhex(board["election_key"]["public_key"])
    ctx = verify_ballots.context("budget", budget.id, public_key)
    stuffed = election.encrypt_ballot(ctx, public_key, [1, 1, 1], [1, 2, 3])
    board["ballots"].append(stuffed)
    board["voters"] += 1
    refused(board, "proof of the number of choices fails")


def test_trustees_who_keep_their_shares_decrypt_with_the_cli(db, database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from smartgov.cli import app

    runner = CliRunner()
    outside = tmp_path / "handed-out"
    result = runner.invoke(app, ["participation", "trustee", "ceremony", "--trustees", "3", "--threshold", "2",
                                 "--out", str(outside)])
    assert result.exit_code == 0, result.output
    files = sorted(outside.rglob("trustee-*.json"))
    assert len(files) == 3 and "any 2 of 3 trustees" in result.output
    db.expire_all()
    poll = make_poll(db)
    assert poll.election_key_id == election.read_share(files[0]).key_id  # new boxes take the new key
    for i, choice in enumerate([1, 3, 3]):
        service.vote_in_poll(db, poll, citizen(db, f"trusting{i}"), choice)
    db.commit()
    assert count_votes(db, dt.timedelta(days=7)) == 0  # no share of this key lives with the server
    result = runner.invoke(app, ["participation", "trustee", "decrypt", str(files[0])])
    assert result.exit_code == 0 and "trustee 1 decrypted 1 box(es): poll:hours" in result.output
    assert runner.invoke(app, ["participation", "trustee", "decrypt", str(files[0])]).output.startswith(
        "trustee 1 decrypted 0 box(es)")
    db.expire_all()
    with pytest.raises(Conflict) as err:
        service.poll_results(db, db.get(Poll, poll.id))
    assert err.value.code == "results_counting"  # one trustee is not enough
    damaged = tmp_path / "damaged.json"
    data = json.loads(files[1].read_text())
    data["share"] = data["share"][::-1]
    damaged.write_text(json.dumps(data))
    result = runner.invoke(app, ["participation", "trustee", "decrypt", str(damaged)])
    assert result.exit_code == 2 and "does not match its public share" in result.output
    result = runner.invoke(app, ["participation", "trustee", "decrypt", str(files[2])])
    assert result.exit_code == 0, result.output
    db.expire_all()
    poll = db.get(Poll, poll.id)
    assert [o["votes"] for o in service.poll_results(db, poll)["options"]] == [1, 0, 2]
    assert verify_ballots.verify_board(service.board(db, poll)).trustees == [1, 3]


def test_production_refuses_a_box_before_the_trustees_ceremony(db, settings) -> None:  # type: ignore[no-untyped-def]
    use_settings(settings.model_copy(update={"environment": "production"}))
    try:
        with pytest.raises(Conflict) as err:
            make_poll(db)
        assert err.value.code == "no_election_key"
    finally:
        use_settings(settings)
    assert not (settings.data_dir / "trustees").exists()


def _fill(conn: Any, table: str, **values: Any) -> None:
    """Insert a row giving every required column a plain value of its type (the schema of that revision)."""
    for col in inspect(conn).get_columns(table):
        if col["name"] in values or col["nullable"] or col.get("autoincrement") is True:
            continue
        kind = col["type"].__class__.__name__.lower()
        values[col["name"]] = (dt.datetime(2026, 1, 1) if "date" in kind else 0 if "int" in kind or "bool" in kind
                               else "[]" if "json" in kind else "x")
    names = ", ".join(values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + k for k in values)})"), values)


def test_the_migration_counts_plaintext_ballots_as_they_were(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    migrate(url, "0009_access_labels")
    engine = create_engine(url)
    with engine.begin() as conn:
        _fill(conn, "identity_organization", id=1, code="sso")
        _fill(conn, "participation_poll", id=1, slug="old", organization_id=1)
        for position, option_id in ((1, 11), (2, 12)):
            _fill(conn, "participation_poll_option", id=option_id, poll_id=1, position=position)
        for n, choice in enumerate([11, 12, 12]):
            _fill(conn, "participation_ballot", id=f"b{n}", box_kind="poll", box_id=1, choices=json.dumps([choice]),
                  receipt_hash=f"h{n}")
    migrate(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM participation_ballot")).scalar() == 0
        row = conn.execute(text("SELECT legacy_ballots, legacy_counts, counts FROM participation_tally")).one()
    engine.dispose()
    assert row[0] == 3 and json.loads(row[1]) == [1, 2] and row[2] is None
    # The closed box is then published as it was counted; its board says it cannot be checked.
    old = Database(url)
    try:
        with old.unit_of_work() as session:
            assert service.tally_closed_boxes(session) == 1
        with old.sessions() as session:
            poll = service.poll_by_ref(session, "old")
            assert [o["votes"] for o in service.poll_results(session, poll)["options"]] == [1, 2]
            board = service.board(session, poll)
            assert board["tally"]["legacy"] == {"ballots": 3, "counts": [1, 2]}
            refused(board, "counted before ballots were encrypted")
    finally:
        old.dispose()
