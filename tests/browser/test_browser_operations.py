"""An official watches the Persian operations centre: a reading crossing a threshold arrives on the
open page by server-sent events (the alert queue and the latest value change in place), then the
sensor's page draws its chart with a Jalali time axis and Persian digits. axe-core finds no
serious violation on either page."""

from __future__ import annotations

from typing import Any

import pytest

from smartgov.identity.models import Role
from smartgov.operations.config import operations_settings
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import create_account
from tests.operations.helpers import operator, provision, station, work_order_setup

JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


def test_an_alert_arrives_live_and_the_sensor_chart_speaks_persian(page: Any, client: Any, db: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTGOV_OPERATIONS_LIVE_INTERVAL", "0.2")
    operations_settings.cache_clear()
    h = operator(client, db)
    work_order_setup(db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.33, 35.65), headers=h).status_code == 201
    key = provision(client, h, "aq-1", "urn:ngsi-ld:AirQualityObserved:1")
    assert client.post("/api/v1/operations/rules", headers=h, json={
        "name": "PM2.5 unhealthy", "entity_type": "AirQualityObserved", "attribute": "pm25", "kind": "threshold",
        "condition": "value > 55", "severity": 3}).status_code == 201
    for value in (20, 40):
        assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": value}).status_code == 200
    official = create_account(db, "watcher", Role.OFFICIAL, organization="thr-city")
    db.commit()

    sign_in(page, official)
    page.goto("/operations")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("#live-status:not([hidden])").wait_for()  # the stream is open
    assert "هشدار بازی نیست" in page.locator("#live-alerts").inner_text()
    assert serious_violations(page) == []

    assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 80}).status_code == 200
    page.locator("#live-alerts").get_by_role("cell", name="PM2.5 unhealthy", exact=True).wait_for()  # no reload
    page.locator("#live-alerts").get_by_role("button", name="تأیید دیدن — PM2.5 unhealthy").wait_for()
    page.locator("td[id^=values-]", has_text="۸۰").wait_for()
    assert page.locator("#live-status").get_attribute("data-updates") not in (None, "0")
    assert serious_violations(page) == []
    # the form the event drew carries this visitor's CSRF token: acknowledging works from it
    page.locator("#live-alerts").get_by_role("button", name="تأیید دیدن — PM2.5 unhealthy").click()
    page.wait_for_url("**/operations?done=acknowledged*")
    assert page.locator("#live-alerts").get_by_role("button").count() == 0

    page.get_by_role("link", name="urn:ngsi-ld:AirQualityObserved:1").first.click()
    page.wait_for_url("**/operations/entities/**")
    page.locator("#chart-series[data-drawn=true]").wait_for()
    ticks = page.locator("#chart-series .xtick text, #chart-series .ytick text") \
        .evaluate_all("els => els.map(e => e.textContent)")  # SVG text has no innerText
    assert ticks and not any(ch.isascii() and ch.isdigit() for t in ticks for ch in t)  # Persian digits
    assert any(month in t for t in ticks for month in JALALI_MONTHS)  # a Jalali day on the time axis
    assert "۸۰" in page.locator("#series-table").inner_text()  # the table holds the chart's numbers
    assert serious_violations(page) == []
