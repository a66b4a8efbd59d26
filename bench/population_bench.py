"""Population import on PostgreSQL: the import of N persons against a raw COPY of the same file, in
the same run, then workshops and employment, then lookups by national code.

    .venv/bin/python bench/population_bench.py [--people 1000000] [--database-url URL] [--dir DIR]
                                               [--lookups 20000] [--keep-files]

1. ``insurance/synthetic.py`` writes the three files (plain CSV, so neither side pays for gzip).
2. **Raw COPY**: the persons file streamed as it is (``COPY … FROM STDIN (FORMAT csv, HEADER)``,
   1 MiB blocks from this process, as the import's rows come) into a table of the file's columns
   and types with its one key (``national_code`` primary key): no check, no second table.
3. **Import**: ``bulkimport.import_file(persons)`` — every row checked in Python (check digit,
   names, dates, province, status), people written through ``identity.bulk`` (identity_person:
   three indexes) and the insured rows (insurance_insured_person: four indexes), a checkpoint per
   chunk. Then workshops and employment (references checked per chunk).
4. **Lookups**: ``identity.person_by_code`` through identity's surface (a session, the ORM row) for
   random known codes, one at a time: p50 and p99.

Prints the machine, the date, the load average before and after, each phase's time and the ratio of
the persons import to the raw COPY; the scratch database is dropped and the files removed at the
end (``--keep-files`` keeps them). 45,000,000 people need about 6 GB of CSV and 25 GB of database.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from harness import DEFAULT_PG, machine, scratch_postgres
from sqlalchemy.engine import make_url

from smartgov import clock, identity
from smartgov.db import Database
from smartgov.insurance import bulkimport, synthetic
from smartgov.settings import Settings, use_settings

RAW_TABLE = """CREATE TABLE bench_raw_persons (
    national_code varchar(10) PRIMARY KEY, first_name_fa varchar(100) NOT NULL, last_name_fa varchar(100) NOT NULL,
    first_name_en varchar(100) NOT NULL, last_name_en varchar(100) NOT NULL, birth_date date NOT NULL,
    gender varchar(1), province varchar(40), phone varchar(20), status varchar(20) NOT NULL)"""


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def raw_copy(url: str, path: Path) -> float:
    """Seconds to COPY the file as it is into a table of its columns (created and dropped here)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        conn.execute(RAW_TABLE)
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bench_raw_persons FROM STDIN (FORMAT csv, HEADER)") as copy, \
                path.open("rb") as f:
            while block := f.read(1 << 20):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_raw_persons")
        conn.commit()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--dir", type=Path, default=None, help="Where the CSV files go (default: a temporary folder).")
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="Processes checking rows (the import's --jobs).")
    parser.add_argument("--keep-files", action="store_true")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="sgpop-"))
    print(machine(), "·", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "· load", load_average())
    started = time.perf_counter()
    files = synthetic.write_files(folder, args.people, seed=args.seed, gz=False)
    print(f"generate: {files.people:,} people, {files.workshop_count:,} workshops, {files.spells:,} spells in "
          f"{time.perf_counter() - started:,.1f} s ({files.persons.stat().st_size / 2**20:,.0f} MiB of persons)")
    try:
        with scratch_postgres(args.database_url) as url:
            use_settings(Settings(environment="test", database_url=url, data_dir=folder / "data",
                                  secret_key="bench-secret-key-that-is-long-enough-0123456789"))  # type: ignore[arg-type]
            database = Database(url)
            raw = raw_copy(url, files.persons)
            print(f"raw COPY persons: {raw:,.1f} s ({args.people / raw:,.0f} rows/s) · load {load_average()}")
            times = {}
            for kind, path in (("persons", files.persons), ("workshops", files.workshops),
                               ("employment", files.employment)):
                began, cpu = time.perf_counter(), os.times()
                report = bulkimport.import_file(database, kind, path, rejects_path=folder / f"{kind}.rejects.csv",
                                                jobs=args.jobs)
                times[kind] = time.perf_counter() - began
                spent = os.times()
                client = sum(spent[:4]) - sum(cpu[:4])  # this process and the checking processes
                print(f"import {kind}: {report.accepted:,} accepted, {report.rejected:,} rejected in {times[kind]:,.1f} s "
                      f"({report.accepted / times[kind]:,.0f} rows/s; client CPU {client:,.1f} s) · load {load_average()}")
            print(f"persons import / raw COPY = {times['persons'] / raw:.2f} (--jobs {args.jobs})")
            rng = random.Random(args.seed)
            codes = [synthetic.national_code(rng.randrange(args.people)) for _ in range(args.lookups)]
            latencies = []
            with database.sessions() as db:
                for code in codes:
                    began = time.perf_counter()
                    found = identity.person_by_code(db, code)
                    latencies.append((time.perf_counter() - began) * 1000)
                    assert found is not None or len(set(code[:9])) == 1, code
                    db.expunge_all()
            latencies.sort()
            p50 = statistics.median(latencies)
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(f"lookup by national code ({args.lookups:,}, identity.person_by_code): p50 {p50:.2f} ms, "
                  f"p99 {p99:.2f} ms · load {load_average()}")
            sql = []  # the same look-up as one prepared statement: the index's part, without the ORM's
            dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(dsn, prepare_threshold=0) as conn:
                for code in codes:
                    began = time.perf_counter()
                    conn.execute("SELECT * FROM identity_person WHERE national_code = %s", (code,)).fetchone()
                    sql.append((time.perf_counter() - began) * 1000)
            sql.sort()
            print(f"lookup by national code, one prepared statement: p50 {statistics.median(sql):.2f} ms, "
                  f"p99 {sql[int(len(sql) * 0.99) - 1]:.2f} ms · load {load_average()}")
            total = sum(times.values())
            print(f"SUMMARY people={args.people:,} raw_copy={raw:.1f}s persons={times['persons']:.1f}s "
                  f"ratio={times['persons'] / raw:.2f} workshops={times['workshops']:.1f}s "
                  f"employment={times['employment']:.1f}s all={total:.1f}s lookup_p99={p99:.2f}ms "
                  f"load={load_average()} date={clock.today()}")
            database.dispose()
    finally:
        if not args.keep_files:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
