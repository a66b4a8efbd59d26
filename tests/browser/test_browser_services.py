"""A citizen notifies a change of address in the browser, by keyboard, in Persian and in English.

The journey: find the service in the catalog by a search word, answer the questions page by
page, check the answers, send, read the reference number on the confirmation and follow the
case's timeline (home owners are registered automatically). axe-core finds no serious or
critical problem on the catalog, every question page, check your answers and the confirmation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from smartgov.services import sync_bundled_definitions
from smartgov.services.models import Application
from tests.browser.conftest import serious_violations
from tests.factories import PASSWORD, create_account, create_agency

PDF = b"%PDF-1.4\n% a water bill\n%%EOF\n"

TEXT = {
    "fa": {
        "search": "نشانی", "title": "اعلام تغییر نشانی", "start": "شروع کنید", "continue": "ذخیره و ادامه",
        "yes": "بله", "no": "خیر", "check": "بررسی پاسخ‌ها", "send": "تأیید و ارسال",
        "sent": "درخواست فرستاده شد", "reference": "شمارهٔ پیگیری شما", "see": "دیدن درخواست",
        "history": "آنچه تاکنون انجام شده", "submitted": "درخواست ثبت شد", "auto": "ثبت خودکار (مالک)",
        "registered": "نشانی جدید ثبت شد", "province": "تهران", "city": "تهران", "address": "خیابان انقلاب، کوچهٔ بهار، پلاک ۷",
        "postal": "۱۲۳۴۵۶۷۸۹۰", "moved": "۱۴۰۳/۰۵/۱۲", "moved_shown": "۱۲ مرداد ۱۴۰۳",
    },
    "en": {
        "search": "address", "title": "Notify a change of address", "start": "Start now",
        "continue": "Save and continue", "yes": "Yes", "no": "No", "check": "Check your answers",
        "send": "Accept and send", "sent": "Application sent", "reference": "Your reference number",
        "see": "See your application", "history": "What has happened", "submitted": "Application submitted",
        "auto": "Registered automatically (home owner)", "registered": "New address registered", "province": "Tehran",
        "city": "Tehran", "address": "7 Bahar Alley, Enghelab Street", "postal": "1234567890",
        "moved": "1403/05/12", "moved_shown": "2 August 2024",
    },
}


@pytest.fixture
def citizen(db) -> Any:  # type: ignore[no-untyped-def]
    create_agency(db, "sso", name_fa="سازمان تأمین اجتماعی", name_en="Social Security Organization")
    account = create_account(db, username="maryam", birth_date=dt.date(1985, 3, 21))
    sync_bundled_definitions(db)
    db.commit()
    return account


def no_serious_problem(page: Any, where: str) -> None:
    assert serious_violations(page) == [], f"{where}: {page.url}"


def sign_in(page: Any, lang: str) -> None:
    page.goto(f"/lang/{lang}?next=/login")
    page.get_by_label(re.compile("نام کاربری|Username")).fill("maryam")
    page.get_by_label(re.compile("گذرواژه|Password")).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")


def type_into(page: Any, selector: str, text: str) -> None:
    """Focus a field and type, as a keyboard user would (replacing what was there)."""
    page.locator(selector).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def continue_with_keyboard(page: Any, t: dict[str, str]) -> None:
    page.get_by_role("button", name=t["continue"]).focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def choose_radio(page: Any, name: str, label: str) -> None:
    radio = page.locator(f'fieldset#f-{name} label:has-text("{label}") input[type=radio]')
    radio.focus()
    page.keyboard.press("Space")
    assert radio.is_checked()


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_citizen_notifies_a_change_of_address(page: Any, citizen: Any, db: Any, lang: str) -> None:  # type: ignore[no-untyped-def]
    t = TEXT[lang]
    sign_in(page, lang)

    # the catalog, searched by a word in the page's language
    page.goto("/services")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "fa" else "ltr")
    no_serious_problem(page, "catalog")
    page.locator("#f-q").focus()
    page.keyboard.type(t["search"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/services\?q="))
    link = page.get_by_role("link", name=t["title"])
    assert link.count() == 1
    no_serious_problem(page, "catalog search results")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/services/address-change")
    assert page.locator("h1").inner_text() == t["title"]
    page.get_by_role("button", name=t["start"]).focus()  # a link styled and announced as a button
    page.keyboard.press("Enter")
    page.wait_for_url("**/services/address-change/apply/1")

    # page 1: national code (known from the account), province, city, full address
    assert page.locator("#f-national_code").input_value() == citizen.person.national_code
    no_serious_problem(page, "question page 1")
    province = page.locator("select[name=province]")
    province.focus()
    steps = province.evaluate("s => [...s.options].findIndex(o => o.value === 'tehran') - s.selectedIndex")
    for _ in range(steps):  # arrow keys move through the closed list
        page.keyboard.press("ArrowDown")
    assert province.input_value() == "tehran"
    assert t["province"] in province.evaluate("s => s.options[s.selectedIndex].text")
    type_into(page, "#f-city", t["city"])
    type_into(page, "#f-address", t["address"])
    continue_with_keyboard(page, t)

    # page 2: postcode, date moved (Jalali, Persian digits are fine), owner?
    page.wait_for_url("**/apply/2")
    no_serious_problem(page, "question page 2")
    type_into(page, "#f-postal_code", t["postal"])
    type_into(page, "#f-moved_on", t["moved"])
    choose_radio(page, "owns_home", t["yes"])
    continue_with_keyboard(page, t)

    # page 3: no lease is asked of an owner; only whether the household moved
    page.wait_for_url("**/apply/3")
    assert page.locator("#f-lease_contract").count() == 0
    no_serious_problem(page, "question page 3")
    choose_radio(page, "household_moved", t["no"])
    continue_with_keyboard(page, t)

    # the household page is skipped; the optional phone number stays empty
    page.wait_for_url("**/apply/5")
    no_serious_problem(page, "question page 5")
    continue_with_keyboard(page, t)

    # supporting documents: a utility bill
    page.wait_for_url("**/apply/6")
    no_serious_problem(page, "documents page")
    page.locator("input[name='documents.proof_of_address']").set_input_files(
        files=[{"name": "bill.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    continue_with_keyboard(page, t)

    # check your answers
    page.wait_for_url("**/services/address-change/check")
    assert page.locator("h1").inner_text() == t["check"]
    main = page.locator("main").inner_text()
    assert t["moved_shown"] in main and t["address"] in main and "bill.pdf" in main
    no_serious_problem(page, "check your answers")
    page.get_by_role("button", name=t["send"]).focus()
    page.keyboard.press("Enter")

    # confirmation with the reference number
    page.wait_for_url(re.compile(r"/services/applications/[^/]+/confirmation$"))
    assert page.locator("h1").inner_text() == t["sent"]
    reference = page.url.split("/")[-2]
    stored = db.query(Application).filter_by(reference=reference).one()
    assert stored.applicant_id == citizen.id and stored.state == "registered"
    shown = page.locator(".reference").inner_text()
    assert re.fullmatch(r"[A-Z]+-[۰-۹]+-[۰-۹]+" if lang == "fa" else r"[A-Z]+-\d+-\d+", shown), shown
    assert t["reference"] in page.locator("main").inner_text()
    no_serious_problem(page, "confirmation")

    # follow the case: submitted, then registered at once because the citizen owns the home
    page.get_by_role("link", name=t["see"]).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/services/applications/{reference}")
    assert page.get_by_role("heading", name=t["history"]).count() == 1
    steps = page.locator("ol.timeline > li").all_inner_texts()
    assert len(steps) == 2, steps
    assert t["submitted"] in steps[0]
    assert t["auto"] in steps[1] and t["registered"] in steps[1]
    no_serious_problem(page, "application page")
