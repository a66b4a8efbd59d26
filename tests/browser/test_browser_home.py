"""In Persian: each role lands on its home after signing in (a citizen's cases and messages, an
employer's wage reports due, an official's inbox and cases at risk), a 35-year-old is told she cannot
apply for a pension before its form, and an official finds a case by a national code typed in
Persian digits and keeps the search. axe-core finds no serious problem on these pages, fa and en,
and the home fits a phone's width."""

from __future__ import annotations

import datetime as dt
from typing import Any

from smartgov import clock
from smartgov.identity import Principal
from smartgov.services import submit_application
from tests.browser.conftest import serious_violations, sign_in
from tests.insurance.support import arrange

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def in_both_languages(page: Any, path: str) -> None:
    """axe-core on ``path`` in English, then in Persian (the page stays Persian after)."""
    for lang in ("en", "fa"):
        page.goto(f"/lang/{lang}?next={path}")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == lang
        assert serious_violations(page) == [], f"{path} ({lang})"


def _pension(db: Any, account: Any) -> str:
    result = submit_application(db, Principal(account=account), "pension-retirement",
                                {"bank_account": "120170000000123456789012", "declaration": True}, {})
    db.commit()
    return str(result.application.reference)


def test_each_roles_home_in_persian(page: Any, db: Any) -> None:
    a = arrange(db)
    db.commit()
    reference = _pension(db, a["retiree"])

    sign_in(page, a["retiree"])
    assert page.url.endswith("/home")  # sign-in lands on the home, not the account settings
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", name="خانهٔ من").count() == 1
    applications = page.locator("#panel-applications")
    assert reference in applications.inner_text() and "ثبت شده" in applications.inner_text()
    assert applications.locator("bdi", has_text=reference).count() == 1
    assert page.locator("#panel-data-access").count() == 1 and page.locator("#panel-notifications").count() == 1
    in_both_languages(page, "/home")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/home")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.set_viewport_size({"width": 1280, "height": 900})

    sign_in(page, a["boss"])
    assert page.url.endswith("/home")
    todo = page.locator(".home-todo").inner_text()
    assert "کارگاه الف" in todo and "کارگاه ب" not in todo  # her workshop's report is due, not a rival's
    in_both_languages(page, "/home")

    clock.advance(dt.timedelta(hours=60))  # 12 h left in "submitted": at risk
    sign_in(page, a["official"])
    assert page.url.endswith("/home")
    inbox = page.locator("#panel-inbox")
    assert "پرونده‌های باز" in inbox.inner_text() and reference in inbox.inner_text()
    in_both_languages(page, "/home")


def test_an_ineligible_person_is_told_before_the_pension_form(page: Any, db: Any) -> None:
    a = arrange(db)
    db.commit()
    sign_in(page, a["young"])
    page.goto("/services")
    page.get_by_role("link", name="درخواست مستمری بازنشستگی").first.click()
    page.wait_for_load_state()
    reasons = page.locator(".error-summary").inner_text()
    assert "نمی‌توانید درخواست دهید، زیرا:" in reasons and "۳۵" in reasons
    assert page.get_by_role("link", name="شروع کنید").count() == 0  # the long form is not offered
    in_both_languages(page, "/services/pension-retirement")

    sign_in(page, a["retiree"])  # eligible by her record: the one question the rules read comes first
    page.goto("/services/pension-retirement")
    page.locator("fieldset#f-declaration input[value=no]").check()
    page.get_by_role("button", name="بررسی و ادامه").click()
    page.wait_for_load_state()
    assert "باید تعهد عدم اشتغال را بپذیرید" in page.locator(".error-summary").inner_text()
    page.locator("fieldset#f-declaration input[value=yes]").check()
    page.get_by_role("button", name="بررسی و ادامه").click()
    page.wait_for_url("**/services/pension-retirement/apply/1")


def test_an_official_finds_a_case_by_national_code_in_persian_digits(page: Any, db: Any) -> None:
    a = arrange(db)
    db.commit()
    reference = _pension(db, a["retiree"])
    code = a["retiree"].person.national_code
    sign_in(page, a["official"])
    page.goto("/services/inbox")
    page.locator("#f-q").fill(code.translate(FA_DIGITS))
    page.get_by_role("button", name="فیلتر").click()
    page.wait_for_load_state()
    rows = page.locator("form[action='/services/inbox/bulk'] tbody tr")
    assert rows.count() == 1 and reference in rows.first.inner_text().translate(
        str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    page.locator("#f-filter_name").fill("مستمری حسین")
    page.get_by_role("button", name="ذخیرهٔ فیلتر").click()
    page.wait_for_load_state()
    assert "فیلتر شما ذخیره شد." in page.locator("main").inner_text()
    page.goto("/services/inbox")
    page.get_by_role("link", name="مستمری حسین").click()
    page.wait_for_load_state()
    assert page.locator("form[action='/services/inbox/bulk'] tbody tr").count() == 1
    in_both_languages(page, "/services/inbox")
