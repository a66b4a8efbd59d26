"""Browser, in Persian: an agency official publishes a dataset, uploads an XLSX resource and previews
it, filters it and corrects a column; a visitor finds it by a search typed with Arabic letters.
axe-core finds no serious problem on any of the portal's pages."""

from __future__ import annotations

from typing import Any

import pytest

from smartgov.identity import Role
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import create_account, create_agency
from tests.transparency.helpers import PRICES, xlsx_bytes

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_official_uploads_xlsx_and_previews_it(page: Any, database: Any) -> None:
    with database.unit_of_work() as db:
        create_agency(db, "stats", name_fa="مرکز آمار", name_en="Statistics Centre")
        official = create_account(db, "stats_official", Role.OFFICIAL, organization="stats")
    sign_in(page, official)
    page.goto("/dataset")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert serious_violations(page) == []
    page.get_by_role("link", name="انتشار مجموعه‌داده").first.click()
    page.wait_for_url("**/dataset/new")
    page.get_by_label("عنوان (فارسی)").fill("قیمت کالاها در استان‌ها")
    page.get_by_label("نام در نشانی").fill("Bad Name")
    page.get_by_role("button", name="انتشار و افزودن منبع").click()
    assert page.locator("#f-name").get_attribute("aria-invalid") == "true"  # the error is tied to its field
    assert serious_violations(page) == []
    page.get_by_label("نام در نشانی").fill("prices")
    page.get_by_label("برچسب‌ها").fill("اقتصاد، قیمت".replace("،", ","))
    page.get_by_role("button", name="انتشار و افزودن منبع").click()
    page.wait_for_url("**/dataset/prices/upload")
    assert serious_violations(page) == []
    page.get_by_label("نام منبع").fill("قیمت استان‌ها")
    page.get_by_label("پرونده (CSV یا XLSX)").set_input_files(
        {"name": "prices.xlsx", "mimeType": XLSX, "buffer": xlsx_bytes(PRICES)})
    page.get_by_role("button", name="بارگذاری و پیش‌نمایش").click()
    page.wait_for_url("**/dataset/prices/resource/*")
    table = page.locator("table.table")
    assert "تهران" in table.inner_text() and "۱٬۲۵۰٫۵۰" in table.inner_text()
    assert "فروردین ۱۴۰۲" in table.inner_text()  # a Jalali date, Persian digits
    assert serious_violations(page) == []
    page.get_by_label("ستون").select_option("استان")
    page.get_by_label("برابر با").fill("تهران")
    page.get_by_role("button", name="نمایش").click()
    page.wait_for_load_state()
    assert page.locator("table.table tbody tr").count() == 2
    page.get_by_role("link", name="ویرایش ستون‌ها").click()
    assert serious_violations(page) == []
    page.get_by_label("برچسب سال").fill("سال شمسی")
    page.get_by_role("button", name="ذخیرهٔ ستون‌ها").click()
    page.wait_for_url("**/dataset/prices/resource/*")
    assert "سال شمسی" in page.locator("table.table thead").inner_text()
    for path in ("/dataset/prices", "/organization", "/organization/stats"):
        page.goto(path)
        assert serious_violations(page) == [], path
    # a visitor types the name with Arabic ye and kaf, and finds it
    page.context.clear_cookies()
    page.goto("/dataset")
    page.get_by_role("searchbox", name="جست‌وجوی مجموعه‌داده‌ها").fill("كالاها")
    page.get_by_role("button", name="جست‌وجو", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="قیمت کالاها در استان‌ها").count() == 1
