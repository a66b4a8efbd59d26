"""A Persian analyst's journey in insight: code three segments of a transcript, group them into a basic
theme under an organizing theme, see the network and the saturation curve; run assisted themes and
approve one; the insight pages have no serious axe-core violation in Persian or English."""

from __future__ import annotations

from typing import Any

import pytest

from smartgov import identity
from smartgov.identity.models import Role
from smartgov.insight import service
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import create_account, create_agency

TRANSCRIPT = ("بدون حکمرانی داده هر دستگاه داده‌های خودش را جدا نگه می‌دارد. "
              "مردم تا مطمئن نشوند حریم خصوصی‌شان حفظ می‌شود اطلاعاتشان را نمی‌دهند. "
              "پلتفرم‌های دولتی به هم متصل نیستند و شهروند باید اطلاعاتش را بارها وارد کند. "
              "اعتماد مردم به دولت پایهٔ پذیرش خدمات هوشمند است.")


@pytest.fixture
def study(db) -> Any:  # type: ignore[no-untyped-def]
    create_agency(db, "sso-demo", name_fa="سازمان تأمین اجتماعی (آزمایشی)", name_en="Social Security (test)")
    account = create_account(db, username="narges", role=Role.ANALYST, organization="sso-demo")
    principal = identity.principal_of(db, account.id)
    project = service.create_project(db, principal, identity.organization_by_code(db, "sso-demo"), "مصاحبه‌های CSF")
    source = service.add_source(db, project, principal, "مصاحبهٔ ۱", TRANSCRIPT, values={"role": "خبره"})
    codes = [service.create_code(db, project, principal, name) for name in ("حکمرانی داده", "حریم خصوصی", "یکپارچگی")]
    for i in range(8):  # comments enough for assisted themes
        service.add_source(db, project, principal, f"نظر {i + 1}", TRANSCRIPT.split(". ")[i % 4] + ".", kind="comment")
    db.commit()
    return account, project, source, codes


def test_analyst_codes_groups_and_sees_network_saturation_and_suggestions(page: Any, study: Any) -> None:
    account, project, source, codes = study
    sign_in(page, account)
    base = f"/insight/projects/{project.id}"
    page.goto(f"{base}/sources/{source.id}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    for sentence, code in enumerate(codes):  # three segments, each a sentence, each with its code
        page.locator(f"#u-{sentence}").check()
        page.locator(f"#f-code-{code.id}").check()
        page.locator("#coding-form button[type=submit]").click()
        page.wait_for_load_state()
    coded = page.locator("main").inner_text()
    assert all(code.name in coded for code in codes) and "«بدون حکمرانی داده" in coded
    page.goto(base)
    themes = page.locator("form[action$='/themes']")
    page.locator("#themes ~ details summary").click()
    themes.locator("input[name=name]").fill("حکمرانی هوشمند")
    themes.locator("#f-level-organizing").check()
    themes.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.locator("#themes ~ details summary").click()
    themes = page.locator("form[action$='/themes']")
    themes.locator("input[name=name]").fill("حکمرانی داده و اعتماد")
    themes.locator("#f-level-basic").check()
    themes.locator("#f-theme-parent").select_option(label="مضمون سازمان‌دهنده: حکمرانی هوشمند")
    for code in codes:
        themes.locator(f"#f-tc-{code.id}").check()
    themes.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{base}/network")
    assert page.locator("svg#insight-network").count() == 1
    network = page.locator("main").inner_text()
    assert "حکمرانی هوشمند" in network and "حکمرانی داده و اعتماد" in network and "حریم خصوصی" in network
    page.goto(f"{base}/saturation")
    page.locator("#chart-saturation .main-svg").first.wait_for()
    assert "۳" in page.locator("table").first.inner_text()
    page.goto(f"{base}/assist")
    page.locator("form[action$='/assist/run']").first.locator("input[name=k]").fill("۲")
    page.locator("form[action$='/assist/run']").first.locator("button[type=submit]").click()
    page.wait_for_load_state()
    first = page.locator("section.suggestion").first
    first.locator("input[name=name]").fill("مضمون پیشنهادی تأییدشده")
    first.locator("button[value=approve]").click()
    page.wait_for_load_state()
    assert "مضمون پیشنهادی تأییدشده" in page.locator("#decided ~ table").inner_text()


def test_insight_pages_have_no_serious_accessibility_violation(page: Any, study: Any) -> None:
    account, project, source, _codes = study
    sign_in(page, account)
    base = f"/insight/projects/{project.id}"
    for lang in ("fa", "en"):
        page.goto(f"/lang/{lang}?next=/insight")
        for path in ("/insight", base, f"{base}/sources/{source.id}", f"{base}/network", f"{base}/saturation",
                     f"{base}/assist?q=داده"):
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == lang
            assert serious_violations(page) == [], (lang, path)
