"""A mixed soak against ``smartgov serve --workers N`` on PostgreSQL that counts worker deaths.

    .venv/bin/python bench/soak.py [--minutes 30] [--workers 2] [--concurrency 16] [--gc-thread on|off]
                                   [--log PATH] [--database-url URL]

Issue 15 item 6: a Uvicorn worker died with SIGSEGV in pymalloc under the participation bench.
This runs, for ``--minutes``, ``--concurrency`` simulated users, each picking its next request at
random (seeded) from the platform's traffic:

- **submissions**: the tenant's address change, as a citizen sends it: two uploads
  (``POST /api/v1/services/files``), then ``POST /api/v1/services/applications``;
- **status reads**: ``GET /api/v1/services/applications/{ref}`` of a case submitted earlier;
- **votes**: ``POST /api/v1/participation/polls/{slug}/votes``, each citizen once per poll;
- **comment threads**: ``GET /api/v1/participation/comments`` of a consultation, and now and then
  a new comment on it (``POST``; the per-account limit answers some with 429), so the thread grows;
- **pages**: the consultation's page with its comments, the home page, the services catalogue
  and the participation page (HTML).

A scratch database gets the SSO agency, the bundled service definitions, ``--citizens`` verified
citizens with API tokens, ``--polls`` open polls and a consultation with ``--comments`` comments.
The server runs with faulthandler on; its log goes to ``--log``. Worker deaths are counted from
that log: Uvicorn's supervisor writes "Child process [pid] died" for each worker it replaces (a
crash, or a worker that did not answer its health check), and faulthandler "Fatal Python error"
for a crash. ``--gc-thread off`` runs the servers with ``SMARTGOV_GC_THREAD=false`` (the
interpreter's own collector: the code before the fix). Every minute it prints a line; at the
end a table for ``bench/RESULTS.md``. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import os
import random
import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from harness import DEFAULT_PG, machine, scratch_postgres, server

PDF = b"%PDF-1.4\n% proof of address\n%%EOF\n"
SECTIONS = [{"heading_fa": f"بند {i}", "heading_en": f"Section {i}", "body_fa": "متن بند " * 40,
             "body_en": "Text of the section " * 30} for i in range(1, 6)]
# kind → weight; a submission is three requests
MIX = {"submission": 8, "status": 24, "vote": 16, "thread": 20, "comment": 2, "consultation page": 12,
       "other pages": 18}
PAGES = ("/", "/services", "/participation")


def setup(url: str, citizens: int, polls: int, comments: int) -> tuple[list[tuple[str, str]], int, list[str]]:
    """Agency, definitions, verified citizens with tokens, open polls, a consultation with comments."""
    from smartgov import clock
    from smartgov.db import Database
    from smartgov.identity import nationalcode
    from smartgov.identity import service as identity
    from smartgov.identity.models import OrgKind, Role
    from smartgov.participation import service as participation
    from smartgov.services import sync_bundled_definitions

    database = Database(url)
    people: list[tuple[str, str]] = []
    slugs = [f"soak-poll-{i}" for i in range(polls)]
    with database.unit_of_work() as db:
        org = identity.create_organization(db, code="sso", kind=OrgKind.AGENCY, name_fa="سازمان تأمین اجتماعی",
                                           name_en="Social Security Organization")
        sync_bundled_definitions(db)
        for slug in slugs:
            participation.create_poll(db, organization=org, slug=slug, question_fa="پرسش؟", question_en="Question?",
                                      options=[("الف", "A"), ("ب", "B"), ("ج", "C")],
                                      opens_at=clock.now() - dt.timedelta(hours=1),
                                      closes_at=clock.now() + dt.timedelta(days=1))
        start = clock.now() - dt.timedelta(days=8)
        consultation = participation.create_consultation(
            db, organization=org, slug="soak-draft", kind="regulation", title_fa="پیش‌نویس", title_en="Draft",
            phases={p: start + dt.timedelta(days=7 * i) for i, p in
                    enumerate(("information", "consultation", "analysis", "decision", "accountability"))},
            sections=SECTIONS)
        consultation_id = consultation.id
        for i in range(citizens):
            code = nationalcode.make(f"{300_000_000 + i:09d}")
            person = identity.create_person(
                db, national_code=code, first_name_fa="مریم", last_name_fa=str(i), first_name_en="Maryam",
                last_name_en=str(i), birth_date=dt.date(1970, 1, 1) + dt.timedelta(days=i % 9000),
                phone="09121234567", email=f"c{i}@example.ir", province=["Tehran", "Isfahan", "Fars"][i % 3],
                gender="fm"[i % 2])
            account = identity.create_account(db, username=f"citizen{i}", password="Load-test-pass-2026",
                                              role=Role.CITIZEN, person=person, proof="registry")
            raw, _ = identity.create_api_token(db, account, name="soak", scopes=["read", "write"],
                                               expires_in_days=None)
            people.append((raw, code))
            if i < comments:
                participation.post_comment(db, account=account, subject_kind="consultation",
                                           subject_id=consultation_id, section_number=1 + i % 5,
                                           body=f"Comment number {i}: the deadline in this section should be shorter.")
    database.dispose()
    return people, consultation_id, slugs


class Soak:
    """The simulated users and what they saw."""

    def __init__(self, base: str, people: list[tuple[str, str]], consultation_id: int, slugs: list[str],
                 seed: int) -> None:
        self.base = base
        self.people = people
        self.consultation_id = consultation_id
        self.rng = random.Random(seed)
        self.votes = iter([(slug, n) for slug in slugs for n in range(len(people))])
        self.cases: list[tuple[str, str]] = []  # (reference, token)
        self.requests: collections.Counter[str] = collections.Counter()
        self.server_errors = 0
        self.unexpected: collections.Counter[str] = collections.Counter()
        self.transport_errors = 0
        self.examples: list[str] = []
        self.latencies: list[float] = []

    def _note(self, kind: str, example: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {example}")

    async def _call(self, client: httpx.AsyncClient, kind: str, method: str, path: str,
                    expect: tuple[int, ...], **kwargs: Any) -> httpx.Response | None:
        self.requests[kind] += 1
        t0 = time.perf_counter()
        try:
            r = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:  # a dropped connection (a worker that died) or a timeout
            self.transport_errors += 1
            self._note(kind, repr(exc))
            return None
        self.latencies.append(time.perf_counter() - t0)
        if r.status_code >= 500:
            self.server_errors += 1
            self._note(kind, f"{r.status_code} {r.text[:200]}")
        elif r.status_code not in expect:
            self.unexpected[f"{kind} {r.status_code}"] += 1
            self._note(kind, f"{r.status_code} {r.text[:200]}")
        return r

    async def one(self, client: httpx.AsyncClient) -> None:
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        n = self.rng.randrange(len(self.people))
        token, code = self.people[n]
        auth = {"Authorization": f"Bearer {token}"}
        if kind == "status" and not self.cases:
            kind = "submission"
        if kind == "submission":
            metas = []
            for name, field in (("bill.pdf", "documents.proof_of_address"), ("lease.pdf", "lease_contract")):
                r = await self._call(client, kind, "POST", "/api/v1/services/files", (201,), headers=auth,
                                     files={"file": (name, PDF, "application/pdf")},
                                     data={"service_id": "address-change", "field": field})
                if r is None or r.status_code != 201:
                    return
                metas.append(r.json())
            answers = {"national_code": code, "province": "tehran", "city": "تهران",
                       "address": f"خیابان آزادی، کوچهٔ یکم، پلاک {n}", "postal_code": "1234567890",
                       "moved_on": "1403/05/12", "owns_home": False, "household_moved": False,
                       "lease_contract": metas[1]}
            r = await self._call(client, kind, "POST", "/api/v1/services/applications", (200, 201),
                                 headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                                 json={"service_id": "address-change", "answers": answers,
                                       "documents": {"proof_of_address": metas[0]}})
            if r is not None and r.status_code in (200, 201):
                self.cases.append((r.json()["reference"], token))
        elif kind == "status":
            ref, owner = self.rng.choice(self.cases)
            await self._call(client, kind, "GET", f"/api/v1/services/applications/{ref}", (200,),
                             headers={"Authorization": f"Bearer {owner}"})
        elif kind == "vote":
            pair = next(self.votes, None)
            if pair is None:  # every citizen voted in every poll: read the thread instead
                kind = "thread"
            else:
                slug, voter = pair
                await self._call(client, kind, "POST", f"/api/v1/participation/polls/{slug}/votes", (201,),
                                 headers={"Authorization": f"Bearer {self.people[voter][0]}"},
                                 json={"option": 1 + voter % 3})
                return
        if kind == "thread":
            await self._call(client, kind, "GET", "/api/v1/participation/comments", (200,),
                             params={"subject_kind": "consultation", "subject_id": self.consultation_id})
        elif kind == "comment":
            # 429: the per-account limit on new comments, the platform's answer to one person posting fast
            await self._call(client, kind, "POST", "/api/v1/participation/comments", (201, 429), headers=auth,
                             json={"subject_kind": "consultation", "subject_id": self.consultation_id,
                                   "section": 1 + n % 5, "body": f"Soak comment {uuid.uuid4().hex[:8]}: agreed."})
        elif kind == "consultation page":
            await self._call(client, kind, "GET", "/participation/consultations/soak-draft", (200,))
        elif kind == "other pages":
            await self._call(client, kind, "GET", self.rng.choice(PAGES), (200,))

    async def run(self, seconds: float, concurrency: int, log: Path) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(base_url=self.base, limits=limits, timeout=30) as client:

            async def user() -> None:
                while time.monotonic() < deadline:
                    await self.one(client)

            async def report() -> None:
                started = time.monotonic()
                while time.monotonic() < deadline:
                    await asyncio.sleep(min(60.0, max(0.1, deadline - time.monotonic())))
                    deaths, starting, crashes = worker_deaths(log)
                    print(f"{(time.monotonic() - started) / 60:5.1f} min: {sum(self.requests.values()):,} requests, "
                          f"5xx {self.server_errors}, unexpected {sum(self.unexpected.values())}, transport "
                          f"errors {self.transport_errors}, worker deaths {deaths} (crashes {crashes}, killed "
                          f"while starting {starting}), load {load_average()}", flush=True)

            await asyncio.gather(report(), *(user() for _ in range(concurrency)))


def worker_deaths(log: Path) -> tuple[int, int, int]:
    """(workers that died serving, workers killed while starting, faulthandler's fatal errors) in the log.

    Uvicorn's supervisor writes "Child process [pid] died" for each worker it replaces; one that never
    wrote "Started server process [pid]" was still importing when it missed its health check.
    """
    text = log.read_text(errors="replace") if log.exists() else ""
    started = set(re.findall(r"Started server process \[(\d+)\]", text))
    died = re.findall(r"Child process \[(\d+)\] died", text)
    serving = sum(1 for pid in died if pid in started)
    return serving, len(died) - serving, text.count("Fatal Python error")


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16, help="Simulated users, one request each at a time.")
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--polls", type=int, default=200, help="Open polls (each citizen votes once in each).")
    parser.add_argument("--comments", type=int, default=50)
    parser.add_argument("--gc-thread", choices=("on", "off"), default="on",
                        help="off: the servers run with SMARTGOV_GC_THREAD=false (the code before the fix).")
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--log", default=None, help="The server's log (default: a temporary file, printed).")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    log = Path(args.log or Path(tempfile.mkdtemp(prefix="sgsoak-")) / "server.log")
    print(f"server log: {log}; load before: {load_average()}", flush=True)
    from smartgov.settings import Settings, use_settings

    with scratch_postgres(args.database_url) as url:
        use_settings(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024,
                              data_dir=Path(tempfile.mkdtemp(prefix="sgsoak-trustees-"))))
        t0 = time.perf_counter()
        people, consultation_id, slugs = setup(url, args.citizens, args.polls, args.comments)
        print(f"setup {time.perf_counter() - t0:.0f} s", flush=True)
        env = {"SMARTGOV_GC_THREAD": "true" if args.gc_thread == "on" else "false", "PYTHONFAULTHANDLER": "1"}
        with server(url, workers=args.workers, log_path=str(log), env=env) as base:
            soak = Soak(base, people, consultation_id, slugs, args.seed)
            started = time.time()
            asyncio.run(soak.run(args.minutes * 60, args.concurrency, log))
            elapsed = time.time() - started
        deaths, starting, crashes = worker_deaths(log)
    total = sum(soak.requests.values())
    q = sorted(soak.latencies)
    p50 = q[len(q) // 2] * 1000 if q else 0.0
    p99 = q[int(len(q) * 0.99)] * 1000 if q else 0.0
    print(f"\n### {machine()}, load average at the end {load_average()}\n")
    print(f"`bench/soak.py --minutes {args.minutes:g} --workers {args.workers} --concurrency {args.concurrency} "
          f"--gc-thread {args.gc_thread}` on PostgreSQL\n")
    print("| minutes | requests | per second | p50 ms | p99 ms | workers died serving | crashes (faulthandler) "
          "| killed while starting | 5xx | transport errors | other unexpected |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {elapsed / 60:.1f} | {total:,} | {total / elapsed:,.0f} | {p50:.1f} | {p99:.1f} | {deaths} | {crashes} "
          f"| {starting} | {soak.server_errors} | {soak.transport_errors} | {sum(soak.unexpected.values())} |")
    print("\nrequests by kind: " + ", ".join(f"{k} {v:,}" for k, v in soak.requests.most_common())
          + f"; cases submitted {len(soak.cases):,}")
    if soak.unexpected:
        print("unexpected answers: " + ", ".join(f"{k} × {v}" for k, v in soak.unexpected.most_common()))
    for example in soak.examples:
        print("  e.g. " + example)


if __name__ == "__main__":
    main()
