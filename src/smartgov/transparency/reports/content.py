"""What a performance report says, as one JSON record (the record that is signed).

Read only through ``smartgov.analytics``' surface (``kpis``, ``value``, ``breakdown``), with the
platform's small-cell suppression (``transparency.figures``): the report of an agency shows its
figures as parts of the national ones, so a figure hidden in one report cannot be had by
subtracting the others. Forecasts against actuals: ``accuracy.py``. The caller passes a session on
the read-only database (``analytics.read_session``): everything here is a read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from smartgov import analytics, clock
from smartgov.identity import OrganizationView

from ..figures import Figures
from ..suppression import Cell
from . import accuracy
from .quarters import Quarter

KIND = "smartgov.performance_report.v1"
SLA = "sla_compliance"
PARTICIPATION = ("petitions_answered_on_time", "comments_posted", "votes_cast")
ACTIVITY = ("applications_received", "applications_decided")  # an agency with neither gets no report


def _cell(cell: Cell) -> dict[str, Any]:
    value = None if cell.value is None else round(float(cell.value), 4)
    return {"value": value, "count": cell.count, "suppressed": cell.suppressed}


def _met(k: analytics.Kpi, value: float | None) -> bool | None:
    if k.target is None or value is None:
        return None
    return value >= k.target if k.direction == "up" else value <= k.target


def _figure(figures: Figures, k: analytics.Kpi, start: dt.date, end: dt.date, agency: OrganizationView | None) -> Cell:
    if agency is None:
        return figures.national(k.code, start, end)
    return figures.of_agency(k.code, start, end, agency.id)


def active_agencies(figures: Figures, quarter: Quarter) -> list[int]:
    """Agencies that received or decided applications in the quarter (by id), which get a report."""
    found: set[int] = set()
    for code in ACTIVITY:
        found.update(int(key) for key in figures.by_agency(code, quarter.start, quarter.end))
    return sorted(found)


def build(db: Session, quarter: Quarter, agency: OrganizationView | None, *, below: int) -> dict[str, Any]:
    """The report of ``quarter`` for ``agency`` (``None``: national): targets against what happened per
    public KPI, the change from the previous quarter, the quarter's months beside the previous
    quarter's, SLA misses, participation answered, and forecasts against actuals."""
    figures = Figures(db, below)
    previous = quarter.previous
    months = [*previous.months(), *quarter.months()]
    bounds = [(m, (months[i + 1] if i + 1 < len(months) else quarter.next.start) - dt.timedelta(days=1))
              for i, m in enumerate(months)]
    rows: list[dict[str, Any]] = []
    for k in analytics.kpis(db):
        if not k.public:
            continue
        now = _figure(figures, k, quarter.start, quarter.end, agency)
        before = _figure(figures, k, previous.start, previous.end, agency)
        if agency is not None and not any(str(agency.id) in figures.by_agency(k.code, q.start, q.end)
                                          for q in (quarter, previous)):
            continue  # nothing of this agency's is counted in this KPI (comments, votes: national only)
        change = None if now.value is None or before.value is None else round(now.value - before.value, 4)
        rows.append({
            "code": k.code, "title": dict(k.title), "unit": k.unit, "direction": k.direction, "target": k.target,
            **_cell(now), "previous": _cell(before), "change": change, "met": _met(k, now.value),
            "months": [{"period": start.isoformat(), **_cell(_figure(figures, k, start, end, agency))}
                       for start, end in bounds],
        })
    by_code = {row["code"]: row for row in rows}
    sla = by_code.get(SLA)
    missed = None
    if sla is not None and sla["value"] is not None and sla["count"]:
        late = round(sla["count"] * (1 - sla["value"] / 100))
        missed = _cell(Cell.of(float(late), late, below))
    return {
        "kind": KIND, "quarter": str(quarter), "start": quarter.start.isoformat(), "end": quarter.end.isoformat(),
        "previous_quarter": str(previous), "scope": agency.code if agency else "national",
        "agency": ({"code": agency.code, "name_fa": agency.name_fa, "name_en": agency.name_en} if agency else None),
        "generated_at": clock.now().isoformat(timespec="seconds"), "suppress_below": below, "kpis": rows,
        "sla": {"kpi": SLA, "decided_with_deadline": sla["count"] if sla else None,
                "on_time_percent": sla["value"] if sla else None, "missed": missed},
        "participation": [code for code in PARTICIPATION if code in by_code],
        "forecasts": accuracy.build(db, quarter, agency, below=below),
    }
