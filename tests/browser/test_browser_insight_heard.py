"""A Persian journey closing the loop: the analyst drafts a consultation's "what we heard" from the
themes of its comments; the agency's official edits it, drops a quote and publishes; citizens read it
with the quotes linked to the comments. axe-core: no serious violation on these pages, fa and en."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from smartgov import clock, identity
from smartgov.insight import service
from smartgov.participation import service as pservice
from tests.browser.conftest import serious_violations, sign_in
from tests.insight.factories import analyst, project
from tests.participation.helpers import agency, citizen, consultation, official

COMMENTS = ["صف‌های طولانی در شعبه‌ها وقت مردم را هدر می‌دهد و باید کوتاه شود.",
            "هفته‌ها منتظر ماندم؛ صف‌های طولانی مشکل اصلی است.",
            "لطفاً درخواست مستمری را برخط و بدون مراجعه حضوری ممکن کنید."]


@pytest.fixture
def coded(db) -> Any:  # type: ignore[no-untyped-def]
    c = consultation(db, agency(db, "sso"), title_fa="آیین‌نامهٔ مستمری", title_en="Pension regulation")
    comments = [pservice.post_comment(db, account=citizen(db, f"citizen{i}"), subject_kind="consultation",
                                      subject_id=c.id, body=body) for i, body in enumerate(COMMENTS)]
    who = analyst(db, "narges", "sso")
    p = project(db, who, name="نظرهای آیین‌نامهٔ مستمری", agency="sso")
    waits, online = (service.create_code(db, p, who, name) for name in ("صف و انتظار", "خدمت برخط"))
    for s in service.pull_participation(db, p, who, "consultation", c.id):
        code, phrase = (online, "برخط و بدون مراجعه حضوری") if "برخط" in s.text else (waits, "صف‌های طولانی")
        start = s.text.index(phrase)
        service.code_span(db, p, who, s, start, start + len(phrase), [code.id])
    service.create_theme(db, p, who, "انتظار طولانی", "basic", code_ids=[waits.id])
    service.create_theme(db, p, who, "خدمت بی‌مراجعه", "basic", code_ids=[online.id])
    boss = official(db, "official1", "sso")
    db.commit()
    clock.advance(dt.timedelta(days=10))  # comments have closed: the analysis phase
    view = identity.account_view_by_username(db, "narges")
    assert view is not None
    return c, comments, who.account, boss, p


def test_analyst_drafts_official_publishes_citizens_read_what_we_heard(page: Any, coded: Any, db: Any) -> None:
    c, comments, narges, boss, p = coded
    sign_in(page, narges)
    page.goto(f"/insight/projects/{p.id}/heard")
    assert page.locator("html").get_attribute("dir") == "rtl"
    table = page.locator("main table").inner_text()
    assert "انتظار طولانی" in table and "۲" in table
    page.get_by_role("button", name="پیش‌نویس «آنچه شنیدیم» را برای این رایزنی بساز").click()
    page.wait_for_load_state()
    assert "پیش‌نویس «آنچه شنیدیم» برای رایزنی فرستاده شد" in page.locator("[role=status]").inner_text()

    sign_in(page, boss)
    page.goto(f"/participation/consultations/{c.slug}/respond")
    summary = page.locator("#f-response_fa")
    assert "آنچه بیشتر شنیدیم" in summary.input_value() and "انتظار طولانی: ۲ نظر" in summary.input_value()
    summary.fill(summary.input_value() + "\nشعبه‌ها را برای درخواست برخط آماده می‌کنیم.")
    page.locator("#f-response_en").fill("We heard the queues are long; requests go online.")
    quotes = page.locator("fieldset.heard-draft input[type=checkbox]")
    assert quotes.count() == 3 and all(quotes.nth(i).is_checked() for i in range(3))
    dropped = next(q for q in pservice.heard_view(db, c.id).drafted if q.comment_id == comments[1].id)
    page.locator(f"#quote_{dropped.id}").uncheck()
    page.get_by_role("button", name="انتشار").click()
    page.wait_for_load_state()
    assert f"/participation/consultations/{c.slug}" in page.url

    page.context.clear_cookies()
    page.goto(f"/participation/consultations/{c.slug}")
    response = page.locator("#response").inner_text()
    assert "به سخن خود مردم" in response and "شعبه‌ها را برای درخواست برخط آماده می‌کنیم" in response
    assert "صف‌های طولانی" in response and page.locator("#response .heard-quote").count() == 2
    assert page.locator(f'#response a[href="#comment-{comments[1].id}"]').count() == 0
    page.locator("#response figcaption a").filter(has_text="نظر").last.click()
    assert page.url.endswith(f"#comment-{comments[2].id}")


def test_what_we_heard_pages_have_no_serious_accessibility_violation(page: Any, coded: Any, db: Any) -> None:
    c, _comments, narges, boss, p = coded
    sign_in(page, narges)
    theme = service.themes(db, p)[0]
    for lang in ("fa", "en"):
        page.goto(f"/lang/{lang}?next=/insight")
        for path in (f"/insight/projects/{p.id}/heard", f"/insight/projects/{p.id}/themes/{theme.id}/promote"):
            page.goto(path)
            assert serious_violations(page) == [], (lang, path)
    page.goto("/lang/fa?next=/insight")
    page.goto(f"/insight/projects/{p.id}/heard")
    page.get_by_role("button", name="پیش‌نویس «آنچه شنیدیم» را برای این رایزنی بساز").click()
    page.wait_for_load_state()
    sign_in(page, boss)
    page.goto(f"/participation/consultations/{c.slug}/respond")
    assert serious_violations(page) == [], "respond"
    page.locator("#f-response_en").fill("We heard the queues are long.")
    page.get_by_role("button", name="انتشار").click()
    page.wait_for_load_state()
    for lang in ("fa", "en"):
        page.goto(f"/lang/{lang}?next=/participation")
        page.goto(f"/participation/consultations/{c.slug}")
        assert page.locator(".heard-quote").count() == 3
        assert serious_violations(page) == [], (lang, "consultation")
