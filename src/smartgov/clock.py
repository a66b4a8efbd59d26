"""The platform's one clock. Tests move it instead of sleeping (SLA, token expiry, throttling).

Instants are UTC; calendar days ("today", a person's age on a date, a business day) are days in
the platform's time zone (``SMARTGOV_TIMEZONE``, Asia/Tehran by default), and so are the dates
and times people see.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    base = _frozen if _frozen is not None else dt.datetime.now(dt.UTC)
    return base + _offset


def advance(delta: dt.timedelta) -> None:
    """Move the clock forward (tests and simulations only)."""
    global _offset
    _offset += delta


def freeze(at: dt.datetime | None) -> None:
    """Stop the clock at ``at`` (``None`` lets it run again)."""
    global _frozen
    _frozen = at


def reset() -> None:
    global _offset, _frozen
    _offset = dt.timedelta(0)
    _frozen = None


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The platform's time zone."""
    from smartgov.settings import get_settings

    return _zone(get_settings().timezone)


def local(value: dt.datetime) -> dt.datetime:
    """An instant as wall-clock time in the platform's zone (naive values are taken as UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(zone())


def today() -> dt.date:
    """Today in the platform's time zone (what a calendar on an office wall says)."""
    return local(now()).date()


def day_start(day: dt.date) -> dt.datetime:
    """The instant ``day`` begins in the platform's time zone, in UTC (for ``start <= t < next start``)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone()).astimezone(dt.UTC)
