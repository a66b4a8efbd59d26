"""In Persian: a citizen applies for a pension with the record fetched through the exchange, an
official approves it, the citizen downloads the signed decision, the verify page says valid (and
invalid for a tampered PDF or JSON), and "who read my data" lists the exchange call and its purpose."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.browser.conftest import sign_in
from tests.insurance.support import arrange


def verdict(page: Any, data: bytes, name: str, mime: str) -> str:
    page.goto("/verify")
    page.locator("#f-file").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    page.get_by_role("button", name="بررسی").click()
    return str(page.locator(".verdict h2").inner_text())


def test_pension_journey_in_persian(page: Any, db: Any) -> None:
    a = arrange(db)
    db.commit()
    retiree, official = a["retiree"], a["official"]

    sign_in(page, retiree)
    page.goto("/services/pension-retirement/apply")
    assert page.locator("html").get_attribute("dir") == "rtl"
    history = page.locator("#prefilled-history")
    assert "سابقهٔ بیمهٔ شما" in history.inner_text()
    assert re.search(r"[۰-۹٬]+ روز سابقهٔ پرداخت حق بیمه", history.inner_text())  # Persian digits
    for _ in range(5):  # one question per page until "check your answers"
        if "/check" in page.url:
            break
        if page.locator("[name=bank_account]").count():
            page.locator("[name=bank_account]").fill("۱۲۰۱۷۰۰۰۰۰۰۰۱۲۳۴۵۶۷۸۹۰۱۲")
        if page.locator("[name=declaration][value=yes]").count():
            page.locator("[name=declaration][value=yes]").check()
        page.locator("button[name=_continue]").click()
        page.wait_for_load_state()
    assert "/check" in page.url, page.url
    page.get_by_role("button", name="تأیید و ارسال").click()
    page.wait_for_url(re.compile(r"/services/applications/[^/]+/confirmation"))
    reference = page.url.split("/services/applications/")[1].split("/")[0]
    page.goto(f"/services/applications/{reference}")
    working = page.locator("#pension-working")
    assert "مستمری ماهانه" in working.inner_text() and "متوسط دستمزد ماهانه" in working.inner_text()

    sign_in(page, official)
    page.goto(f"/services/inbox/{reference}")
    assert "نحوهٔ محاسبهٔ مبلغ" in page.locator("#pension-working").inner_text()
    page.locator("#f-reason-approve").fill("سن و سابقه احراز شد.")
    page.get_by_role("button", name="تأیید و برقراری مستمری").click()
    page.wait_for_load_state()

    sign_in(page, retiree)
    page.goto(f"/services/applications/{reference}")
    assert "برقرار شد" in page.locator("main").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="دریافت پی‌دی‌اف").click()
    pdf = open(download.value.path(), "rb").read()  # noqa: SIM115 - read once
    assert pdf.startswith(b"%PDF")
    json_url = page.get_by_role("link", name=re.compile("JSON")).first.get_attribute("href")
    record = page.request.get(json_url).json()
    assert any(f["label_en"] == "Monthly pension granted (rial)" for f in record["document"]["fields"])

    page.locator("main a[href^='/verify/']").first.click()  # the document's own "check it" link
    page.wait_for_load_state()
    assert page.locator(".verdict h2").inner_text() == "معتبر"
    assert verdict(page, pdf, "decision.pdf", "application/pdf") == "معتبر"
    tampered = pdf.replace(b"/Title", b"/Titel", 1) if b"/Title" in pdf else pdf[:-20] + b"0" * 20
    assert verdict(page, tampered, "decision.pdf", "application/pdf") == "نامعتبر"
    record["document"]["fields"][-1]["value_en"] = "999,999,999"
    assert verdict(page, json.dumps(record).encode(), "decision.json", "application/json") == "نامعتبر"

    page.goto("/account/data-access")
    table = page.locator("main table").inner_text()
    assert "رسیدگی به درخواست مستمری بازنشستگی" in table  # the legal purpose of the exchange call
    assert "تبادل" in table  # made through the agency-to-agency exchange
