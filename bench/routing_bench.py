"""What routing a case to its branch adds to the submission's one read, on PostgreSQL.

    .venv/bin/python bench/routing_bench.py [--citizens 300] [--reads 3000] [--database-url URL]

The group-commit submission path (``services/intake.py``) reads the token, account, person, the
published version, the key and the uploads in one statement; routing adds a column to it: the
branch serving the person's province in the agency's subtree (``routing.province_branch``, a
correlated recursive query over the organization tree). This times that statement, as the
submission runs it (``Database.first``), with and without the column, alternating in rounds,
over a scratch database set up as ``services_bench.py`` sets it up plus the 31 provincial
branches of SSO and citizens spread over the provinces. The inbox query keeps its shape (the
branch instead of the agency, with the index moved to it), so it is not timed here.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from harness import DEFAULT_PG, machine, scratch_postgres
from services_bench import setup

PROVINCES = ("Alborz", "Ardabil", "Bushehr", "Chaharmahal and Bakhtiari", "East Azerbaijan", "Fars", "Gilan",
             "Golestan", "Hamadan", "Hormozgan", "Ilam", "Isfahan", "Kerman", "Kermanshah", "Khuzestan",
             "Kohgiluyeh and Boyer-Ahmad", "Kurdistan", "Lorestan", "Markazi", "Mazandaran", "North Khorasan",
             "Qazvin", "Qom", "Razavi Khorasan", "Semnan", "Sistan and Baluchestan", "South Khorasan", "Tehran",
             "West Azerbaijan", "Yazd", "Zanjan")


def branches(url: str) -> None:
    """SSO's provincial branches, and each citizen living in one of their provinces."""
    from sqlalchemy import select

    from smartgov.db import Database
    from smartgov.identity import service as identity
    from smartgov.identity.models import OrgKind, Person

    database = Database(url)
    with database.unit_of_work() as db:
        for i, province in enumerate(PROVINCES):
            identity.create_organization(db, code=f"sso-{i:02d}", kind=OrgKind.AGENCY, name_fa=f"شعبهٔ {i}",
                                         name_en=f"Branch {i}", parent_code="sso", province=province)
        for i, person in enumerate(db.scalars(select(Person).order_by(Person.id))):
            person.province = PROVINCES[i % len(PROVINCES)]
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    from smartgov.db import Database
    from smartgov.identity import service as identity
    from smartgov.services import intake
    from smartgov.services.models import DefinitionStatus

    with scratch_postgres(args.database_url) as url:
        people, _, _ = setup(url, args.citizens, 0, 0)
        branches(url)
        database = Database(url)
        routed = intake._applicant_query()
        plain = routed.with_only_columns(*(c for c in routed.selected_columns if c.key != "province_branch"))

        def params(n: int) -> dict[str, Any]:
            raw, _ = people[n % len(people)]
            return {"token_hash": identity.sha256(raw), "service_id": "address-change", "key": f"k{n}",
                    "published": DefinitionStatus.PUBLISHED.value, "refs": ["none-1", "none-2"]}

        found = database.first(routed, params(0))
        assert found is not None and found.province_branch is not None, "the branch was not found"
        times: dict[str, list[float]] = {"without routing": [], "with routing": []}
        for n in range(args.reads):
            for name, stmt in (("without routing", plain), ("with routing", routed)):
                start = time.perf_counter()
                database.first(stmt, params(n))
                times[name].append((time.perf_counter() - start) * 1000)
        database.dispose()
    print(f"# routing_bench — {machine()}; {args.citizens} citizens, 31 branches, {args.reads} reads each")
    for name, spent in times.items():
        spent.sort()
        print(f"{name:>16}: p50 {statistics.median(spent):.3f} ms, p99 {spent[int(len(spent) * 0.99)]:.3f} ms")


if __name__ == "__main__":
    main()
