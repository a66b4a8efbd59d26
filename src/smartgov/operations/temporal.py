"""The NGSI-LD temporal API over stored readings: instances, ``lastN`` and aggregation per period.

``timerel`` is ``before``, ``after`` or ``between`` (with ``timeAt`` and ``endTimeAt``). Aggregated
values (``aggrMethods`` = avg, min, max, sum, count; ``aggrPeriodDuration`` an ISO 8601 duration of
whole minutes) are read from the rollups: per-hour buckets for periods of whole hours, per-minute
buckets otherwise, so a month of minutes is a few hundred rows per attribute, not 43,200 readings.
Buckets are epoch seconds, and periods are grouped with integer arithmetic that both databases share.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Entity, Reading, Rollup
from .ngsi import bad, format_time, parse_time

METHODS = ("avg", "min", "max", "sum", "count")
MAX_INSTANCES = 10_000
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass(frozen=True)
class Window:
    """The time part of a temporal query."""

    start: dt.datetime | None
    end: dt.datetime | None
    last_n: int | None = None


def window(timerel: str | None, time_at: str | None, end_time_at: str | None, last_n: int | None) -> Window:
    """Check ``timerel``/``timeAt``/``endTimeAt``/``lastN`` as the spec pairs them."""
    if last_n is not None and not 1 <= last_n <= MAX_INSTANCES:
        raise bad(f"lastN is between 1 and {MAX_INSTANCES}")
    if timerel is None:
        if time_at or end_time_at:
            raise bad("timeAt needs timerel")
        return Window(None, None, last_n)
    if timerel not in ("before", "after", "between") or not time_at:
        raise bad("timerel is before, after or between, with timeAt")
    at = parse_time(time_at, "timeAt")
    if timerel == "before":
        return Window(None, at, last_n)
    if timerel == "after":
        return Window(at, None, last_n)
    if not end_time_at:
        raise bad("timerel=between needs endTimeAt")
    end = parse_time(end_time_at, "endTimeAt")
    if end <= at:
        raise bad("endTimeAt must be after timeAt")
    return Window(at, end, last_n)


def period_seconds(text: str | None) -> int:
    """``PT1H`` -> 3600; whole minutes only, from one minute to 366 days."""
    match = _DURATION.match(text or "")
    if not text or not match or not any(match.groups()):
        raise bad("aggrPeriodDuration is an ISO 8601 duration such as PT1M, PT15M, PT1H or P1D")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = days * 86400 + hours * 3600 + minutes * 60 + seconds
    if total % 60 or not 60 <= total <= 366 * 86400:
        raise bad("aggrPeriodDuration is whole minutes, from PT1M to P366D")
    return total


def instances(db: Session, entity: Entity, attrs: list[str] | None, when: Window) -> dict[str, list[dict[str, Any]]]:
    """Each attribute's readings in the window, oldest first (the newest ``lastN`` if asked)."""
    out: dict[str, list[dict[str, Any]]] = {}
    names = attrs or sorted(set(db.scalars(select(Reading.attribute).where(Reading.entity_pk == entity.id)
                                           .distinct())))
    for name in names:
        stmt = select(Reading.observed_at, Reading.value, Reading.text).where(
            Reading.entity_pk == entity.id, Reading.attribute == name)
        if when.start:
            stmt = stmt.where(Reading.observed_at >= when.start)
        if when.end:
            stmt = stmt.where(Reading.observed_at < when.end)
        stmt = stmt.order_by(Reading.observed_at.desc()).limit(when.last_n or MAX_INSTANCES)
        rows = list(reversed(db.execute(stmt).all()))
        if not rows:
            continue
        unit = entity.attrs.get(name, {}).get("unitCode") if isinstance(entity.attrs.get(name), dict) else None
        out[name] = [{"type": "Property", "value": v if v is not None else t, "observedAt": format_time(_utc(at)),
                      **({"unitCode": unit} if unit else {})} for at, v, t in rows]
    return out


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def aggregated(db: Session, entity: Entity, attrs: list[str] | None, when: Window, methods: list[str],
               period: int) -> dict[str, dict[str, Any]]:
    """``{"attr": {"type": "Property", "avg": [[value, start, end], ...], ...}}`` from the rollups."""
    bad_methods = [m for m in methods if m not in METHODS]
    if not methods or bad_methods:
        raise bad("aggrMethods is a list of avg, min, max, sum, count")
    source = 3600 if period % 3600 == 0 else 60
    start = int(when.start.timestamp()) if when.start else None
    end = int(when.end.timestamp()) if when.end else None
    if period == source:  # the buckets are the periods: read them as they lie in the primary key's order
        slot: Any = Rollup.bucket
        stmt = select(Rollup.attribute, slot, Rollup.count, Rollup.total, Rollup.minimum, Rollup.maximum)
    else:
        slot = (Rollup.bucket - (Rollup.bucket % period)).label("slot")
        stmt = select(Rollup.attribute, slot, func.sum(Rollup.count), func.sum(Rollup.total),
                      func.min(Rollup.minimum), func.max(Rollup.maximum))
    stmt = stmt.where(Rollup.entity_pk == entity.id, Rollup.period == source)
    if attrs:
        stmt = stmt.where(Rollup.attribute.in_(attrs))
    if start is not None:
        stmt = stmt.where(Rollup.bucket >= start - start % source)
    if end is not None:
        stmt = stmt.where(Rollup.bucket < end)
    if period != source:
        stmt = stmt.group_by(Rollup.attribute, slot)
    stmt = stmt.order_by(Rollup.attribute, slot)
    out: dict[str, dict[str, Any]] = {}
    for name, at, counted, total, low, high in db.execute(stmt):
        count = int(counted)  # PostgreSQL sums a BIGINT as NUMERIC
        values = {"avg": total / count if count else None, "min": low, "max": high, "sum": total, "count": count}
        begin = format_time(dt.datetime.fromtimestamp(int(at), dt.UTC))
        finish = format_time(dt.datetime.fromtimestamp(int(at) + period, dt.UTC))
        attr = out.setdefault(name, {"type": "Property", **{m: [] for m in methods}})
        for method in methods:
            attr[method].append([values[method], begin, finish])
    if when.last_n:
        for attr in out.values():
            for method in methods:
                attr[method] = attr[method][-when.last_n:]
    return out
