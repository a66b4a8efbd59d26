"""Browser, in Persian: a visitor opens the performance reports, a quarter's national report with its
targets against what happened, downloads the Persian PDF, and checks its signature — on the report's
verify page and by uploading the PDF. axe-core finds no serious problem on any report page, in Persian
and in English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from smartgov.transparency import reports
from smartgov.transparency.reports import pdf
from tests.browser.conftest import serious_violations
from tests.transparency.test_reports import Q, _history

pytestmark = pytest.mark.browser


def test_a_visitor_reads_a_persian_report_downloads_its_pdf_and_checks_the_signature(
        page: Any, db: Any, database: Any, tmp_path: Path) -> None:
    _history(db, database)
    with database.unit_of_work() as s:
        reports.make_quarter(s, Q)
    page.goto("/")
    page.get_by_role("link", name="گزارش‌های عملکرد").first.click()
    page.wait_for_url("**/transparency/reports")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert serious_violations(page) == []
    first = page.locator("table tbody tr").first  # the national report comes before the agencies'
    assert "همهٔ دستگاه‌ها" in first.inner_text()
    first.get_by_role("link", name="تابستان ۱۴۰۵ (فصل ۲)").click()
    page.wait_for_url("**/transparency/reports/1405-Q2/national")
    assert serious_violations(page) == []
    table = page.get_by_role("table", name="هدف‌ها در برابر این فصل و فصل پیش (بهار ۱۴۰۵ (فصل ۱))")
    received = table.get_by_role("row", name="درخواست‌های دریافت‌شده")
    cells = received.locator("td").all_inner_texts()
    assert cells[1:3] == ["۳۲", "۱۲"]  # this quarter, the one before, the change
    p50 = table.get_by_role("row", name="زمان رسیدگی (میانه)").locator("td").all_inner_texts()
    assert p50[0] == "۵٫۰ روز" and p50[-1] == "هدف محقق شد"  # the promise beside what happened
    assert cells[3] == "\u2066+۲۰\u2069"  # isolated: the sign stays on the left, as in the PDF
    charts = page.locator("svg.report-chart[aria-label]")  # a chart per KPI with a figure above zero
    assert 0 < charts.count() < table.locator("tbody tr").count()

    with page.expect_download() as info:
        page.get_by_role("link", name="PDF (فارسی)").click()
    saved = tmp_path / "report-fa.pdf"
    info.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(saved).pages)
    # shaped Persian whose letters come out in reading order (pypdf reorders runs of Persian digits, so
    # the figures are checked on the page above and in the signed record the PDF carries)
    assert "درخواست‌های دریافت‌شده" in text and "هدف محقق شد" in text and "گزارش عملکرد" in text
    record = pdf.record_of(data)
    assert record is not None and record["document"]["quarter"] == "1405-Q2"

    page.get_by_role("link", name="بررسی امضا").click()
    page.wait_for_url("**/transparency/reports/1405-Q2/national/verify*")
    status = page.get_by_role("status")
    assert "معتبر" in status.inner_text() and "نامعتبر" not in status.inner_text()
    assert serious_violations(page) == []

    page.goto("/transparency/reports/verify")
    page.get_by_label("PDF گزارش").set_input_files(str(saved))
    page.get_by_role("button", name="بررسی").click()
    page.wait_for_load_state()
    assert "امضا معتبر است" in page.get_by_role("status").inner_text()
    assert serious_violations(page) == []
    page.goto("/transparency/reports/verify")
    page.get_by_label("PDF گزارش").set_input_files(
        {"name": "bad.pdf", "mimeType": "application/pdf", "buffer": data.replace(b"smartgov", b"smartgoV", 1)})
    page.get_by_role("button", name="بررسی").click()
    page.wait_for_load_state()
    assert "نامعتبر" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="بررسی").click()  # nothing chosen: the error is tied to the field
    page.wait_for_load_state()
    assert page.locator("#f-file").get_attribute("aria-invalid") == "true"
    assert serious_violations(page) == []


def test_every_report_page_in_english_has_no_serious_axe_violation(page: Any, db: Any, database: Any) -> None:
    _history(db, database)
    with database.unit_of_work() as s:
        reports.make_quarter(s, Q)
    for path in ("/transparency/reports", "/transparency/reports/1405-Q2/national",
                 "/transparency/reports/1405-Q2/nocr", "/transparency/reports/1405-Q2/sso",
                 "/transparency/reports/1405-Q2/national/verify", "/transparency/reports/verify",
                 "/transparency/reports/1405-Q3/national"):
        for lang in ("en", "fa"):
            page.goto(f"{path}?lang={lang}")
            assert page.locator("html").get_attribute("lang") == lang, path
            assert serious_violations(page) == [], (path, lang)
    page.goto("/transparency/reports/1405-Q2/sso?lang=en")
    row = page.get_by_role("row", name="Applications received").locator("td").all_inner_texts()
    assert row[1] == "fewer than 5"  # complementary: the national figure less sso's would reveal nocr's 2
