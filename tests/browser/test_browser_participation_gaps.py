"""The back office's second round in a real browser, in Persian, without any API call: an official
creates a poll only the province of Tehran may vote in; a citizen of Tehran votes, one of Isfahan is
told plainly why they cannot; the result appears at close. axe-core finds no serious problem on the
new pages (petitions' terms, the final version, the forms with their errors, the refused voter's
page), in Persian and in English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from smartgov import clock
from smartgov.participation import service
from smartgov.participation.models import Poll
from tests.browser.conftest import serious_violations, sign_in
from tests.participation.helpers import agency, citizen, consultation, count_votes, official
from tests.participation.test_participation_admin import jalali

BASE = "/participation/admin"


def test_a_poll_for_one_province_a_citizen_there_votes_another_is_told_why_not(page: Any, db: Any) -> None:
    agency(db, "sso")
    reza = official(db, "reza", "sso")
    tehrani = citizen(db, "tehrani", province="Tehran")
    isfahani = citizen(db, "isfahani", province="Isfahan")
    db.commit()
    sign_in(page, reza)
    page.goto(f"{BASE}/polls/new")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("#f-slug").fill("tehran-bus")
    page.locator("#f-question_fa").fill("کدام مسیر اتوبوس تهران اول راه بیفتد؟")
    page.locator("#f-question_en").fill("Which Tehran bus route first?")
    for i, (fa, en) in enumerate((("شمال", "North"), ("جنوب", "South")), start=1):
        page.locator(f"#f-o{i}_fa").fill(fa)
        page.locator(f"#f-o{i}_en").fill(en)
    page.locator("#f-eligibility").fill('voter.province == "tehran"')  # the plain words forgotten
    page.locator("#f-opens_at").fill(jalali(clock.now() + dt.timedelta(minutes=30)))
    page.locator("#f-closes_at").fill(jalali(clock.now() + dt.timedelta(days=3)))
    page.get_by_role("button", name="ساختن نظرسنجی").click()
    assert page.locator(".error-summary a[href='#f-eligibility_note_fa']").count() == 1
    assert serious_violations(page) == []
    page.locator("#f-eligibility_note_fa").fill("فقط ساکنان استان تهران")
    page.locator("#f-eligibility_note_en").fill("Only residents of Tehran province")
    page.get_by_role("button", name="ساختن نظرسنجی").click()
    page.wait_for_url(re.compile(r".*/polls/\d+\?done=created$"))
    admin_url = page.url.split("?")[0]

    clock.advance(dt.timedelta(hours=1))
    sign_in(page, tehrani)
    page.goto("/participation/polls/tehran-bus")
    assert "فقط ساکنان استان تهران" in page.locator("#who-may-vote").inner_text()
    page.get_by_label("جنوب").check()
    page.get_by_role("button", name="ثبت رأی من").click()
    page.wait_for_load_state()
    db.expire_all()
    poll = db.scalar(select(Poll))
    assert service.has_voted(db, "poll", poll.id, tehrani.person_id)

    sign_in(page, isfahani)
    page.goto("/participation/polls/tehran-bus")
    told = page.locator("#not-eligible").inner_text()
    assert "شما نمی‌توانید در این نظرسنجی رای دهید" in told and "فقط ساکنان استان تهران" in told
    assert page.get_by_role("button", name="ثبت رأی من").count() == 0
    assert serious_violations(page) == []

    sign_in(page, reza)
    page.goto(admin_url)
    page.get_by_role("button", name="پایان رأی‌گیری از هم‌اکنون").click()
    page.wait_for_url("**?done=closed")
    db.expire_all()
    assert count_votes(db) == 1
    page.goto(admin_url)
    results = page.locator("table[aria-labelledby=results-title]").inner_text()
    assert "جنوب\t۱" in results and "شمال\t۰" in results
    page.goto("/participation/polls/tehran-bus")
    assert "جنوب" in page.locator("main table").inner_text()


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_new_back_office_pages_have_no_serious_axe_violation(page: Any, db: Any, lang: str) -> None:
    sso = agency(db, "sso")
    c = consultation(db, sso, phase="decision")
    now = clock.now()
    budget = service.create_budget(
        db, organization=sso, slug="b1", title_fa="پارک", title_en="Parks", total=100, style="approval", max_choices=1,
        projects=[("نیمکت", "Benches", 50, service.ProjectPlace("پارک لاله", "Laleh Park", 35.71, 51.39))],
        opens_at=now + dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1))
    author = citizen(db, "author")
    petition = service.create_petition(db, account=author, organization=sso, title="پیاده‌رو هموار",
                                       body="پیاده‌روی خیابان را برای ویلچر هموار کنید، لطفاً.", threshold=100)
    reza = official(db, "reza", "sso")
    db.commit()
    sign_in(page, reza)
    page.goto(f"/lang/{lang}?next={BASE}")
    assert page.locator("html").get_attribute("lang") == lang
    urls = [f"{BASE}/petitions", f"{BASE}/petitions/{petition.id}", f"{BASE}/consultations/{c.id}/final",
            f"{BASE}/polls/new", f"{BASE}/budgets/{budget.id}", "/participation/budgets/b1"]
    for url in urls:
        page.goto(url)
        assert serious_violations(page) == [], url
    for url, field in ((f"{BASE}/petitions/{petition.id}", "#f-threshold"),
                       (f"{BASE}/consultations/{c.id}/final", "#f-s1_body_en"),
                       (f"{BASE}/budgets/{budget.id}", "#f-p1_lat")):
        page.goto(url)
        page.locator(field).fill("" if "body" in field else "x")
        page.locator("main form.form button.button:not(.secondary)").last.click()
        page.wait_for_load_state()
        assert page.locator(".error-summary").count() == 1, url
        assert serious_violations(page) == [], url
