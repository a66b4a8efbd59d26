"""CPU per vote through the whole API path, in one process, on PostgreSQL.

    .venv/bin/python bench/vote_cpu_bench.py [--votes 1000]

A scratch database gets a poll and ``--votes`` verified citizens with tokens; each votes once with
``POST /api/v1/participation/polls/{slug}/votes`` through Starlette's TestClient (the app's
middleware, routing, token check, the vote and its commit — no socket, no Uvicorn). The figure is
this process's CPU time per vote (``time.process_time``) next to the wall time, so it says what
one vote costs the app even on a crowded box where ``participation_bench.py``'s throughput does not.
PostgreSQL's own CPU is not in it. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from harness import DEFAULT_PG, machine, scratch_postgres

from smartgov import clock
from smartgov.app import create_app
from smartgov.db import Database
from smartgov.identity import nationalcode
from smartgov.identity import service as identity
from smartgov.identity.models import OrgKind, Role
from smartgov.participation import service
from smartgov.settings import Settings, use_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=1000)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    with scratch_postgres(args.database_url) as url:
        settings = Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024,
                            data_dir=Path(tempfile.mkdtemp(prefix="sgbench-votes-")))
        use_settings(settings)
        database = Database(url)
        tokens = []
        with database.unit_of_work() as db:
            org = identity.create_organization(db, code="sso", kind=OrgKind.AGENCY, name_fa="تأمین اجتماعی",
                                               name_en="Social Security Organization")
            service.create_poll(db, organization=org, slug="cpu-poll", question_fa="پرسش؟", question_en="Question?",
                                options=[("الف", "A"), ("ب", "B"), ("ج", "C")],
                                opens_at=clock.now() - dt.timedelta(hours=1),
                                closes_at=clock.now() + dt.timedelta(days=1))
            for i in range(args.votes):
                person = identity.create_person(
                    db, national_code=nationalcode.make(f"{400_000_000 + i:09d}"), first_name_fa="شهروند",
                    last_name_fa=str(i), first_name_en="Citizen", last_name_en=str(i), birth_date=dt.date(1980, 1, 1))
                account = identity.create_account(db, username=f"cpu-voter{i}", password="Load-test-pass-2026",
                                                  role=Role.CITIZEN, person=person, proof="registry")
                tokens.append(identity.create_api_token(db, account, name="bench", scopes=["read", "write"],
                                                        expires_in_days=None)[0])
        with TestClient(create_app(settings, database)) as client:
            for token in tokens[:20]:  # warm-up: imports, plans, pools
                client.get("/api/v1/participation/polls/cpu-poll", headers={"Authorization": f"Bearer {token}"})
            cpu, wall = time.process_time(), time.perf_counter()
            for i, token in enumerate(tokens):
                r = client.post("/api/v1/participation/polls/cpu-poll/votes", json={"option": 1 + i % 3},
                                headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 201, r.text
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        database.dispose()
    print(f"### {machine()}\n\n`bench/vote_cpu_bench.py --votes {args.votes}`: {args.votes:,} votes, one at a time, "
          f"{cpu / args.votes * 1000:.2f} ms of app CPU and {wall / args.votes * 1000:.2f} ms of wall time a vote.")


if __name__ == "__main__":
    main()
