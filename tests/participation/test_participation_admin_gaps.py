"""The back office's second round, through the browser's forms: a poll only one province may vote in,
budget projects with places, petitions' thresholds and deadlines set by staff, a consultation's final
version published by the official and shown to citizens. Errors are named on their fields; every change
is an event."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from smartgov import clock
from smartgov.participation import service
from smartgov.participation.models import Budget, Petition, Poll
from tests.factories import page_login
from tests.participation.helpers import agency, citizen, consultation, count_votes, official
from tests.participation.test_participation_admin import BASE, events, jalali, post


def _poll_form(**extra: str) -> dict[str, str]:
    opens, closes = clock.now() + dt.timedelta(hours=1), clock.now() + dt.timedelta(days=3)
    return {"organization": "sso", "slug": "tehran-bus", "question_fa": "کدام مسیر اتوبوس؟",
            "question_en": "Which bus route?", "o1_fa": "شمال", "o1_en": "North", "o2_fa": "جنوب", "o2_en": "South",
            "option_count": "3", "opens_at": jalali(opens), "closes_at": jalali(closes), **extra}


def test_a_poll_restricted_to_one_province_refuses_others_plainly_and_counts_the_rest(client, db) -> None:  # type: ignore[no-untyped-def]
    agency(db, "sso")
    reza = official(db, "reza", "sso")
    tehrani = citizen(db, "tehrani", province="Tehran")
    isfahani = citizen(db, "isfahani", province="Isfahan")
    db.commit()
    page_login(client, reza)
    form = client.get(f"{BASE}/polls/new").text
    assert '<label for="f-eligibility">' in form and 'id="f-eligibility-hint"' in form
    # a rule with a mistake, a fact the platform does not have, and no plain words: each named on its field
    r = post(client, f"{BASE}/polls/new", _poll_form(eligibility='voter.province == "tehran" and'))
    assert r.status_code == 422 and 'href="#f-eligibility"' in r.text and 'href="#f-eligibility_note_fa"' in r.text
    r = post(client, f"{BASE}/polls/new", _poll_form(eligibility="voter.salary > 10", eligibility_note_fa="الف",
                                                     eligibility_note_en="A"))
    assert r.status_code == 422 and 'id="f-eligibility-error"' in r.text and "voter.salary" in r.text
    assert db.scalar(select(Poll.id)) is None
    rule = 'voter.province == "tehran" and voter.age >= 18'
    r = post(client, f"{BASE}/polls/new", _poll_form(
        eligibility=rule, eligibility_note_fa="فقط ساکنان استان تهران با ۱۸ سال یا بیشتر",
        eligibility_note_en="Only residents of Tehran province aged 18 or over"))
    assert r.status_code == 303, r.text
    poll = db.scalar(select(Poll))
    assert poll.eligibility == rule and events(db, "participation.poll_created") == 1
    clock.advance(dt.timedelta(hours=2))
    # the citizen of Tehran votes; the one of Isfahan is told why not, before and after trying
    client.cookies.clear()
    page_login(client, tehrani)
    page = client.get(f"/participation/polls/{poll.slug}").text
    assert "فقط ساکنان استان تهران" in page and 'action="/participation/polls/tehran-bus/vote"' in page
    r = post(client, f"/participation/polls/{poll.slug}/vote", {"option": "۲"}, f"/participation/polls/{poll.slug}")
    assert r.status_code == 200 and "receipt" in r.text
    client.cookies.clear()
    page_login(client, isfahani)
    page = client.get(f"/participation/polls/{poll.slug}").text
    assert 'id="not-eligible"' in page and 'name="option"' not in page
    r = post(client, f"/participation/polls/{poll.slug}/vote", {"option": "1"}, f"/participation/polls/{poll.slug}")
    assert r.status_code == 403 and "شما نمی‌توانید در این نظرسنجی رای دهید" in r.text
    assert "فقط ساکنان استان تهران" in r.text
    # the API gives the same refusal, in the caller's language
    db.expire_all()
    assert not service.may_vote(db, service.poll_by_ref(db, poll.id), isfahani.person_id)
    # results appear at close, with the one vote that counted
    assert count_votes(db, after=dt.timedelta(days=3)) == 1
    client.cookies.clear()
    page_login(client, reza)
    page = client.get(f"{BASE}/polls/{poll.id}").text
    assert 'id="results-title"' in page and "<td>۱</td>" in page and "<td>۰</td>" in page


def test_budget_projects_carry_a_place_and_an_optional_point(client, db) -> None:  # type: ignore[no-untyped-def]
    agency(db, "sso")
    reza = official(db, "reza", "sso")
    db.commit()
    page_login(client, reza)
    opens, closes = clock.now() + dt.timedelta(hours=1), clock.now() + dt.timedelta(days=7)
    data = {"organization": "sso", "slug": "parks", "title_fa": "بودجهٔ پارک‌ها", "title_en": "Parks budget",
            "total": "۱٬۰۰۰٬۰۰۰", "style": "knapsack", "project_count": "3", "p1_fa": "نیمکت", "p1_en": "Benches",
            "p1_cost": "۲۰۰٬۰۰۰", "p1_place_fa": "پارک لاله", "p1_place_en": "", "p1_lat": "۹۵٫۱", "p2_fa": "روشنایی",
            "p2_en": "Lights", "p2_cost": "۳۰۰٬۰۰۰", "p2_lon": "51.4", "opens_at": jalali(opens),
            "closes_at": jalali(closes)}
    r = post(client, f"{BASE}/budgets/new", data)
    assert r.status_code == 422
    for field in ("p1_place_en", "p1_lat", "p2_lat"):
        assert f'href="#f-{field}"' in r.text and f'id="f-{field}-error"' in r.text, field
    assert db.scalar(select(Budget.id)) is None
    r = post(client, f"{BASE}/budgets/new", {**data, "p1_place_en": "Laleh Park", "p1_lat": "۳۵٫۷۱۲", "p1_lon": "51.39",
                                              "p2_lon": ""})
    assert r.status_code == 303, r.text
    budget = db.scalar(select(Budget))
    first, second = budget.projects
    assert (first.place_fa, first.place_en, first.latitude, first.longitude) == ("پارک لاله", "Laleh Park", 35.712,
                                                                                  51.39)
    assert second.place_fa is None and second.latitude is None
    page = client.get(f"{BASE}/budgets/{budget.id}").text
    assert 'value="Laleh Park"' in page and 'value="35.712"' in page
    public = client.get("/participation/budgets/parks").text
    assert "پارک لاله" in public and "openstreetmap.org/?mlat=35.712&amp;mlon=51.39" in public


def test_staff_set_a_petitions_threshold_response_time_and_signing_deadline(client, db) -> None:  # type: ignore[no-untyped-def]
    sso = agency(db, "sso")
    reza = official(db, "reza", "sso")
    author, other, late = citizen(db, "author"), citizen(db, "other"), citizen(db, "late")
    petition = service.create_petition(db, account=author, organization=sso, title="پیاده‌رو خیابان ولی‌عصر",
                                       body="پیاده‌روی خیابان ولی‌عصر را برای ویلچر هموار کنید، لطفاً.", threshold=1000)
    service.sign_petition(db, petition, other)
    db.commit()
    page_login(client, reza)
    listing = client.get(f"{BASE}/petitions").text
    assert f'href="{BASE}/petitions/{petition.id}"' in listing and "پیاده‌رو خیابان ولی‌عصر" in listing
    url = f"{BASE}/petitions/{petition.id}"
    r = post(client, url, {"threshold": "۰", "response_days": "۴۰۰", "signatures_close_at": "فردا"})
    assert r.status_code == 422
    for field in ("threshold", "response_days", "signatures_close_at"):
        assert f'href="#f-{field}"' in r.text, field
    closes = clock.now() + dt.timedelta(days=2)
    r = post(client, url, {"threshold": "۲", "response_days": "۱۰", "signatures_close_at": jalali(closes)})
    assert r.status_code == 303, r.text
    db.expire_all()
    p = db.get(Petition, petition.id)
    # two signatures already: the lowered threshold is reached now, and the response is due in ten days
    assert p.threshold == 2 and p.threshold_reached_at is not None
    assert p.response_due_at == p.threshold_reached_at + dt.timedelta(days=10)
    assert events(db, "participation.petition_terms_set") == 1
    assert events(db, "participation.petition_threshold_reached") == 1
    # once reached, the threshold cannot be raised; the response time can change
    r = post(client, url, {"threshold": "۵۰", "response_days": "۲۰", "signatures_close_at": ""})
    assert r.status_code == 422 and 'id="f-threshold-error"' in r.text
    clock.advance(dt.timedelta(days=3))
    client.cookies.clear()
    page_login(client, late)
    r = post(client, f"/participation/petitions/{petition.id}/sign", {}, f"/participation/petitions/{petition.id}")
    assert r.status_code in (409, 422) and db.get(Petition, petition.id).signature_count == 2


def test_the_official_publishes_the_final_version_and_citizens_see_it_beside_the_draft(client, db) -> None:  # type: ignore[no-untyped-def]
    sso = agency(db, "sso")
    reza = official(db, "reza", "sso")
    early = consultation(db, sso, slug="early", phase="analysis")
    c = consultation(db, sso, phase="decision")
    db.commit()
    page_login(client, reza)
    assert "/final" not in client.get(f"{BASE}/consultations/{early.id}").text
    r = post(client, f"{BASE}/consultations/{early.id}/final", {"s1_body_fa": "x", "s1_body_en": "x"},
             f"{BASE}/consultations/{early.id}/final")
    assert r.status_code == 409
    assert f'href="{BASE}/consultations/{c.id}/final"' in client.get(f"{BASE}/consultations/{c.id}").text
    form = client.get(f"{BASE}/consultations/{c.id}/final").text
    assert "سازمان باید درخواست را ظرف سی روز بررسی کند." in form and '<label for="f-s2_body_fa">' in form
    data = {"s1_body_fa": c.sections[0].body_fa, "s1_body_en": c.sections[0].body_en,
            "s2_body_fa": "سازمان باید درخواست را ظرف پانزده روز بررسی کند.", "s2_body_en": "",
            "s3_body_fa": "", "s3_body_en": ""}
    r = post(client, f"{BASE}/consultations/{c.id}/final", data)
    assert r.status_code == 422 and 'href="#f-s2_body_en"' in r.text
    r = post(client, f"{BASE}/consultations/{c.id}/final",
             {**data, "s2_body_en": "The organization must review each request within fifteen days."})
    assert r.status_code == 303 and events(db, "participation.final_version_published") == 1
    client.cookies.clear()
    public = client.get(f"/participation/consultations/{c.slug}").text
    assert f'href="/participation/consultations/{c.slug}/diff"' in public
    diff = client.get(f"/participation/consultations/{c.slug}/diff").text
    assert "پانزده" in diff and "<del" in diff and "<ins" in diff
