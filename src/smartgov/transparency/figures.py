"""Published figures from the analytics surface, with small cells suppressed (``suppression.py``).

Shared by the platform's datasets and the performance reports, so both publish the same numbers:
a national figure, the agencies' figures as parts of it, and an agency's services' as parts of the
agency's (complementary suppression at each level). Only ``smartgov.analytics``' surface is read.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from smartgov import analytics

from .suppression import Cell, complementary


class Figures:
    """The figures of one publication run (one session, one threshold), each breakdown asked once."""

    def __init__(self, db: Session, below: int) -> None:
        self.db, self.below = db, below
        self._agencies: dict[tuple[str, dt.date, dt.date], dict[str, Cell]] = {}

    def national(self, code: str, start: dt.date, end: dt.date) -> Cell:
        """``code`` over [start, end] for the whole platform."""
        point = analytics.value(self.db, code, start=start, end=end)
        return Cell.of(point.value, point.count, self.below)

    def by_agency(self, code: str, start: dt.date, end: dt.date) -> dict[str, Cell]:
        """Every agency's figure (by organization id as text), primary and complementary suppression applied."""
        key = (code, start, end)
        if key not in self._agencies:
            cells = {k: Cell.of(p.value, p.count, self.below)
                     for k, p in analytics.breakdown(self.db, code, by="agency", start=start, end=end)}
            complementary(cells.values())
            self._agencies[key] = cells
        return self._agencies[key]

    def of_agency(self, code: str, start: dt.date, end: dt.date, agency_id: int) -> Cell:
        """One agency's figure, suppressed as a part of the national total; no data: suppressed."""
        found = self.by_agency(code, start, end).get(str(agency_id))
        return Cell(found.value, found.count, found.suppressed) if found else Cell(None, None, True)

    def by_service(self, code: str, start: dt.date, end: dt.date, agency_id: int) -> dict[str, Cell]:
        """An agency's services' figures (by service code), suppressed as parts of the agency's total."""
        cells = {k: Cell.of(p.value, p.count, self.below)
                 for k, p in analytics.breakdown(self.db, code, by="service", start=start, end=end,
                                                 agency_id=agency_id)}
        complementary(cells.values())
        return cells
