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


def test_repeated_reads_by_one_official_read_as_one_line(page: Any, database: Any) -> None:
    """An official opens a person's record five times and another official once: two lines, not six,
    each with its count and first read in Persian; the home panel says the same."""
    import datetime as dt

    from smartgov import clock
    from smartgov.exchange import privacy
    from smartgov.i18n import format_date
    from smartgov.identity import Role

    first = clock.now() - dt.timedelta(days=10)
    clock.freeze(first)
    with database.unit_of_work() as db:
        registry(db)
        citizen = create_account(db, username="maryam")
        code = citizen.person.national_code
        officials = [create_account(db, username=u, role=Role.OFFICIAL, organization="sso").id for u in ("reza", "ali")]
    for official, times in zip(officials, (5, 1), strict=True):
        for _ in range(times):
            with database.unit_of_work() as db:
                privacy.record_access(db, code, official, "sso", "insurance.record", "pension-claim",
                                      what_fa="سابقهٔ بیمه", what_en="Insurance record")
            clock.advance(dt.timedelta(days=1))
    fifth = first + dt.timedelta(days=4)
    clock.reset()  # back to now: the session cookie must not be born expired
    page.goto("/login?next=/account/data-access")
    page.get_by_label("نام کاربری").fill("maryam")
    page.get_by_label("گذرواژه").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    texts = rows.all_inner_texts()
    assert "یک بار" in texts[0] and "سابقهٔ بیمه" in texts[0]
    assert "۵ بار" in texts[1] and "نخستین بار" in texts[1]
    assert format_date(first, "fa") in texts[1] and format_date(fifth, "fa") in texts[1]
    assert serious_violations(page) == []
    page.goto("/home")
    panel = page.locator("#panel-data-access").inner_text()
    assert "(۵ بار)" in panel and "سابقهٔ بیمه" in panel
