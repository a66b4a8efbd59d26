"""Upkeep: the sweep that flags overdue petitions and counts closed ballot boxes (worker, CLI)."""

from __future__ import annotations

import datetime as dt

from smartgov import events
from smartgov.db import Database

from .common import now
from .petitions import flag_overdue
from .tallies import tally_closed_boxes


def sweep(database: Database) -> tuple[int, int]:
    """Flag overdue petitions, then count closed ballot boxes (each its own transaction): (flagged, published)."""
    with database.unit_of_work() as db:
        flagged = flag_overdue(db)
    with database.unit_of_work() as db:
        return flagged, tally_closed_boxes(db)


SWEEP_EVERY = dt.timedelta(minutes=1)
_last_sweep: dict[str, dt.datetime] = {}


def _periodic_sweep(database: Database) -> int:
    """The worker's job: a sweep at most once a minute (deadlines are not finer than that)."""
    last = _last_sweep.get(database.url)
    if last is not None and now() - last < SWEEP_EVERY:
        return 0
    _last_sweep[database.url] = now()
    return sum(sweep(database))


events.register_periodic("participation.sweep", _periodic_sweep)
