"""The forecast pages and API: who reads, who edits, localized refusals, Jalali dates and Persian
digits, every edit an event (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from smartgov.analytics.forecast.events import FUND_SCENARIO_CHANGED, HOLIDAY_CHANGED
from smartgov.analytics.forecast.models import Holiday
from smartgov.events import EventRecord
from tests.exchange.support import csrf_of, login
from tests.factories import api_token, auth

from .support import SERVICE, arrange

API = "/api/v1/analytics/forecast"


def test_staff_read_forecasts_and_citizens_do_not(client, db) -> None:  # type: ignore[no-untyped-def]
    people = arrange(db)
    analyst = auth(api_token(client, people["analyst"]))
    citizen = auth(api_token(client, people["young"]))
    runs = client.get(f"{API}/demand", headers=analyst).json()
    assert [r["service"] for r in runs] == [SERVICE]
    run = client.get(f"{API}/demand/{SERVICE}", headers=analyst).json()
    assert run["mape"] is not None and run["method"] in {c["method"] for c in run["candidates"]}
    assert len(run["points"]) == 8
    fund = client.get(f"{API}/fund", headers=analyst).json()
    assert [p["scenario"]["code"] for p in fund["projections"]] == ["base", "rate-33", "retire-plus-2", "wages-15"]
    assert fund["contributors"] == 2
    for path in ("/demand", f"/demand/{SERVICE}", "/fund", "/holidays", "/fund/scenarios"):
        assert client.get(API + path, headers=citizen).status_code == 403
    assert client.get(f"{API}/demand/no-such-service", headers=analyst).status_code == 404


def test_only_agency_admins_edit_and_each_edit_is_an_event(client, db) -> None:  # type: ignore[no-untyped-def]
    people = arrange(db)
    admin = auth(api_token(client, people["admin"]))
    analyst = auth(api_token(client, people["analyst"]))
    body = {"day": "۱۴۰۴/۰۲/۱۶", "name_en": "Flood closure", "name_fa": "تعطیلی سیل", "kind": "agency"}
    assert client.post(f"{API}/holidays", json=body, headers=analyst).status_code == 403
    r = client.post(f"{API}/holidays", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["day"] == "2025-05-06"
    again = client.post(f"{API}/holidays", json=body, headers=admin | {"Accept-Language": "en"})
    assert again.status_code == 409 and again.json()["error"]["field"] == "day"
    hid = r.json()["id"]
    assert client.delete(f"{API}/holidays/{hid}", headers=admin).status_code == 204
    assert client.delete(f"{API}/holidays/{hid}", headers=admin).status_code == 404
    scenario = client.get(f"{API}/fund/scenarios", headers=analyst).json()[0]
    scenario["assumptions"]["retirement_age_shift"] = 3
    put = {"title_en": "Later", "title_fa": "دیرتر", "assumptions": scenario["assumptions"]}
    assert client.put(f"{API}/fund/scenarios/later", json=put, headers=analyst).status_code == 403
    assert client.put(f"{API}/fund/scenarios/later", json=put, headers=admin).status_code == 200
    bad = {**put, "assumptions": {**scenario["assumptions"], "employer_rate_bp": 9500}}
    refused = client.put(f"{API}/fund/scenarios/later", json=bad, headers=admin)
    assert refused.status_code == 422
    names = [e.name for e in db.scalars(select(EventRecord).where(EventRecord.name.in_(
        [HOLIDAY_CHANGED, FUND_SCENARIO_CHANGED])).order_by(EventRecord.id))]
    assert names.count(HOLIDAY_CHANGED) == 3  # seeded, added, removed
    actors = {e.actor_id for e in db.scalars(select(EventRecord).where(EventRecord.name == HOLIDAY_CHANGED))}
    assert people["admin"].id in actors


def test_pages_in_persian_show_jalali_weeks_persian_digits_and_the_backtest(client, db) -> None:  # type: ignore[no-untyped-def]
    people = arrange(db)
    login(client, people["analyst"], "/analytics/forecasts")
    index = client.get("/analytics/forecasts")
    assert index.status_code == 200 and 'dir="rtl"' in index.text
    assert SERVICE in index.text and "MAPE" in index.text
    assert "Forecast a service now" not in index.text and "پیش‌بینی یک خدمت" not in index.text
    page = client.get(f"/analytics/forecasts/demand/{SERVICE}")
    assert page.status_code == 200
    assert "plotly-figure" in page.text and "<table" in page.text
    assert any(m in page.text for m in ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
                                        "آذر", "دی", "بهمن", "اسفند"))
    assert "٪" in page.text or "%" in page.text
    fund = client.get("/analytics/forecasts/fund")
    assert fund.status_code == 200 and "chart-fund" in fund.text
    holidays = client.get("/analytics/forecasts/holidays")
    assert "نوروز" in holidays.text and "۱ فروردین" in holidays.text
    assert client.get("/analytics/forecasts/fund/scenarios/base").status_code == 403


def test_admin_forms_refuse_bad_values_beside_their_fields(client, db) -> None:  # type: ignore[no-untyped-def]
    people = arrange(db)
    login(client, people["admin"], "/analytics/forecasts/fund")
    form = client.get("/analytics/forecasts/fund/scenarios/base")
    assert form.status_code == 200
    token = csrf_of(form.text)
    r = client.post("/analytics/forecasts/fund/scenarios?lang=en", data={
        "csrf_token": token, "existing": "base", "title_en": "Base", "title_fa": "پایه", "start_year": "۱۴۰۵",
        "years": "99", "opening_balance": "0", "employer_rate": "20", "insured_rate": "7", "government_rate": "3",
        "retirement_age_shift": "0", "wage_growth": "abc", "inflation": "20", "return_rate": "15",
        "entrants_per_year": "0", "entry_age": "25", "entry_wage": "1000", "mortality": "0 0.001\n60 2"})
    assert r.status_code == 422
    assert 'href="#f-wage_growth"' in r.text and 'href="#f-mortality"' in r.text
    assert 'aria-invalid="true"' in r.text
    holidays = client.get("/analytics/forecasts/holidays")
    r = client.post("/analytics/forecasts/holidays", data={"csrf_token": csrf_of(holidays.text), "day": "1404/13/01",
                                                           "name_en": "", "name_fa": "x", "kind": "agency"})
    assert r.status_code == 422 and 'href="#f-day"' in r.text and 'href="#f-name_en"' in r.text
    r = client.post("/analytics/forecasts/holidays", data={"csrf_token": csrf_of(holidays.text), "day": "۱۴۰۴/۰۲/۱۶",
                                                           "name_en": "Flood", "name_fa": "سیل", "kind": "agency"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert db.scalar(select(Holiday).where(Holiday.name_en == "Flood")).updated_by == people["admin"].id
