"""Small-cell suppression for participation statistics.

A published count below ``K`` could point at a handful of identifiable people (one woman over
60 in a small province). Such cells are hidden (``None``); and when the hidden cells of a
breakdown add up to less than ``K``, the next-smallest visible cells are hidden too, so the
hidden values cannot be recovered by subtracting the visible ones from the total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

K = 5

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("<18", 0, 17), ("18-29", 18, 29), ("30-44", 30, 44), ("45-59", 45, 59), ("60+", 60, 200),
)


def age_band(birth: dt.date | None, on: dt.date) -> str | None:
    if birth is None:
        return None
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return next(band for band, lo, hi in AGE_BANDS if lo <= age <= hi)


def suppress(counts: Mapping[str, int], k: int = K) -> dict[str, int | None]:
    """``counts`` with every cell below ``k`` (and enough neighbours) replaced by ``None``."""
    shown: dict[str, int | None] = {key: (n if n >= k else None) for key, n in counts.items()}
    hidden_sum = sum(n for key, n in counts.items() if shown[key] is None)
    while 0 < hidden_sum < k:
        visible = sorted((n, key) for key, n in counts.items() if shown[key] is not None)
        if not visible:
            break
        n, key = visible[0]
        shown[key] = None
        hidden_sum += n
    return shown


def suppress_total(total: int, k: int = K) -> int | None:
    return total if total >= k else None
