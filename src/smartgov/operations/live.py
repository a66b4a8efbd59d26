"""The operations pages' live stream (server-sent events): latest values, the alert queue, the
incident board and the headline counts of the caller's agencies, as they change.

Readings, alerts and incidents change in other processes (the MQTT consumer, the worker, other
server processes), so changes are looked for, not pushed: one ``Hub`` per app looks every
``SMARTGOV_OPERATIONS_LIVE_INTERVAL`` seconds, only while someone watches, with one short read
per distinct set of agencies watched (a session opened, read, closed: no connection is held
between looks, whatever the number of watchers). Each watcher compares what it last sent and
sends only what changed, as HTML fragments drawn by the page's own macros
(``templates/operations/_live.html``) in the watcher's language, so the page's script only swaps
them in. A stream ends when the browser goes away (the server cancels it), after
``SMARTGOV_OPERATIONS_LIVE_MAX_SECONDS`` (the browser reconnects and its permissions are checked
again), and when the server shuts down (SIGTERM/SIGINT: every stream is told ``end`` first, so
Uvicorn's graceful shutdown does not wait for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import anyio
from sqlalchemy.orm import Session

from smartgov import i18n
from smartgov.db import Database
from smartgov.web.templating import environment

from . import board
from .config import operations_settings
from .models import Entity
from .rules import SEVERITIES

HEARTBEAT_SECONDS = 15.0
log = logging.getLogger("smartgov.operations.live")
_hubs: weakref.WeakSet[Hub] = weakref.WeakSet()
_chained = False


@dataclass(frozen=True)
class Snapshot:
    """What one look found for one set of agencies (ORM rows detached from their closed session)."""

    counts: dict[str, int]
    queue: list[board.AlertRow]
    incidents: list[board.IncidentRow]
    entities: list[Entity]


def load(db: Session, orgs: set[int] | None) -> Snapshot:
    """The page's live parts, read as the page reads them."""
    return Snapshot(board.counts(db, orgs), board.alerts(db, orgs), board.incidents(db, orgs, limit=50),
                    board.entities(db, orgs))


@dataclass(eq=False)
class Watcher:
    """One open stream: its agencies and the latest snapshot not yet taken (older ones are dropped)."""

    orgs: frozenset[int] | None
    inbox: asyncio.Queue[Snapshot] = field(default_factory=lambda: asyncio.Queue(maxsize=1))

    def offer(self, snapshot: Snapshot) -> None:
        with contextlib.suppress(asyncio.QueueEmpty):
            self.inbox.get_nowait()
        self.inbox.put_nowait(snapshot)


class Hub:
    """The looker of one app: polls while watched, hands each watcher the snapshot of its agencies."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.watchers: set[Watcher] = set()
        self.stopping = asyncio.Event()
        self.wake = asyncio.Event()  # a new watcher: look now rather than at the next interval
        self.loop = asyncio.get_running_loop()
        self.task: asyncio.Task[None] | None = None
        self.looks = 0  # how many looks were made (the tests read it)
        _hubs.add(self)

    def stop(self) -> None:
        """End every stream (server shutdown); safe to call from a signal handler."""
        self.loop.call_soon_threadsafe(self._stop)

    def _stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def _read(self, scopes: list[frozenset[int] | None]) -> dict[frozenset[int] | None, Snapshot]:
        with self.database.read_sessions() as db:
            return {scope: load(db, None if scope is None else set(scope)) for scope in scopes}

    async def _run(self) -> None:
        interval = operations_settings().live_interval
        try:
            while self.watchers and not self.stopping.is_set():
                scopes = list({w.orgs for w in self.watchers})
                try:
                    found = await anyio.to_thread.run_sync(self._read, scopes)
                except Exception:  # the database away for a while: the streams stay open, the next look retries
                    log.exception("the operations live stream could not read the database")
                    found = {}
                self.looks += 1
                for w in list(self.watchers):
                    if w.orgs in found:
                        w.offer(found[w.orgs])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), interval)
                self.wake.clear()
        finally:
            self.task = None

    def add(self, orgs: set[int] | None) -> Watcher:
        watcher = Watcher(None if orgs is None else frozenset(orgs))
        self.watchers.add(watcher)
        if self.task is None:
            self.task = self.loop.create_task(self._run())
        else:
            self.wake.set()
        return watcher

    def remove(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)


def hub_for(app: Any) -> Hub:
    """The app's hub, made on first use (on the serving event loop); signals chained once per process."""
    hub = getattr(app.state, "operations_live", None)
    if hub is None or hub.loop is not asyncio.get_running_loop():
        hub = app.state.operations_live = Hub(app.state.db)
    _chain_signals()
    return hub


def _chain_signals() -> None:
    """Have SIGTERM/SIGINT end every stream before the server's own handler runs.

    Uvicorn's graceful shutdown waits for open responses to finish, and a stream never does by
    itself. Only possible in the main thread (a server process); in-process test servers close
    their clients instead.
    """
    global _chained
    if _chained or threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)

        def ending(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
            for hub in list(_hubs):
                with contextlib.suppress(RuntimeError):  # a hub whose loop is closed has nothing to end
                    hub.stop()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:  # nobody else handles it: die as the signal says
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        signal.signal(sig, ending)
    _chained = True


def frame(event: str, data: str) -> str:
    """One server-sent event (each line of ``data`` its own ``data:`` field)."""
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"


@dataclass
class Sent:
    """What a watcher last sent, to send only what changed."""

    summary: Any = None
    alerts: Any = None
    incidents: Any = None
    values: dict[int, Any] = field(default_factory=dict)


def _signatures(s: Snapshot) -> tuple[Any, Any, Any, dict[int, Any]]:
    alerts = tuple((r.alert.id, r.alert.status, r.alert.count, r.alert.severity, r.alert.value, r.alert.last_at)
                   for r in s.queue)
    incidents = tuple((r.incident.id, r.incident.status, r.incident.severity, tuple(o.case_reference for o in r.orders))
                      for r in s.incidents)
    values = {e.id: json.dumps(e.attrs, sort_keys=True, default=str) for e in s.entities}
    return tuple(sorted(s.counts.items())), alerts, incidents, values


def render_changes(snapshot: Snapshot, sent: Sent, macros: Any) -> list[str]:
    """The events a watcher sends for ``snapshot`` given what it ``sent`` before (which it updates)."""
    summary, alerts, incidents, values = _signatures(snapshot)
    out: list[str] = []
    if summary != sent.summary:
        out.append(frame("summary", str(macros.summary(snapshot.counts))))
        sent.summary = summary
    if alerts != sent.alerts:
        out.append(frame("alerts", str(macros.alert_queue(snapshot.queue, SEVERITIES))))
        sent.alerts = alerts
    if incidents != sent.incidents:
        out.append(frame("incidents", str(macros.incident_board(snapshot.incidents, SEVERITIES))))
        sent.incidents = incidents
    changed = {e.id: str(macros.measures(e)) for e in snapshot.entities if sent.values.get(e.id) != values[e.id]}
    if changed:
        out.append(frame("values", json.dumps({f"values-{k}": v for k, v in changed.items()}, ensure_ascii=False)))
        sent.values.update({k: values[k] for k in changed})
    return out


async def stream(app: Any, orgs: set[int] | None, lang: str, csrf_token: str) -> AsyncIterator[str]:
    """The events of one watcher until the client leaves, the stream's time is up or the server stops."""
    hub = hub_for(app)
    i18n.set_language(lang)
    macros = environment().get_template("operations/_live.html").make_module(
        {"lang": lang, "csrf_token": csrf_token, "csrf_field": "csrf_token"})
    settings = operations_settings()
    watcher = hub.add(orgs)
    sent = Sent()
    started = asyncio.get_running_loop().time()
    try:
        yield f"retry: {int(settings.live_interval * 1000) + 1000}\n\n"
        while not hub.stopping.is_set():
            left = settings.live_max_seconds - (asyncio.get_running_loop().time() - started)
            if left <= 0:
                return  # the browser reconnects; permissions are checked again then
            stopping = asyncio.ensure_future(hub.stopping.wait())
            taking = asyncio.ensure_future(watcher.inbox.get())
            try:
                done, _ = await asyncio.wait({stopping, taking}, timeout=min(HEARTBEAT_SECONDS, left),
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in (stopping, taking):
                    if not waiting.done():
                        waiting.cancel()
            if taking.done() and not taking.cancelled():  # taken, even if just after the wait returned
                for event in render_changes(taking.result(), sent, macros):
                    yield event
            elif not done:
                yield ": still here\n\n"  # a comment line: keeps proxies from closing an idle stream
        yield frame("end", "server stopping")
    finally:
        hub.remove(watcher)
