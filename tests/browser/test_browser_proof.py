"""A stranger registers with someone's national code and birth date, in Persian: the records stay
closed until the code sent to the registry's mobile is typed (by whoever holds that phone)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import serious_violations
from tests.factories import last_proof_code
from tests.identity.test_proof import PASSWORD, REGISTRY_MOBILE, STRANGERS_PHONE, victim


def test_the_proof_step_in_persian(page: Any, db: Any, database: Any, settings: Any) -> None:
    victim(db)
    page.goto("/register")
    for name, value in (("national_code", "۰۴۹۹۳۷۰۸۹۹"), ("first_name_fa", "غریبه"), ("last_name_fa", "ناشناس"),
                        ("first_name_en", "Some"), ("last_name_en", "One"), ("birth_date", "۱۳۵۸/۱۱/۱۴"),
                        ("phone", STRANGERS_PHONE), ("username", "stranger1"), ("password", PASSWORD),
                        ("password_again", PASSWORD)):
        page.locator(f"#f-{name}").fill(value)
    page.get_by_role("button", name="ساخت حساب").click()
    page.wait_for_url("**/account/prove")
    assert page.locator("h1").inner_text() == "ثابت کنید که خودِ این شخص هستید"
    main = page.locator("main").inner_text()
    assert "۰۹۱۲•••••۳۳" in main and STRANGERS_PHONE not in main  # the registry's number, masked
    assert serious_violations(page) == []

    page.goto("/insurance")  # the records are closed, with the way to open them
    assert "ثبت احوال" in page.locator("main").inner_text()
    page.get_by_role("link", name="ثابت کنید که خودِ این شخص هستید").click()
    page.wait_for_url("**/account/prove?next=/insurance")

    code_field = page.get_by_label("کد پیامک")
    code_field.fill("۱۱۱۱۱۱")
    page.keyboard.press("Enter")
    field = page.locator('#f-code[aria-invalid="true"]')  # the page again, the error tied to the field
    field.wait_for()
    assert "نادرست" in page.locator("#" + field.get_attribute("aria-describedby").split()[-1]).inner_text()

    code = last_proof_code(database, settings.data_dir, REGISTRY_MOBILE)  # read on the registry's phone
    page.get_by_label("کد پیامک").fill(code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    page.keyboard.press("Enter")  # keyboard only
    page.wait_for_url("**/insurance")
    records = page.locator("main").inner_text()
    assert "۱۰ سال" in records  # ten insured years
    page.goto("/account")
    assert "۰۴۹۹۳۷۰۸۹۹" in page.locator("main").inner_text()  # the person's record, now that it is proven
