"""Votes: one person one vote under concurrency, encrypted ballots, receipts, results once counted,
and participatory budgets worked by hand for both voting styles. The board, its checker and the
trustees are in ``test_participation_board.py``; the insider's attack in ``test_participation_secrecy.py``."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from sqlalchemy import func, inspect, select, text

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError
from smartgov.identity.models import Account
from smartgov.participation import budgeting, election, service, verify_ballots
from smartgov.participation.models import Ballot, Budget, ElectionKey, Poll, Voter
from tests.participation.helpers import agency, citizen, count_votes


def make_poll(db, slug: str = "bus-lanes") -> Poll:  # type: ignore[no-untyped-def]
    return service.create_poll(db, organization=agency(db), slug=slug, question_fa="خط ویژه؟", question_en="Bus lanes?",
                               options=[("بله", "Yes"), ("خیر", "No"), ("نمی‌دانم", "Not sure")],
                               opens_at=clock.now() - dt.timedelta(hours=1), closes_at=clock.now() + dt.timedelta(days=7))


def test_two_hundred_concurrent_attempts_by_one_person_count_once(db, database) -> None:  # type: ignore[no-untyped-def]
    poll = make_poll(db)
    voter = citizen(db, "eager")
    db.commit()
    poll_id, account_id = poll.id, voter.id
    barrier = threading.Barrier(200)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        barrier.wait(timeout=120)  # all start together; each then has its own session and connection
        with database.sessions() as session:
            account = session.get(Account, account_id)
            target = session.get(Poll, poll_id)
            try:
                service.vote_in_poll(session, target, account, 1 + i % 3)
                session.commit()
                result = "ok"
            except Conflict as exc:
                session.rollback()
                result = exc.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(outcomes)) == ["already_voted", "ok"] and outcomes.count("ok") == 1
    assert len(outcomes) == 200
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Voter).where(Voter.box_id == poll_id)) == 1
    assert db.scalar(select(func.count()).select_from(Ballot).where(Ballot.box_id == poll_id)) == 1


def test_ballots_are_stored_encrypted_and_the_receipt_is_the_tracker(db) -> None:  # type: ignore[no-untyped-def]
    poll = make_poll(db)
    voters = [citizen(db, f"voter{i}") for i in range(6)]
    trackers = [service.vote_in_poll(db, poll, v, 1 + i % 2) for i, v in enumerate(voters)]
    db.commit()
    insp = inspect(db.get_bind())
    # Who voted: no choice, no time, no sequence. What was chosen: encrypted, no voter, no time.
    assert {c["name"] for c in insp.get_columns("participation_voter")} == {"box_kind", "box_id", "person_id"}
    assert {c["name"] for c in insp.get_columns("participation_ballot")} == {"tracker", "box_kind", "box_id", "content"}
    assert not insp.get_foreign_keys("participation_ballot")
    rows = list(db.scalars(select(Ballot).where(Ballot.box_id == poll.id)))
    assert sorted(r.tracker for r in rows) == sorted(trackers)
    for row in rows:
        assert set(row.content) == {"ciphertexts", "proofs", "count_proof"} and len(row.content["ciphertexts"]) == 3
        # every ballot has the same shape whatever it says: nothing readable, nothing of a different length
        assert len(json.dumps(row.content)) == len(json.dumps(rows[0].content))
    # The vote_cast event carries no actor, only the public tracker.
    cast = list(db.scalars(select(events.EventRecord).where(events.EventRecord.name == "participation.vote_cast")))
    assert len(cast) == 6 and all(e.actor_id is None for e in cast)
    assert {e.payload["tracker"] for e in cast} == set(trackers) and set(cast[0].payload) == {"box_kind", "box_id",
                                                                                            "tracker"}
    # The receipt check finds each tracker, however it is typed, and only in its own box.
    for code in trackers:
        assert service.check_receipt(db, "poll", poll.id, code).counted
    assert service.check_receipt(db, "poll", poll.id, trackers[0].upper()[:8] + " - " + trackers[0][8:]).counted
    assert not service.check_receipt(db, "poll", poll.id, "0" * 64).counted
    assert not service.check_receipt(db, "poll", poll.id + 1, trackers[0]).counted


def test_no_secret_key_material_in_the_database_only_in_the_trustees_files(db, settings) -> None:  # type: ignore[no-untyped-def]
    poll = make_poll(db)
    db.commit()
    key = db.get(ElectionKey, poll.election_key_id)
    files = sorted((settings.data_dir / "trustees").glob(f"key-{key.id}-*/trustee-*.json"))
    assert len(files) == key.trustees == 3 and key.threshold == 2
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in files)
    shares = [election.read_share(f) for f in files]
    secrets = {verify_ballots.hex_scalar(s.share) for s in shares}
    group = [1, 2]
    x = sum(verify_ballots.lagrange(s.trustee, group) * s.share for s in shares if s.trustee in group) % verify_ballots.L
    assert verify_ballots.base(x).hex() == key.public_key  # the shares do make the key …
    secrets.add(verify_ballots.hex_scalar(x))
    dump = json.dumps([[str(v) for v in row] for table in inspect(db.get_bind()).get_table_names()
                       for row in db.execute(text(f'SELECT * FROM "{table}"'))], ensure_ascii=False)
    assert not any(s in dump or s[::-1] in dump for s in secrets)  # … and none of them is in any table


def test_results_hidden_until_close_and_counted_then_rules(db) -> None:  # type: ignore[no-untyped-def]
    poll = make_poll(db)
    a, b, c = citizen(db, "aaa"), citizen(db, "bbb"), citizen(db, "ccc")
    unverified = citizen(db, "ddd", verified=False)
    with pytest.raises(DomainError) as err:
        service.vote_in_poll(db, poll, unverified, 1)
    assert err.value.code == "person_not_proven" and err.value.status == 403
    with pytest.raises(DomainError) as err:
        service.vote_in_poll(db, poll, a, 4)
    assert err.value.code == "unknown_option"
    service.vote_in_poll(db, poll, a, 1)
    service.vote_in_poll(db, poll, b, 1)
    service.vote_in_poll(db, poll, c, 2)
    with pytest.raises(Conflict) as err2:
        service.poll_results(db, poll)
    assert err2.value.code == "results_hidden"
    clock.advance(dt.timedelta(days=7))
    with pytest.raises(Conflict) as err2:
        service.vote_in_poll(db, poll, citizen(db, "late"), 1)
    assert err2.value.code == "closed"
    with pytest.raises(Conflict) as err2:
        service.poll_results(db, poll)
    assert err2.value.code == "results_counting"
    assert count_votes(db) == 1 and count_votes(db) == 0  # published once
    res = service.poll_results(db, poll)
    assert res["total"] == 3 and [o["votes"] for o in res["options"]] == [2, 1, 0]
    assert service.poll_results_csv(db, poll).splitlines()[1:] == ["1,بله,Yes,2", "2,خیر,No,1", "3,نمی‌دانم,Not sure,0"]
    published = db.scalar(select(events.EventRecord).where(events.EventRecord.name == "participation.tally_published"))
    assert published.payload["result"] == [2, 1, 0]


# --------------------------------------------------------------------------- participatory budgets
#
# Worked by hand. Budget 100; projects A 60, B 30, C 40, D 20, E 50.
#
# Approval (up to 3 projects each), 7 voters:
#   {A,B} {A,C} {A,D} {B,C} {C,D} {C,E} {A}  →  A 4, C 4, B 2, D 2, E 1
#   rank: C (4 votes, cheaper than A), A (4), D (2, cheaper than B), B (2), E (1)
#   C 40 fits 100 → 60 left; A 60 fits → 0 left; D, B, E do not fit.  Funded: C, A (100).
#
# Knapsack (each ballot within 100), 6 voters:
#   {A,B}=90 {B,C,D}=90 {B,D,E}=100 {C,E}=90 {A,D}=80 {B,C}=70  →  B 4, C 3, D 3, A 2, E 2
#   rank: B (4), D (3, cheaper than C), C (3), E (2, cheaper than A), A (2)
#   B 30 → 70 left; D 20 → 50 left; C 40 → 10 left; E 50 and A 60 do not fit.  Funded: B, D, C (90).

PROJECTS = [("الف", "A", 60), ("ب", "B", 30), ("ج", "C", 40), ("د", "D", 20), ("ه", "E", 50)]


def make_budget(db, style: str, slug: str) -> Budget:  # type: ignore[no-untyped-def]
    return service.create_budget(db, organization=agency(db), slug=slug, title_fa="بودجه", title_en="Budget",
                                 total=100, style=style, projects=PROJECTS, max_choices=3 if style == "approval" else None,
                                 opens_at=clock.now() - dt.timedelta(hours=1), closes_at=clock.now() + dt.timedelta(days=3))


def run_budget(db, style: str, ballots: list[str]) -> dict[str, tuple[int, int, bool, str]]:  # type: ignore[no-untyped-def]
    budget = make_budget(db, style, f"pb-{style}")
    by_letter = {p.title_en: p.id for p in budget.projects}
    for i, letters in enumerate(ballots):
        service.vote_in_budget(db, budget, citizen(db, f"{style}{i}"), [by_letter[x] for x in letters])
    with pytest.raises(Conflict):
        service.budget_results(db, budget)
    count_votes(db, dt.timedelta(days=3))
    names = {p.id: p.title_en for p in budget.projects}
    return {names[r.project_id]: (r.rank, r.votes, r.funded, r.reason) for r in service.budget_results(db, budget)}


def test_approval_budget_hand_worked_example(db) -> None:  # type: ignore[no-untyped-def]
    result = run_budget(db, "approval", ["AB", "AC", "AD", "BC", "CD", "CE", "A"])
    assert result == {
        "C": (1, 4, True, "funded"), "A": (2, 4, True, "funded"), "D": (3, 2, False, "does_not_fit"),
        "B": (4, 2, False, "does_not_fit"), "E": (5, 1, False, "does_not_fit"),
    }


def test_knapsack_budget_hand_worked_example(db) -> None:  # type: ignore[no-untyped-def]
    result = run_budget(db, "knapsack", ["AB", "BCD", "BDE", "CE", "AD", "BC"])
    assert result == {
        "B": (1, 4, True, "funded"), "D": (2, 3, True, "funded"), "C": (3, 3, True, "funded"),
        "E": (4, 2, False, "does_not_fit"), "A": (5, 2, False, "does_not_fit"),
    }


def test_budget_ballot_rules(db) -> None:  # type: ignore[no-untyped-def]
    approval, knapsack = make_budget(db, "approval", "pb-a"), make_budget(db, "knapsack", "pb-k")
    voter = citizen(db, "picky")
    ids = [p.id for p in approval.projects]
    with pytest.raises(DomainError) as err:
        service.vote_in_budget(db, approval, voter, ids[:4])
    assert err.value.code == "too_many_projects"
    kids = {p.title_en: p.id for p in knapsack.projects}
    service.vote_in_budget(db, knapsack, voter, [kids["A"], kids["C"]])  # 60 + 40 = 100 fits exactly
    with pytest.raises(DomainError) as err:
        service.vote_in_budget(db, approval, voter, [])
    assert err.value.code == "empty_ballot"
    with pytest.raises(DomainError) as err:
        service.vote_in_budget(db, approval, voter, [kids["A"]])  # a project of another budget
    assert err.value.code == "unknown_project"
    with pytest.raises(DomainError) as err:
        service.vote_in_budget(db, knapsack, citizen(db, "greedy"), [kids["A"], kids["C"], kids["D"]])
    assert err.value.code == "over_budget"


def test_allocation_with_no_votes() -> None:
    lines = budgeting.allocate(10, [budgeting.ProjectCost(1, 1, 5)], budgeting.tally([]))
    assert lines[0].reason == "no_votes" and not lines[0].funded


def test_sweep_command(settings, database) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from smartgov.cli import app

    result = CliRunner().invoke(app, ["participation", "sweep"])
    assert result.exit_code == 0, result.output
    assert "ballot box results published: 0" in result.output


def test_the_worker_counts_closed_boxes_at_most_once_a_minute(db, database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service.upkeep, "_last_sweep", {})
    periodic = {"participation.sweep": events._periodic["participation.sweep"]}  # registered on import
    monkeypatch.setattr(events, "_periodic", periodic)
    poll = make_poll(db)
    service.vote_in_poll(db, poll, citizen(db, "swept"), 1)
    db.commit()
    assert events.run_periodic(database) == 0  # still open
    clock.advance(dt.timedelta(days=7))
    assert events.run_periodic(database) == 0  # closed, but a vote that passed the check may still be committing
    clock.advance(service.TALLY_GRACE)
    assert events.run_periodic(database) == 1
    soon = service.create_poll(db, organization=agency(db), slug="short", question_fa="دیروز؟", question_en="Earlier?",
                               options=[("بله", "Yes"), ("خیر", "No")], opens_at=clock.now() - dt.timedelta(hours=2),
                               closes_at=clock.now() - dt.timedelta(hours=1))
    db.commit()
    clock.advance(dt.timedelta(seconds=30))
    assert events.run_periodic(database) == 0  # closed long ago, but a sweep ran half a minute ago
    clock.advance(service.SWEEP_EVERY)
    assert events.run_periodic(database) == 1
    db.expire_all()
    assert service.poll_results(db, db.get(Poll, poll.id))["total"] == 1
    assert service.poll_results(db, db.get(Poll, soon.id))["total"] == 0


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SMARTGOV_SLOW_TESTS") != "1", reason="set SMARTGOV_SLOW_TESTS=1 (CI does)")
def test_every_acknowledged_vote_is_counted_after_kill_9(db, settings) -> None:  # type: ignore[no-untyped-def]
    """A 201 means the voter marker and the encrypted ballot are committed: ``kill -9`` mid-stream loses neither."""
    from smartgov.identity import service as identity

    poll = make_poll(db)
    accounts = [citizen(db, f"crash-voter-{i}") for i in range(80)]
    tokens = [identity.create_api_token(db, a, name="t", scopes=["read", "write"], expires_in_days=None)[0]
              for a in accounts]
    db.commit()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SMARTGOV_DATABASE_URL": settings.database_url, "SMARTGOV_DATA_DIR": str(settings.data_dir),
           "SMARTGOV_SECRET_KEY": settings.secret_key.get_secret_value(), "SMARTGOV_ENVIRONMENT": "development"}
    server = subprocess.Popen([sys.executable, "-m", "smartgov.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    tenth = threading.Event()
    try:
        deadline = time.monotonic() + 120  # a crowded box may take a while to start it
        while time.monotonic() < deadline and server.poll() is None:
            try:
                httpx.get(f"{base}/api/v1/ping", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)

        def vote(i: int) -> None:
            try:
                r = httpx.post(f"{base}/api/v1/participation/polls/{poll.slug}/votes", timeout=60,
                               headers={"Authorization": f"Bearer {tokens[i]}"}, json={"option": 1 + i % 3})
            except httpx.TransportError:
                return  # the server died before answering: not acknowledged, may or may not count
            if r.status_code == 201:
                acknowledged.append(r.json()["receipt"])
                if len(acknowledged) >= 10:
                    tenth.set()

        threads = [threading.Thread(target=vote, args=(i,)) for i in range(len(tokens))]
        for t in threads[:40]:
            t.start()
        tenth.wait(timeout=300)
        for t in threads[40:]:  # these are on their way when the server is killed
            t.start()
        server.send_signal(signal.SIGKILL)
        for t in threads:
            t.join()
    finally:
        server.kill()
        server.wait()
    db.expire_all()
    assert acknowledged, "the server answered no vote before it was killed"
    stored = set(db.scalars(select(Ballot.tracker).where(Ballot.box_id == poll.id)))
    assert set(acknowledged) <= stored  # every 201 is there
    voters = db.scalar(select(func.count()).select_from(Voter).where(Voter.box_id == poll.id))
    assert voters == len(stored)  # and nothing half-written: no marker without its ballot, nor the reverse
