"""In Persian: an agency admin reads the demand forecast (chart drawn, MAPE beside it), the fund's
scenarios side by side (chart and tables), edits a scenario with a mistake and sees the error by
its field, and the holiday calendar; axe-core finds nothing serious on any of these pages."""

from __future__ import annotations

from typing import Any

from tests.analytics_forecast.support import SERVICE, arrange
from tests.browser.conftest import serious_violations, sign_in


def test_forecast_pages_in_persian_are_drawn_and_accessible(page: Any, db: Any) -> None:
    people = arrange(db)
    sign_in(page, people["admin"])

    page.goto("/analytics/forecasts")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "MAPE" in page.locator("main table").inner_text()
    assert serious_violations(page) == []

    page.goto(f"/analytics/forecasts/demand/{SERVICE}")
    page.wait_for_selector("#chart-demand[data-drawn=true]")
    assert "MAPE" in page.locator("main dl").inner_text()
    assert serious_violations(page) == []

    page.goto("/analytics/forecasts/fund")
    page.wait_for_selector("#chart-fund[data-drawn=true]")
    assert "قواعد فعلی" in page.locator("main table").first.inner_text()
    assert serious_violations(page) == []

    page.goto("/analytics/forecasts/fund/scenarios/base")
    page.locator("#f-wage_growth").fill("زیاد")
    page.get_by_role("button", name="ذخیرهٔ سناریو").click()
    page.wait_for_load_state()
    assert page.locator("#f-wage_growth").get_attribute("aria-invalid") == "true"
    assert "عدد" in page.locator("#f-wage_growth-error").inner_text()
    assert serious_violations(page) == []

    page.goto("/analytics/forecasts/holidays")
    assert "نوروز" in page.locator("main table").inner_text()
    assert serious_violations(page) == []
