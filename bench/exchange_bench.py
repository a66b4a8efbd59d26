"""Exchange round trips between two smartgov instances on loopback (PostgreSQL).

    .venv/bin/python bench/exchange_bench.py [--requests 2000] [--threads 1,8] [--posts 5000]

Two scratch databases, two ``smartgov serve --workers 2`` servers: instance A hosts the
social-security organization (client subsystem ``IR/GOV/sso/pension``), instance B the civil
registry (``person-status``). Each trusts the other's public keys through
``/api/v1/exchange/configuration``.

1. **Round trips**: ``exchange.fetch`` run as A's calling code would run it (this process, on A's
   database): build and sign the request with A's key, log it, POST to B; B checks the
   signature, clock, replay, access right and purpose, reads the person, signs the answer, logs
   both messages and the person's access; A verifies the answer's signature and schema and logs
   it. One transaction per call on each side. Measured with 1 and N calling threads.
2. **Receiver only**: pre-signed requests POSTed to B with an asyncio client, to separate B's
   cost from the caller's.

On the 2-core box the bench process, both servers and PostgreSQL share two cores.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid

import httpx
from harness import DEFAULT_PG, HEADER, Result, load, machine, scratch_postgres, server

from smartgov import clock
from smartgov.db import Database
from smartgov.exchange import envelope as env
from smartgov.exchange import providers, service
from smartgov.identity import create_organization, create_person, nationalcode
from smartgov.identity.models import OrgKind
from smartgov.settings import Settings, use_settings


def setup_a(url: str) -> None:
    with Database(url).unit_of_work() as db:
        create_organization(db, code="sso", kind=OrgKind.AGENCY, name_fa="تأمین اجتماعی", name_en="SSO")
        service.ensure_purpose(db, "pension-claim", "مستمری", "Pension claim")
        member = service.create_member(db, instance="IR", member_class="GOV", member_code="sso", name_fa="تأمین",
                                       name_en="SSO", organization_code="sso")
        service.create_subsystem(db, member, "pension")


def setup_b(url: str, people: int) -> list[str]:
    codes = [nationalcode.make(f"{500_000_000 + i:09d}") for i in range(people)]
    with Database(url).unit_of_work() as db:
        create_organization(db, code="nocr", kind=OrgKind.AGENCY, name_fa="ثبت احوال", name_en="NOCR")
        service.ensure_purpose(db, "pension-claim", "مستمری", "Pension claim")
        member = service.create_member(db, instance="IR", member_class="GOV", member_code="nocr", name_fa="ثبت",
                                       name_en="NOCR", organization_code="nocr")
        sub = service.create_subsystem(db, member, "registry")
        service.create_service(db, sub, code="person-status", name_fa="وضعیت", name_en="Status",
                               response_schema=providers.PERSON_STATUS_SCHEMA)
        for i, code in enumerate(codes):
            import datetime as dt

            create_person(db, national_code=code, first_name_fa="مریم", last_name_fa="احمدی", first_name_en="Maryam",
                          last_name_en="Ahmadi", birth_date=dt.date(1960, 1, 1) + dt.timedelta(days=i % 5000))
    return codes


def connect(url_a: str, base_a: str, url_b: str, base_b: str) -> None:
    config_a = httpx.get(base_a + "/api/v1/exchange/configuration").json()
    config_b = httpx.get(base_b + "/api/v1/exchange/configuration").json()
    with Database(url_a).unit_of_work() as db:
        service.import_configuration(db, config_b, base_b)
    with Database(url_b).unit_of_work() as db:
        service.import_configuration(db, config_a, base_a)
        service.grant_access(db, service.subsystem(db, "IR/GOV/sso/pension"),
                             service.services_by_code(db, "person-status")[0], legal_basis_fa="قانون",
                             legal_basis_en="Law", purposes=["pension-claim"])


def round_trips(url_a: str, codes: list[str], requests: int, threads: int) -> Result:
    database = Database(url_a)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        nonlocal errors
        for i in counter:
            t0 = time.perf_counter()
            with database.unit_of_work() as db:
                result = service.fetch(db, "IR/GOV/sso/pension", "person-status", codes[i % len(codes)],
                                       "pension-claim")
            with lock:
                latencies.append(time.perf_counter() - t0)
                errors += 0 if result.ok else 1

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    database.dispose()
    q = statistics.quantiles(latencies, n=100)
    return Result(f"round trip A→B, {threads} calling thread(s)", requests, elapsed, errors, q[49] * 1000,
                  q[98] * 1000)


def receiver_only(url_a: str, base_b: str, codes: list[str], posts: int) -> Result:
    with Database(url_a).sessions() as db:
        sub = service.subsystem(db, "IR/GOV/sso/pension")
        svc = service.services_by_code(db, "person-status")[0]
        kid, private = service.signing_key(db, sub)
        client, address = service.client_address(sub), service.service_address(svc)
    now = clock.now()
    messages = [env.sign(env.Envelope(kind="request", message_id=uuid.uuid4(), client=client, service=address,
                                      purpose="pension-claim", person=codes[i % len(codes)], issued_at=now,
                                      expires_at=now + service.MAX_TTL, body={}), private, kid)
                for i in range(posts)]
    return load("receiver only: signed POSTs to B", base_b,
                lambda i: ("POST", "/api/v1/exchange/messages", {"json": messages[i]}), requests=posts,
                concurrency=16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--requests", type=int, default=2000, help="Round trips per thread setting.")
    parser.add_argument("--threads", default="1,8", help="Calling threads to try, comma-separated.")
    parser.add_argument("--posts", type=int, default=5000, help="Pre-signed requests for the receiver-only run.")
    parser.add_argument("--people", type=int, default=1000)
    args = parser.parse_args()
    with scratch_postgres(args.database_url) as url_a, scratch_postgres(args.database_url) as url_b:
        use_settings(Settings(database_url=url_a, environment="development"))
        setup_a(url_a)
        codes = setup_b(url_b, args.people)
        with server(url_a) as base_a, server(url_b) as base_b:
            connect(url_a, base_a, url_b, base_b)
            round_trips(url_a, codes, 50, 1)  # warm-up: connections, caches
            rows = [round_trips(url_a, codes, args.requests, int(t)) for t in args.threads.split(",")]
            rows.append(receiver_only(url_a, base_b, codes, args.posts))
    print(f"Machine: {machine()}\n")
    print(HEADER)
    for row in rows:
        print(row.row())


if __name__ == "__main__":
    main()
