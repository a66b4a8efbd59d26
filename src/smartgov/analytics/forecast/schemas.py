"""Request and response bodies of the forecasts API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smartgov.digits import Date

from .fund import Assumptions

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Kind = Literal["nowruz", "solar", "lunar", "agency"]


class HolidayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: Date
    name_en: Name
    name_fa: Name
    kind: Kind = "agency"


class HolidayPublic(BaseModel):
    id: int
    day: dt.date
    name_en: str
    name_fa: str
    kind: str


class SeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_year: int = Field(ge=1380, le=1500, description="First Jalali year")
    last_year: int = Field(ge=1380, le=1500, description="Last Jalali year (at most five after the first)")


class SeedPublic(BaseModel):
    added: int


class ScenarioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_en: Name
    title_fa: Name
    assumptions: Assumptions


class ScenarioPublic(BaseModel):
    code: str
    title_en: str
    title_fa: str
    assumptions: Assumptions


class YearPublic(BaseModel):
    year: int
    workers: float
    pensioners: float
    contributions: int
    outlays: int
    interest: int
    balance: int


class ProjectionPublic(BaseModel):
    scenario: ScenarioPublic
    first_negative_year: int | None
    out_of_range: int | None = Field(description="The year amounts grew past what can be held; rows stop there")
    years: list[YearPublic]


class FundPublic(BaseModel):
    on: dt.date
    contributors: int
    pensioners: int
    estimated_pensioners: int
    projections: list[ProjectionPublic]


class AccuracyPublic(BaseModel):
    method: str
    mape: float | None
    smape: float | None
    wape: float | None
    pairs: int
    nonzero: int
    origins: int


class PointPublic(BaseModel):
    week: dt.date
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    holidays: int


class DemandRunPublic(BaseModel):
    service: str
    made_at: dt.datetime
    method: str
    history_weeks: int
    test_weeks: int
    horizon: int
    mape: float | None = Field(description="Backtest MAPE (%) over weeks with nonzero demand")
    smape: float | None
    wape: float | None
    candidates: list[AccuracyPublic]
    history: list[tuple[dt.date, float]]
    points: list[PointPublic]

    @classmethod
    def of(cls, summary: dict[str, Any]) -> DemandRunPublic:
        return cls.model_validate(summary)


class DemandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    horizon: int = Field(default=8, ge=1, le=26, description="Weeks ahead")
