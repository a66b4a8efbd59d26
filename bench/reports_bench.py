"""Quarterly performance reports and the platform datasets on the demo history: how long the worker's jobs take.

Run: ``PYTHONPATH=src .venv/bin/python bench/reports_bench.py [--quarters 4] [--people 200]
[--database-url postgresql+psycopg://...]``. It migrates a fresh database (SQLite in a temporary
folder unless a URL is given), loads the whole demo (``smartgov demo``: two years of applications
counted into the rollups by the analytics demo, plus every module's demo data), then times, per
finished quarter (newest ``--quarters``): making the quarter's reports (national and every agency with
applications: read from the rollups, suppressed, signed, two PDFs each) in one transaction, and making
them again (nothing changed: no new revision). Then the daily refresh of the platform's datasets (every
public KPI × 24 months × national/agency/service, and the reports' datasets), forced, twice.
Nothing here is a test: figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import time

from harness import in_process
from sqlalchemy import func, select

from smartgov import clock, demo
from smartgov.app import create_app
from smartgov.events import EventRecord
from smartgov.transparency import platform_data, reports
from smartgov.transparency.models import Resource


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=4)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    settings, database = in_process(args.database_url, "reports-bench-")
    create_app(settings, database)  # every module imported: events declared, subscribers known
    started = time.perf_counter()
    demo.load(database, people=args.people)
    with database.sessions() as db:
        events = db.scalar(select(func.count()).select_from(EventRecord))
    print(f"demo loaded in {time.perf_counter() - started:.1f} s; {events:,} events; database {settings.database_url.split(':')[0]}")
    print(f"load average before timing: {os.getloadavg()}")

    quarter = reports.Quarter.last_finished(clock.today())
    quarters = []
    for _ in range(args.quarters):
        quarters.append(quarter)
        quarter = quarter.previous
    for q in reversed(quarters):
        for attempt in ("first", "again"):
            start = time.perf_counter()
            with database.unit_of_work() as db:
                made = reports.make_quarter(db, q)
                revisions = [r.revision for r in made]
                scopes = [r.scope for r in made]
                pdf_kb = sum(len(r.pdf_fa) + len(r.pdf_en) for r in made) / 1024
            seconds = time.perf_counter() - start
            print(f"{q} reports ({attempt:5s}): {seconds:6.2f} s for {len(made)} "
                  f"({', '.join(scopes)}; revisions {revisions}; PDFs {pdf_kb:.0f} KB)")

    for attempt in ("first", "again"):
        start = time.perf_counter()
        count = platform_data.refresh(database, force=True)
        seconds = time.perf_counter() - start
        with database.sessions() as db:
            rows = db.scalar(select(func.sum(Resource.row_count)))
        print(f"platform datasets refresh ({attempt:5s}): {seconds:6.2f} s for {count} datasets, {rows:,} rows in the datastore")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
