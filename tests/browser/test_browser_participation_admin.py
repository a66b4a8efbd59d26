"""The participation back office in a real browser, in Persian, from a clean database and without
any API call: an official creates a poll, a citizen votes, the result appears at close; an official
builds a consultation in three sections, a citizen comments on section 2, the official publishes what
changed. axe-core finds no serious problem on any back-office page, in Persian and in English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from smartgov import clock
from smartgov.participation import service
from smartgov.participation.models import Comment, Consultation, Poll
from tests.browser.conftest import serious_violations, sign_in
from tests.participation.helpers import SECTIONS, agency, citizen, count_votes, official
from tests.participation.test_participation_admin import jalali

BASE = "/participation/admin"


def test_an_official_creates_a_poll_a_citizen_votes_and_the_result_appears_at_close(page: Any, db: Any) -> None:
    agency(db, "sso")
    reza = official(db, "reza", "sso")
    voter = citizen(db, "voter")
    db.commit()
    sign_in(page, reza)
    page.goto(BASE)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert serious_violations(page) == []
    page.get_by_role("link", name="نظرسنجی تازه").click()
    page.wait_for_url(f"**{BASE}/polls/new")
    page.get_by_role("button", name="ساختن نظرسنجی").click()  # empty: every problem named
    assert page.locator(".error-summary a[href='#f-question_fa']").count() == 1
    assert serious_violations(page) == []
    page.locator("#f-slug").fill("bus-route")
    page.locator("#f-question_fa").fill("کدام مسیر اتوبوس اول راه بیفتد؟")
    page.locator("#f-question_en").fill("Which bus route first?")
    for i, (fa, en) in enumerate((("شمال", "North"), ("جنوب", "South"), ("شرق", "East")), start=1):
        page.locator(f"#f-o{i}_fa").fill(fa)
        page.locator(f"#f-o{i}_en").fill(en)
    page.locator("#f-opens_at").fill(jalali(clock.now() + dt.timedelta(minutes=30)))
    page.locator("#f-closes_at").fill(jalali(clock.now() + dt.timedelta(days=3)))
    page.get_by_role("button", name="ساختن نظرسنجی").click()
    page.wait_for_url(re.compile(r".*/polls/\d+\?done=created$"))
    assert "ساخته شد" in page.locator("main").inner_text()
    assert serious_violations(page) == []
    admin_url = page.url.split("?")[0]

    clock.advance(dt.timedelta(hours=1))  # it opens; a citizen votes on the public page
    sign_in(page, voter)
    page.goto("/participation/polls/bus-route")
    page.get_by_label("جنوب").check()
    page.get_by_role("button", name="ثبت رأی من").click()
    page.wait_for_load_state()
    db.expire_all()
    poll = db.scalar(select(Poll))
    assert service.has_voted(db, "poll", poll.id, voter.person_id)

    sign_in(page, reza)  # the official closes it early; the trustees count; the result is on the page
    page.goto(admin_url)
    page.get_by_role("button", name="پایان رأی‌گیری از هم‌اکنون").click()
    page.wait_for_url("**?done=closed")
    assert "در حال شمارش" in page.locator("main").inner_text()
    db.expire_all()
    assert count_votes(db) == 1
    page.goto(admin_url)
    results = page.locator("table[aria-labelledby=results-title]").inner_text()
    assert "جنوب\t۱" in results and "شمال\t۰" in results
    assert serious_violations(page) == []


def test_an_official_builds_a_consultation_a_citizen_comments_and_the_official_publishes_what_changed(
        page: Any, db: Any) -> None:
    agency(db, "sso")
    reza = official(db, "reza", "sso")
    maryam = citizen(db, "maryam")
    db.commit()
    sign_in(page, reza)
    page.goto(BASE)
    page.get_by_role("link", name="رایزنی تازه").click()
    page.locator("#f-slug").fill("pension-rules")
    page.locator("#f-title_fa").fill("آیین‌نامهٔ مستمری")
    page.locator("#f-title_en").fill("Pension regulation")
    start = clock.now() + dt.timedelta(days=1)
    for i, p in enumerate(("information", "consultation", "analysis", "decision", "accountability")):
        page.locator(f"#f-phase_{p}").fill(jalali(start + dt.timedelta(days=10 * i)))
    for i, sec in enumerate(SECTIONS, start=1):
        for key, text in sec.items():
            page.locator(f"#f-s{i}_{key}").fill(text)
    page.get_by_role("button", name="ساختن رایزنی").click()
    page.wait_for_url(re.compile(r".*/consultations/\d+\?done=created$"))
    assert serious_violations(page) == []
    admin_url = page.url.split("?")[0]
    for _ in range(2):  # information, then consultation: comments open
        page.get_by_role("button", name="آغاز مرحلهٔ بعد از هم‌اکنون").click()
        page.wait_for_url("**?done=advanced")
    assert "رایزنی" in page.locator("main").inner_text()

    sign_in(page, maryam)
    page.goto("/participation/consultations/pension-rules")
    page.get_by_text("نظر دربارهٔ بند ۲").click()
    page.locator("#f-body-s2").fill("سی روز زیاد است؛ پانزده روز کافی است.")
    page.locator("form:has(#f-body-s2) button[type=submit]").click()
    page.wait_for_url(re.compile(r".*#comment-\d+$"))
    db.expire_all()
    comment = db.scalar(select(Comment))
    c = db.scalar(select(Consultation))
    assert comment.section_id == c.sections[1].id

    clock.advance(dt.timedelta(minutes=1))  # a TOTP code is accepted once: the official's next one
    sign_in(page, reza)
    page.goto(admin_url)
    page.get_by_role("button", name="آغاز مرحلهٔ بعد از هم‌اکنون").click()  # analysis
    page.wait_for_url("**?done=advanced")
    page.get_by_role("link", name="انتشار «آنچه شنیدیم و آنچه تغییر دادیم»").click()
    page.locator("#f-response_fa").fill("بیشتر شرکت‌کنندگان مهلت را طولانی دانستند.")
    page.locator("#f-response_en").fill("Most participants found the deadline too long.")
    page.locator("#f-change_section").fill("۲")
    page.locator("#f-change_fa").fill("مهلت به پانزده روز کاهش یافت.")
    page.locator("#f-change_en").fill("The deadline was cut to fifteen days.")
    page.locator("#f-comment_ids").fill(str(comment.id))
    page.get_by_role("button", name="انتشار").click()
    page.wait_for_url("**/participation/consultations/pension-rules#response")
    main = page.locator("main").inner_text()
    assert "مهلت به پانزده روز کاهش یافت." in main
    assert page.locator(f'a[href="#comment-{comment.id}"]').count() >= 1


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_back_office_page_has_no_serious_axe_violation(page: Any, db: Any, lang: str) -> None:
    from tests.participation.helpers import consultation

    sso = agency(db, "sso")
    c = consultation(db, sso, phase="information")
    now = clock.now()
    poll = service.create_poll(db, organization=sso, slug="p1", question_fa="کدام؟", question_en="Which?",
                               options=[("الف", "A"), ("ب", "B")], opens_at=now + dt.timedelta(hours=1),
                               closes_at=now + dt.timedelta(days=1))
    budget = service.create_budget(db, organization=sso, slug="b1", title_fa="پارک", title_en="Parks", total=100,
                                   style="approval", max_choices=1, projects=[("نیمکت", "Benches", 50)],
                                   opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1))
    item = service.create_item(db, organization=sso, kind="project", title_fa="رمپ", title_en="Ramps",
                               deadline=dt.date(2031, 1, 1), milestones=[("طراحی", "Design", dt.date(2030, 1, 1))])
    reza = official(db, "reza", "sso")
    db.commit()
    sign_in(page, reza)
    page.goto(f"/lang/{lang}?next={BASE}")
    assert page.locator("html").get_attribute("lang") == lang
    urls = [BASE, f"{BASE}/consultations/new", f"{BASE}/polls/new", f"{BASE}/budgets/new",
            f"{BASE}/accountability/new", f"{BASE}/consultations/{c.id}", f"{BASE}/polls/{poll.id}",
            f"{BASE}/budgets/{budget.id}", f"{BASE}/accountability/{item.id}"]
    for url in urls:
        page.goto(url)
        assert serious_violations(page) == [], url
    for url in urls[1:5]:  # each form with every error showing
        page.goto(url)
        page.locator("main form.form button.button:not(.secondary)").last.click()
        page.wait_for_load_state()
        assert page.locator(".error-summary").count() == 1, url
        assert serious_violations(page) == [], url
