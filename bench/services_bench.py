"""E-services engine under load on PostgreSQL with 2 workers: submissions/s and status reads/s
next to the same app's bare ``GET /api/v1/ping``, measured in the same run.

    .venv/bin/python bench/services_bench.py [--citizens 1000] [--submissions 4000] [--reads 8000]
        [--owner-submissions 1000] [--concurrency 32] [--clients 2] [--database-url URL]

Setup (not timed) goes straight through the engine's and identity's functions in one
transaction: the SSO agency, the bundled definitions, ``--citizens`` accounts (each with a
person and a read/write API token) and one uploaded proof-of-address file per planned
submission (``service.store_upload``, the same row ``POST /files`` makes).

Then ``smartgov serve --workers 2`` and, for each route, a fixed number of requests from
``--clients`` load-generator processes (each an asyncio/httpx client with
``--concurrency / --clients`` requests in flight, all started together); per second is all
requests over the wall time from the first start to the last finish, p50/p99 over every request.

* ``POST /api/v1/services/applications`` — address-change, distinct citizens' tokens (round
  robin) and a distinct ``Idempotency-Key`` each:
  - **home owner**: the definition's automatic step registers the notice at once, so the request
    also signs the confirmation (Ed25519) and queues its PDF (made by the outbox worker, which
    this benchmark does not run), e-mail and SMS — the heaviest submission the engine has;
  - **tenant**: a lease file too; the case waits for a clerk (the usual submission: checks,
    reference number, log, event, notifications), taken by ``services/intake.py`` (group
    commit); the home owner's takes the general path.
* ``GET /api/v1/services/applications/{ref}`` and ``…/{ref}/timeline`` by each case's applicant.

The load generator shares the two cores with both workers and PostgreSQL, so absolute numbers
are a floor; the ratio to ping in the same run is the figure to compare. An httpx client costs
about as much CPU per request as the server's ping, so on a 2-core box it caps ping itself. For
a lighter client, install ``wrk`` (``apt-get install wrk``) and point it at the printed URLs
with ``--keep`` (the script leaves the server up until Enter); this script does not need it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing as mp
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from harness import DEFAULT_PG, HEADER, Result, machine, scratch_postgres, server
from sqlalchemy import select

Spec = tuple[str, str, dict[str, str], Any]  # method, path, headers, json body

PDF = b"%PDF-1.4\n% proof of address\n%%EOF\n"
API = "/api/v1/services"
HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- setup


def setup(url: str, citizens: int, owners: int, tenants: int) -> tuple[list[tuple[str, str]], list[Spec], list[Spec]]:
    """Accounts, tokens and uploads in one transaction; returns ([(token, code)], owner specs, tenant specs)."""
    from smartgov.db import Database
    from smartgov.identity import nationalcode
    from smartgov.identity import service as identity
    from smartgov.identity.models import OrgKind, Role
    from smartgov.services import service as engine
    from smartgov.services import sync_bundled_definitions

    database = Database(url)
    people: list[tuple[str, str, Any]] = []
    with database.unit_of_work() as db:
        identity.create_organization(db, code="sso", kind=OrgKind.AGENCY, name_fa="سازمان تأمین اجتماعی",
                                     name_en="Social Security Organization")
        sync_bundled_definitions(db)
        for i in range(citizens):
            code = nationalcode.make(f"{300_000_000 + i:09d}")
            person = identity.create_person(db, national_code=code, first_name_fa="مریم", last_name_fa="احمدی",
                                            first_name_en="Maryam", last_name_en="Ahmadi",
                                            birth_date=dt.date(1970, 1, 1) + dt.timedelta(days=i % 9000),
                                            phone="09121234567", email=f"c{i}@example.ir")
            account = identity.create_account(db, username=f"citizen{i}", password="Load-test-pass-2026",
                                              role=Role.CITIZEN, person=person, proof="registry")
            raw, _ = identity.create_api_token(db, account, name="bench", scopes=["read", "write"],
                                               expires_in_days=None)
            people.append((raw, code, account))

        def answers(code: str, owner: bool, n: int) -> dict[str, Any]:
            return {"national_code": code, "province": "tehran", "city": "تهران",
                    "address": f"خیابان آزادی، کوچهٔ یکم، پلاک {n}", "postal_code": "1234567890",
                    "moved_on": "1403/05/12", "owns_home": owner, "household_moved": False}

        def spec(n: int, owner: bool) -> Spec:
            raw, code, account = people[n % len(people)]
            proof = engine.file_meta(engine.store_upload(db, account, name="bill.pdf", mime="application/pdf",
                                                         data=PDF))
            body: dict[str, Any] = {"service_id": "address-change", "answers": answers(code, owner, n),
                                    "documents": {"proof_of_address": proof}}
            if not owner:
                body["answers"]["lease_contract"] = engine.file_meta(engine.store_upload(
                    db, account, name="lease.pdf", mime="application/pdf", data=PDF))
            headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": uuid.uuid4().hex}
            return ("POST", f"{API}/applications", headers, body)

        owner_specs = [spec(n, True) for n in range(owners)]
        tenant_specs = [spec(owners + n, False) for n in range(tenants)]
    database.dispose()
    return [(raw, code) for raw, code, _ in people], owner_specs, tenant_specs


def cases(url: str, tokens: dict[int, str]) -> list[tuple[str, str]]:
    """(reference, applicant's token) of every stored application."""
    from sqlalchemy import select

    from smartgov.db import Database
    from smartgov.services.models import Application

    database = Database(url)
    with database.sessions() as db:
        rows = db.execute(select(Application.reference, Application.applicant_id).order_by(Application.id)).all()
    database.dispose()
    return [(ref, tokens[applicant]) for ref, applicant in rows]


# --------------------------------------------------------------------------- load from several processes


def _client(base: str, specs: list[Spec], concurrency: int, expect: tuple[int, ...], start: Any, out: Any) -> None:
    async def run() -> tuple[float, float, list[float], int, str]:
        latencies: list[float] = []
        errors = 0
        first_error = ""
        todo = iter(specs)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            await client.get("/api/v1/ping")  # open a connection before the clock starts

            async def worker() -> None:
                nonlocal errors, first_error
                for method, path, headers, body in todo:
                    t0 = time.perf_counter()
                    try:
                        r = await client.request(method, path, headers=headers, json=body)
                    except httpx.HTTPError as exc:  # a timeout counts as an error, it does not stop the run
                        latencies.append(time.perf_counter() - t0)
                        errors += 1
                        first_error = first_error or repr(exc)
                        continue
                    latencies.append(time.perf_counter() - t0)
                    if r.status_code not in expect:
                        errors += 1
                        first_error = first_error or f"{r.status_code} {r.text[:300]}"

            start.wait()
            t_start = time.time()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return t_start, time.time(), latencies, errors, first_error

    try:
        out.put(asyncio.run(run()))
    except BaseException as exc:  # never leave the parent waiting on the queue
        out.put((time.time(), time.time(), [], len(specs), repr(exc)))
        raise


def load(name: str, base: str, specs: list[Spec], *, clients: int, concurrency: int,
         expect: tuple[int, ...] = (200, 201)) -> Result:
    """Send every spec once, split over ``clients`` processes with ``concurrency`` in flight in all."""
    ctx = mp.get_context("fork")
    start = ctx.Barrier(clients)
    out = ctx.Queue()
    per = max(1, concurrency // clients)
    procs = [ctx.Process(target=_client, args=(base, specs[i::clients], per, expect, start, out))
             for i in range(clients)]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = [x for part in parts for x in part[2]]
    elapsed = max(p[1] for p in parts) - min(p[0] for p in parts)
    errors = sum(p[3] for p in parts)
    for part in parts:
        if part[4]:
            print(f"  {name}: first unexpected answer: {part[4]}")
            break
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return Result(name, len(latencies), elapsed, errors, q[49] * 1000, q[98] * 1000)


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=4000, help="Tenant submissions (waiting for a clerk).")
    parser.add_argument("--owner-submissions", type=int, default=1000,
                        help="Home-owner submissions (each also signs a document).")
    parser.add_argument("--reads", type=int, default=8000, help="Per read route, and pings.")
    parser.add_argument("--concurrency", type=int, default=32, help="Requests in flight, over all clients.")
    parser.add_argument("--clients", type=int, default=2, help="Load-generator processes.")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--keep", action="store_true", help="Keep the server up (for wrk) until Enter.")
    parser.add_argument("--wrk", type=int, default=0,
                        help="Also replay this many tenant submissions (half at 32 connections, half at 4) and the "
                             "reads with wrk (apt-get install wrk); at least 20x the expected rate, e.g. 26000.")
    parser.add_argument("--wrk-owners", type=int, default=0,
                        help="Also replay this many home-owner submissions (decided at once, signed document) with "
                             "wrk, 32 connections; at least 10x the expected rate, e.g. 8000.")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="sgbench-services-")
    from smartgov.settings import Settings, use_settings

    with scratch_postgres(args.database_url) as url:
        use_settings(Settings(database_url=url, data_dir=data_dir, environment="development",
                              argon2_time_cost=1, argon2_memory_kib=8192))
        t0 = time.perf_counter()
        people, owners, tenants = setup(url, args.citizens, args.owner_submissions + 100 + args.wrk_owners,
                                        args.submissions + 100 + args.wrk)
        wrk_owners = owners[len(owners) - args.wrk_owners:] if args.wrk_owners else []
        owners = owners[: len(owners) - args.wrk_owners] if args.wrk_owners else owners
        wrk_tenants = tenants[len(tenants) - args.wrk:] if args.wrk else []
        tenants = tenants[: len(tenants) - args.wrk] if args.wrk else tenants
        wrk_rows: list[Any] = []
        cpu: dict[str, tuple[float, float]] = {}
        print(f"setup: {len(people):,} citizens with tokens, {len(owners) + 2 * len(tenants):,} uploads in "
              f"{time.perf_counter() - t0:.0f} s")
        from smartgov.db import Database
        from smartgov.identity.models import Account

        database = Database(url)
        with database.sessions() as db:
            by_id = {a.id: people[int(a.username.removeprefix("citizen"))][0]
                     for a in db.scalars(select(Account).where(Account.username.like("citizen%")))}
        database.dispose()
        kw = {"clients": args.clients, "concurrency": args.concurrency}
        loads = [load_average()]
        with server(url, workers=2, data_dir=data_dir) as base:
            # warm both workers: imports, parsed definitions, connection pools
            load("warm-up", base, [("GET", "/api/v1/ping", {}, None)] * 500, **kw)
            load("warm-up", base, owners[:100], **kw)
            load("warm-up", base, tenants[:100], **kw)
            ping = [("GET", "/api/v1/ping", {}, None)] * args.reads
            rows = [load("GET /api/v1/ping (no database)", base, ping, **kw)]
            rows.append(load("POST submit, tenant (waits for a clerk)", base, tenants[100:], **kw))
            rows.append(load("POST submit, home owner (decided at once, signed document)", base, owners[100:], **kw))
            found = cases(url, by_id)
            reads = [("GET", f"{API}/applications/{ref}", {"Authorization": f"Bearer {tok}"}, None)
                     for ref, tok in found]
            timeline = [("GET", f"{API}/applications/{ref}/timeline", {"Authorization": f"Bearer {tok}"}, None)
                        for ref, tok in found]
            n = args.reads
            rows.append(load("GET application (status)", base, (reads * (n // len(reads) + 1))[:n], **kw))
            rows.append(load("GET application timeline", base, (timeline * (n // len(timeline) + 1))[:n], **kw))
            rows.append(load("GET /api/v1/ping again", base, ping, **kw))
            loads.append(load_average())
            if args.wrk and _has("wrk"):
                # wrk (C, event loop) drives far more load than the Python client on the same cores.
                status = (reads * (n // len(reads) + 1))[:n]
                half = len(wrk_tenants) // 2
                wrk_rows = [wrk_run("wrk: GET /api/v1/ping", base, ping, cpu=cpu),
                            wrk_run("wrk: POST submit, tenant", base, wrk_tenants[:half], cpu=cpu),
                            wrk_run("wrk: GET application (status)", base, status, cpu=cpu),
                            *([wrk_run("wrk: POST submit, home owner (decided at once, signed document)", base,
                                       wrk_owners, cpu=cpu)] if wrk_owners else []),
                            # latency below saturation: 4 connections instead of 32
                            wrk_run("wrk -c4: POST submit, tenant", base, wrk_tenants[half:], connections=4, cpu=cpu),
                            wrk_run("wrk -c4: GET application (status)", base, status, connections=4, cpu=cpu)]
            if args.keep:
                print(f"server at {base}; e.g. wrk -t2 -c32 -d10s {base}/api/v1/ping ; Enter stops it")
                input()
    pg = subprocess.run(["psql", "-V"], capture_output=True, text=True).stdout.strip() if _has("psql") else ""
    print(f"\nMachine: {machine()} {pg}")
    print(f"Load average (1/5/15 min) before the measured runs: {loads[0]}; after: {loads[1]}")
    print(f"{args.clients} client process(es), {args.concurrency} requests in flight in all, "
          f"{args.citizens:,} citizens\n")
    print(HEADER.replace("| errors |", "| errors | % of ping |") + "---|")
    base_rate = rows[0].per_second
    for r in rows:
        print(r.row() + f" {100 * r.per_second / base_rate:.0f}% |")
    if wrk_rows:
        print("\nThe same server driven by wrk (2 threads, 32 connections unless -c4, 10 s each, no request "
              "repeated):\n")
        print(HEADER.replace("| errors |", "| errors | % of ping |") + "---|")
        for r in wrk_rows:
            print(r.row() + f" {100 * r.per_second / wrk_rows[0].per_second:.0f}% |")
        print("\nCPU per request in those runs (from /proc; the app's two workers, and every PostgreSQL process):\n")
        print("| what | app CPU ms | PostgreSQL CPU ms | requests/s one core could serve (app + PostgreSQL) |")
        print("|---|---|---|---|")
        for name, (app_ms, pg_ms) in cpu.items():
            serve = f"{1000 / (app_ms + pg_ms):,.0f}" if app_ms + pg_ms else "not measured (no CPU read)"
            print(f"| {name} | {app_ms:.2f} | {pg_ms:.2f} | {serve} |")


def _ticks(pid: str) -> int:
    """User + system CPU of one process in clock ticks (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def cpu_split(base: str, command: str = "smartgov.app:served_app") -> dict[str, dict[str, int]]:
    """CPU ticks so far, per process, of the app (the server on ``base``'s port and its workers) and of PostgreSQL.

    The server is the process whose command line holds ``command`` and ``--port`` with that port
    (``smartgov serve`` execs ``python -m uvicorn smartgov.app:served_app …``).
    """
    port = base.rsplit(":", 1)[1]
    parents: dict[str, str] = {}
    app: set[str] = set()
    postgres: set[str] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[proc.name] = stat.rsplit(")", 1)[1].split()[1]
        if stat.split("(", 1)[1].startswith("postgres)"):
            postgres.add(proc.name)
        elif command in cmdline and f"--port {port}" in cmdline:
            app.add(proc.name)
    app |= {pid for pid, parent in parents.items() if parent in app}  # the worker processes
    return {"app": {p: _ticks(p) for p in app}, "postgres": {p: _ticks(p) for p in postgres}}


def _spent(before: dict[str, int], after: dict[str, int]) -> int:
    """Ticks spent between two snapshots by the processes alive at the second (new ones from zero)."""
    return sum(t - before.get(pid, 0) for pid, t in after.items())


def wrk_run(name: str, base: str, specs: list[Spec], connections: int = 32, seconds: int = 10,
            cpu: dict[str, tuple[float, float]] | None = None, command: str = "smartgov.app:served_app") -> Result:
    """Replay ``specs`` once each with wrk and bench/wrk_replay.lua; latency percentiles from wrk.

    With ``cpu``, also record the CPU milliseconds per request the app and PostgreSQL spent (from
    /proc): the figure that does not depend on what else the shared box was doing.
    """
    import json as _json
    import re

    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fh:
        for method, path, headers, body in specs:
            fh.write("\t".join([method, path, headers.get("Authorization", ""), headers.get("Idempotency-Key", ""),
                                _json.dumps(body, ensure_ascii=False) if body is not None else ""]) + "\n")
    env = {**os.environ, "WRK_REQUESTS": fh.name, "WRK_THREADS": "2"}
    before = cpu_split(base, command)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                          str(HERE / "wrk_replay.lua"), base],
                         capture_output=True, text=True, env=env, timeout=300).stdout
    after = cpu_split(base, command)
    os.unlink(fh.name)

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"requests in ([\d.]+)(ms|s|m)\b", out)
    if m is None:
        raise RuntimeError("unexpected wrk output:\n" + out)
    elapsed = float(m.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if total > len(specs) and any(m == "POST" for m, _, _, _ in specs):
        print(f"note: {name}: wrk sent {total:,} requests for {len(specs):,} distinct ones; the repeats' keys "
              "were used (the general path answers them): give --wrk more")
    if cpu is not None and total:
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        cpu[name] = tuple(_spent(before[k], after[k]) * tick_ms / total for k in ("app", "postgres"))  # type: ignore[assignment]
    return Result(name, total, elapsed, int(non2xx.group(1)) if non2xx else 0, ms("50%"), ms("99%"))


def _has(cmd: str) -> bool:
    from shutil import which

    return which(cmd) is not None


if __name__ == "__main__":
    main()
