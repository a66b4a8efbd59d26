"""Closing the loop: a consultation's coded comments and basic themes draft its "what we heard"; the
agency's official edits and publishes it in participation; citizens see the quotes linked to comments."""

from __future__ import annotations

import datetime as dt

import pytest

from smartgov import clock, participation
from smartgov.errors import DomainError, NotFound
from smartgov.identity import principal_of
from smartgov.insight import loop, service
from smartgov.participation import service as pservice
from tests.factories import csrf_of, page_login
from tests.participation.helpers import agency, citizen, consultation, official

from .factories import analyst, project

WAITS = ["صف‌های طولانی در شعبه‌ها وقت مردم را هدر می‌دهد و باید کوتاه شود.",
         "هفته‌ها منتظر ماندم؛ صف‌های طولانی مشکل اصلی است."]
ONLINE = "لطفاً درخواست مستمری را برخط و بدون مراجعه حضوری ممکن کنید."


def _coded_consultation(db, analyst_agency: str = "sso"):  # type: ignore[no-untyped-def]
    """A consultation of 'sso' with three comments, pulled into a project and coded under two basic themes."""
    org = agency(db, "sso")
    c = consultation(db, org)
    comments = [pservice.post_comment(db, account=citizen(db, f"citizen{i}"), subject_kind="consultation",
                                      subject_id=c.id, body=body) for i, body in enumerate([*WAITS, ONLINE])]
    who = analyst(db, "analyst1", analyst_agency)
    p = project(db, who, agency=analyst_agency)
    sources = service.pull_participation(db, p, who, "consultation", c.id)
    waits = service.create_code(db, p, who, "صف و انتظار")
    online = service.create_code(db, p, who, "خدمت برخط")
    for s in sources:
        code = online if "برخط" in s.text else waits
        phrase = "برخط و بدون مراجعه حضوری" if code is online else "صف‌های طولانی"
        start = s.text.index(phrase)
        service.code_span(db, p, who, s, start, start + len(phrase), [code.id])
    organizing = service.create_theme(db, p, who, "دسترسی به خدمت", "organizing")
    service.create_theme(db, p, who, "انتظار طولانی", "basic", parent_id=organizing.id, code_ids=[waits.id])
    service.create_theme(db, p, who, "خدمت بی‌مراجعه", "basic", parent_id=organizing.id, code_ids=[online.id])
    db.commit()
    return c, comments, who, p


def test_themes_draft_what_we_heard_and_the_official_publishes_it(client, db) -> None:  # type: ignore[no-untyped-def]
    c, comments, who, p = _coded_consultation(db)
    counts = loop.theme_counts(db, p, c.id)
    assert [(t.name, t.comments, len(t.quotes)) for t in counts] == [("انتظار طولانی", 2, 2), ("خدمت بی‌مراجعه", 1, 1)]
    assert {q.comment_id for t in counts for q in t.quotes} == {x.id for x in comments}

    page_login(client, who.account, f"/insight/projects/{p.id}/heard")
    page = client.get(f"/insight/projects/{p.id}/heard")
    assert page.status_code == 200 and "آیین‌نامهٔ مستمری" in page.text and "انتظار طولانی" in page.text
    r = client.post(f"/insight/projects/{p.id}/heard", data={"csrf_token": csrf_of(page.text),
                                                            "consultation": str(c.id)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/insight/projects/{p.id}/heard?drafted={c.id}#c-{c.id}"
    assert f"/participation/consultations/{c.slug}/respond" in client.get(r.headers["location"]).text
    client.get("/logout")
    client.cookies.clear()

    clock.advance(dt.timedelta(days=10))  # the analysis phase: the response may be published
    boss = official(db, "official1", "sso")
    db.commit()
    page_login(client, boss, f"/participation/consultations/{c.slug}/respond")
    form = client.get(f"/participation/consultations/{c.slug}/respond")
    assert form.status_code == 200 and "آنچه بیشتر شنیدیم" in form.text and "انتظار طولانی: ۲ نظر" in form.text
    drafted = pservice.heard_view(db, c.id).drafted
    assert len(drafted) == 3 and all(not q.published for q in drafted)
    keep = [q for q in drafted if q.comment_id != comments[1].id]
    data = {"csrf_token": csrf_of(form.text), "response_fa": "شنیدیم که صف‌ها طولانی است؛ شعبه‌ها را برخط می‌کنیم.",
            "response_en": "We heard the queues are long; branches go online.",
            **{f"quote_{q.id}": "on" for q in keep}}
    r = client.post(f"/participation/consultations/{c.slug}/respond", data=data, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    view = pservice.heard_view(db, c.id)
    assert view.draft is None and view.drafted == [] and {q.comment_id for q in view.published} == {
        comments[0].id, comments[2].id}
    client.get("/logout")
    client.cookies.clear()

    public = client.get(f"/participation/consultations/{c.slug}").text
    assert "به سخن خود مردم" in public and "شعبه‌ها را برخط می‌کنیم" in public
    assert f'href="#comment-{comments[0].id}"' in public and f'href="#comment-{comments[2].id}"' in public
    assert f'href="#comment-{comments[1].id}"' not in public and "صف‌های طولانی" in public
    english = client.get(f"/participation/consultations/{c.slug}?lang=en").text
    assert "In people&#39;s own words" in english and "branches go online" in english
    assert f'href="#comment-{comments[2].id}"' in english


def test_a_quote_must_be_the_comments_own_words(db) -> None:  # type: ignore[no-untyped-def]
    c, comments, _who, _p = _coded_consultation(db)
    clock.advance(dt.timedelta(days=10))
    ok = participation.QuoteDraft(comment_id=comments[0].id, theme="t", text="صف‌های طولانی در  شعبه‌ها")
    forged = participation.QuoteDraft(comment_id=comments[0].id, theme="t", text="صف‌ها عالی است")
    elsewhere = participation.QuoteDraft(comment_id=10_000, theme="t", text="صف‌های طولانی")
    draft = participation.draft_what_we_heard(db, c.id, summary_fa="خلاصه", summary_en="Summary", quotes=[ok],
                                              origin="test", actor_id=None)
    assert [q.text for q in draft.drafted] == ["صف‌های طولانی در شعبه‌ها"]  # spaces evened, words kept
    for bad, code in ((forged, "quote_not_in_comment"), (elsewhere, "unknown_comment")):
        with pytest.raises(DomainError) as caught:
            participation.draft_what_we_heard(db, c.id, summary_fa="خلاصه", summary_en="Summary", quotes=[bad],
                                              origin="test", actor_id=None)
        assert caught.value.code == code


def test_a_project_cannot_draft_for_another_agencys_consultation(client, db) -> None:  # type: ignore[no-untyped-def]
    c, _comments, who, p = _coded_consultation(db, analyst_agency="agency-b")
    clock.advance(dt.timedelta(days=10))
    principal = principal_of(db, who.id)
    assert principal is not None
    with pytest.raises(NotFound):
        loop.draft_what_we_heard(db, p, principal, c.id)
    assert pservice.heard_view(db, c.id).draft is None
    page_login(client, who.account, f"/insight/projects/{p.id}/heard")
    page = client.get(f"/insight/projects/{p.id}/heard")
    assert "آیین‌نامهٔ مستمری" not in page.text
    r = client.post(f"/insight/projects/{p.id}/heard", data={"csrf_token": csrf_of(page.text),
                                                            "consultation": str(c.id)})
    assert r.status_code == 422 and pservice.heard_view(db, c.id).draft is None
