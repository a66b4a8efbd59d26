"""Tables of the forecasts: the holidays agencies edit, the fund's scenarios, and demand runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base


class Holiday(Base):
    """An official day off (kind: nowruz, solar, lunar, agency); forecasts read these rows."""

    __tablename__ = "analytics_forecast_holiday"
    __table_args__ = (UniqueConstraint("day", "name_en"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_fa: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))

    def name(self, lang: str) -> str:
        return self.name_fa if lang == "fa" else self.name_en


class FundScenario(Base):
    """One set of fund assumptions (``fund.Assumptions`` as JSON), shown side by side with the others."""

    __tablename__ = "analytics_forecast_scenario"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_en: Mapped[str] = mapped_column(String(120))
    title_fa: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(SmallInteger)
    assumptions: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("identity_account.id"))

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en


class DemandRun(Base):
    """A weekly demand forecast for one service as made: the chosen model, its backtest, the weeks."""

    __tablename__ = "analytics_forecast_demand_run"
    __table_args__ = (Index("ix_analytics_forecast_demand_run_service", "service", "made_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(80))
    made_at: Mapped[dt.datetime]
    method: Mapped[str] = mapped_column(String(20))
    history_weeks: Mapped[int] = mapped_column(Integer)
    test_weeks: Mapped[int] = mapped_column(SmallInteger)
    horizon: Mapped[int] = mapped_column(SmallInteger)
    mape: Mapped[float | None] = mapped_column(Float)
    smape: Mapped[float | None] = mapped_column(Float)
    wape: Mapped[float | None] = mapped_column(Float)
    candidates: Mapped[list[Any]]  # every method's backtest, as dicts
    history: Mapped[list[Any]]  # [week ISO, value] of the weeks shown before the forecast
    points: Mapped[list[Any]]  # ForecastPoint as dicts
