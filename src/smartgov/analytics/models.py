"""Analytics tables: KPI settings, rollups, the event watermark and agencies' operating costs.

Rollups are derived data: ``smartgov analytics rebuild`` truncates them and replays the event
store. Dimensions are NOT NULL with neutral values ("" and 0) so the unique key really is one
row per cell (NULLs never collide in a unique index) and increments are single upserts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Date, Float, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base


class KpiSetting(Base):
    """What an agency admin may change about a KPI (the definition itself is data in ``kpis.yaml``)."""

    __tablename__ = "analytics_kpi"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    target: Mapped[float | None] = mapped_column(Float)
    owner_agency_code: Mapped[str | None] = mapped_column(String(40))
    public: Mapped[bool]
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[int | None]


class _Cells:
    """The columns of a rollup cell: a measure in a period for a service × agency × branch × channel
    (× histogram bucket). ``count`` is how many events made it, ``total`` the sum of their values
    (seconds, rial, a score, a day number); ``bucket`` is -1 except for duration histograms."""

    id: Mapped[int] = mapped_column(primary_key=True)
    measure: Mapped[str] = mapped_column(String(40))
    day: Mapped[dt.date] = mapped_column(Date)
    service: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[int]
    branch_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(10))
    bucket: Mapped[int]
    count: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[float] = mapped_column(Float)


CELL_KEY = ("measure", "day", "service", "agency_id", "branch_id", "channel", "bucket")
CUT_KEY = ("measure", "grain", "dim", "day", "key", "channel", "bucket")


class Rollup(_Cells, Base):
    """One cell of a day (``day``)."""

    __tablename__ = "analytics_rollup"
    __table_args__ = (UniqueConstraint(*CELL_KEY, name="uq_analytics_rollup_cell"),)
    # queries name the measure first: the unique index serves them


class RollupMonth(_Cells, Base):
    """The same cells summed over a Jalali month (``day`` is the month's first day), kept by the same
    upsert: a year's dashboard reads twelve of these instead of 365 days of cells (``service._cells``)."""

    __tablename__ = "analytics_rollup_month"
    __table_args__ = (UniqueConstraint(*CELL_KEY, name="uq_analytics_rollup_month_cell"),)


class RollupCut(Base):
    """A cell summed over every dimension but one (``dim``: ``""`` for none — the national figure —,
    ``service``, ``agency`` or ``branch``, whose value is ``key`` as text), per day (``grain`` ``d``) or
    Jalali month (``m``, ``day`` its first day). Dashboards mostly ask for the nation, one service, one
    agency or one branch, or break a figure down by one of them: these few rows answer them, where the
    cells would be summed over every other dimension at each view (``service._cells``)."""

    __tablename__ = "analytics_rollup_cut"
    __table_args__ = (UniqueConstraint(*CUT_KEY, name="uq_analytics_rollup_cut_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure: Mapped[str] = mapped_column(String(40))
    grain: Mapped[str] = mapped_column(String(1))
    dim: Mapped[str] = mapped_column(String(10))
    day: Mapped[dt.date] = mapped_column(Date)
    key: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))
    bucket: Mapped[int]
    count: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[float] = mapped_column(Float)


class Watermark(Base):
    """How far the rollups have read the event store: every id ≤ ``position`` is counted, but ``gaps``.

    ``gaps`` maps an id below ``position`` that was missing when read (a transaction that took its
    id earlier and had not committed yet, on PostgreSQL) to when it was first missed; it is looked
    for again each round until it appears or is older than the grace (a rolled-back id never will).
    """

    __tablename__ = "analytics_watermark"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    gaps: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime]


class OperatingCost(Base):
    """An agency's operating cost for a period, in rial, as its admin typed it (audited by an event)."""

    __tablename__ = "analytics_operating_cost"
    __table_args__ = (UniqueConstraint("agency_id", "period_start", name="uq_analytics_operating_cost_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int]
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(500))
    entered_by: Mapped[int | None]
    entered_at: Mapped[dt.datetime]


class ReturnedCase(Base):
    """An open case that was sent back to its applicant at least once (first-time-right reads it at the
    decision, then the row goes): state the rollups keep between events, rebuilt with them."""

    __tablename__ = "analytics_returned_case"

    application_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
