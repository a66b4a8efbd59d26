"""Votes: one person one vote under concurrency, the secret ballot, receipts, results at close,
and participatory budgets worked by hand for both voting styles."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, inspect, select

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError
from smartgov.identity import Account
from smartgov.participation import budgeting, service
from smartgov.participation.models import Ballot, Budget, Poll, Voter
from tests.participation.helpers import agency, citizen


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


def test_secret_ballot_no_stored_row_links_a_voter_to_a_choice(db) -> None:  # type: ignore[no-untyped-def]
    poll = make_poll(db)
    voters = [citizen(db, f"voter{i}") for i in range(6)]
    receipts = [service.vote_in_poll(db, poll, v, 1 + i % 2) for i, v in enumerate(voters)]
    db.commit()
    insp = inspect(db.get_bind())
    voter_cols = {c["name"] for c in insp.get_columns("participation_voter")}
    ballot_cols = {c["name"] for c in insp.get_columns("participation_ballot")}
    # Who voted: no choice, no time, no sequence. What was chosen: no voter, no time, no sequence.
    assert voter_cols == {"box_kind", "box_id", "person_id"}
    assert ballot_cols == {"id", "box_kind", "box_id", "choices", "receipt_hash"}
    assert not any(fk["referred_table"].startswith("identity_") for fk in insp.get_foreign_keys("participation_ballot"))
    assert not insp.get_foreign_keys("participation_ballot")
    assert all(c["type"].__class__.__name__ not in ("DateTime", "UTCDateTime", "Date") for c in
               insp.get_columns("participation_ballot"))
    # Ballot ids are random (no autoincrement to line up with voters), and not in insertion order.
    ids = list(db.scalars(select(Ballot.id).where(Ballot.box_id == poll.id)))
    assert all(len(i) == 32 and not i.isdigit() for i in ids)
    if db.get_bind().dialect.name == "sqlite":  # no hidden rowid counter either
        from sqlalchemy import text

        for table in ("participation_ballot", "participation_voter"):
            sql = db.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
            assert "WITHOUT ROWID" in sql
    # The vote_cast event carries no actor and a hash that matches no stored ballot.
    cast = list(db.scalars(select(events.EventRecord).where(events.EventRecord.name == "participation.vote_cast")))
    assert len(cast) == 6 and all(e.actor_id is None for e in cast)
    assert set(cast[0].payload) == {"box_kind", "box_id", "receipt_hash"}
    stored = set(db.scalars(select(Ballot.receipt_hash)))
    assert not {e.payload["receipt_hash"] for e in cast} & stored
    # Nothing else recorded in the vote transactions names the voters.
    assert all(e.actor_id not in {v.id for v in voters} for e in cast)
    # The receipt check: each voter's code is found; the ledger hash it gives is the one in the event.
    for code in receipts:
        check = service.check_receipt(db, "poll", poll.id, code)
        assert check.counted and check.ledger_hash in {e.payload["receipt_hash"] for e in cast}
    assert service.check_receipt(db, "poll", poll.id, receipts[0].lower().replace("-", " ")).counted
    assert not service.check_receipt(db, "poll", poll.id, "AAAA-BBBB-CCCC-DDDD").counted
    assert not service.check_receipt(db, "poll", poll.id + 1, receipts[0]).counted


def test_results_hidden_until_close_and_rules(db) -> None:  # type: ignore[no-untyped-def]
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
    res = service.poll_results(db, poll)
    assert res["total"] == 3 and [o["votes"] for o in res["options"]] == [2, 1, 0]
    assert service.poll_results_csv(db, poll).splitlines()[1:] == ["1,بله,Yes,2", "2,خیر,No,1", "3,نمی‌دانم,Not sure,0"]


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
    clock.advance(dt.timedelta(days=3))
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


def test_sealing_rewrites_closed_boxes_once_and_keeps_every_ballot(db) -> None:  # type: ignore[no-untyped-def]
    poll = make_poll(db)
    receipts = [service.vote_in_poll(db, poll, citizen(db, f"sealer{i}"), 1 + i % 3) for i in range(5)]
    assert service.seal_closed_boxes(db) == 0  # still open
    clock.advance(dt.timedelta(days=8))
    before = service.poll_results(db, poll)
    assert service.seal_closed_boxes(db) == 1 and service.seal_closed_boxes(db) == 0
    assert poll.sealed_at is not None and service.poll_results(db, poll) == before
    assert all(service.check_receipt(db, "poll", poll.id, code).counted for code in receipts)


def test_sweep_command(settings, database) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from smartgov.cli import app

    result = CliRunner().invoke(app, ["participation", "sweep"])
    assert result.exit_code == 0, result.output
    assert "ballot boxes sealed: 0" in result.output


def test_the_worker_seals_closed_boxes_at_most_once_a_minute(db, database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov import events

    monkeypatch.setattr(service, "_last_sweep", {})
    periodic = {"participation.sweep": events._periodic["participation.sweep"]}  # registered on import
    monkeypatch.setattr(events, "_periodic", periodic)
    poll = make_poll(db)
    service.vote_in_poll(db, poll, citizen(db, "swept"), 1)
    db.commit()
    assert events.run_periodic(database) == 0  # still open
    clock.advance(dt.timedelta(days=8))
    assert events.run_periodic(database) == 1
    soon = service.create_poll(db, organization=agency(db), slug="short", question_fa="امروز؟", question_en="Today?",
                               options=[("بله", "Yes"), ("خیر", "No")], opens_at=clock.now() - dt.timedelta(hours=1),
                               closes_at=clock.now() + dt.timedelta(seconds=20))
    db.commit()
    clock.advance(dt.timedelta(seconds=30))
    assert events.run_periodic(database) == 0  # closed, but a sweep ran half a minute ago
    clock.advance(service.SWEEP_EVERY)
    assert events.run_periodic(database) == 1
    db.expire_all()
    assert db.get(Poll, poll.id).sealed_at is not None and db.get(Poll, soon.id).sealed_at is not None
