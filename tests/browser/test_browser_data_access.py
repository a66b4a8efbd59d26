"""Browser: a citizen opens "who read my data" in Persian, sees the exchange call with its purpose,
and reports it through the accessible form (axe-core finds no serious problem)."""

from __future__ import annotations

from typing import Any

import pytest

from smartgov.exchange import service
from tests.browser.conftest import serious_violations
from tests.exchange.support import registry
from tests.factories import PASSWORD, create_account

pytestmark = pytest.mark.browser


def test_citizen_reads_and_reports_an_access(page: Any, database: Any) -> None:
    with database.unit_of_work() as db:
        registry(db)
        citizen = create_account(db, username="maryam")
        code = citizen.person.national_code
    with database.unit_of_work() as db:
        assert service.fetch(db, "IR/GOV/sso/pension", "person-status", code, "pension-claim").ok
    page.goto("/login?next=/account/data-access")
    page.get_by_label("نام کاربری").fill("maryam")
    page.get_by_label("گذرواژه").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/account/data-access")
    assert page.locator("html").get_attribute("dir") == "rtl"
    row = page.locator("table tbody tr").first
    assert "مستمری" in row.inner_text() and "وضعیت شخص" in row.inner_text()
    assert serious_violations(page) == []
    row.get_by_role("link", name="گزارش این دسترسی").click()
    page.get_by_role("button", name="ارسال گزارش").click()  # empty: the error is tied to the field
    assert page.locator("#f-reason").get_attribute("aria-invalid") == "true"
    assert serious_violations(page) == []
    page.get_by_label("چرا فکر می‌کنید این دسترسی نادرست بوده است؟").fill("من درخواست مستمری نداده‌ام.")
    page.get_by_role("button", name="ارسال گزارش").click()
    page.wait_for_url("**/account/data-access?flagged=1")
    assert "در حال بررسی" in page.locator("table").inner_text()
