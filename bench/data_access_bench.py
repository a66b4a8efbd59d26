"""Who read my data, grouped (#19 item 7): the time of one page (the count of lines and 50 lines)
for a person read a hundred times and for one read 20,000 times, among 220,000 reads.

Why: the page groups in SQL (``privacy.grouped_accesses_stmt``) over the person's rows, found by
``ix_exchange_person_access_person_at``; ``--probe-index`` also times the page with a covering
index on the grouping columns, to show whether a migration would pay.

    PYTHONPATH=src .venv/bin/python bench/data_access_bench.py --url sqlite:////tmp/access.db
    PYTHONPATH=src .venv/bin/python bench/data_access_bench.py --url postgresql://postgres@127.0.0.1/bench
(the database must be empty or new; it is migrated and filled.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from smartgov import db as kernel_db
from smartgov.exchange import privacy
from smartgov.exchange.models import PersonDataAccess
from smartgov.web.pagination import PageParams, paginate_rows

HEAVY, TYPICAL = "9999999999", "0000000007"
INDEXES = {"7 columns": "national_code, source, agency_code, actor_account_id, what, purpose, at",
           "9 columns": "national_code, source, agency_code, actor_account_id, what, purpose, at, hidden_until, id"}


def fill(session: Session, rows: int, heavy: int) -> None:
    t0, rng = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), random.Random(1)
    batch = [dict(national_code=f"{rng.randrange(2000):010}", at=t0 + dt.timedelta(minutes=i), source="view",
                  agency_code="sso", actor_account_id=rng.randrange(50), what=f"case-{rng.randrange(20)}",
                  purpose="case-handling") for i in range(rows)]
    # the heavy person: 20 officials reopening 100 records
    batch += [dict(national_code=HEAVY, at=t0 + dt.timedelta(minutes=i), source="view", agency_code="sso",
                   actor_account_id=rng.randrange(20), what=f"case-{rng.randrange(100)}", purpose="case-handling")
              for i in range(heavy)]
    for k in range(0, len(batch), 10_000):
        session.execute(insert(PersonDataAccess), batch[k:k + 10_000])
    session.commit()


def timed(session: Session, label: str, repeats: int) -> None:
    for code in (TYPICAL, HEAVY):
        stmt = privacy.grouped_accesses_stmt(code, 1)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            _rows, total = paginate_rows(session, stmt, PageParams(page=1, per_page=50))
            times.append(time.perf_counter() - start)
        print(f"{label:>14} | person {code} | {total:>5} lines | median {statistics.median(times) * 1000:7.1f} ms"
              f" | best {min(times) * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rows", type=int, default=200_000, help="reads of 2,000 other people")
    parser.add_argument("--heavy", type=int, default=20_000, help="reads of the one heavily read person")
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--probe-index", action="store_true", help="also time with a covering index")
    args = parser.parse_args()
    kernel_db.migrate(args.url)
    engine = create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"))
    postgres = engine.dialect.name == "postgresql"
    with Session(engine) as session:
        fill(session, args.rows, args.heavy)
        if postgres:
            session.execute(text("ANALYZE exchange_person_access"))
        timed(session, "no new index", args.repeats)
    for label, columns in INDEXES.items() if args.probe_index else ():
        with engine.begin() as conn:
            conn.execute(text(f"CREATE INDEX ix_probe ON exchange_person_access ({columns})"))
            if postgres:
                conn.execute(text("ANALYZE exchange_person_access"))
        with Session(engine) as session:
            timed(session, label, args.repeats)
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_probe"))


if __name__ == "__main__":
    main()
