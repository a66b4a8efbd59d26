"""An agency admin builds a service in the Persian service designer, previews and publishes it; a citizen applies.

The service has a yes/no question, an upload shown only on "yes" (a condition) and a fee. No API
call and no YAML: every step is a page of the designer. axe-core finds no serious or critical
problem on any designer page, in Persian and in English.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from smartgov.identity import Role
from smartgov.services import sync_bundled_definitions
from smartgov.services.models import Application, Definition
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import create_account, create_agency

PDF = b"%PDF-1.4\n% boat papers\n%%EOF\n"


def clean(page: Any, where: str) -> None:
    assert serious_violations(page) == [], f"{where}: {page.url}"


def save(page: Any) -> None:
    page.get_by_role("button", name="بررسی و ذخیره").click()
    page.wait_for_load_state()


def test_an_admin_builds_publishes_and_a_citizen_applies(page: Any, db: Any) -> None:  # type: ignore[no-untyped-def]
    create_agency(db, "sso", name_fa="سازمان تأمین اجتماعی", name_en="Social Security Organization")
    admin = create_account(db, "ssoadmin", Role.AGENCY_ADMIN, organization="sso")
    citizen = create_account(db, "maryam", birth_date=dt.date(1985, 3, 21))
    sync_bundled_definitions(db)
    db.commit()
    sign_in(page, admin)

    page.goto("/services/admin/designer")
    clean(page, "designer home")
    page.locator("#f-id").fill("fishing-permit")
    page.locator("#f-title_fa").fill("پروانهٔ ماهیگیری")
    page.locator("#f-title_en").fill("Fishing permit")
    page.get_by_role("button", name="ساختن پیش‌نویس").click()
    page.wait_for_url(re.compile(r"/services/admin/designer/\d+$"))
    builder = page.url
    clean(page, "builder")

    page.locator("#f-new-type").select_option("yes_no")
    page.get_by_role("button", name="افزودن پرسش").click()
    page.wait_for_load_state()
    clean(page, "new question")
    page.locator("#f-name").fill("boat")
    page.locator("#f-label_fa").fill("قایق دارید؟")
    page.locator("#f-label_en").fill("Do you own a boat?")
    save(page)
    assert page.url.startswith(builder)

    page.locator("#f-new-type").select_option("file")
    page.get_by_role("button", name="افزودن پرسش").click()
    page.wait_for_load_state()
    page.locator("#f-name").fill("boat_papers")
    page.locator("#f-label_fa").fill("مدارک قایق")
    page.locator("#f-label_en").fill("Boat papers")
    page.locator("#f-when").fill("answers.boat ==")
    page.locator("#f-mime_types").fill("application/pdf")
    save(page)
    assert page.locator("#f-when-error").is_visible()  # the engine's parse error, on the field
    clean(page, "question with an error")
    page.locator("#f-when").fill("answers.boat == true")
    save(page)

    page.goto(builder + "/edit?at=fee")
    page.locator("#f-amount").fill("۵۰۰٬۰۰۰")
    save(page)
    assert "۵۰۰٬۰۰۰" in page.content()

    for lang in ("fa", "en"):
        page.goto(f"/lang/{lang}?next=/services")
        for suffix in ("", "/yaml", "/versions", "/preview", "/preview?show=en", "/edit?at=form.1", "/edit?at=general"):
            page.goto(builder + suffix)
            clean(page, f"{suffix or 'builder'} ({lang})")
        page.goto("/services/admin/designer")
        clean(page, f"designer home ({lang})")
    page.goto("/lang/fa?next=/services")
    page.goto(builder + "/preview")
    assert "مدارک قایق" in page.content()
    page.goto(builder)
    page.get_by_role("button", name="هم‌اکنون منتشر کن").click()
    page.wait_for_load_state()

    # the citizen finds and applies for it
    sign_in(page, citizen)
    page.goto("/services/fishing-permit")
    page.get_by_role("button", name="شروع کنید").click()
    page.wait_for_url("**/apply/1")
    page.locator('fieldset#f-boat label:has-text("بله") input[type=radio]').check()
    page.get_by_role("button", name="ذخیره و ادامه").click()
    page.wait_for_url("**/apply/2")
    page.locator("#f-boat_papers").set_input_files({"name": "boat.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="ذخیره و ادامه").click()
    page.wait_for_url("**/check")
    page.get_by_role("button", name="تأیید و ارسال").click()
    page.wait_for_load_state()
    db.expire_all()
    row = db.scalar(select(Definition).where(Definition.service_id == "fishing-permit"))
    case = db.scalar(select(Application).where(Application.service_id == "fishing-permit"))
    assert row.status.value == "published" and case is not None and case.fee == 500_000
    assert case.answers["boat"] is True and case.answers["boat_papers"]["name"] == "boat.pdf"
