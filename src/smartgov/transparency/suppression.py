"""Small-cell suppression of everything the platform publishes from its rollups (datasets, reports).

One rule, one setting (``SMARTGOV_SUPPRESS_BELOW``, default 5):

* **primary**: a cell made from 1 to threshold − 1 cases or events is published with its value and
  count empty and ``suppressed`` true — a mean, a percentile or a count over one or two people could
  point at them (none at all points at nobody: a zero is published, as the dashboards do,
  ``analytics.charts.is_suppressed``);
* **complementary**: published totals are sums of their parts (a month's national figure of the
  agencies', an agency's of its services', counts and the totals behind means alike), so when exactly
  one part of a total is suppressed it could be had by subtraction; the smallest other published part of
  that total is suppressed with it. Parts whose counts do not sum to the total (cases without a
  service) are treated as if they did: it only ever suppresses more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from smartgov.settings import get_settings


def threshold() -> int:
    """The smallest count that is published."""
    return int(get_settings().suppress_below)


@dataclass
class Cell:
    """One published figure: ``value``/``count`` are ``None`` once suppressed."""

    value: float | None
    count: int | None
    suppressed: bool = False

    @classmethod
    def of(cls, value: float | None, count: int, below: int) -> Cell:
        """The primary rule."""
        if 0 < count < below:
            return cls(None, None, True)
        return cls(value, count, False)

    def suppress(self) -> None:
        self.value, self.count, self.suppressed = None, None, True


def complementary(parts: Iterable[Cell]) -> int:
    """Suppress a second part of a total whose parts include exactly one suppressed cell; how many it did."""
    parts = list(parts)
    hidden = [p for p in parts if p.suppressed]
    shown = [p for p in parts if not p.suppressed]
    if len(hidden) != 1 or not shown:
        return 0
    min(shown, key=lambda p: p.count or 0).suppress()
    return 1
