"""Stored forecast data: the holiday calendar, fund scenarios, and the fund's population read through
the insurance surface (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from smartgov import clock, insurance
from smartgov.analytics.forecast import fund, service
from smartgov.analytics.forecast.events import FUND_SCENARIO_CHANGED, HOLIDAY_CHANGED
from smartgov.errors import Conflict, NotFound
from smartgov.events import EventRecord
from smartgov.insurance.models import Contribution, InsuredPerson, InsuredStatus
from tests.insurance.support import WAGE, arrange


def published(db, name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e.payload for e in db.scalars(select(EventRecord).where(EventRecord.name == name).order_by(EventRecord.id))]


def test_holidays_are_seeded_once_and_every_edit_is_an_event(db) -> None:  # type: ignore[no-untyped-def]
    added = service.seed_holidays(db, None, 1403, 1404)
    assert added == len([h for y in (1403, 1404) for h in service.calendar.solar_holidays(y)]) + len(
        [h for h in service.calendar.seed_holidays(1403, 1404) if h.kind == "lunar"])
    assert service.seed_holidays(db, None, 1403, 1404) == 0
    row = service.add_holiday(db, None, day=dt.date(2025, 5, 6), name_en="Flood closure", name_fa="تعطیلی سیل")
    with pytest.raises(Conflict):
        service.add_holiday(db, None, day=dt.date(2025, 5, 6), name_en="Flood closure", name_fa="تکرار")
    service.update_holiday(db, None, row.id, day=dt.date(2025, 5, 7), name_en="Flood closure",
                           name_fa="تعطیلی سیل", kind="agency")
    service.remove_holiday(db, None, row.id)
    with pytest.raises(NotFound):
        service.holiday(db, row.id)
    db.commit()
    actions = [(e["action"], e.get("day")) for e in published(db, HOLIDAY_CHANGED)]
    assert actions == [("seeded", None), ("added", "2025-05-06"), ("changed", "2025-05-07"), ("removed", "2025-05-07")]
    nowruz = service.holidays(db, dt.date(2025, 3, 21), dt.date(2025, 3, 24))
    assert [h.day.day for h in nowruz if h.kind == "nowruz"] == [21, 22, 23, 24]
    assert [h.day.day for h in nowruz if h.kind == "lunar"] == [22]  # a day may hold two holidays


def test_the_fund_population_comes_through_the_insurance_surface(db) -> None:  # type: ignore[no-untyped-def]
    """The retiree (62, 25 years, still working) contributes; once inactive, he is an estimated pensioner."""
    people = arrange(db)
    db.commit()
    today = clock.today()
    population = insurance.fund_population(db, today)
    by_age = {(g.sex, g.age): g for g in population.contributors}
    retiree = by_age[(insurance.Sex.MALE, 62)]
    young = by_age[(insurance.Sex.FEMALE, 35)]
    assert (retiree.count, retiree.monthly_amount, young.monthly_amount) == (1, WAGE, WAGE)
    assert retiree.contribution_years == pytest.approx(25, abs=0.02)
    assert young.contribution_years == pytest.approx(10, abs=0.02)
    assert population.pensioners == []

    code = people["retiree"].person.national_code
    db.execute(update(InsuredPerson).where(InsuredPerson.national_code == code).values(status=InsuredStatus.INACTIVE))
    db.commit()
    population = insurance.fund_population(db, today)
    [pensioner] = population.pensioners
    days = db.scalar(select(func.sum(Contribution.days)).where(Contribution.national_code == code))
    assert pensioner.monthly_amount == insurance.pension_amount([WAGE], days).amount
    assert population.estimated_pensioners == 1
    assert [(g.sex, g.age) for g in population.contributors] == [(insurance.Sex.FEMALE, 35)]


def test_default_scenarios_project_side_by_side(db) -> None:  # type: ignore[no-untyped-def]
    arrange(db)
    db.commit()
    today = clock.today()
    assert service.ensure_default_scenarios(db, None, today) == 4
    assert service.ensure_default_scenarios(db, None, today) == 0
    db.commit()
    _population, projections = service.fund_projections(db, today)
    codes = [row.code for row, _p in projections]
    assert codes == ["base", "rate-33", "retire-plus-2", "wages-15"]
    base, rate, *_ = (p for _r, p in projections)
    assert base.rows[0].year == service.jalali_year(today)
    assert rate.rows[0].contributions > base.rows[0].contributions
    assert base.rows[0].contributions == 12 * 2 * insurance.contribution_split(WAGE).total
    assert len(published(db, FUND_SCENARIO_CHANGED)) == 4


def test_a_scenario_is_saved_and_replaced(db) -> None:  # type: ignore[no-untyped-def]
    a = fund.Assumptions(start_year=1405, years=10)
    service.save_scenario(db, None, code="mine", title_en="Mine", title_fa="مال من", assumptions=a)
    service.save_scenario(db, None, code="mine", title_en="Mine", title_fa="مال من",
                          assumptions=a.model_copy(update={"years": 12}))
    db.commit()
    row = service.scenario(db, "mine")
    assert service.assumptions_of(row).years == 12
    service.remove_scenario(db, None, "mine")
    db.commit()
    assert service.scenarios(db) == []
    assert [e["action"] for e in published(db, FUND_SCENARIO_CHANGED)] == ["added", "changed", "removed"]
