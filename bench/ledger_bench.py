"""Ledger on PostgreSQL: batched appends per second, and inclusion-proof time on a 10-million-entry log.

    .venv/bin/python bench/ledger_bench.py [--appends 200000] [--batch 10000] [--entries 10000000]
                                          [--proofs 2000] [--http-requests 5000] [--verify]

1. **Appends**: ``--appends`` domain events are COPYed into ``kernel_event`` (not timed), then
   ``append_pending`` drains them in batches of ``--batch``, exactly as ``smartgov worker`` does:
   canonical JSON, leaf and node hashes, COPY of entries and nodes, one signed tree head per batch.
2. **Proofs**: a log of ``--entries`` entries is bulk-loaded (entry rows and every stored
   complete-subtree node, computed here with hashlib the way ``append_leaves`` would, then COPYed),
   a tree head is signed over it, and random inclusion proofs are timed through the service
   (``prove_inclusion``: entry lookup + one batched node read) and through the HTTP API with
   ``smartgov serve --workers 2``. Every proof is checked against the signed root.
3. ``--verify`` also times ``smartgov ledger verify``'s full recomputation of the big log.

Time on the 2-core box: appends ~10 s; building the 10M log 4.5-6 min (hashing + COPY of 10M
entries and 20M nodes, then indexes); proofs a few seconds; ``--verify`` another ~5 min.
``--entries 1000000`` takes about 30 s to build. Peak memory ~1.5 GB for 10M entries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import secrets
import statistics
import time

import psycopg
from harness import DEFAULT_PG, HEADER, load, machine, scratch_postgres, server
from sqlalchemy import text
from sqlalchemy.engine import make_url

from smartgov.db import Database
from smartgov.ledger import merkle, service
from smartgov.settings import Settings, use_settings

CHUNK = 200_000
SECRET = secrets.token_hex(32)


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def event_payload(i: int) -> dict[str, object]:
    """A realistic domain event: an application moving between workflow states."""
    return {"application": f"APP-1405-{i:08d}", "service": "pension-retirement", "from": "submitted",
            "to": "in_review", "agency": "sso-thr", "official_id": 1000 + i % 50}


def bench_appends(url: str, count: int, batch: int) -> list[str]:
    database = Database(url)
    service.append_pending(database)  # signing key (event id 1) and first head, outside the timing
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(libpq(url)) as conn, conn.cursor() as cur:
        with cur.copy("COPY kernel_event (id, name, payload, actor_id, occurred_at) FROM STDIN") as copy:
            for i in range(2, count + 2):
                copy.write_row((i, "services.application_transitioned", json.dumps(event_payload(i)),
                                1000 + i % 50, now))
        cur.execute("SELECT setval(pg_get_serial_sequence('kernel_event', 'id'), %s)", (count + 1,))
        cur.execute("ANALYZE kernel_event")
    start = time.perf_counter()
    appended = service.append_pending(database, batch)
    seconds = time.perf_counter() - start
    with database.sessions() as db:
        report = service.verify(db)
        assert report.ok, report.findings[:3]
        heads = db.scalar(text("SELECT count(*) FROM ledger_tree_head"))
    # latency of one small round, as the worker sees it with light traffic
    rounds = []
    for i in range(50):
        with database.unit_of_work() as db:
            from smartgov import events

            events.publish(db, "bench.one", n=i)
        t = time.perf_counter()
        assert service.append_pending(database, batch) == 1
        rounds.append((time.perf_counter() - t) * 1000)
    database.dispose()
    return [
        f"| batched append ({batch}/transaction, {appended:,} events, {heads} signed heads) "
        f"| {appended / seconds:,.0f} appends/s | {seconds:.1f} s total |",
        f"| one event appended + head signed (worker round, light traffic) | p50 {statistics.median(rounds):.1f} ms "
        f"| p99 {sorted(rounds)[int(len(rounds) * 0.99) - 1]:.1f} ms |",
    ]


def build_log(url: str, entries: int) -> float:
    """Bulk-load ``entries`` entries and all their complete-subtree nodes; returns seconds taken."""
    start = time.perf_counter()
    sha = hashlib.sha256
    now = dt.datetime.now(dt.UTC)
    stamp = now.isoformat()
    leaves = bytearray()
    with psycopg.connect(libpq(url)) as conn:
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE ledger_node DROP CONSTRAINT pk_ledger_node")
            cur.execute("ALTER TABLE ledger_entry DROP CONSTRAINT pk_ledger_entry")
            cur.execute("ALTER TABLE ledger_entry DROP CONSTRAINT uq_ledger_entry_event_id")
            cur.execute("DROP INDEX ix_ledger_entry_leaf_hash")
        for lo in range(0, entries, CHUNK):
            hi = min(entries, lo + CHUNK)
            lines, nodes = [], []
            for i in range(lo, hi):
                data = service.entry_data(i + 1, "services.application_transitioned", now, 1000 + i % 50,
                                          event_payload(i))
                h = sha(b"\x00" + data).digest()
                leaves += h
                lines.append(f"{i}\t{i + 1}\tservices.application_transitioned\t{stamp}\t\\\\x{data.hex()}\t"
                             f"\\\\x{h.hex()}\t{stamp}\n")
                nodes.append(f"0\t{i}\t\\\\x{h.hex()}\n")
            with conn.cursor() as cur:
                with cur.copy("COPY ledger_entry (leaf_index, event_id, event_name, occurred_at, data, leaf_hash, "
                              "appended_at) FROM STDIN") as copy:
                    copy.write("".join(lines))
                with cur.copy("COPY ledger_node (level, idx, hash) FROM STDIN") as copy:
                    copy.write("".join(nodes))
            conn.commit()
            print(f"  leaves {hi:,}/{entries:,}  {time.perf_counter() - start:.0f} s", flush=True)
        level, row = 0, bytes(leaves)
        del leaves
        while len(row) >= 64:
            level += 1
            count = len(row) // 64
            parent = b"".join(sha(b"\x01" + row[j * 64:(j + 1) * 64]).digest() for j in range(count))
            with conn.cursor() as cur, cur.copy("COPY ledger_node (level, idx, hash) FROM STDIN") as copy:
                for lo in range(0, count, CHUNK):
                    copy.write("".join(f"{level}\t{j}\t\\\\x{parent[j * 32:(j + 1) * 32].hex()}\n"
                                       for j in range(lo, min(count, lo + CHUNK))))
            conn.commit()
            row = parent
        print(f"  nodes done  {time.perf_counter() - start:.0f} s; building indexes", flush=True)
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE ledger_node ADD CONSTRAINT pk_ledger_node PRIMARY KEY (level, idx)")
            cur.execute("ALTER TABLE ledger_entry ADD CONSTRAINT pk_ledger_entry PRIMARY KEY (leaf_index)")
            cur.execute("ALTER TABLE ledger_entry ADD CONSTRAINT uq_ledger_entry_event_id UNIQUE (event_id)")
            cur.execute("CREATE INDEX ix_ledger_entry_leaf_hash ON ledger_entry (leaf_hash)")
            cur.execute("SELECT setval(pg_get_serial_sequence('kernel_event', 'id'), %s)", (entries,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE ledger_node")
        conn.execute("VACUUM ANALYZE ledger_entry")
    database = Database(url)
    with database.unit_of_work() as db:
        state = service._state(db, lock=True)
        state.tree_size = entries
        state.event_watermark = entries
        signer = service._signer(db)
        service._sign_head(db, state, service.DbHashStore(db, entries), signer)
    database.dispose()
    return time.perf_counter() - start


def bench_proofs(url: str, entries: int, proofs: int) -> list[str]:
    database = Database(url)
    rng = random.Random(1405)
    times = []
    with database.sessions() as db:
        head = service.require_latest_head(db)
        assert head.head.tree_size == entries
        for _ in range(proofs):
            index = rng.randrange(entries)
            t = time.perf_counter()
            proof = service.prove_inclusion(db, index)
            times.append((time.perf_counter() - t) * 1000)
            assert merkle.verify_inclusion(index, entries, proof.leaf_hash, proof.audit_path, head.head.root_hash)
        c = []
        for _ in range(200):
            first = rng.randrange(1, entries)
            t = time.perf_counter()
            cp = service.prove_consistency(db, first)
            c.append((time.perf_counter() - t) * 1000)
            assert merkle.verify_consistency(first, entries, cp.first_root, cp.second_root, cp.proof)
    database.dispose()
    times.sort()
    c.sort()
    return [
        f"| inclusion proof, service ({entries:,} entries, {proofs} random, each verified) "
        f"| p50 {times[len(times) // 2]:.2f} ms | p99 {times[int(len(times) * 0.99)]:.2f} ms |",
        f"| consistency proof to the latest head, service (200 random sizes) "
        f"| p50 {c[len(c) // 2]:.2f} ms | p99 {c[int(len(c) * 0.99)]:.2f} ms |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=200_000, help="events to append in the append benchmark")
    parser.add_argument("--batch", type=int, default=service.DEFAULT_BATCH, help="events per append transaction")
    parser.add_argument("--entries", type=int, default=10_000_000, help="size of the log for the proof benchmark")
    parser.add_argument("--proofs", type=int, default=2000, help="random inclusion proofs to time")
    parser.add_argument("--http-requests", type=int, default=5000, help="inclusion proofs through the API")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--verify", action="store_true", help="also time a full verify of the big log")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    rows: list[str] = []
    with scratch_postgres(args.database_url) as url:
        use_settings(Settings(database_url=url, secret_key=SECRET))  # type: ignore[arg-type]
        print(f"appending {args.appends:,} events ...", flush=True)
        rows += bench_appends(url, args.appends, args.batch)
    with scratch_postgres(args.database_url) as url:
        use_settings(Settings(database_url=url, secret_key=SECRET))  # type: ignore[arg-type]
        print(f"building a log of {args.entries:,} entries ...", flush=True)
        seconds = build_log(url, args.entries)
        rows.append(f"| bulk-load {args.entries:,} entries + {2 * args.entries:,} nodes (hash + COPY + indexes) "
                    f"| {seconds:.0f} s | |")
        rows += bench_proofs(url, args.entries, args.proofs)
        http = []
        if args.http_requests:
            rng = random.Random(7)
            with server(url, workers=2) as base:
                def proof_request(_i: int) -> tuple[str, str, dict[str, object]]:
                    return "GET", f"/api/v1/ledger/proofs/inclusion?index={rng.randrange(args.entries)}", {}

                http.append(load(f"GET /api/v1/ledger/proofs/inclusion ({args.entries:,} entries)", base,
                                 proof_request, requests=args.http_requests, concurrency=args.concurrency))
        if args.verify:
            database = Database(url)
            t = time.perf_counter()
            with database.sessions() as db:
                report = service.verify(db)
            seconds = time.perf_counter() - t
            database.dispose()
            assert report.ok, report.findings[:3]
            rows.append(f"| full verify of {args.entries:,} entries (recompute leaves, nodes, heads) "
                        f"| {seconds:.0f} s | {args.entries / seconds:,.0f} entries/s |")
    print(f"\nMachine: {machine()}\n\n| what | result | |\n|---|---|---|")
    for row in rows:
        print(row)
    if http:
        print(f"\n{HEADER}")
        for r in http:
            print(r.row())


if __name__ == "__main__":
    main()
