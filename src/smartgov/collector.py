"""The cyclic garbage collector of server and worker processes, run from a thread of its own.

Why: CPython 3.11 starts a collection inside whatever allocation crosses the generation-0
threshold, in the middle of C code (the interpreter's own or an extension's), and runs the weakref
callbacks and finalizers of what it frees right there. A server process frees cycles of
SQLAlchemy-mapped objects that way, and their ``InstanceState`` weakref callbacks edit sessions'
identity maps. Workers died with SIGSEGV in pymalloc, the free list of the weakrefs' size class
overwritten, once after an ``InstanceState`` in an identity map had been freed and its memory
reused; with collections moved out of allocations a 30-minute soak had no death (``bench/RESULTS.md``,
"A worker never dies"). CPython 3.12 moved collections to the eval breaker, between bytecodes; this
module does the same for 3.11: automatic collection off, and a daemon thread that calls
``gc.collect`` itself, at a point in Python code where no allocation is half done.

The thread follows the interpreter's thresholds: every ``interval`` seconds it collects the oldest
generation whose count is over its threshold (generation 0: objects allocated since the last
collection over ``threshold``; the older ones: ``gc.get_threshold``), as CPython does at each
allocation, but without its extra ratio check before a full collection. Memory behaves as before
at a resolution of ``interval``.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smartgov.settings import Settings

THREAD_NAME = "smartgov-gc"


@dataclass
class Collector:
    """A running collector thread and what it has done (read by tests and the soak bench)."""

    interval: float
    threshold: int
    collections: list[int] = field(default_factory=lambda: [0, 0, 0])  # per generation, by this thread
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def collect_due(self) -> int | None:
        """Collect the oldest generation whose threshold is crossed, as CPython would; its number or None."""
        counts = gc.get_count()
        _, older1, older2 = gc.get_threshold()
        thresholds = (self.threshold, older1, older2)
        due = None
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                due = generation
                break
        if due is None:
            return None
        gc.collect(due)
        self.collections[due] += 1
        return due

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.collect_due()


_active: Collector | None = None
_lock = threading.Lock()


def active() -> Collector | None:
    """The collector of this process, if one is running."""
    return _active


@contextmanager
def serving(settings: Settings) -> Iterator[Collector | None]:
    """What a server or worker process runs under: the collector thread, or with ``gc_thread`` off the
    interpreter's automatic collector with start-up's objects frozen (the behaviour before this module)."""
    if settings.gc_thread:
        with running(settings.gc_interval, settings.gc_threshold) as collector:
            yield collector
        return
    gc.collect()
    gc.freeze()
    try:
        yield None
    finally:
        gc.unfreeze()


@contextmanager
def running(interval: float, threshold: int) -> Iterator[Collector]:
    """Freeze what start-up made, turn automatic collection off and collect from a thread until exit.

    Freezing (``gc.freeze``) keeps the some 250,000 objects start-up made out of every later
    collection: a full one walked them all, a 150 ms pause of every request in flight. On exit
    automatic collection is restored as it was (tests start and stop many apps in one process).
    """
    global _active
    with _lock:
        shared = _active  # one collector per process; a nested start (tests) uses the running one
        if shared is None:
            gc.collect()
            gc.freeze()
            was_enabled = gc.isenabled()
            gc.disable()
            collector = _active = Collector(interval=interval, threshold=threshold)
            collector.start()
    if shared is not None:
        yield shared
        return
    try:
        yield collector
    finally:
        with _lock:
            collector.stop()
            _active = None
            gc.unfreeze()
            if was_enabled:
                gc.enable()
