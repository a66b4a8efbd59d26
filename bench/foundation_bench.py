"""Foundation baseline on PostgreSQL with 2 workers: the bare ping route, a readiness check
and an authenticated read, so module benchmarks can be compared with the same app's floor.

    .venv/bin/python bench/foundation_bench.py [--requests 5000] [--database-url URL]
"""

from __future__ import annotations

import argparse

import httpx
from harness import DEFAULT_PG, HEADER, load, machine, scratch_postgres, server

from smartgov.db import Database
from smartgov.identity import service
from smartgov.identity.models import Role
from smartgov.settings import Settings, use_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    with scratch_postgres(args.database_url) as url:
        use_settings(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=8192))
        database = Database(url)
        with database.unit_of_work() as db:
            person = service.create_person(db, national_code="0012345679", first_name_fa="مریم", last_name_fa="احمدی",
                                           first_name_en="Maryam", last_name_en="Ahmadi",
                                           birth_date=__import__("datetime").date(1985, 3, 21))
            service.create_account(db, username="bench", password="Load-test-pass-2026", role=Role.CITIZEN, person=person, proof="registry")
        database.dispose()
        with server(url, workers=2) as base:
            token = httpx.post(base + "/api/v1/identity/tokens", json={
                "username": "bench", "password": "Load-test-pass-2026", "scopes": ["read"]}).json()["token"]
            auth = {"headers": {"Authorization": f"Bearer {token}"}}
            results = [
                load("GET /api/v1/ping (no database)", base, lambda i: ("GET", "/api/v1/ping", {}),
                     requests=args.requests, concurrency=args.concurrency),
                load("GET /api/v1/health (SELECT 1)", base, lambda i: ("GET", "/api/v1/health", {}),
                     requests=args.requests, concurrency=args.concurrency),
                load("GET /api/v1/identity/me (token)", base, lambda i: ("GET", "/api/v1/identity/me", auth),
                     requests=args.requests, concurrency=args.concurrency),
            ]
    print(f"Machine: {machine()}\n\n{HEADER}")
    for r in results:
        print(r.row())


if __name__ == "__main__":
    main()
