"""An agency admin invites an official in Persian; the official opens the e-mailed link, chooses a
password, enrols TOTP and signs in. axe-core finds nothing serious on any people, agency or audit
page, in Persian and in English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyotp
import pytest

from smartgov import clock, events
from smartgov.i18n import localize_digits
from smartgov.identity.models import Role
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import PASSWORD, create_account, create_agency, national_code, sent_mail


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    create_agency(db, "sso", name_fa="سازمان تأمین اجتماعی", name_en="Social Security Organization")
    create_agency(db, "sso-isf", parent="sso", name_fa="شعبهٔ اصفهان", name_en="Isfahan branch")
    out = {
        "admin": create_account(db, "sso-admin", Role.AGENCY_ADMIN, organization="sso"),
        "colleague": create_account(db, "sso-official", Role.OFFICIAL, organization="sso-isf"),
        "platform": create_account(db, "platform", Role.PLATFORM_ADMIN),
    }
    db.commit()
    return out


def mailed_link(database: Any, settings: Any, to: str) -> str:
    """The invitation link in the e-mail the worker delivers (the path: the live server is on another port)."""
    events.drain_outbox(database)
    body = [m for m in sent_mail(settings.data_dir) if m[0] == to][-1][2]
    return re.search(r"https?://[^/\s]+(/invitation/\S+)", body).group(1)  # type: ignore[union-attr]


def test_an_agency_admin_invites_an_official_who_signs_in_with_totp(page: Any, people: Any, database: Any,
                                                                     settings: Any) -> None:
    sign_in(page, people["admin"])
    page.goto("/staff")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.get_by_role("link", name="دعوت از یک کارشناس").click()
    page.get_by_label("رایانامه").fill("leila.official@example.ir")
    page.get_by_label("کارمند دستگاه").check()
    page.get_by_label("دستگاه یا شعبه").select_option(label="شعبهٔ اصفهان")
    page.get_by_role("button", name="فرستادن دعوت").click()
    assert "دعوت در راه است" in page.locator("main").inner_text()
    assert "leila.official@example.ir" in page.locator("main").inner_text()

    link = mailed_link(database, settings, "leila.official@example.ir")
    page.context.clear_cookies()
    page.goto(link)
    assert "شعبهٔ اصفهان" in page.locator("main").inner_text()
    # who she is, the national code typed in Persian digits: her person record, where a reset link goes
    page.locator("#f-national_code").fill(localize_digits(national_code(), "fa"))
    page.locator("#f-first_name_fa").fill("لیلا")
    page.locator("#f-last_name_fa").fill("رضایی")
    page.locator("#f-first_name_en").fill("Leila")
    page.locator("#f-last_name_en").fill("Rezaei")
    page.locator("#f-birth_date").fill("۱۳۶۸/۰۴/۱۲")
    page.get_by_label("نام کاربری").fill("leila")
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-password_again").fill(PASSWORD)
    page.get_by_role("button", name="ساختن حساب من").click()
    page.wait_for_url("**/mfa/setup**")
    secret = page.locator("code.secret").inner_text().strip()
    page.locator("#f-code").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="فعال‌سازی").click()
    page.wait_for_url("**/account")
    assert page.locator("h1").inner_text() == "حساب من"

    # a later sign-in asks for the code of the authenticator the official just enrolled
    clock.advance(dt.timedelta(seconds=30))
    page.context.clear_cookies()
    page.goto("/login")
    page.locator("#f-username").fill("leila")
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="ورود").click()
    page.wait_for_url("**/mfa/verify**")
    page.locator("#f-code").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="ادامه").click()
    page.wait_for_url("**/home")
    assert "leila" in page.locator("header").inner_text()


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_no_serious_accessibility_violations_on_the_people_pages(page: Any, people: Any, database: Any,
                                                                  settings: Any, lang: str) -> None:
    sign_in(page, people["platform"])
    page.goto(f"/lang/{lang}?next=/")
    colleague = people["colleague"].id
    checked = []

    def check(path: str | None = None) -> None:
        if path:
            page.goto(path)
        assert page.locator("html").get_attribute("lang") == lang, page.url
        assert serious_violations(page) == [], page.url
        checked.append(page.url)

    check("/staff/invite")
    page.locator("form.form button[type=submit]").click()  # empty: every error tied to its field
    assert page.locator("#f-email").get_attribute("aria-invalid") == "true"
    check()
    page.locator("#f-email").fill("invitee@example.ir")
    page.locator("#f-organization").select_option(index=1)
    page.locator("form.form button[type=submit]").click()
    check()  # the list, with an open invitation
    check(f"/staff/{colleague}")
    page.locator("#f-reason").fill("lost phone")
    page.locator("#mfa ~ form button[type=submit]").first.click()
    check()  # a reset waiting for another admin
    check("/agencies")
    page.locator("#f-code").fill("Bad code")
    page.locator("form.form button[type=submit]").click()
    check()  # the new-agency form with errors
    check("/agencies/1")
    check("/audit")
    check("/audit?actor=nobody&since=1405/13/40")
    link = mailed_link(database, settings, "invitee@example.ir")
    page.context.clear_cookies()
    page.goto(f"/lang/{lang}?next=/")
    check(link)
    page.locator("form.form button[type=submit]").click()
    check()  # the invitee's form with errors
    check("/invitation/not-a-link")
    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    page.goto(link)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert len(checked) == 13
