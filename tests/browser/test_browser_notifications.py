"""In Persian: a citizen sends an application, and its e-mail and SMS both arrive in their
notification centre; an admin previews and saves a message template and sees each message's
delivery status. axe-core finds no serious problem on any of the new pages, in Persian and English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from smartgov import events
from smartgov.identity.models import Role
from smartgov.notifications.models import InboxMessage
from smartgov.services import sync_bundled_definitions
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import create_account, create_agency

PDF = b"%PDF-1.4\n% a water bill\n%%EOF\n"


def fa(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def no_serious_problem(page: Any, where: str) -> None:
    assert serious_violations(page) == [], f"{where}: {page.url}"


def in_both_languages(page: Any, path: str, where: str) -> None:
    """axe-core on ``path`` in English and then in Persian again (the page stays Persian after)."""
    for lang in ("en", "fa"):
        page.goto(f"/lang/{lang}?next={path}")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == lang
        no_serious_problem(page, f"{where} ({lang})")


def send_an_address_change(page: Any) -> str:
    """The citizen's application, page by page (a home owner: registered at once); its reference."""
    page.goto("/services/address-change/apply/1")
    page.locator("select[name=province]").select_option("tehran")
    page.locator("#f-city").fill("تهران")
    page.locator("#f-address").fill("خیابان انقلاب، کوچهٔ بهار، پلاک ۷")
    page.get_by_role("button", name="ذخیره و ادامه").click()
    page.wait_for_url("**/apply/2")
    page.locator("#f-postal_code").fill("۱۲۳۴۵۶۷۸۹۰")
    page.locator("#f-moved_on").fill("۱۴۰۳/۰۵/۱۲")
    page.locator('fieldset#f-owns_home label:has-text("بله") input[type=radio]').check()
    page.get_by_role("button", name="ذخیره و ادامه").click()
    page.wait_for_url("**/apply/3")
    page.locator('fieldset#f-household_moved label:has-text("خیر") input[type=radio]').check()
    page.get_by_role("button", name="ذخیره و ادامه").click()
    page.wait_for_url("**/apply/5")
    page.get_by_role("button", name="ذخیره و ادامه").click()
    page.wait_for_url("**/apply/6")
    page.locator("input[name='documents.proof_of_address']").set_input_files(
        files=[{"name": "bill.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="ذخیره و ادامه").click()
    page.wait_for_url("**/services/address-change/check")
    page.get_by_role("button", name="تأیید و ارسال").click()
    page.wait_for_url(re.compile(r"/services/applications/[^/]+/confirmation$"))
    return page.url.split("/")[-2]


def test_messages_reach_the_centre_and_an_admin_edits_their_wording(page: Any, db: Any, database: Any) -> None:
    create_agency(db, "sso", name_fa="سازمان تأمین اجتماعی", name_en="Social Security Organization")
    citizen = create_account(db, username="maryam", birth_date=dt.date(1985, 3, 21), phone="09121234567")
    admin = create_account(db, username="platform", role=Role.PLATFORM_ADMIN)
    sync_bundled_definitions(db)
    db.commit()

    sign_in(page, citizen)
    reference = send_an_address_change(page)
    events.drain_outbox(database)  # the worker delivers: an e-mail and an SMS

    kept = db.scalars(select(InboxMessage).where(InboxMessage.account_id == citizen.id)).all()
    assert {m.channel for m in kept} == {"email", "sms"} and len(kept) % 2 == 0  # each message by both
    page.goto("/services")
    badge = page.locator("nav a[href='/notifications'] .nav-count")
    assert badge.inner_text().startswith(fa(len(kept)))
    page.get_by_role("link", name=re.compile("^اعلان‌ها")).click()
    page.wait_for_url("**/notifications")
    items = page.locator("ul.message-list > li")
    texts = items.all_inner_texts()
    assert any("با رایانامه." in t and reference in t for t in texts), texts
    assert any("با پیامک." in t and reference in t for t in texts), texts
    no_serious_problem(page, "notification centre")
    first = items.first
    subject_link = first.get_by_role("link", name=re.compile("باز کردن آنچه این پیام دربارهٔ آن است"))
    assert subject_link.get_attribute("href") == f"/services/applications/{reference}"
    first.get_by_role("button", name=re.compile("خوانده‌شده علامت بزن")).click()
    page.wait_for_url("**/notifications?done=read")
    assert page.locator("nav a[href='/notifications'] .nav-count").inner_text().startswith(fa(len(kept) - 1))
    in_both_languages(page, "/notifications", "notification centre")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/notifications")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # a long link wraps on a phone
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="برگزینید کدام پیام‌ها و از چه راهی به شما برسد").click()
    page.wait_for_url("**/notifications/preferences")
    assert "کد تأیید شخص" in page.locator("main").inner_text()  # named as always sent
    page.get_by_label("رایانامه").first.uncheck()
    page.get_by_role("button", name="ذخیرهٔ انتخاب‌ها").click()
    page.wait_for_url("**/notifications/preferences?done=saved")
    in_both_languages(page, "/notifications/preferences", "preferences")

    # the admin: the template, a preview, an error tied to its field, a save; then the deliveries
    sign_in(page, admin)
    page.goto("/admin/notifications/templates")
    no_serious_problem(page, "templates")
    page.get_by_role("link", name="ثبت درخواست").click()
    page.wait_for_url("**/admin/notifications/templates/services.submitted")
    no_serious_problem(page, "template editor")
    page.get_by_label("پیامک (فارسی)").fill("درخواست {{ reference }} رسید؛ {{ national_code }}")
    page.get_by_role("button", name="پیش‌نمایش").click()
    field = page.locator('#f-sms_fa[aria-invalid="true"]')
    field.wait_for()
    assert "national_code" in page.locator("#f-sms_fa-error").inner_text()
    no_serious_problem(page, "template editor with an error")
    page.get_by_label("پیامک (فارسی)").fill("درخواست {{ reference }} رسید: {{ service_fa }}")
    page.get_by_role("button", name="پیش‌نمایش").click()
    page.get_by_role("heading", name="پیش‌نمایش با مقدارهای نمونه").wait_for()
    assert "درخواست SSO-1405-000123 رسید: مستمری بازنشستگی" in page.locator(".preview").inner_text()
    no_serious_problem(page, "template preview")
    page.get_by_role("button", name="ذخیره", exact=True).click()
    page.wait_for_url("**/admin/notifications/templates/services.submitted?done=saved")
    assert page.locator("table").last.locator("tbody tr").count() == 1  # version 1, by this admin
    in_both_languages(page, "/admin/notifications/templates/services.submitted", "template editor")
    in_both_languages(page, "/admin/notifications/templates", "templates")

    page.goto("/admin/notifications/deliveries")
    rows = page.locator("table tbody tr")
    assert rows.count() == len(kept) and "فرستاده‌شده" in rows.first.inner_text()
    page.locator("#f-channel").select_option("sms")
    page.locator("#f-since").fill("۱۴۰۰/۰۱/۰۱")
    page.get_by_role("button", name="نمایش").click()
    page.wait_for_url(re.compile(r"channel=sms"))
    assert page.locator("table tbody tr").count() == len(kept) // 2
    assert "09121234567" in page.locator("table").inner_text()  # a platform admin sees whole numbers
    no_serious_problem(page, "deliveries")
    in_both_languages(page, "/admin/notifications/deliveries", "deliveries")
