"""Rollup throughput: can the analytics rollups keep pace with 1,000 submissions a second?

Run: ``PYTHONPATH=src .venv/bin/python bench/analytics_bench.py [--url URL] [--submissions 20000] [--batch 2000]``.
Writes the events a submission stores (``SUBMITTED`` and the "received" e-mail and SMS requests,
plus a decision for half of them) as the group writer does, through ``events.rows`` in bulk, into a
fresh database (a temporary SQLite file by default; a PostgreSQL URL to an empty, migrated database
otherwise), then times ``rollups.roll_pending`` (what the worker runs) and ``rollups.rebuild``.
Reports events/s and submissions/s. Nothing here is a test: targets are reported, not asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time

from sqlalchemy import insert

from smartgov import app as _app  # noqa: F401 - imports every module: names declared, subscribers known
from smartgov import events
from smartgov.analytics import rollups
from smartgov.db import Database, migrate
from smartgov.notifications import EMAIL_REQUESTED, SMS_REQUESTED
from smartgov.services.events import SUBMITTED, TRANSITIONED


def submission_events(case_id: int, at: dt.datetime, rng: random.Random) -> list[events.Event]:
    service = rng.choice(["insurance.record", "insurance.pension", "services.address-change", "insurance.medical"])
    agency, branch = 1, rng.randint(2, 32)
    common = {"application_id": case_id, "reference": f"R-{case_id}", "service_id": service, "version": 1,
              "agency_id": agency, "agency": "sso", "applicant_id": case_id, "state": "submitted",
              "branch_id": branch, "submitted_at": at.isoformat()}
    found = [events.Event(SUBMITTED, {**common, "fee": 0, "relationship": "G2C", "organization_id": None,
                                      "channel": rng.choice(["web", "api", "api", "branch"])}, case_id, at),
             events.Event(EMAIL_REQUESTED, {"to": "a@example.ir", "template": "services.submitted"}, None, at),
             events.Event(SMS_REQUESTED, {"to": "09120000000", "template": "services.submitted"}, None, at)]
    if case_id % 2:
        decided = at + dt.timedelta(hours=rng.randint(1, 24 * 20))
        found.append(events.Event(TRANSITIONED, {**common, "state": "approved", "from_state": "in_review",
                                                 "to_state": "approved", "action": "approve", "automatic": False,
                                                 "terminal": True, "reason": None, "fee": 0, "awaits_applicant": False,
                                                 "sla_met": rng.random() < 0.8, "waited_seconds": 10}, 2, decided))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=None)
    parser.add_argument("--submissions", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=rollups.BATCH)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/analytics-bench.sqlite"
    if args.url is None:
        migrate(url)
    database = Database(url)
    rng = random.Random(17)
    start = dt.datetime(2026, 1, 1, 6, tzinfo=dt.UTC)
    n_events = 0
    t0 = time.perf_counter()
    for first in range(1, args.submissions + 1, 1000):
        rows = []
        for case_id in range(first, min(first + 1000, args.submissions + 1)):
            for evt in submission_events(case_id, start + dt.timedelta(seconds=case_id * 30), rng):
                rows.append(events.rows(evt)[0])
        with database.unit_of_work() as db:
            db.execute(insert(events.EventRecord), rows)
        n_events += len(rows)
    written = time.perf_counter() - t0
    t0 = time.perf_counter()
    counted = rollups.roll_pending(database, batch=args.batch)
    rolled = time.perf_counter() - t0
    t0 = time.perf_counter()
    rollups.rebuild(database, batch=args.batch)
    rebuilt = time.perf_counter() - t0
    load = os.getloadavg()
    backend = "PostgreSQL" if database.is_postgres else "SQLite"
    print(f"backend {backend}; {args.submissions} submissions, {n_events} events (written in {written:.1f} s)")
    print(f"incremental: {counted} events in {rolled:.2f} s = {counted / rolled:,.0f} events/s "
          f"= {args.submissions / rolled:,.0f} submissions/s")
    print(f"rebuild:     {n_events} events in {rebuilt:.2f} s = {n_events / rebuilt:,.0f} events/s")
    print(f"load average while it ran: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    database.dispose()


if __name__ == "__main__":
    main()
