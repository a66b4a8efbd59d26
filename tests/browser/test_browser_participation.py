"""A citizen in Persian reads a draft, comments on section 2, and sees the agency's response
after the analysis phase; axe-core finds no serious problem on the consultation page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from smartgov import clock
from smartgov.participation import service
from smartgov.participation.models import Comment
from tests.browser.conftest import serious_violations
from tests.factories import PASSWORD
from tests.participation.helpers import agency, citizen, consultation


def test_comment_on_section_2_then_read_the_response(page: Any, db: Any) -> None:
    c = consultation(db, agency(db))
    citizen(db, "maryam")
    db.commit()
    slug = c.slug
    page.goto("/login")
    page.get_by_label("نام کاربری").fill("maryam")
    page.get_by_label("گذرواژه").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")
    page.goto(f"/participation/consultations/{slug}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "بند ۲: مهلت‌ها" in page.locator("main").inner_text()
    assert serious_violations(page) == []

    page.get_by_text("نظر دربارهٔ بند ۲").click()  # opens the section's comment form
    page.locator("#f-body-s2").fill("سی روز زیاد است؛ پانزده روز کافی است.")
    page.locator("#f-body-s2").press("Tab")
    page.locator("form:has(#f-body-s2) button[type=submit]").click()
    page.wait_for_url(re.compile(r".*#comment-\d+$"))
    assert "پانزده روز کافی است" in page.locator("main").inner_text()
    comment = db.scalar(select(Comment))
    assert comment.section_id == c.sections[1].id

    # The analysis phase starts; the agency publishes what it heard and what it changed.
    clock.advance(dt.timedelta(days=10))
    c = service.consultation_by_slug(db, slug)
    service.publish_response(db, c, response_fa="بیشتر شرکت‌کنندگان مهلت را طولانی دانستند.",
                             response_en="Most participants found the deadline too long.",
                             changes=[{"section": 2, "text_fa": "مهلت به پانزده روز کاهش یافت.",
                                       "text_en": "The deadline was cut to fifteen days.",
                                       "comment_ids": [comment.id]}], actor_id=None)
    db.commit()
    page.goto(f"/participation/consultations/{slug}")
    main = page.locator("main").inner_text()
    assert "پاسخ دستگاه" in main and "مهلت به پانزده روز کاهش یافت." in main
    assert page.locator(f'a[href="#comment-{comment.id}"]').count() >= 1
    assert page.locator("#f-body-s2").count() == 0  # comments are closed in the analysis phase
    assert serious_violations(page) == []


def test_an_agency_admin_answers_a_petition_from_the_queue_in_persian(page: Any, db: Any) -> None:
    from smartgov.identity.models import Role
    from tests.browser.conftest import sign_in
    from tests.factories import create_account

    sso = agency(db, "sso")
    p = service.create_petition(db, account=citizen(db, "author"), organization=sso, title="Thursday offices",
                                body="Please open the offices on Thursdays for workers.", threshold=1)
    admin = create_account(db, username="sara", role=Role.AGENCY_ADMIN, organization="sso")
    db.commit()
    sign_in(page, admin)
    page.goto("/participation/answers")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Thursday offices").click()
    page.wait_for_url(f"**/participation/petitions/{p.id}#respond-title")
    page.locator("#f-response_text").focus()
    page.keyboard.type("از هفتهٔ آینده دفترها پنجشنبه‌ها باز است.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Publish button, reached with the keyboard
    page.wait_for_url(f"**/participation/petitions/{p.id}#resp-title")
    assert "از هفتهٔ آینده دفترها پنجشنبه‌ها باز است." in page.locator("main").inner_text()
    assert page.locator("#f-response_text").count() == 0
    assert serious_violations(page) == []
    page.goto("/services/reconciliation")  # finance staff's page, also in Persian
    assert "تطبیق روزانهٔ پرداخت‌ها" in page.locator("h1").inner_text()
    assert serious_violations(page) == []
