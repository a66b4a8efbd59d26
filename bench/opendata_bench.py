"""Open data on PostgreSQL: ``package_search`` over 10,000 datasets and ``datastore_search`` with filters
on a 1,000,000-row resource, through CKAN's Action API on ``smartgov serve --workers 2``.

    .venv/bin/python bench/opendata_bench.py [--datasets 10000] [--rows 1000000] [--requests 1000]
                                             [--concurrency 1] [--database-url postgresql://…]

1. A scratch database is migrated; 20 agencies are made; ``--datasets`` datasets with Persian and English
   titles, notes, tags and a link resource each are published through ``transparency.service``
   (the same code as ``package_create``), 500 per transaction.
2. One resource gets ``--rows`` rows (province, year, month, category, amount, day) through
   ``datastore.replace_rows`` (the code an upload runs after its file is read: typed JSON rows, the
   cell index, ANALYZE); then VACUUM ANALYZE, as autovacuum does soon after a big insert.
3. ``smartgov serve --workers 2`` starts; ``--requests`` requests of each kind go one after another
   (``--concurrency 1``: the latency a caller sees) and the p50/p95/p99 are reported:
   package_search with Persian words (Arabic letters and Persian digits mixed in), with
   ``fq=organization:…`` and four facets, and a plain page of everything; datastore_search with one
   filter, with two filters, with a filter and a sort, and a page deep into the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from harness import DEFAULT_PG, machine, scratch_postgres, server

PROVINCES = ["تهران", "اصفهان", "فارس", "خراسان رضوی", "آذربایجان شرقی", "خوزستان", "مازندران", "گیلان", "کرمان",
             "البرز", "قم", "یزد", "همدان", "کرمانشاه", "لرستان", "مرکزی", "زنجان", "قزوین", "اردبیل", "سمنان",
             "بوشهر", "هرمزگان", "سیستان و بلوچستان", "کردستان", "گلستان", "چهارمحال و بختیاری", "ایلام",
             "کهگیلویه و بویراحمد", "خراسان شمالی", "خراسان جنوبی", "آذربایجان غربی"]
SUBJECTS = ["بودجه", "جمعیت", "اشتغال", "بیمه", "مستمری", "آموزش", "سلامت", "حمل و نقل", "کیفیت هوا", "آب",
            "انرژی", "کشاورزی", "صنعت", "تجارت", "گردشگری", "مسکن", "درآمد", "هزینه", "قیمت", "مالیات"]
KINDS = ["گزارش", "آمار", "فهرست", "شاخص", "سری زمانی"]


def populate(url: str, datasets: int, rows: int) -> str:
    """Agencies, datasets and one big resource; returns the big resource's id."""
    from smartgov.db import Database
    from smartgov.identity import OrgKind, create_organization
    from smartgov.transparency import datastore, service

    rng = random.Random(1405)
    database = Database(url)
    with database.unit_of_work() as db:
        for i in range(20):
            create_organization(db, code=f"agency-{i}", kind=OrgKind.AGENCY, name_fa=f"سازمان {SUBJECTS[i]}",
                                name_en=f"Agency {i}")
    t0 = time.perf_counter()
    for start in range(0, datasets, 500):
        with database.unit_of_work() as db:
            for i in range(start, min(start + 500, datasets)):
                subject, kind, province = rng.choice(SUBJECTS), rng.choice(KINDS), rng.choice(PROVINCES)
                year = rng.randint(1390, 1403)
                service.create_dataset(db, None, {
                    "name": f"ds-{i}", "title": f"{kind} {subject} استان {province} سال {year}",
                    "title_en": f"{subject} {i}", "notes": f"داده‌های {subject} در استان {province} برای سال {year}.",
                    "owner_org": f"agency-{rng.randrange(20)}", "tags": [subject, province],
                    "license_id": rng.choice(["cc-by", "odc-odbl", "cc-zero"]),
                    "resources": [{"name": "csv", "url": f"https://data.example.ir/{i}.csv",
                                   "format": rng.choice(["CSV", "XLSX", "JSON"])}]})
    print(f"{datasets:,} datasets published in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    with database.unit_of_work() as db:
        dataset = service.create_dataset(db, None, {"name": "big-table", "title": "جدول بزرگ", "owner_org": "agency-0"})
        res = service._resource_from(db, dataset, {"name": "rows"}, 0, None, field="")
        fields = [datastore.Field("province", "text", "t0"), datastore.Field("year", "int", "n1"),
                  datastore.Field("month", "int", "n2"), datastore.Field("category", "text", "t3"),
                  datastore.Field("amount", "numeric", "n4"), datastore.Field("day", "date", "d5")]
        day0 = dt.date(2011, 3, 21)
        records = [{"t0": rng.choice(PROVINCES), "n1": rng.randint(1390, 1403), "n2": rng.randint(1, 12),
                    "t3": f"{rng.choice(SUBJECTS)} {rng.randrange(5)}", "n4": round(rng.uniform(0, 1e9), 2),
                    "d5": (day0 + dt.timedelta(days=rng.randrange(5000))).isoformat()} for _ in range(rows)]
        datastore.replace_rows(db, res, fields, records)
        rid = res.id
    print(f"{rows:,} rows loaded (typed, indexed, analyzed) in {time.perf_counter() - t0:.0f} s", flush=True)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        from sqlalchemy import text

        for table in ("transparency_datastore_row", "transparency_datastore_cell", "transparency_dataset",
                      "transparency_tag", "transparency_resource"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))  # what autovacuum does soon after a big insert
    database.dispose()
    return rid


def timed(base: str, name: str, make: object, requests: int) -> str:
    lat: list[float] = []
    errors = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(min(20, requests)):  # warm the connection and the server's caches
            path, params = make(i)  # type: ignore[operator]
            client.get(path, params=params)
        t0 = time.perf_counter()
        for i in range(requests):
            path, params = make(i)  # type: ignore[operator]
            s = time.perf_counter()
            r = client.get(path, params=params)
            lat.append((time.perf_counter() - s) * 1000)
            if r.status_code != 200 or not r.json().get("success"):
                errors += 1
        elapsed = time.perf_counter() - t0
    q = statistics.quantiles(lat, n=100)
    print(f"  {name}: p95 {q[94]:.1f} ms", flush=True)
    return (f"| {name} | {requests:,} | {requests / elapsed:,.0f} | {q[49]:.1f} | {q[94]:.1f} | {q[98]:.1f} "
            f"| {errors} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("SMARTGOV_BENCH_DATABASE_URL", DEFAULT_PG))
    args = parser.parse_args()
    rng = random.Random(7)
    with scratch_postgres(args.database_url) as url:
        rid = populate(url, args.datasets, args.rows)
        with server(url, workers=2) as base:
            api = "/api/3/action/"
            words = ["بودجه", "جمعيت تهران", "كيفيت هوا", "۱۴۰۲", "آمار اشتغال", "مسکن اصفهان", "قیمت", "بیمه فارس"]
            facets = '["organization","tags","res_format","license_id"]'
            out = [f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f}",
                   "| what | requests | per second | p50 ms | p95 ms | p99 ms | errors |",
                   "|---|---|---|---|---|---|---|"]
            out.append(timed(base, f"package_search q=<Persian words>, {args.datasets:,} datasets",
                             lambda i: (api + "package_search", {"q": words[i % len(words)]}), args.requests))
            out.append(timed(base, "package_search q + fq=organization + 4 facets",
                             lambda i: (api + "package_search", {"q": words[i % len(words)], "facet.field": facets,
                                                                 "fq": f"organization:agency-{i % 20}"}),
                             args.requests))
            out.append(timed(base, "package_search everything, 4 facets, rows=20 start=…",
                             lambda i: (api + "package_search", {"facet.field": facets, "rows": 20,
                                                                 "start": (i * 37) % 2000}), args.requests))
            out.append(timed(base, f"datastore_search filters={{province}}, {args.rows:,} rows",
                             lambda i: (api + "datastore_search", {
                                 "resource_id": rid, "filters": f'{{"province": "{PROVINCES[i % 31]}"}}'}),
                             args.requests))
            out.append(timed(base, "datastore_search filters={province, year}",
                             lambda i: (api + "datastore_search", {
                                 "resource_id": rid,
                                 "filters": f'{{"province": "{PROVINCES[i % 31]}", "year": {1390 + i % 14}}}'}),
                             args.requests))
            out.append(timed(base, "datastore_search filters={year} sort=amount desc",
                             lambda i: (api + "datastore_search", {
                                 "resource_id": rid, "filters": f'{{"year": {1390 + i % 14}}}',
                                 "sort": "amount desc"}), args.requests))
            out.append(timed(base, "datastore_search no filter, offset deep",
                             lambda i: (api + "datastore_search", {
                                 "resource_id": rid, "offset": rng.randrange(0, 10_000)}), args.requests))
            out.append(f"load average after: {os.getloadavg()[0]:.2f}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
