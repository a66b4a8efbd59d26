"""schemathesis over the whole JSON API with many more examples than the suite runs, as each role.

Not a load test: it looks for inputs that get a 5xx or an answer off its declared schema, in
process (the ASGI app, no network), on a scratch database with the full demo. The suite runs the
same thing with a few examples per operation (``tests/web/test_api_fuzz.py``); record what a long
run finds in ``RESULTS.md``.

    .venv/bin/python bench/fuzz_api.py --max-examples 100                 # PostgreSQL (scratch database)
    .venv/bin/python bench/fuzz_api.py --database-url sqlite:///tmp/f.db   # embedded
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from harness import DEFAULT_PG, ROOT, machine, scratch_postgres

sys.path.insert(0, str(ROOT))  # tests.fuzzing, shared with the suite

from tests.fuzzing import ROLES, demo_app, fuzz

from smartgov import db as kernel_db
from smartgov.db import Database
from smartgov.settings import Settings, use_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_PG,
                        help="PostgreSQL server to make a scratch database on, or a sqlite:/// file to create")
    parser.add_argument("--max-examples", type=int, default=100, help="random requests per operation and role")
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--people", type=int, default=30, help="demo people to load")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated, from " + ", ".join(ROLES))
    args = parser.parse_args()
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sgfuzz-")))
        if args.database_url.startswith("sqlite"):
            url = args.database_url
            kernel_db.migrate(url)
        else:
            url = stack.enter_context(scratch_postgres(args.database_url))
        settings = use_settings(Settings(environment="test", database_url=url, data_dir=data_dir,
                                         argon2_time_cost=1, argon2_memory_kib=1024, base_url="http://testserver"))
        database = Database(url)
        stack.callback(database.dispose)
        app, tokens = demo_app(settings, database, people=args.people)
        print(f"# {machine()}; {url.split(':')[0]}; max examples {args.max_examples}; seed {args.seed}")
        print("| role | operations | links followed | requests | 5xx | failures | seconds |\n|---|---|---|---|---|---|---|")
        found = []
        for role in args.roles.split(","):
            report = fuzz(app, tokens[role], max_examples=args.max_examples, seed=args.seed)
            print(f"| {role} | {len(report.operations)} | {report.links} | {report.cases:,} | {report.server_errors} "
                  f"| {len(report.failures)} | {report.seconds:.0f} |", flush=True)
            found += [f"{role}: {failure}" for failure in report.failures]
        for failure in found:
            print(failure)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
