"""Participation throughput on PostgreSQL: secret-ballot votes/s and comment reads/s.

    .venv/bin/python bench/participation_bench.py [--votes 3000] [--reads 5000] [--comments 50] [--workers 2]
                                                  [--write]

A scratch PostgreSQL database gets one agency, one open poll, ``--votes`` verified citizens with
their own API tokens, and a consultation with ``--comments`` comments. ``smartgov serve --workers 2``
runs on loopback and an asyncio/httpx client sends a bounded number of requests (``harness.load``):

- ``GET /api/v1/ping`` — the bare route of the same app, the yardstick;
- ``POST /api/v1/participation/polls/{slug}/votes`` — each citizen votes once: token check,
  verification level, the ballot encrypted under the poll's election key with its proofs (three
  options), voter marker (unique) and ballot, ``participation.vote_cast`` event, one commit;
- ``GET /api/v1/participation/comments?subject_kind=consultation&subject_id=…`` — the whole thread;
- ``GET /participation/consultations/{slug}`` — the HTML page with the draft and its comments.

After the run the bench checks that ballots = voters = accepted votes, then closes the poll and
counts it in process as the worker would (every ballot's proofs checked, the aggregate decrypted
by two of the three demo trustees, the board checked by ``verify_ballots``) and reports how long
that took. ``--write`` appends the table to ``bench/RESULTS-participation.md``. Nothing is
asserted on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from harness import DEFAULT_PG, HEADER, Result, load, machine, scratch_postgres, server
from sqlalchemy import func, select

from smartgov import clock
from smartgov.db import Database
from smartgov.identity import nationalcode
from smartgov.identity import service as identity
from smartgov.identity.models import OrgKind, Role
from smartgov.participation import service, verify_ballots
from smartgov.participation.models import Ballot, Voter
from smartgov.settings import Settings, use_settings

RESULTS = Path(__file__).with_name("RESULTS-participation.md")
SECTIONS = [{"heading_fa": f"بند {i}", "heading_en": f"Section {i}", "body_fa": "متن بند " * 40,
             "body_en": "Text of the section " * 30} for i in range(1, 6)]


def setup(url: str, voters: int, comments: int) -> tuple[list[str], int]:
    """Agency, poll, consultation with comments, and ``voters`` verified citizens with tokens."""
    database = Database(url)
    tokens: list[str] = []
    with database.unit_of_work() as db:
        org = identity.create_organization(db, code="sso", kind=OrgKind.AGENCY, name_fa="تأمین اجتماعی",
                                           name_en="Social Security Organization")
        service.create_poll(db, organization=org, slug="bench-poll", question_fa="پرسش؟", question_en="Question?",
                            options=[("الف", "A"), ("ب", "B"), ("ج", "C")],
                            opens_at=clock.now() - dt.timedelta(hours=1), closes_at=clock.now() + dt.timedelta(days=1))
        start = clock.now() - dt.timedelta(days=8)
        c = service.create_consultation(
            db, organization=org, slug="bench-draft", kind="regulation", title_fa="پیش‌نویس", title_en="Draft",
            phases={p: start + dt.timedelta(days=7 * i) for i, p in
                    enumerate(("information", "consultation", "analysis", "decision", "accountability"))},
            sections=SECTIONS)
        consultation_id = c.id
    for start_i in range(0, voters, 500):
        with database.unit_of_work() as db:
            for i in range(start_i, min(voters, start_i + 500)):
                person = identity.create_person(
                    db, national_code=nationalcode.make(f"{300_000_000 + i:09d}"), first_name_fa="شهروند",
                    last_name_fa=str(i), first_name_en="Citizen", last_name_en=str(i), birth_date=dt.date(1980, 1, 1),
                    province=["Tehran", "Isfahan", "Fars"][i % 3], gender="fm"[i % 2])
                account = identity.create_account(db, username=f"voter{i}", password="Load-test-pass-2026",
                                                  role=Role.CITIZEN, person=person, proof="registry")
                raw, _ = identity.create_api_token(db, account, name="bench", scopes=["read", "write"],
                                                   expires_in_days=None)
                tokens.append(raw)
                if i < comments:
                    service.post_comment(db, account=account, subject_kind="consultation",
                                         subject_id=consultation_id, section_number=1 + i % 5,
                                         body=f"Comment number {i}: the deadline in this section should be shorter.")
    database.dispose()
    return tokens, consultation_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=3000, help="Voters (each votes once).")
    parser.add_argument("--reads", type=int, default=5000, help="Comment-thread reads.")
    parser.add_argument("--comments", type=int, default=50, help="Comments in the consultation.")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="Server processes (1: no supervisor, whose 5 s "
                        "health check restarts workers that start slowly on a crowded box).")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--write", action="store_true", help="Append the results to RESULTS-participation.md.")
    args = parser.parse_args()
    with scratch_postgres(args.database_url) as url:
        # the demo trustees' share files go to a scratch folder; the server needs only the public key
        use_settings(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024,
                              data_dir=Path(tempfile.mkdtemp(prefix="sgbench-trustees-"))))
        tokens, consultation_id = setup(url, max(args.votes, args.comments), args.comments)
        with server(url, workers=args.workers) as base:
            comments_path = f"/api/v1/participation/comments?subject_kind=consultation&subject_id={consultation_id}"
            load("warm-up", base, lambda i: ("GET", comments_path, {}), requests=200, concurrency=8)
            stages: list[tuple[str, Callable[[int], tuple[str, str, dict[str, Any]]], int, int, tuple[int, ...]]] = [
                ("GET /api/v1/ping (no database)", lambda i: ("GET", "/api/v1/ping", {}), args.reads,
                 args.concurrency, (200,)),
                ("POST poll vote (secret ballot, one per person)", lambda i: (
                    "POST", "/api/v1/participation/polls/bench-poll/votes",
                    {"json": {"option": 1 + i % 3}, "headers": {"Authorization": f"Bearer {tokens[i]}"}}),
                 args.votes, args.concurrency, (201,)),
                ("POST the same votes again (all refused 409)", lambda i: (
                    "POST", "/api/v1/participation/polls/bench-poll/votes",
                    {"json": {"option": 1}, "headers": {"Authorization": f"Bearer {tokens[i]}"}}),
                 min(args.votes, 1000), args.concurrency, (409,)),
                (f"GET comment thread ({args.comments} comments, JSON)", lambda i: ("GET", comments_path, {}),
                 args.reads, args.concurrency, (200,)),
                (f"GET consultation page ({args.comments} comments, HTML, {min(8, args.concurrency)} at a time)",
                 lambda i: ("GET", "/participation/consultations/bench-draft", {}), max(500, args.reads // 5),
                 min(8, args.concurrency), (200,)),
            ]
            results: list[Result] = []
            for name, make, n, conc, expect in stages:
                try:
                    results.append(load(name, base, make, requests=n, concurrency=conc, expect=expect))
                except httpx.TransportError as exc:  # a worker restarted by Uvicorn's health check on a busy box
                    print(f"{name}: aborted ({exc.__class__.__name__})", flush=True)
                    results.append(Result(name + " — aborted, server worker restarted", n, 0.0, n, 0.0, 0.0))
                print(results[-1].row(), flush=True)
        database = Database(url)
        with database.sessions() as db:
            ballots = db.scalar(select(func.count()).select_from(Ballot)) or 0
            voters = db.scalar(select(func.count()).select_from(Voter)) or 0
        clock.advance(dt.timedelta(days=1) + service.TALLY_GRACE)
        started = time.perf_counter()
        with database.unit_of_work() as db:
            service.tally_closed_boxes(db)
        counted = time.perf_counter() - started
        with database.sessions() as db:
            started = time.perf_counter()
            report = verify_ballots.verify_board(service.board(db, service.poll_by_ref(db, "bench-poll")))
            checked = time.perf_counter() - started
        database.dispose()
    accepted = results[1].requests - results[1].errors
    check = (f"ballots = {ballots}, voters = {voters}, accepted votes = {accepted}; counting them (every proof "
             f"checked, two trustees' decryptions) took {counted:.1f} s, checking the board with verify_ballots "
             f"{checked:.1f} s (result {report.result})")
    ping = results[0].per_second or 1.0
    lines = [f"### {machine()}", "", f"`bench/participation_bench.py --votes {args.votes} --reads {args.reads} "
             f"--comments {args.comments} --concurrency {args.concurrency} --workers {args.workers}` on PostgreSQL, "
             f"`smartgov serve --workers {args.workers}`.",
             "", HEADER, *(r.row() for r in results), "",
             f"Integrity after the run: {check}. Votes at {results[1].per_second / ping:.0%} and comment-thread reads "
             f"at {results[3].per_second / ping:.0%} of ping in the same run.", ""]
    print("\n".join(lines))
    if args.write:
        header = "" if RESULTS.exists() else ("# Participation benchmarks\n\nProduced by "
                                              "`bench/participation_bench.py --write`; the lead merges these into "
                                              "`bench/RESULTS.md`.\n\n")
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(header + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
