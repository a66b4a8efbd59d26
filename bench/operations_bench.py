"""Telemetry on PostgreSQL: HTTP batch ingest against a raw COPY of the same rows, MQTT reading → alert
latency, and temporal queries over per-minute rollups.

    .venv/bin/python bench/operations_bench.py [--devices 1000] [--readings 200000] [--batch 5000]
        [--concurrency 4] [--mqtt-rate 2000] [--mqtt-seconds 20] [--temporal-devices 100]
        [--temporal-days 7] [--queries 200] [--write]

1. **Ingest**: ``--readings`` readings of ``--devices`` devices (one measure each, distinct instants)
   POSTed to ``/api/v1/operations/ingest`` in batches of ``--batch``, ``--concurrency`` at a time,
   to ``smartgov serve --workers 2``: each batch is stored, its rollups upserted, the entities'
   latest values and the rules evaluated, in one transaction. Then the same rows are ``COPY``ed
   into a plain copy of ``operations_reading`` (same columns and primary key) by one connection:
   the ratio is ingest time / COPY time (target ≤ 2). COPY keeps no rollups and checks nothing.
2. **MQTT → alert**: the consumer (``mqtt.Consumer``, in a thread of this process) takes readings
   published at ``--mqtt-rate`` per second (QoS 1) for ``--mqtt-seconds``; about 40 readings spread
   over the run cross a threshold rule, each on a device with no open alert. Latency = the alert row seen committed (polled
   every 10 ms: the figure includes up to 10 ms of polling) − the moment the reading was published.
   Needs Mosquitto on 127.0.0.1:1883 (``--mqtt-url``); skipped if none answers.
3. **Temporal**: per-minute and per-hour rollups of ``--temporal-devices`` devices × ``--temporal-days``
   days at 1-minute resolution are COPYed (readings themselves are not loaded: the query reads
   rollups only), then ``/ngsi-ld/v1/temporal/entities/{id}`` is timed with aggregation over the
   whole window per day (``P1D`` from hourly rollups) and over its last day per minute (``PT1M``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from harness import DEFAULT_PG, HEADER, load, machine, scratch_postgres, server
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from smartgov.db import Database
from smartgov.identity import nationalcode
from smartgov.identity import service as identity
from smartgov.identity.models import OrgKind, Role
from smartgov.operations import context, ingest, partitions, rules
from smartgov.operations.models import Alert, Entity
from smartgov.operations.ngsi import check_entity
from smartgov.settings import Settings, use_settings

RESULTS = Path(__file__).parent / "RESULTS.md"


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def setup(url: str, devices: int) -> tuple[str, dict[str, str]]:
    """An agency, its official's token, ``devices`` air-quality stations with devices; returns (token, keys)."""
    database = Database(url)
    keys: dict[str, str] = {}
    with database.unit_of_work() as db:
        org = identity.create_organization(db, code="city", kind=OrgKind.AGENCY, name_fa="شهرداری",
                                           name_en="Municipality")
        person = identity.create_person(db, national_code=nationalcode.make("300000001"), first_name_fa="الف", last_name_fa="ب",
                                        first_name_en="A", last_name_en="B", birth_date=dt.date(1980, 1, 1))
        account = identity.create_account(db, username="operator", password="Load-test-pass-2026",
                                          role=Role.OFFICIAL, organization_code="city", person=person, proof="admin")
        token, _ = identity.create_api_token(db, account, name="bench", scopes=["read", "write"],
                                             expires_in_days=None)
        rules.create_rule(db, org.id, account.id, name="PM2.5 high", entity_type="AirQualityObserved",
                          attribute="pm25", kind="threshold", condition="value > 500", severity=3,
                          open_incident=False)
        for i in range(devices):
            entity = context.create(db, org.id, check_entity({
                "id": f"urn:ngsi-ld:AirQualityObserved:{i}", "type": "AirQualityObserved",
                "pm25": {"type": "Property", "value": 10.0, "unitCode": "GQ"}}), account.id)
            _, keys[f"aq-{i}"] = ingest.provision(db, org.id, account.id, code=f"aq-{i}", entity=entity,
                                                  mapping={"pm25": {"attribute": "pm25"}})
    partitions.maintain(database)
    database.dispose()
    return token, keys


def bench_ingest(url: str, token: str, devices: int, readings: int, batch: int, concurrency: int) -> list[str]:
    start = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    per_device = -(-readings // devices)

    def row(n: int) -> tuple[str, dt.datetime, float]:
        return f"aq-{n % devices}", start + dt.timedelta(seconds=n // devices), 5.0 + (n % 97)

    batches = [[row(n) for n in range(b, min(readings, b + batch))] for b in range(0, readings, batch)]
    bodies = [{"readings": [{"device": d, "observedAt": t.isoformat().replace("+00:00", "Z"), "values": {"pm25": v}}
                            for d, t, v in rows]} for rows in batches]
    headers = {"Authorization": f"Bearer {token}"}
    with server(url, workers=2) as base:
        load("warm-up", base, lambda i: ("GET", "/api/v1/ping", {}), requests=50, concurrency=4)
        result = load(f"POST /api/v1/operations/ingest, {batch:,} readings a batch", base,
                      lambda i: ("POST", "/api/v1/operations/ingest", {"json": bodies[i], "headers": headers}),
                      requests=len(bodies), concurrency=concurrency, expect=(200,))
    ingest_rate = readings / result.seconds
    with psycopg.connect(libpq(url)) as conn, conn.cursor() as cur:
        stored = cur.execute("SELECT count(*) FROM operations_reading WHERE observed_at >= %s", (start,)).fetchone()
        cur.execute("CREATE TABLE bench_copy (LIKE operations_reading INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cur.execute("ALTER TABLE bench_copy ADD PRIMARY KEY (entity_pk, attribute, observed_at)")
        pks = dict(cur.execute("SELECT d.code, d.entity_pk FROM operations_device d").fetchall())
        conn.commit()
        t0 = time.perf_counter()
        with cur.copy("COPY bench_copy (entity_pk, attribute, observed_at, value) FROM STDIN") as copy:
            for rows in batches:
                for d, t, v in rows:
                    copy.write_row((pks[d], "pm25", t, v))
        conn.commit()
        copy_seconds = time.perf_counter() - t0
    copy_rate = readings / copy_seconds
    return [HEADER, result.row(), "",
            f"- readings stored by ingest: {(stored[0] if stored else 0) - devices:,} of {readings:,} "
            f"({devices:,} devices × {per_device:,} instants)",
            f"- **HTTP batch ingest: {ingest_rate:,.0f} readings/s** ({result.seconds:.1f} s; p50 "
            f"{result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms a batch)",
            f"- **raw COPY of the same rows: {copy_rate:,.0f} readings/s** ({copy_seconds:.1f} s, one connection)",
            f"- **ratio ingest/COPY time: {copy_rate / ingest_rate:.2f}×** (target ≤ 2×)"]


def bench_mqtt(url: str, keys: dict[str, str], broker: str, rate: float, seconds: float) -> list[str]:
    import paho.mqtt.client as mqtt

    from smartgov.operations.mqtt import Consumer, broker_address

    host, port = broker_address(broker)
    try:
        probe = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sgbench-probe")
        probe.connect(host, port, keepalive=5)
        probe.disconnect()
    except OSError as exc:
        return [f"- MQTT stage skipped: no broker at {broker} ({exc})"]
    database = Database(url)
    consumer = Consumer(database, broker, client_id=f"sgbench-{os.getpid()}")
    runner = threading.Thread(target=consumer.run, kwargs={"until": time.monotonic() + seconds + 30}, daemon=True)
    runner.start()
    consumer.connected.wait(10)
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sgbench-pub-{os.getpid()}")
    publisher.connect(host, port, keepalive=30)
    publisher.loop_start()
    codes = sorted(keys)
    crossing: dict[str, float] = {}  # device → publish instant (wall clock)
    seen: dict[str, float] = {}  # device → instant its alert was first seen committed
    with database.sessions() as db:
        pk_code = dict(db.execute(text("SELECT entity_pk, code FROM operations_device")).all())
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            with database.sessions() as db:
                for (pk,) in db.execute(select(Alert.entity_pk)):
                    code = pk_code[pk]
                    if code not in seen:
                        seen[code] = time.time()
            time.sleep(0.01)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    total = int(rate * seconds)
    every = max(1, total // 40)  # about 40 crossings spread over the whole run, each on a device with no alert
    began = time.perf_counter()
    for n in range(total):
        code = codes[n % len(codes)]
        hot = n % every == every // 2 and code not in crossing
        value = 900.0 if hot else 20.0 + n % 30
        when = dt.datetime.now(dt.UTC) + dt.timedelta(microseconds=n % 1000)
        payload = f'{{"pm25": {value}, "TimeInstant": "{when.isoformat().replace("+00:00", "Z")}"}}'
        if hot:
            crossing[code] = time.time()
        publisher.publish(f"/json/{keys[code]}/{code}/attrs", payload, qos=1)
        lag = (n + 1) / rate - (time.perf_counter() - began)
        if lag > 0:
            time.sleep(lag)
    published_in = time.perf_counter() - began
    deadline = time.monotonic() + 30
    while not set(crossing) <= set(seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    poller.join(5)
    consumer.stopping.set()
    runner.join(30)
    publisher.loop_stop()
    publisher.disconnect()
    database.dispose()
    latencies = sorted((seen[c] - crossing[c]) * 1000 for c in crossing if c in seen)
    if len(latencies) < 2:
        return [f"- MQTT stage: {len(latencies)} alerts seen of {len(crossing)} crossings"]
    q = statistics.quantiles(latencies, n=100)
    return [f"- MQTT: {total:,} readings published in {published_in:.1f} s ({total / published_in:,.0f}/s asked "
            f"{rate:,.0f}/s), consumer stored {consumer.stored:,}",
            f"- **reading → alert: {len(latencies)} of {len(crossing)} crossings, p50 {q[49]:.0f} ms, "
            f"p99 {q[98]:.0f} ms, max {latencies[-1]:.0f} ms** (polled every 10 ms)"]


def bench_temporal(url: str, devices: int, days: int, queries: int, token: str) -> list[str]:
    database = Database(url)
    with database.sessions() as db:
        pks = [pk for (pk,) in db.execute(select(Entity.id).order_by(Entity.id).limit(devices))]
        ids = dict(db.execute(select(Entity.id, Entity.entity_id)).all())
    database.dispose()
    end = int(time.time()) // 86400 * 86400 - 86400 * 30  # whole days, well before the ingest stage's
    begin = end - days * 86400
    t0 = time.perf_counter()
    rows = 0
    with psycopg.connect(libpq(url)) as conn, conn.cursor() as cur:
        with cur.copy("COPY operations_rollup (entity_pk, attribute, period, bucket, count, total, minimum, maximum) "
                      "FROM STDIN") as copy:
            for pk in pks:
                for hour in range(begin, end, 3600):
                    values = [20.0 + (pk + (hour - begin) // 60 + m) % 40 for m in range(60)]
                    for m, v in enumerate(values):
                        copy.write_row((pk, "pm25", 60, hour + m * 60, 1, v, v, v))
                    copy.write_row((pk, "pm25", 3600, hour, 60, sum(values), min(values), max(values)))
                    rows += 61
        conn.commit()
        cur.execute("ANALYZE operations_rollup")
    load_seconds = time.perf_counter() - t0
    iso = lambda s: dt.datetime.fromtimestamp(s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)

    def query(period: str, since: int) -> Any:
        def make(i: int) -> tuple[str, str, dict[str, Any]]:
            entity = ids[rng.choice(pks)]
            return ("GET", f"/ngsi-ld/v1/temporal/entities/{entity}", {"headers": headers, "params": {
                "options": "aggregatedValues", "aggrMethods": "avg,min,max", "aggrPeriodDuration": period,
                "attrs": "pm25", "timerel": "between", "timeAt": iso(since), "endTimeAt": iso(end)}})
        return make

    out = [f"- rollups loaded: {devices:,} devices × {days} days at 1 minute = {rows:,} rollup rows "
           f"({load_seconds:.0f} s)", "", HEADER.replace("p99 ms", "p95 / p99 ms")]
    with server(url, workers=2) as base:
        load("warm-up", base, query("P1D", begin), requests=20, concurrency=2)
        for name, period, since in ((f"{days} days per day (P1D, hourly rollups)", "P1D", begin),
                                    ("last day per minute (PT1M, 1,440 points)", "PT1M", end - 86400)):
            lat: list[float] = []
            with httpx.Client(base_url=base, timeout=30) as client:
                make = query(period, since)
                for i in range(queries):
                    method, path, kw = make(i)
                    t = time.perf_counter()
                    r = client.request(method, path, **kw)
                    lat.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, r.text[:300]
            q = statistics.quantiles(lat, n=100)
            out.append(f"| temporal: {name} | {queries} | {1000 * queries / sum(lat):,.0f} | {q[49]:.1f} "
                       f"| **p95 {q[94]:.1f}** / p99 {q[98]:.1f} | 0 |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--mqtt-url", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--mqtt-rate", type=float, default=2000)
    parser.add_argument("--mqtt-seconds", type=float, default=20)
    parser.add_argument("--temporal-devices", type=int, default=100)
    parser.add_argument("--temporal-days", type=int, default=7)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--write", action="store_true", help="Append the results to bench/RESULTS.md.")
    args = parser.parse_args()
    before = os.getloadavg()
    lines = [f"Machine: {machine()}; load average before {before[0]:.1f} {before[1]:.1f} {before[2]:.1f} "
             "(the box is shared)", ""]
    with scratch_postgres(args.database_url) as url:
        use_settings(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024))
        token, keys = setup(url, args.devices)
        lines += bench_ingest(url, token, args.devices, args.readings, args.batch, args.concurrency)
        lines.append("")
        lines += bench_mqtt(url, keys, args.mqtt_url, args.mqtt_rate, args.mqtt_seconds)
        lines.append("")
        lines += bench_temporal(url, args.temporal_devices, args.temporal_days, args.queries, token)
    after = os.getloadavg()
    lines += ["", f"Load average after: {after[0]:.1f} {after[1]:.1f} {after[2]:.1f}"]
    text_out = "\n".join(lines)
    print(text_out)
    if args.write:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write("\n\n## operations: telemetry ingest, MQTT → alert, temporal queries "
                    f"(`bench/operations_bench.py`, {time.strftime('%Y-%m-%d')})\n\n"
                    f"Command: `{' '.join(['bench/operations_bench.py', *sys.argv[1:]])}`\n\n{text_out}\n")


if __name__ == "__main__":
    main()
