"""A citizen signs in, in Persian and in English; axe-core finds no serious problem."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from smartgov import clock
from tests.browser.conftest import serious_violations
from tests.factories import PASSWORD, create_account


@pytest.fixture
def citizen(db) -> Any:  # type: ignore[no-untyped-def]
    account = create_account(db, username="maryam", birth_date=dt.date(1985, 3, 21))
    db.commit()
    return account


def sign_in(page: Any, username: str = "maryam") -> None:
    page.goto("/login")
    page.get_by_label(re.compile("نام کاربری|Username")).fill(username)
    page.get_by_label(re.compile("گذرواژه|Password")).fill(PASSWORD)
    page.keyboard.press("Enter")  # keyboard only
    page.wait_for_url("**/home")  # signing in lands on the person's home
    page.goto("/account")


def test_citizen_signs_in_in_persian(page: Any, citizen: Any) -> None:
    clock.freeze(dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC))
    page.goto("/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    assert "۱ آذر ۱۴۰۵" in page.locator("header").inner_text()  # Jalali, Persian digits
    sign_in(page)
    assert page.locator("h1").inner_text() == "حساب من"
    assert "۱ فروردین ۱۳۶۴" in page.locator("main").inner_text()  # birth date in Jalali
    # the skip link is the first stop for keyboard users
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"


def test_citizen_signs_in_in_english(page: Any, citizen: Any) -> None:
    clock.freeze(dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC))
    page.goto("/")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "22 November 2026" in page.locator("header").inner_text()
    sign_in(page)
    assert page.locator("h1").inner_text() == "My account"
    assert "21 March 1985" in page.locator("main").inner_text()


def test_wrong_password_error_is_tied_to_the_field(page: Any, citizen: Any) -> None:
    page.goto("/login")
    page.get_by_label("نام کاربری").fill("maryam")
    page.get_by_label("گذرواژه").fill("wrong-password-1")
    page.get_by_role("button", name="ورود").click()
    field = page.locator("#f-password")
    assert field.get_attribute("aria-invalid") == "true"
    error_id = field.get_attribute("aria-describedby")
    assert "نادرست" in page.locator(f"#{error_id}").inner_text()


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_no_serious_accessibility_violations(page: Any, citizen: Any, lang: str) -> None:
    page.goto(f"/lang/{lang}?next=/")
    for path in ("/", "/login", "/register", "/password/forgot"):
        page.goto(path)
        assert serious_violations(page) == [], path
    sign_in(page)
    assert serious_violations(page) == [], "/account"
    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_accessibility_check_itself_catches_problems(page: Any) -> None:
    page.set_content('<html><body><main><input type="text"><img src="x.png"></main></body></html>')
    ids = {v["id"] for v in serious_violations(page)}
    assert {"label", "image-alt"} <= ids
