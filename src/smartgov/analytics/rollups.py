"""Rollups: the event store read incrementally into cells (day × measure × service × agency × branch × channel),
and the same cells per Jalali month (``analytics_rollup_month``) and summed over all dimensions but one
(``analytics_rollup_cut``), kept by the same upsert.

One periodic job (``roll_pending``, run by ``smartgov worker``) reads ``kernel_event`` past a
watermark in batches, turns each event into increments (``increments``) and adds them to
``analytics_rollup`` with one upsert per batch, in the same transaction as the watermark moves:
every event is counted once. ``rebuild`` truncates and replays everything the same way.

Ids that commit out of order: on PostgreSQL an event's id is taken when its transaction writes
it, and a transaction that took a smaller id may commit after one that took a larger id. A reader
that only remembered "the largest id seen" would skip the smaller one for good. The watermark
keeps every id it stepped over without finding it (``Watermark.gaps``, with when it was first
missed) and looks for them again each round; an id still missing after ``GAP_GRACE`` (a rolled
back transaction, whose id never commits) is forgotten.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
from collections.abc import Iterable
from typing import Any

import jdatetime
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.db import Database
from smartgov.exchange.events import ACCESS_FLAGGED, REQUEST_REFUSED, REQUEST_SERVED
from smartgov.operations.events import ALERT_ACKNOWLEDGED, INCIDENT_RESOLVED
from smartgov.participation.events import COMMENT_POSTED, PETITION_OVERDUE, PETITION_RESPONDED, VOTE_CAST
from smartgov.services.events import PAYMENT_SETTLED, RATED, SUBMITTED, TRANSITIONED

from .events import OPERATING_COST_SET
from .models import CELL_KEY, CUT_KEY, Rollup, RollupCut, RollupMonth, Watermark

#: Upper edges (seconds) of the duration histogram's buckets; bucket ``i`` holds [EDGES[i-1], EDGES[i]),
#: the last one everything from a year up. Fixed, so cells of any days and services add up.
HOUR, DAY = 3600, 86400
EDGES: tuple[int, ...] = (
    60, 300, 900, 1800, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 12 * HOUR, DAY, 36 * HOUR, 2 * DAY, 3 * DAY,
    4 * DAY, 5 * DAY, 6 * DAY, 7 * DAY, 8 * DAY, 10 * DAY, 12 * DAY, 14 * DAY, 17 * DAY, 21 * DAY, 25 * DAY,
    30 * DAY, 35 * DAY, 45 * DAY, 60 * DAY, 75 * DAY, 90 * DAY, 120 * DAY, 180 * DAY, 270 * DAY, 365 * DAY,
)
NO_BUCKET = -1
WATERMARK = "events"
BATCH = 2000
GAP_GRACE = dt.timedelta(minutes=10)
MAX_GAPS = 50_000  # beyond this the oldest gaps are forgotten (a storm of rollbacks, not commits in flight)
WITHDRAW = "withdraw"  # the engine's withdrawal action (services' workflow conventions)
ONLINE = frozenset({"web", "api", "sms"})

#: Names this module reads back from the event store (besides its own) — every event counts for ledger_size.
READS = events.reads(SUBMITTED, TRANSITIONED, RATED, PAYMENT_SETTLED, COMMENT_POSTED, VOTE_CAST,
                     PETITION_RESPONDED, PETITION_OVERDUE, REQUEST_SERVED, REQUEST_REFUSED, ACCESS_FLAGGED,
                     OPERATING_COST_SET, ALERT_ACKNOWLEDGED, INCIDENT_RESOLVED)

Key = tuple[str, dt.date, str, int, int, str, int]  # measure, day, service, agency, branch, channel, bucket


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration."""
    return bisect.bisect_right(EDGES, max(0.0, seconds))


def day_of(at: dt.datetime) -> dt.date:
    """The platform's local day of an instant (``SMARTGOV_TIMEZONE``): days people see."""
    return clock.local(at).date()


@functools.lru_cache(maxsize=16384)
def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s Jalali month (cached: jdatetime's conversion asks the C library's locale)."""
    return jdatetime.date.fromgregorian(date=day).replace(day=1).togregorian()


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        found = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _dims(data: dict[str, Any]) -> tuple[str, int, int, str]:
    service = data.get("service_id") if isinstance(data.get("service_id"), str) else ""
    agency = _int(data.get("agency_id"))
    branch = _int(data.get("branch_id")) or agency  # cases before branches were the agency's
    channel = data.get("channel") if isinstance(data.get("channel"), str) else ""
    return service[:100], agency, branch, channel[:10]


def increments(evt: events.Event, returned: set[int]) -> list[tuple[Key, int, float]]:
    """What one event adds: (cell, count, total) for each measure it feeds.

    ``returned``: ids of open cases sent back to their applicant so far (first-time-right); the
    caller loads it for the batch and this function keeps it current.
    """
    data, name = evt.data, evt.name
    day = day_of(evt.occurred_at)
    found: list[tuple[Key, int, float]] = [(("event", day, "", 0, 0, "", NO_BUCKET), 1, 0.0)]
    if name == SUBMITTED:
        service, agency, branch, channel = _dims(data)
        found.append((("received", day, service, agency, branch, channel or "web", NO_BUCKET), 1,
                       float(day.toordinal())))
    elif name == TRANSITIONED:
        service, agency, branch, _ = _dims(data)
        case_id = _int(data.get("application_id"))
        if data.get("awaits_applicant"):
            returned.add(case_id)
        if data.get("terminal"):
            submitted = _instant(data.get("submitted_at")) or evt.occurred_at
            cell = (service, agency, branch, "")
            found.append((("closed", day, *cell, NO_BUCKET), 1, float(day_of(submitted).toordinal())))
            if data.get("action") != WITHDRAW:
                seconds = max(0.0, (evt.occurred_at - submitted).total_seconds())
                found.append((("decided", day, *cell, NO_BUCKET), 1, seconds))
                found.append((("processing", day, *cell, bucket_of(seconds)), 1, seconds))
                found.append((("first_time_right", day, *cell, NO_BUCKET), 1,
                              0.0 if case_id in returned else 1.0))
                if isinstance(data.get("sla_met"), bool):
                    found.append((("sla", day, *cell, NO_BUCKET), 1, 1.0 if data["sla_met"] else 0.0))
            returned.discard(case_id)
    elif name == RATED:
        service, agency, _branch, _ = _dims(data)
        found.append((("rating", day, service, agency, 0, "", NO_BUCKET), 1, float(_int(data.get("score")))))
    elif name == PAYMENT_SETTLED:
        service, agency, branch, _ = _dims(data)
        found.append((("payment", day, service, agency, branch, "", NO_BUCKET), 1, float(_int(data.get("amount")))))
    elif name == COMMENT_POSTED:
        found.append((("comment", day, "", 0, 0, "", NO_BUCKET), 1, 0.0))
    elif name == VOTE_CAST:
        found.append((("vote", day, "", 0, 0, "", NO_BUCKET), 1, 0.0))
    elif name == PETITION_RESPONDED:
        found.append((("petition", day, "", 0, 0, "", NO_BUCKET), 1, 0.0 if data.get("late") else 1.0))
    elif name == PETITION_OVERDUE:  # a missed deadline counts once, as not on time (a late answer is not counted again)
        found.append((("petition", day, "", _int(data.get("organization_id")), 0, "", NO_BUCKET), 1, 0.0))
    elif name in (REQUEST_SERVED, REQUEST_REFUSED):
        found.append((("exchange", day, str(data.get("service") or "")[:100], 0, 0, "", NO_BUCKET), 1,
                      1.0 if name == REQUEST_REFUSED else 0.0))
    elif name == ACCESS_FLAGGED:
        found.append((("access_flag", day, "", 0, 0, "", NO_BUCKET), 1, 0.0))
    elif name in (ALERT_ACKNOWLEDGED, INCIDENT_RESOLVED):  # the operations centre's response times, per agency
        measure, field = ("acknowledge", "seconds_to_acknowledge") if name == ALERT_ACKNOWLEDGED else \
            ("resolve", "seconds_to_resolve")
        seconds = float(max(0, _int(data.get(field))))
        found.append(((measure, day, "", _int(data.get("organization_id")), 0, "", bucket_of(seconds)), 1, seconds))
    elif name == OPERATING_COST_SET:
        start = dt.date.fromisoformat(data["period_start"])
        found.append((("operating_cost", start, "", _int(data.get("agency_id")), 0, "", NO_BUCKET), 0,
                      float(_int(data.get("amount")) - _int(data.get("previous_amount")))))
    return found


#: The one dimension a cut keeps (``models.RollupCut``), and where it is in a cell's key.
CUTS = (("", None), ("service", 2), ("agency", 3), ("branch", 4))


def _upsert(db: Session, cells: dict[Key, list[float]]) -> None:
    """Add ``cells`` to the stored rollups — the day's cells, the month's and the cuts of both — with one
    upsert statement each."""
    if not cells:
        return
    months: dict[tuple[Any, ...], list[float]] = {}
    cuts: dict[tuple[Any, ...], list[float]] = {}
    for k, v in cells.items():
        month = month_of(k[1])
        found = [months.setdefault((k[0], month, *k[2:]), [0, 0.0])]
        for grain, period in (("d", k[1]), ("m", month)):
            for dim, at in CUTS:
                found.append(cuts.setdefault((k[0], grain, dim, period, "" if at is None else str(k[at]), k[5], k[6]),
                                             [0, 0.0]))
        for cell in found:
            cell[0] += v[0]
            cell[1] += v[1]
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    for table, key, rows in ((Rollup, CELL_KEY, cells), (RollupMonth, CELL_KEY, months), (RollupCut, CUT_KEY, cuts)):
        stmt = dialect.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={"count": table.count + stmt.excluded.count, "total": table.total + stmt.excluded.total})
        db.execute(stmt, [dict(zip(key, k, strict=True), count=int(v[0]), total=v[1]) for k, v in sorted(rows.items())])


_generation = itertools.count()
_applied = 0


def generation() -> int:
    """How many times this process applied events to the rollups (cached figures are keyed by it)."""
    return _applied


def apply(db: Session, batch: Iterable[events.Event]) -> int:
    """Add the increments of ``batch`` (events in id order) to the rollups; returns how many events."""
    global _applied
    from .models import ReturnedCase

    found = list(batch)
    if not found:
        return 0
    _applied = next(_generation) + 1
    case_ids = {_int(e.data.get("application_id")) for e in found if e.name == TRANSITIONED}
    returned = set(db.scalars(select(ReturnedCase.application_id)
                              .where(ReturnedCase.application_id.in_(case_ids)))) if case_ids else set()
    before = set(returned)
    cells: dict[Key, list[float]] = {}
    for evt in found:
        for key, count, total in increments(evt, returned):
            cell = cells.setdefault(key, [0, 0.0])
            cell[0] += count
            cell[1] += total
    _upsert(db, cells)
    if before - returned:
        db.execute(delete(ReturnedCase).where(ReturnedCase.application_id.in_(before - returned)))
    if returned - before:
        db.execute(ReturnedCase.__table__.insert(), [{"application_id": i} for i in sorted(returned - before)])
    return len(found)


def _watermark(db: Session) -> Watermark:
    """The watermark row, locked for this transaction (one roller at a time); made on first use."""
    stmt = select(Watermark).where(Watermark.name == WATERMARK).with_for_update()
    found = db.scalars(stmt).first()
    if found is None:
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        db.execute(dialect.insert(Watermark).values(name=WATERMARK, position=0, gaps={}, updated_at=clock.now())
                   .on_conflict_do_nothing(index_elements=["name"]))
        found = db.scalars(stmt).one()
    return found


def roll(db: Session, *, batch: int = BATCH, grace: dt.timedelta = GAP_GRACE) -> int:
    """Count the next batch of events (and any gap that committed since) in the caller's transaction.

    Returns how many events were read past the watermark (0: caught up).
    """
    mark = _watermark(db)
    now = clock.now()
    gaps: dict[int, str] = {int(k): v for k, v in (mark.gaps or {}).items()}
    late = events.by_ids(db, sorted(gaps)) if gaps else []
    for evt in late:
        gaps.pop(int(evt.id or 0), None)
    fresh = events.since(db, mark.position, batch)
    expected = mark.position + 1
    stamp = now.isoformat()
    for evt in fresh:
        event_id = int(evt.id or 0)
        for missing in range(expected, event_id):
            gaps[missing] = stamp
        expected = event_id + 1
    apply(db, [*late, *fresh])
    cutoff = now - grace
    gaps = {k: v for k, v in gaps.items() if dt.datetime.fromisoformat(v) > cutoff}
    if len(gaps) > MAX_GAPS:
        gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
    if fresh:
        mark.position = int(fresh[-1].id or 0)
    mark.gaps = {str(k): v for k, v in sorted(gaps.items())}
    if fresh or late:  # moved only when figures changed: dashboards' cached figures are keyed by it
        mark.updated_at = now
    db.flush()
    return len(fresh)


def roll_pending(database: Database, *, batch: int = BATCH) -> int:
    """Count every committed event not counted yet, one transaction per batch; returns how many."""
    total = 0
    while True:
        with database.unit_of_work() as db:
            n = roll(db, batch=batch)
        total += n
        if n < batch:
            return total


def rebuild(database: Database, *, batch: int = BATCH) -> int:
    """Forget every rollup and count the whole event store again, batch by batch (never all in memory)."""
    from .models import ReturnedCase

    with database.unit_of_work() as db:
        mark = _watermark(db)
        db.execute(delete(Rollup))
        db.execute(delete(RollupMonth))
        db.execute(delete(RollupCut))
        db.execute(delete(ReturnedCase))
        mark.position, mark.gaps, mark.updated_at = 0, {}, clock.now()
    return roll_pending(database, batch=batch)


def _periodic(database: Database) -> int:
    return roll_pending(database)


events.register_periodic("analytics.roll", _periodic)
