"""How far this machine and this stack can go at all: the services targets' yardstick.

    .venv/bin/python bench/ceiling_bench.py [--people 1000] [--database-url URL] [--seconds 10]

``bench/ceiling_app.py`` is the leanest submission and status read FastAPI, Uvicorn and psycopg
can serve (async on the event loop, hand-written SQL, no ORM, middleware, rules or audit); it runs
with 2 workers on a scratch PostgreSQL database and wrk drives its ping, its submission (token,
case, transition, event and two outbox rows in one transaction, and the same with group commit)
and its status read (one joined query), as ``services_bench.py`` drives smartgov. ``pgbench`` (when installed) runs the same
transaction and the same read straight from C, which is what PostgreSQL alone can do here.

Whatever smartgov does beyond this app costs more, so what this app reaches bounds what smartgov
can reach on the machine: if the leanest app is below a target, no tuning of smartgov meets it
there. Needs wrk (``apt-get install wrk``); pgbench comes with PostgreSQL's server packages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from harness import DEFAULT_PG, HEADER, Result, free_port, machine
from services_bench import Spec, load_average, wrk_run
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
COMMAND = "ceiling_app:app"
SUBMISSION = {"service_id": "address-change",
              "answers": {"new_address": "تهران، خیابان ولیعصر، پلاک ۱۲", "postal_code": "1234567890", "owner": False},
              "documents": ["f-1", "f-2"]}

PGBENCH_SUBMIT = """\\set pid random(0, {last})
BEGIN;
SELECT person_id FROM ctoken WHERE hash = sha256(('token-' || :pid)::bytea);
INSERT INTO capp (reference, applicant_id, idem, state, answers, created_at)
  VALUES ('P' || nextval('cref'), :pid, md5(random()::text), 'submitted', '{answers}', now()) RETURNING id, reference;
INSERT INTO ctrans (app_id, from_state, to_state, at) VALUES (currval('capp_id_seq'), NULL, 'submitted', now());
INSERT INTO cevent (kind, payload, at) VALUES ('services.submitted', '{{"reference": "P1"}}', now());
INSERT INTO coutbox (kind, payload) VALUES ('email', '{{"reference": "P1"}}'), ('sms', '{{"reference": "P1"}}');
COMMIT;
"""
PGBENCH_READ = """\\set id random(1, {cases})
SELECT a.reference, a.state, a.created_at, a.answers FROM ctoken t JOIN capp a ON a.applicant_id = t.person_id
 WHERE t.hash = sha256(('token-' || (SELECT applicant_id FROM capp WHERE id = :id))::bytea)
   AND a.reference = (SELECT reference FROM capp WHERE id = :id);
"""


@contextmanager
def scratch_database(base_url: str, people: int) -> Iterator[str]:
    """A new database with the ceiling app's tables and ``people`` tokens, dropped afterwards."""
    base = make_url(base_url)
    name = f"sgceiling_{uuid.uuid4().hex[:10]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    try:
        from ceiling_app import SCHEMA

        with psycopg.connect(url) as conn:
            conn.execute(SCHEMA)
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO ctoken VALUES (%s, %s)",
                                [(hashlib.sha256(f"token-{i}".encode()).digest(), i) for i in range(people)])
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def ceiling_server(url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "CEILING_DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", COMMAND, "--app-dir", str(HERE), "--port", str(port),
                             "--workers", "2", "--no-access-log", "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("the ceiling app did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def pgbench(url: str, script: str, seconds: int, clients: int = 32) -> float:
    """Transactions per second pgbench reaches with ``script`` (C client, prepared statements)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(script)
    try:
        out = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-M", "prepared",
                              "-f", fh.name, url], capture_output=True, text=True, timeout=seconds + 120)
    finally:
        os.unlink(fh.name)
    found = re.search(r"tps = ([\d.]+)", out.stdout)
    if found is None:
        raise RuntimeError("unexpected pgbench output:\n" + out.stdout + out.stderr)
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000, help="Tokens (one per applicant).")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--seconds", type=int, default=10, help="Length of each wrk and pgbench run.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk: apt-get install wrk")
    cpu: dict[str, tuple[float, float]] = {}
    rows: list[Result] = []
    tps: dict[str, float] = {}
    # far more distinct submissions than a run can send, so none repeats
    submissions: list[Spec] = [("POST", "/applications", {"Authorization": f"Bearer token-{i % args.people}",
                                                          "Idempotency-Key": uuid.uuid4().hex}, SUBMISSION)
                               for i in range(150_000 * args.seconds // 10)]
    loads = [load_average()]
    with scratch_database(args.database_url, args.people) as url, ceiling_server(url) as base:
        rows.append(wrk_run("lean app: GET /ping", base, [("GET", "/ping", {}, None)] * 1000,
                            seconds=args.seconds, cpu=cpu, command=COMMAND))
        rows.append(wrk_run("lean app: POST submission", base, submissions, seconds=args.seconds, cpu=cpu,
                            command=COMMAND))
        used = len(submissions) // 3
        rows.append(wrk_run("lean app: POST submission, group commit", base,
                            [("POST", "/batched", headers, body) for _, _, headers, body in submissions[used:]],
                            seconds=args.seconds, cpu=cpu, command=COMMAND))
        with psycopg.connect(url) as conn:
            cases = conn.execute("SELECT reference, applicant_id FROM capp ORDER BY random()").fetchall()
        reads: list[Spec] = [("GET", f"/applications/{ref}", {"Authorization": f"Bearer token-{who}"}, None)
                             for ref, who in cases]
        rows.append(wrk_run("lean app: GET status", base, reads, seconds=args.seconds, cpu=cpu, command=COMMAND))
        rows.append(wrk_run("lean app: POST submission, 4 connections", base, submissions[2 * used:],
                            connections=4, seconds=args.seconds, cpu=cpu, command=COMMAND))
        rows.append(wrk_run("lean app: GET status, 4 connections", base, reads, connections=4, seconds=args.seconds,
                            cpu=cpu, command=COMMAND))
        loads.append(load_average())
        if shutil.which("pgbench"):
            answers = json.dumps(SUBMISSION["answers"], ensure_ascii=False)
            tps["submission transaction"] = pgbench(url, PGBENCH_SUBMIT.format(last=args.people - 1, answers=answers),
                                                    args.seconds)
            tps["status read"] = pgbench(url, PGBENCH_READ.format(cases=len(cases)), args.seconds)
    print(f"\nMachine: {machine()}")
    print(f"Load average (1/5/15 min) before: {loads[0]}; after the wrk runs: {loads[1]}\n")
    print("wrk (2 threads, 32 connections unless said, "
          f"{args.seconds} s each) against bench/ceiling_app.py, 2 Uvicorn workers:\n")
    print(HEADER.replace("| errors |", "| errors | % of ping | app CPU ms | PostgreSQL CPU ms |") + "---|---|---|")
    for r in rows:
        app_ms, pg_ms = cpu.get(r.name, (float("nan"), float("nan")))
        print(r.row() + f" {100 * r.per_second / rows[0].per_second:.0f}% | {app_ms:.2f} | {pg_ms:.2f} |")
    if tps:
        print("\npgbench (C client, 32 connections, prepared statements), the same SQL:\n")
        print("| what | per second |\n|---|---|")
        for name, value in tps.items():
            print(f"| {name} | {value:,.0f} |")


if __name__ == "__main__":
    main()
