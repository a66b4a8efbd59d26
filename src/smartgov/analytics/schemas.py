"""Pydantic models of the analytics API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from smartgov.digits import Amount, Date

from .catalogue import Kpi
from .service import Point


class KpiPublic(BaseModel):
    """One KPI: its bilingual definition, unit, direction (which way is better), target and owner."""

    code: str
    title: dict[str, str] = Field(description="{'en': ..., 'fa': ...}")
    definition: dict[str, str]
    unit: str = Field(description="count, days, percent, rial or score.")
    direction: Literal["up", "down"] = Field(description="up: more is better; down: less is better.")
    target: float | None
    owner_agency_code: str | None
    public: bool

    @classmethod
    def of(cls, kpi: Kpi) -> KpiPublic:
        return cls(code=kpi.code, title=kpi.title, definition=kpi.definition, unit=kpi.unit,
                   direction=kpi.direction, target=kpi.target, owner_agency_code=kpi.owner_agency_code,
                   public=kpi.public)


class PointPublic(BaseModel):
    period: dt.date = Field(description="First day of the period (weeks start on Saturday; months are Jalali).")
    value: float | None = Field(description="The KPI's value; null when there was nothing to compute it from.")
    count: int = Field(description="How many events or cases made the value.")

    @classmethod
    def of(cls, point: Point) -> PointPublic:
        return cls(period=point.period, value=point.value, count=point.count)


class SeriesPublic(BaseModel):
    kpi: KpiPublic
    grain: Literal["day", "week", "month"]
    points: list[PointPublic]


class BreakdownItem(BaseModel):
    key: str = Field(description="The service code, organization id or channel.")
    value: float | None
    count: int


class BreakdownPublic(BaseModel):
    kpi: KpiPublic
    by: Literal["service", "agency", "branch", "channel"]
    start: dt.date
    end: dt.date
    items: list[BreakdownItem]


class KpiChange(BaseModel):
    """What an agency admin may change; fields left out stay as they are."""

    target: float | None = Field(None, ge=-1e15, le=1e15)
    public: bool | None = None
    owner_agency_code: str | None = Field(None, max_length=40, description="Platform admins only.")


class OperatingCostIn(BaseModel):
    agency: str = Field(max_length=40, description="Code of the agency.")
    period_start: Date
    period_end: Date
    amount: Amount = Field(description="Operating cost of the period, in rial.")
    note: str | None = Field(None, max_length=500)


class OperatingCostPublic(BaseModel):
    agency_id: int
    period_start: dt.date
    period_end: dt.date
    amount: int
    note: str | None
    entered_by: int | None
    entered_at: dt.datetime
