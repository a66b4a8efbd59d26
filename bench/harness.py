"""Shared benchmark pieces: run smartgov under Uvicorn on loopback, drive it with bounded load.

Everything here talks to 127.0.0.1 only, runs a fixed number of requests, and stops by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        return (f"| {self.name} | {self.requests:,} | {self.per_second:,.0f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} "
                f"| {self.errors} |")


HEADER = "| what | requests | per second | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|"


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"


@contextlib.contextmanager
def scratch_postgres(base_url: str = DEFAULT_PG) -> Iterator[str]:
    """A fresh PostgreSQL database, migrated, dropped afterwards."""
    base = make_url(base_url).set(drivername="postgresql+psycopg")
    name = f"sgbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        from smartgov.db import migrate

        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def in_process(database_url: str | None, prefix: str) -> tuple[Any, Any]:
    """(settings, database) for an in-process benchmark: the given database, else a fresh SQLite file in
    a temporary folder, migrated, with test settings in force."""
    import tempfile

    from smartgov import db as kernel_db
    from smartgov.settings import Settings, use_settings

    folder = Path(tempfile.mkdtemp(prefix=prefix))
    url = database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    kernel_db.migrate(url)
    settings = use_settings(Settings(environment="test", database_url=url, data_dir=folder / "data",
                                     secret_key="bench-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
                                     base_url="http://testserver"))
    return settings, kernel_db.Database(url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(database_url: str, workers: int = 2, data_dir: str | None = None, *, log_path: str | None = None,
           env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> Iterator[str]:
    """``smartgov serve`` in a subprocess with ``workers`` processes; yields its base URL.

    The server's log goes to ``log_path`` (or SMARTGOV_BENCH_SERVER_LOG), else it is dropped: a pipe
    nobody reads fills at 64 KB and then blocks every process writing to it. ``env`` adds to the
    server's environment, ``args`` to its command line.
    """
    port = free_port()
    env = {**os.environ, "SMARTGOV_DATABASE_URL": database_url, "SMARTGOV_ENVIRONMENT": "development",
           "SMARTGOV_DATA_DIR": data_dir or f"/tmp/sgbench-{port}", "SMARTGOV_ARGON2_TIME_COST": "1",
           "SMARTGOV_ARGON2_MEMORY_KIB": "8192", **(env or {})}
    log_path = log_path or os.environ.get("SMARTGOV_BENCH_SERVER_LOG")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "smartgov.cli", "serve", "--port", str(port), "--workers",
                             str(workers), *args], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/api/v1/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server did not start (its log: {log_path or 'not kept'})")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if log_path:
            log.close()


def load(name: str, base: str, make_request: Callable[[int], tuple[str, str, dict[str, Any]]], *,
         requests: int = 5000, concurrency: int = 32, expect: tuple[int, ...] = (200, 201)) -> Result:
    """Send ``requests`` requests, ``concurrency`` at a time; ``make_request(i)`` → (method, path, kwargs)."""

    async def run() -> Result:
        latencies: list[float] = []
        errors = 0
        counter = iter(range(requests))
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

            async def worker() -> None:
                nonlocal errors
                for i in counter:
                    method, path, kwargs = make_request(i)
                    t0 = time.perf_counter()
                    r = await client.request(method, path, **kwargs)
                    latencies.append(time.perf_counter() - t0)
                    if r.status_code not in expect:
                        errors += 1

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - start
        q = statistics.quantiles(latencies, n=100)
        return Result(name, requests, elapsed, errors, q[49] * 1000, q[98] * 1000)

    return asyncio.run(run())
