"""KPI values from the rollups: ``series`` (per day, week or month) and ``breakdown`` (per dimension).

Nothing here reads an operational table: every value is computed from ``analytics_rollup``
cells, percentiles from their fixed histogram buckets. Reads go through ``read_session`` (the
read-only database URL) when called from dashboards, open data and reports.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from smartgov import db as kernel_db
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.settings import get_settings

from . import rollups
from .catalogue import Kpi, kpi
from .models import Rollup, RollupCut, RollupMonth, Watermark

GRAINS = ("day", "week", "month")
BY = ("service", "agency", "branch", "channel")
MAX_DAYS = 3660  # ten years of days: the widest range a caller may ask for


@dataclass(frozen=True)
class Point:
    """A KPI's value for one period; ``count``: how many events or cases made it (small-cell suppression)."""

    period: dt.date
    value: float | None
    count: int


@contextmanager
def read_session() -> Iterator[Session]:
    """A session on ``SMARTGOV_READ_DATABASE_URL`` (default: the main database), for read-only work."""
    settings = get_settings()
    database = kernel_db.read_database(settings.read_database_url or settings.database_url)
    with database.read_sessions() as session:
        try:
            yield session
        finally:
            session.rollback()


#: Results of ``series`` and ``breakdown`` by (database, rollup version, call): rollups change only
#: when the rollup job applies events, so a dashboard viewed by many people is computed once per
#: change. The version is the watermark's (position, updated_at: moved only when events were
#: applied) and this process's own ``rollups.generation`` (``apply`` called directly).
_RESULTS: collections.OrderedDict[tuple[Any, ...], Any] = collections.OrderedDict()
_RESULTS_MAX = 2048
_RESULTS_LOCK = threading.Lock()

_F = TypeVar("_F", bound=Callable[..., Any])


def _rollup_version(db: Session) -> tuple[Any, ...]:
    mark = db.execute(select(Watermark.position, Watermark.updated_at)
                      .where(Watermark.name == rollups.WATERMARK)).first()
    return (str(db.get_bind().url), tuple(mark) if mark else None, rollups.generation())


def _cached(fn: _F) -> _F:
    """Remember ``fn``'s answers until the rollups change (see ``_RESULTS``)."""

    @functools.wraps(fn)
    def wrapper(db: Session, *args: Any, **kwargs: Any) -> Any:
        key = (fn.__name__, _rollup_version(db), args, tuple(sorted(kwargs.items())))
        with _RESULTS_LOCK:
            if key in _RESULTS:
                _RESULTS.move_to_end(key)
                return list(_RESULTS[key])  # a list of its own: a caller may sort or extend it
        found = fn(db, *args, **kwargs)
        with _RESULTS_LOCK:
            _RESULTS[key] = found
            while len(_RESULTS) > _RESULTS_MAX:
                _RESULTS.popitem(last=False)
        return list(found)

    return wrapper  # type: ignore[return-value]


@functools.lru_cache(maxsize=16384)
def period_of(day: dt.date, grain: str) -> dt.date:
    """The first day of ``day``'s period: itself, its week (from Saturday) or its Jalali month.

    Cached: a series maps every rollup row's day to its period."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=(day.weekday() - 5) % 7)
    return rollups.month_of(day)


def _next_period(period: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return period + dt.timedelta(days=1)
    if grain == "week":
        return period + dt.timedelta(days=7)
    return period_of(period + dt.timedelta(days=32), "month")


def _check_range(start: dt.date, end: dt.date, grain: str = "day") -> None:
    if grain not in GRAINS:
        raise DomainError("grain_invalid", N_("Choose day, week or month."), field="grain", status=422)
    if end < start:
        raise DomainError("range_invalid", N_("The end comes before the start."), field="end", status=422)
    if (end - start).days > MAX_DAYS:
        raise DomainError("range_too_long", N_("Ask for at most {n} days at once."), field="end", status=422,
                          n=MAX_DAYS)


def _measures(k: Kpi) -> tuple[str, ...]:
    spec = k.compute
    return tuple(m for m in (spec.get("measure"), spec.get("out"), spec.get("per")) if m)


# A row read from the rollups: (group, channel, bucket, measure, count, total)
Row = tuple[Any, str, int, str, int, float]


def _rows(db: Session, table: Any, measures: tuple[str, ...], group: Any, *, start: dt.date | None, end: dt.date,
          kind: str | None, where: list[Any]) -> list[Row]:
    """The cells of ``table`` of ``measures`` in [start, end] meeting ``where``, summed per ``group`` (a
    column, or ``None``: no grouping beyond the keys), and per channel and bucket only when ``kind`` reads
    them (a share its channels, a percentile its buckets): the rest is summed in SQL."""
    channels = kind is None or kind == "share"
    buckets = kind is None or kind == "percentile"
    keys: list[Any] = [table.channel if channels else literal("").label("channel"),
                       table.bucket if buckets else literal(rollups.NO_BUCKET).label("bucket"), table.measure]
    grouped: list[Any] = [table.measure, *([table.channel] if channels else []),
                          *([table.bucket] if buckets else [])]
    if group is not None:
        keys.insert(0, group)
        grouped.insert(0, group)
    stmt = (select(*keys, func.sum(table.count), func.sum(table.total))
            .where(table.measure.in_(measures), table.day <= end, *where).group_by(*grouped))
    if start is not None:
        stmt = stmt.where(table.day >= start)
    found = db.execute(stmt).all()
    if group is None:
        found = [(None, *row) for row in found]
    return [(g, c, int(b), m, int(n or 0), float(t or 0.0)) for g, c, b, m, n, t in found]


def whole_months(start: dt.date | None, end: dt.date) -> tuple[dt.date | None, dt.date]:
    """The whole Jalali months inside [start, end] as [first, after): ``first`` the first day of the first
    of them (``None``: every month before ``after``), ``after`` the first day past the last; none when
    ``first >= after``."""
    first = None if start is None else start if rollups.month_of(start) == start else \
        rollups.month_of(rollups.month_of(start) + dt.timedelta(days=32))
    past = end + dt.timedelta(days=1)
    after = past if rollups.month_of(past) == past else rollups.month_of(end)
    return first, after


def _pieces(start: dt.date | None, end: dt.date, months: bool) -> list[tuple[dt.date | None, dt.date, bool]]:
    """[start, end] as (start, end, monthly) pieces: with ``months``, its whole Jalali months read from
    month cells and the days around them from day cells."""
    first, after = whole_months(start, end)
    if not months or (first is not None and first >= after):
        return [(start, end, False)]
    found: list[tuple[dt.date | None, dt.date, bool]] = [(first, after - dt.timedelta(days=1), True)]
    if start is not None and first is not None and start < first:
        found.append((start, first - dt.timedelta(days=1), False))
    if after <= end:
        found.append((after, end, False))
    return found


_DIMS = {"service": "service", "agency_id": "agency", "branch_id": "branch"}


def _cut(group: str | None, filters: dict[str, Any]) -> tuple[str, str | None] | None:
    """The cut (``models.RollupCut``: dimension, and its value when filtered) that answers a grouping
    and filters, or ``None`` when only the full cells can (two dimensions at once)."""
    given = [(_DIMS[name], str(value)) for name, value in filters.items() if name in _DIMS and value is not None]
    if group in _DIMS:
        return None if given else (_DIMS[group], None)
    if len(given) > 1:
        return None
    return given[0] if given else ("", None)


def _cells(db: Session, measures: tuple[str, ...], group: str | None, *, start: dt.date | None, end: dt.date,
           months: bool, kind: str | None = None, **filters: Any) -> list[Row]:
    """The rows of [start, end], grouped by ``group`` (``"day"``, a dimension's column name, or ``None``),
    read from the fewest rows that answer them: a cut where one serves (the nation, one service, agency
    or branch, or a breakdown by one of them), month cells or cuts for whole Jalali months when
    ``months`` (``"day"`` then gives a month's first day, so only a monthly series asks for it)."""
    cut = _cut(group, filters)
    found: list[Row] = []
    for lo, hi, monthly in _pieces(start, end, months):
        if cut is None:
            table = RollupMonth if monthly else Rollup
            where = [getattr(table, name) == value for name, value in filters.items() if value is not None]
            found += _rows(db, table, measures, getattr(table, group) if group else None, start=lo, end=hi,
                           kind=kind, where=where)
            continue
        dim, key = cut
        where = [RollupCut.grain == ("m" if monthly else "d"), RollupCut.dim == dim]
        if key is not None:
            where.append(RollupCut.key == key)
        if filters.get("channel") is not None:
            where.append(RollupCut.channel == filters["channel"])
        column = {"day": RollupCut.day, "channel": RollupCut.channel, None: None}.get(group, RollupCut.key)
        found += _rows(db, RollupCut, measures, column, start=lo, end=hi, kind=kind, where=where)
    return found


def _collapsed(rows: list[Row]) -> list[Row]:
    """Rows summed per measure: all a stock reads of what came before a period, so a long series
    carries one row a measure forward instead of every earlier row."""
    sums: dict[str, tuple[int, float]] = {}
    for r in rows:
        n, t = sums.get(r[3], (0, 0.0))
        sums[r[3]] = (n + r[4], t + r[5])
    return [(None, "", rollups.NO_BUCKET, m, n, t) for m, (n, t) in sums.items()]


def _percentile(buckets: dict[int, tuple[int, float]], q: float) -> float | None:
    """The ``q`` quantile of a histogram, linear inside its bucket (the open last bucket: its mean)."""
    n = sum(c for c, _ in buckets.values())
    if n == 0:
        return None
    rank, seen = q * n, 0
    for index in sorted(buckets):
        count, total = buckets[index]
        if count and seen + count >= rank:
            if index >= len(rollups.EDGES):
                return total / count
            low = rollups.EDGES[index - 1] if index > 0 else 0
            high = rollups.EDGES[index]
            return low + (rank - seen) / count * (high - low)
        seen += count
    index = max(buckets)
    count, total = buckets[index]
    return total / count if count else None


def value_of(k: Kpi, rows: list[Row], *, opening: list[Row] = (), at: dt.date | None = None) -> tuple[float | None,
                                                                                                     int]:
    """A KPI's (value, count) from the rollup rows of one period or key (``opening``: rows before it,
    for the stocks; ``at``: the last day of the period, for the age of a stock)."""
    spec, kind = k.compute, k.compute["kind"]
    measure = spec["measure"]
    count = sum(r[4] for r in rows if r[3] == measure)
    total = sum(r[5] for r in rows if r[3] == measure)
    if kind == "count":
        return float(count), count
    if kind == "sum":
        return total, count
    if kind == "mean":
        return (total / count * float(spec.get("scale", 1)) if count else None), count
    if kind == "share":
        online = sum(r[4] for r in rows if r[3] == measure and r[1] in spec["channels"])
        return (online / count * 100.0 if count else None), count
    if kind == "per":
        per = sum(r[4] for r in rows if r[3] == spec["per"])
        return (total / per if per and total else None), per
    if kind == "percentile":
        buckets: dict[int, tuple[int, float]] = {}
        for r in rows:
            if r[3] == measure:
                c, t = buckets.get(r[2], (0, 0.0))
                buckets[r[2]] = (c + r[4], t + r[5])
        found = _percentile(buckets, float(spec["q"]))
        return (found / rollups.DAY if found is not None else None), count
    # stocks: everything in minus everything out, up to the end of the period
    every = [*opening, *rows]
    out = spec.get("out")
    n_in = sum(r[4] for r in every if r[3] == measure)
    n_out = sum(r[4] for r in every if r[3] == out) if out else 0
    stock = n_in - n_out
    if kind == "stock":
        return float(stock), stock
    if stock <= 0 or at is None:
        return None, max(stock, 0)
    days_in = sum(r[5] for r in every if r[3] == measure) - (sum(r[5] for r in every if r[3] == out) if out else 0)
    return max(0.0, at.toordinal() - days_in / stock), stock


def _is_stock(k: Kpi) -> bool:
    return k.compute["kind"] in ("stock", "stock_age")


@_cached
def series(db: Session, code: str, *, start: dt.date, end: dt.date, grain: str = "day", service: str | None = None,
           agency_id: int | None = None, branch_id: int | None = None, channel: str | None = None) -> list[Point]:
    """``code``'s value per period from ``start``'s period to ``end`` (an empty period: count 0, and value
    0 for counts and sums, ``None`` where there is nothing to compute from)."""
    _check_range(start, end, grain)
    k = kpi(db, code)
    first = period_of(start, grain)
    filters = {"service": service, "agency_id": agency_id, "branch_id": branch_id, "channel": channel}
    kind = k.compute["kind"]
    rows = _cells(db, _measures(k), "day", start=first, end=end, months=grain == "month", kind=kind, **filters)
    opening = _cells(db, _measures(k), None, start=None, end=first - dt.timedelta(days=1), months=True, kind=kind,
                     **filters) if _is_stock(k) else []
    by_period: dict[dt.date, list[Row]] = {}
    for row in rows:
        by_period.setdefault(period_of(row[0], grain), []).append(row)
    points: list[Point] = []
    period = first
    while period <= end:
        following = _next_period(period, grain)
        found = by_period.get(period, [])
        value, count = value_of(k, found, opening=opening, at=min(following - dt.timedelta(days=1), end))
        points.append(Point(period, value, count))
        if _is_stock(k):
            opening = _collapsed([*opening, *found])
        period = following
    return points


def value(db: Session, code: str, *, start: dt.date, end: dt.date, service: str | None = None,
          agency_id: int | None = None, branch_id: int | None = None, channel: str | None = None) -> Point:
    """``code`` over the whole of [start, end] as one period (a quarter, a year): exact for every kind,
    percentiles included, which a sum of ``series`` points cannot give."""
    _check_range(start, end)
    k = kpi(db, code)
    filters = {"service": service, "agency_id": agency_id, "branch_id": branch_id, "channel": channel}
    rows = _cells(db, _measures(k), None, start=start, end=end, months=True, **filters)
    opening = _cells(db, _measures(k), None, start=None, end=start - dt.timedelta(days=1), months=True,
                     **filters) if _is_stock(k) else []
    found, count = value_of(k, rows, opening=opening, at=end)
    return Point(start, found, count)


_GROUPS = {"service": "service", "agency": "agency_id", "branch": "branch_id", "channel": "channel"}


@_cached
def breakdown(db: Session, code: str, *, by: str, start: dt.date, end: dt.date, agency_id: int | None = None,
              branch_id: int | None = None) -> list[tuple[str, Point]]:
    """``code`` over [start, end] split by service, agency, branch or channel (the key as text), biggest
    count first; cells without that dimension (an event with no service) are left out."""
    if by not in BY:
        raise DomainError("by_invalid", N_("Break down by service, agency, branch or channel."), field="by",
                          status=422)
    _check_range(start, end)
    k = kpi(db, code)
    group = _GROUPS[by]
    filters = {"service": None, "agency_id": agency_id, "branch_id": branch_id, "channel": None}
    rows = _cells(db, _measures(k), group, start=None if _is_stock(k) else start, end=end, months=True,
                  kind=k.compute["kind"], **filters)
    keyed: dict[str, list[Row]] = {}
    for row in rows:
        key = str(row[0])
        if key in ("", "0"):
            continue
        keyed.setdefault(key, []).append(row)
    found = [(key, Point(start, *value_of(k, key_rows, at=end))) for key, key_rows in keyed.items()]
    found.sort(key=lambda item: (-item[1].count, item[0]))
    return [(key, point) for key, point in found if not (point.value is not None and math.isnan(point.value))]
