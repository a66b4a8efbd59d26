"""An agency admin runs a DG-model round: two respondents answer in Persian through single-use links,
the admin sees scores, alphas, the radar chart and the roadmap, and downloads the PDF report."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest

from smartgov import clock
from smartgov.identity.models import Role
from tests.browser.conftest import csp_violations, serious_violations
from tests.factories import PASSWORD, create_account, create_agency


@pytest.fixture
def admin(db) -> Any:  # type: ignore[no-untyped-def]
    create_agency(db, "sso-demo", name_fa="سازمان تأمین اجتماعی (آزمایشی)", name_en="Social Security (test)")
    account = create_account(db, username="elham", role=Role.AGENCY_ADMIN, organization="sso-demo")
    db.commit()
    return account


def sign_in_with_totp(page: Any, account: Any, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("نام کاربری").fill(account.username)
    page.get_by_label("گذرواژه").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/mfa/verify**")
    page.locator("input[name=code]").fill(pyotp.TOTP(account.mfa_secret).at(clock.now()))
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == next_path)  # not /mfa/verify?next=...


def answer_in_persian(browser: Any, base_url: str, link: str, offset: int) -> None:
    """A respondent with a fresh browser (Persian by default) fills every radio group and submits."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    violations = csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(link)
    assert page.locator("html").get_attribute("dir") == "rtl"
    groups = page.locator("fieldset.likert")
    total = groups.count()
    assert total == 112  # 85 indicators, topped up to three statements per component
    first_legend = groups.first.locator("legend").inner_text()
    assert "سازمان ما" in first_legend
    if offset == 0:
        assert serious_violations(page) == []
    for i in range(total):
        value = 1 + (i * (offset + 1) + offset) % 5
        groups.nth(i).locator(f"input[value='{value}']").check()
    page.get_by_role("button", name="ثبت پاسخ‌ها").click()
    page.locator("#done").wait_for()
    assert "ثبت شد" in page.locator("#done").inner_text()
    page.goto(link)  # the link works once
    assert "پیش‌تر پاسخ‌ها ثبت شده" in page.locator("main").inner_text()
    context.close()
    assert violations == []


def pdf_has_text(content: bytes) -> bool:
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            data = match.group(1)
        if b"BT" in data and (b"Tj" in data or b"TJ" in data):
            return True
    return False


def test_agency_admin_runs_a_dg_round_end_to_end(page: Any, browser: Any, live_server: str, admin: Any,
                                                 tmp_path: Path) -> None:
    sign_in_with_totp(page, admin, "/assessment/rounds/new")
    page.get_by_label("چارچوب").select_option("dg-sso")
    page.get_by_label("عنوان به فارسی").fill("خودارزیابی بلوغ دیجیتال")
    page.get_by_label("عنوان به انگلیسی").fill("Digital maturity self-assessment")
    page.get_by_role("button", name="ساخت دوره").click()
    page.wait_for_url(re.compile(r".*/assessment/rounds/\d+$"))
    round_url = page.url
    page.get_by_role("button", name="باز کردن دوره").click()
    assert page.locator("#round-status").inner_text() == "باز"
    page.get_by_label("شمار پیوندهای یک‌بارمصرف").fill("2")
    page.get_by_role("button", name="ساخت دعوت‌نامه‌ها").click()
    links = page.locator("#new-links code").all_inner_texts()
    assert len(links) == 2

    for n, link in enumerate(links):
        answer_in_persian(browser, live_server, link, n)

    page.goto(round_url)
    assert page.locator("#n-submitted").inner_text() == "۲"
    page.get_by_role("button", name="بستن دوره و محاسبهٔ نتایج").click()
    page.wait_for_url("**/results")
    main = page.locator("main")
    assert "بلوغ کلی" in page.locator("#overall-score").inner_text()
    assert page.locator("#dimension-table tbody tr").count() == 9
    alpha_rows = page.locator("#alpha-table tbody tr")
    assert alpha_rows.count() == 31
    assert "۰٫۷۳۱" in alpha_rows.first.inner_text()  # published alpha, with the Persian decimal point
    assert "پاسخ کامل برای تحلیل عاملی کافی نیست" in main.inner_text()  # 2 respondents: a message, not a number
    page.locator("#chart-radar[data-drawn=true]").wait_for()
    assert page.locator("#chart-radar .main-svg").count() > 0  # Plotly drew the radar
    # named by its caption (an element with role="img" may not hold Plotly's buttons: axe nested-interactive)
    assert page.locator("#chart-radar").get_attribute("role") is None
    assert page.locator("figure:has(#chart-radar)").get_attribute("aria-labelledby") == "cap-radar"

    page.get_by_role("link", name="نقشهٔ راه").first.click()
    page.wait_for_url("**/roadmap")
    rows = page.locator(".roadmap-table tbody tr")
    assert rows.count() >= 5
    assert "فاز" in page.locator("main h2").first.inner_text()
    page.locator("input[name^=owner-]").first.fill("مدیر فناوری اطلاعات")
    page.locator("input[name^=due-]").first.fill("۱۴۰۵/۰۶/۳۱")
    page.get_by_role("button", name="ذخیرهٔ مسئولان و موعدها").click()
    page.wait_for_url("**/roadmap?saved=1")
    assert page.locator("input[name^=owner-]").first.input_value() == "مدیر فناوری اطلاعات"

    with page.expect_download() as download:
        page.get_by_role("link", name="گزارش (PDF)").click()
    target = tmp_path / "report.pdf"
    download.value.save_as(target)
    content = target.read_bytes()
    assert content.startswith(b"%PDF")
    assert pdf_has_text(content)
