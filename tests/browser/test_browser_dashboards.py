"""A citizen opens the Persian public dashboard, sees the charts drawn with Persian axes and downloads a
chart's CSV; an official opens their branch's internal dashboard and the cases behind a number.
axe-core finds no serious violation on any of these pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from smartgov import clock
from smartgov.analytics import rollups
from tests.analytics.helpers import at, submitted
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import create_agency
from tests.services.helpers import arrange
from tests.services.test_services_branches import submit_tenant


def test_a_citizen_downloads_a_charts_csv_from_the_persian_dashboard(page: Any, db: Any, database: Any,
                                                                     tmp_path: Path) -> None:
    org = create_agency(db, "sso", name_fa="سازمان تأمین اجتماعی", name_en="Social Security")
    db.commit()
    day = clock.today() - dt.timedelta(days=3)
    for i in range(12):
        submitted(database, 500 + i, at(day), agency=org.id, branch=org.id)
    rollups.roll_pending(database)
    page.goto("/")
    page.get_by_role("link", name="داشبوردها").click()
    page.wait_for_url("**/dashboards")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("#chart-applications_received[data-drawn=true]").wait_for()
    ticks = page.locator("#chart-applications_received .xtick text, #chart-applications_received .ytick text") \
        .evaluate_all("els => els.map(e => e.textContent)")  # SVG text has no innerText
    assert ticks and not any(ch.isascii() and ch.isdigit() for t in ticks for ch in t)  # Persian digits
    assert serious_violations(page) == []
    with page.expect_download() as info:
        page.get_by_role("link", name="دریافت «درخواست‌های دریافت‌شده» به صورت CSV").click()
    saved = tmp_path / "received.csv"
    info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert text.startswith("آغاز بازه") and ",12,12," in text
    # the filters work without JavaScript: an agency, by month
    page.locator("#f-agency").select_option("sso")
    page.get_by_role("button", name="نمایش").click()
    page.wait_for_load_state()
    assert "agency=sso" in page.url and "داشبورد سازمان تأمین اجتماعی" in page.locator("h1").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("link", name="نسخهٔ چاپی").click()
    page.wait_for_load_state()
    assert page.locator("table.chart-table").count() > 0 and serious_violations(page) == []


def test_an_official_opens_the_cases_behind_a_number(page: Any, db: Any, database: Any) -> None:
    a = arrange(db)
    case = submit_tenant(db, a["citizen"])
    submit_tenant(db, a["citizen_isf"])
    db.commit()
    rollups.roll_pending(database)
    sign_in(page, a["official"])
    page.goto("/dashboards/internal?grain=day")
    page.locator("#chart-applications_received[data-drawn=true]").wait_for()
    assert serious_violations(page) == []
    page.locator("#block-applications_received summary").click()  # thirty days: the table is folded
    page.locator("#table-applications_received a").last.click()  # today, the last row
    page.wait_for_load_state()
    assert case.reference in page.locator("#cases").inner_text()
    assert page.locator("#case-total").inner_text() == "۱"  # the other branch's case is not among them
    assert serious_violations(page) == []
