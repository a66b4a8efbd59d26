"""The platform's one clock. Tests move it instead of sleeping (SLA, token expiry, throttling)."""

from __future__ import annotations

import datetime as dt

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
