"""Server time of the web pages on the demo, per role: the ARCHITECTURE target "p95 < 50 ms".

    .venv/bin/python bench/pages_bench.py [--people 200] [--repeat 20] [--per-pattern 2] [--database-url URL]

Loads the demo (``smartgov demo``'s data, ``--people`` insured people) into a scratch PostgreSQL
database and starts ``smartgov serve`` with one worker. Then, for each demo login (and for an
anonymous visitor), signs in through the login page (with the TOTP step for staff) and walks the
site from the role's start pages, following the links on every page it reaches: each distinct
page is fetched once to warm it and ``--repeat`` times more, one request at a time, so the time
measured is the server's (plus a loopback round trip and the client's ~1 ms). Pages whose path
differs only by an id or reference count as one (at most ``--per-pattern`` of each are measured).
Downloads (PDF, CSV, XLSX), static files, the API and links that change state are not followed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import httpx
import pyotp
from harness import DEFAULT_PG, machine, scratch_postgres, server

START = {
    None: ["/", "/services", "/participation", "/ledger", "/verify"],
    "citizen": ["/account", "/services/applications", "/insurance", "/insurance/pension", "/account/data-access",
                "/participation/receipts"],
    "employer": ["/insurance/employer", "/services/applications"],
    "official": ["/services/inbox", "/participation/answers"],
    "agencyadmin": ["/assessment", "/services/reconciliation", "/services/admin/definitions", "/exchange/monitoring",
                    "/exchange/registry", "/participation/moderation"],
    "auditor": ["/exchange/data-protection", "/ledger"],
}
SKIP = re.compile(r"(\.(pdf|csv|xlsx|js|css|png|svg|json)$)|^/(static|api|lang|logout)\b|/(pay|report)$|/gateway/")
ID = re.compile(r"/(?=[^/]*\d)[^/]+")  # a path segment with a digit: an id, a reference, a token
LINK = re.compile(r'href="([^"#]+)')


def pattern(path: str) -> str:
    return ID.sub("/{id}", path)


def sign_in(client: httpx.Client, username: str, password: str, secret: str | None) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": username, "password": password, "next": "/", "csrf_token": token})
    if "/mfa/verify" in str(r.url) and secret:
        token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
        r = client.post("/mfa/verify", data={"code": pyotp.TOTP(secret).now(), "next": "/", "csrf_token": token})
    if r.status_code != 200 or "/login" in str(r.url) or "/mfa/" in str(r.url):
        raise RuntimeError(f"could not sign in as {username}: {r.status_code} {r.url}")


def walk(client: httpx.Client, starts: list[str], per_pattern: int, limit: int = 80) -> Iterator[str]:
    """Same-site pages reachable from ``starts``, breadth first, at most ``per_pattern`` per path pattern."""
    seen: set[str] = set()
    counts: dict[str, int] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        key = pattern(path)
        if path in seen or counts.get(key, 0) >= per_pattern:
            continue
        seen.add(path)
        r = client.get(path)
        if r.status_code != 200 or not r.headers.get("content-type", "").startswith("text/html"):
            continue
        counts[key] = counts.get(key, 0) + 1
        yield path
        for href in LINK.findall(r.text):
            parts = urlsplit(urljoin(str(r.url), href.replace("&amp;", "&")))
            if parts.netloc != urlsplit(str(r.url)).netloc or SKIP.search(parts.path):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--per-pattern", type=int, default=2)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="sgbench-pages-")
    from smartgov.settings import Settings, use_settings

    rows: list[tuple[str, str, int, float, float, float]] = []
    with scratch_postgres(args.database_url) as url:
        use_settings(Settings(database_url=url, data_dir=data_dir, environment="development",
                              argon2_time_cost=1, argon2_memory_kib=8192))
        from smartgov import demo
        from smartgov.db import Database

        database = Database(url)
        t0 = time.perf_counter()
        logins = {username: password for _role, username, password in demo.load(database, people=args.people)}
        database.dispose()
        print(f"demo loaded ({args.people} people) in {time.perf_counter() - t0:.0f} s")
        with server(url, workers=1, data_dir=data_dir) as base:
            for who, starts in START.items():
                with httpx.Client(base_url=base, follow_redirects=True, timeout=60,
                                  headers={"Accept-Language": "fa"}) as client:
                    if who is not None:
                        sign_in(client, who, logins[who], demo.DEMO_TOTP.get(who))
                    for path in walk(client, starts, args.per_pattern):
                        times = []
                        for _ in range(args.repeat):
                            t = time.perf_counter()
                            status = client.get(path).status_code
                            times.append((time.perf_counter() - t) * 1000)
                        p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
                        rows.append((who or "anonymous", path, status, statistics.median(times), p95, max(times)))
    print(f"\nMachine: {machine()}; `smartgov serve --workers 1`, PostgreSQL, Persian pages, "
          f"{args.repeat} sequential requests per page after one to warm it\n")
    print("| who | page | status | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|")
    for who, path, status, p50, p95, worst in sorted(rows, key=lambda r: -r[4]):
        print(f"| {who} | `{path}` | {status} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
    over = [r for r in rows if r[4] >= 50]
    all_p95 = sorted(r[4] for r in rows)
    print(f"\n{len(rows)} pages; {len(over)} with p95 ≥ 50 ms; median of the pages' p95: "
          f"{statistics.median(all_p95):.1f} ms")


if __name__ == "__main__":
    main()
