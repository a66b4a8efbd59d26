"""Dashboards over 1,000,000 applications: latency of the public and internal pages read from rollups.

Run: ``PYTHONPATH=src .venv/bin/python bench/dashboards_bench.py [--applications 1000000] [--requests 60]
[--database-url postgresql+psycopg://...]``. It migrates a fresh database (SQLite in a temporary
folder unless a URL is given), counts ``--applications`` submissions spread over a year (20 services,
5 agencies of 6 branches, four in five decided) into the rollups through the analytics core's own
``rollups.apply`` (the events are made in memory: the event store is not what is measured), then
times each page ``--requests`` times through the ASGI app (after a warm-up) and prints p50/p95/max.
Nothing here is a test: the target (p95 < 200 ms) is reported, not asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time

from fastapi.testclient import TestClient
from harness import in_process
from sqlalchemy import func, select

from smartgov import clock
from smartgov.analytics import rollups
from smartgov.analytics.models import Rollup
from smartgov.app import create_app
from smartgov.db import Database
from smartgov.events import Event
from smartgov.services.events import SUBMITTED, TRANSITIONED

TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))


def seed(database: Database, applications: int, end: dt.date, batch: int = 50_000) -> float:
    """Count ``applications`` submissions (and four in five decisions) into the rollups; returns seconds."""
    rng = random.Random(17)
    services = [f"svc-{i:02d}" for i in range(20)]
    started = time.perf_counter()
    made = 0
    while made < applications:
        found: list[Event] = []
        for case_id in range(made, min(applications, made + batch)):
            day = end - dt.timedelta(days=rng.randrange(365))
            when = dt.datetime.combine(day, dt.time(rng.randrange(8, 16)), TEHRAN).astimezone(dt.UTC)
            agency = 1 + rng.randrange(5)
            branch = 100 + agency * 10 + rng.randrange(6)
            common = {"application_id": case_id, "service_id": rng.choice(services), "agency_id": agency,
                      "branch_id": branch}
            found.append(Event(SUBMITTED, {**common, "channel": rng.choice(("web", "web", "api", "sms", "counter")),
                                           "submitted_at": when.isoformat()}, occurred_at=when))
            if rng.random() < 0.8:
                decided = when + dt.timedelta(hours=rng.expovariate(1 / 96))
                found.append(Event(TRANSITIONED, {**common, "terminal": True, "action": "approve",
                                                  "submitted_at": when.isoformat(), "sla_met": rng.random() < 0.85,
                                                  "awaits_applicant": False}, occurred_at=decided))
        with database.unit_of_work() as db:
            rollups.apply(db, found)
        made += batch
    return time.perf_counter() - started


def timed(client: TestClient, path: str, requests: int) -> tuple[float, float, float, float]:
    """(cold, p50, p95, max) in ms: cold is the first view, computed from the rollups; the others are
    later views, which the analytics surface answers from what it remembered until the rollups change."""
    start = time.perf_counter()
    assert client.get(path).status_code == 200, path
    cold = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return cold, statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], times[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    settings, database = in_process(args.database_url, "dash-bench-")
    end = clock.today()
    seconds = seed(database, args.applications, end)
    with database.sessions() as db:
        cells = db.scalar(select(func.count()).select_from(Rollup))
    print(f"seeded {args.applications:,} applications in {seconds:.1f} s; rollup rows: {cells}")
    print(f"load average before timing: {os.getloadavg()}")
    app = create_app(settings, database)
    pages = {
        "public, national, 12 months by month": "/dashboards",
        "public, national, 30 days by day": "/dashboards?grain=day",
        "public, one service, 12 months": "/dashboards?service=svc-03",
        "public CSV of one chart": "/dashboards/csv/applications_received",
        "print view": "/dashboards/print",
    }
    with TestClient(app, base_url="http://testserver") as client:
        for name, path in pages.items():
            cold, p50, p95, worst = timed(client, path, args.requests)
            print(f"{name:40s} cold {cold:7.1f} ms  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {worst:7.1f} ms")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
