"""The exchange admin screens in a real browser, in Persian, from a clean demo and without any API
call: the exchange admin grants the tax office access to the civil registry's person status for tax
assessment; a signed request for that purpose, sent by the exchange's own client, is answered, one
for another purpose is refused, and monitoring shows the refusal in words. axe-core finds no serious
problem on any admin page, in Persian and in English, with and without errors showing."""

from __future__ import annotations

import random
import re
from typing import Any

import pyotp
import pytest

from smartgov import clock, demo
from smartgov.exchange import ExchangeClient, service
from smartgov.exchange import demo as exchange_demo
from smartgov.identity import Role, nationalcode
from tests.browser.conftest import serious_violations, sign_in
from tests.exchange.support import registry, request
from tests.factories import create_account

BASE = "/exchange/admin"


def demo_sign_in(page: Any, username: str) -> None:
    """Sign in as a demo account (its published password and TOTP secret), through the Persian pages."""
    page.context.clear_cookies()
    page.goto("/login")
    page.locator("#f-username").fill(username)
    page.locator("#f-password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="ورود").click()
    page.wait_for_load_state()
    if "/mfa/verify" in page.url:
        page.locator("#f-code").fill(pyotp.TOTP(demo.DEMO_TOTP[username]).at(clock.now()))
        page.get_by_role("button", name="ادامه").click()
        page.wait_for_load_state()
    assert "/login" not in page.url and "/mfa" not in page.url, page.url


def test_an_exchange_admin_grants_a_right_and_only_its_purpose_is_served(page: Any, database: Any,
                                                                        live_server: str) -> None:
    with database.unit_of_work() as db:
        demo.load_identity(db, random.Random(1405), 12)
    with database.unit_of_work() as db:
        exchange_demo.load(db, random.Random(1405), 12)
    citizen = nationalcode.make(next(p for _r, u, *_, p in demo.STAFF if u == "citizen"))

    def ask(purpose: str) -> tuple[int, dict[str, Any]]:
        """A signed request from the tax office's subsystem, sent over HTTP by the exchange's client."""
        with database.unit_of_work() as db:
            signed = request(db, service.subsystem(db, "IR/GOV/inta/tax-records"),
                             service.services_by_code(db, "person-status")[0], citizen, purpose=purpose)
        transport = ExchangeClient()
        try:
            return transport.send(live_server, signed)
        finally:
            transport.close()

    status, body = ask("tax-assessment")  # before the grant: no right at all
    assert status == 403 and body["error"]["code"] == "no_access_right"

    demo_sign_in(page, "admin")
    page.get_by_role("link", name="مدیریت تبادل داده").first.click()
    page.wait_for_url(f"**{BASE}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "IR/GOV/inta" in page.locator("main").inner_text()
    page.locator("main").get_by_role("link", name="حق‌های دسترسی").first.click()
    page.get_by_role("link", name="دادن حق دسترسی").click()
    page.wait_for_url(f"**{BASE}/access-rights/new")
    page.get_by_role("button", name="دادن حق دسترسی").click()  # empty: every problem named and linked
    for field in ("client", "service", "purposes", "legal_basis_fa"):
        assert page.locator(f".error-summary a[href='#f-{field}']").count() == 1, field
    assert page.locator("#f-client").get_attribute("aria-invalid") == "true"
    choose(page.get_by_label("زیرسامانهٔ درخواست‌کننده"), "IR/GOV/inta/tax-records ")
    choose(page.locator("#f-service"), "IR/GOV/nocr/registry/person-status/v1 ")
    page.get_by_label("تشخیص مالیات").check()
    page.get_by_label("مبنای قانونی، به فارسی").fill("قانون مالیات‌های مستقیم، مادهٔ ۱۶۹ مکرر")
    page.get_by_label("مبنای قانونی، به انگلیسی").fill("Direct Taxation Act, article 169 bis")
    page.get_by_role("button", name="دادن حق دسترسی").click()
    page.wait_for_url(re.compile(r".*/access-rights\?done=granted#right-\d+$"))
    assert "حق دسترسی داده شد." in page.locator("main").inner_text()
    right = page.locator("tr[id^=right-]").filter(has_text="قانون مالیات‌های مستقیم، مادهٔ ۱۶۹ مکرر")
    assert "تشخیص مالیات" in right.inner_text() and "برقرار" in right.inner_text()

    status, body = ask("tax-assessment")  # the purpose granted: answered, signed
    assert status == 200, body
    assert body["envelope"]["body"]["national_code"] == citizen
    status, body = ask("pension-claim")  # another purpose: refused
    assert status == 403 and body["error"]["code"] == "purpose_not_allowed"

    page.goto("/exchange/monitoring")
    choose(page.get_by_label("عضو (درخواست‌کننده یا ارائه‌دهنده)"), "IR/GOV/inta ")
    choose(page.get_by_label("هدف", exact=True), "(pension-claim)")
    page.get_by_label("نتیجه").select_option(label="ردشده")
    page.get_by_label("از", exact=True).fill(clock_today_jalali())
    page.get_by_role("button", name="نمایش").click()
    page.wait_for_load_state()
    log = page.locator("table#log tbody").inner_text()
    assert "این هدف برای این درخواست‌کننده و این خدمت مجاز نیست." in log
    assert "purpose_not_allowed" not in page.locator("main").inner_text()
    assert "رسیدگی به درخواست مستمری بازنشستگی" in log and log.count("\n") == 0  # just the one refusal
    assert serious_violations(page) == []


def choose(select: Any, text: str) -> None:
    """Pick the option of ``select`` whose visible text holds ``text`` (as a person reads the list; a code in
    brackets is shown between the Unicode isolates)."""
    option = select.locator("option", has_text=text.replace("(", "(\u2066").replace(")", "\u2069)"))  # codes isolated
    assert option.count() == 1, (text, select.inner_html())
    select.select_option(value=option.get_attribute("value"))


def clock_today_jalali() -> str:
    """Today as a Persian official types it: Jalali, Persian digits."""
    from smartgov.i18n import gregorian_to_jalali, localize_digits

    return localize_digits(gregorian_to_jalali(clock.today()), "fa")


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_exchange_admin_page_has_no_serious_axe_violation(page: Any, db: Any, lang: str) -> None:
    reg = registry(db)
    admin = create_account(db, username="exadmin", role=Role.PLATFORM_ADMIN)
    db.commit()
    sign_in(page, admin)
    page.goto(f"/lang/{lang}?next={BASE}")
    assert page.locator("html").get_attribute("lang") == lang
    member, sub = reg.client.member_id, reg.client.id
    urls = [BASE, f"{BASE}/members/new", f"{BASE}/members/{member}", f"{BASE}/subsystems/{sub}",
            f"{BASE}/subsystems/{reg.provider.id}", f"{BASE}/access-rights", f"{BASE}/access-rights/new",
            f"{BASE}/purposes", "/exchange/monitoring"]
    for url in urls:
        page.goto(url)
        assert serious_violations(page) == [], url
    # each form with its errors showing
    for url, button in ((f"{BASE}/members/new", "main form.form button.button"),
                        (f"{BASE}/access-rights/new", "main form.form button.button"),
                        (f"{BASE}/purposes", "main form.form button.button"),
                        (f"{BASE}/subsystems/{sub}", "main form[action$='/services/new'] button.button")):
        page.goto(url)
        if "/subsystems/" in url:
            page.locator("#f-response_schema").fill("{")
        page.locator(button).last.click()
        page.wait_for_load_state()
        assert page.locator(".error-summary").count() == 1, url
        assert serious_violations(page) == [], url
    page.goto("/exchange/monitoring?since=1405/13/40")
    assert page.locator(".error-summary").count() == 1
    assert serious_violations(page) == []
