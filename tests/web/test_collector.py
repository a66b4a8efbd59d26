"""Server and worker processes collect garbage from a thread of their own, never inside an allocation.

CPython 3.11 collects inside whatever allocation crosses the threshold and runs weakref callbacks
there; a Uvicorn worker died of it with SIGSEGV in pymalloc (``bench/RESULTS.md``). These tests
run the real lifespan, the real ``smartgov worker`` and the real ``smartgov serve`` (Uvicorn with
two worker processes) and look at the collector from inside.
"""

from __future__ import annotations

import gc
import os
import re
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartgov import collector
from smartgov.app import create_app
from smartgov.cli import app as cli
from smartgov.settings import Settings


class _Cycle:
    """Garbage only the cyclic collector can free: an object that refers to itself."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collecting_threads() -> Iterator[list[str]]:
    """The names of the threads that ran each collection while the test ran."""
    names: list[str] = []

    def record(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            names.append(threading.current_thread().name)

    gc.callbacks.append(record)
    yield names
    gc.callbacks.remove(record)


def _freed_by_collector(timeout: float = 10.0) -> bool:
    """Make a cycle and wait until it is freed, allocating meanwhile as a busy process does."""
    ref = weakref.ref(_Cycle())
    deadline = time.monotonic() + timeout
    while ref() is not None and time.monotonic() < deadline:
        _ = [object() for _ in range(1000)]  # not tracked by gc: only raises the count, as requests do
        _ = [[] for _ in range(1000)]
        time.sleep(0.01)
    return ref() is None


def test_a_served_app_turns_automatic_collection_off_and_collects_from_its_thread(settings, database,
                                                                                  collecting_threads) -> None:  # type: ignore[no-untyped-def]
    assert gc.isenabled() and collector.active() is None
    served = settings.model_copy(update={"gc_interval": 0.01})
    with TestClient(create_app(served, database, served=True)) as client:
        running = collector.active()
        assert running is not None and running.alive
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0  # what start-up made is kept out of collections
        collecting_threads.clear()  # start-up's own full collection, before the thread ran
        assert _freed_by_collector()
        assert collector.THREAD_NAME in collecting_threads
        assert set(collecting_threads) == {collector.THREAD_NAME}  # never inside an allocation
        body = client.get("/api/v1/health").json()
        assert body["gc"]["automatic"] is False and body["gc"]["collector_thread"] is True
        assert sum(body["gc"]["collections"]) >= 1
    # stopped with the app; the test process gets its own collector back
    assert gc.isenabled() and collector.active() is None and gc.get_freeze_count() == 0
    assert not any(t.name == collector.THREAD_NAME for t in threading.enumerate())


def test_with_the_thread_off_a_served_app_keeps_the_interpreters_collector(settings, database) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings.model_copy(update={"gc_thread": False}), database, served=True)) as client:
        assert gc.isenabled() and collector.active() is None and gc.get_freeze_count() > 0
        assert client.get("/api/v1/health").json()["gc"]["automatic"] is True
    assert gc.get_freeze_count() == 0


def test_an_app_made_for_tests_keeps_the_interpreters_collector(client) -> None:  # type: ignore[no-untyped-def]
    assert gc.isenabled() and collector.active() is None
    assert client.get("/api/v1/health").json()["gc"] == {"automatic": True, "collector_thread": False,
                                                         "collections": None}


def test_the_collector_follows_the_thresholds() -> None:
    """Nothing is collected below the threshold; crossing it collects generation 0, as CPython would."""
    gc.collect()
    gc.disable()
    try:
        c = collector.Collector(interval=1.0, threshold=10_000)
        assert c.collect_due() is None
        keep = [[] for _ in range(10_001)]
        assert c.collect_due() == 0 and c.collections == [1, 0, 0]
        assert gc.get_count()[0] < 100
        del keep
    finally:
        gc.enable()


def test_the_worker_runs_with_the_collector(settings, database, monkeypatch, collecting_threads) -> None:  # type: ignore[no-untyped-def]
    from smartgov import events
    from smartgov import settings as settings_module

    monkeypatch.setattr(settings_module, "_current", settings.model_copy(update={"gc_interval": 0.01}))
    seen: dict[str, object] = {}
    drain = events.drain_outbox

    def observed_drain(*args, **kwargs) -> int:  # type: ignore[no-untyped-def]
        running = collector.active()
        seen.update(automatic=gc.isenabled(), thread=bool(running and running.alive), freed=_freed_by_collector())
        return drain(*args, **kwargs)

    monkeypatch.setattr(events, "drain_outbox", observed_drain)
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert seen == {"automatic": False, "thread": True, "freed": True}
    assert collector.THREAD_NAME in collecting_threads
    assert gc.isenabled() and collector.active() is None


def test_serve_help_tells_the_truth() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for option in ("--host", "--port", "--workers", "--reload", "--healthcheck-timeout"):
        assert option in text
    assert "any other Uvicorn option" in text and "[default: 60]" in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_uvicorn_workers_that_collect_from_their_thread(settings: Settings) -> None:
    """``smartgov serve --workers 2`` with options only Uvicorn knows; each worker answers with the collector on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTGOV_")}
    env.update(SMARTGOV_ENVIRONMENT="development", SMARTGOV_DATABASE_URL=settings.database_url,
               SMARTGOV_DATA_DIR=str(settings.data_dir), SMARTGOV_SECRET_KEY=settings.secret_key.get_secret_value())
    bad = subprocess.run([sys.executable, "-m", "smartgov.cli", "serve", "--no-such-uvicorn-option"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "No such option" in bad.stderr  # the options reach Uvicorn's parser
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "smartgov.cli", "serve", "--port", str(port), "--workers", "2",
                             "--limit-max-requests", "100000", "--timeout-keep-alive", "2", "--healthcheck-timeout",
                             "120"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        answers: list[dict[str, object]] = []
        while len(answers) < 20 and time.monotonic() < deadline:
            try:
                with httpx.Client(timeout=5) as http:  # a new connection each time: either worker may answer
                    r = http.get(f"http://127.0.0.1:{port}/api/v1/health")
                if r.status_code == 200:
                    answers.append(r.json()["gc"])
            except httpx.TransportError:
                time.sleep(0.2)
        assert len(answers) == 20, "the server did not answer"
        assert all(a["automatic"] is False and a["collector_thread"] is True for a in answers)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
    assert not re.search(r"Child process \[\d+\] died", out), out
