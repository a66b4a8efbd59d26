"""The participation back office in the browser's forms (no JavaScript, no API): polls, consultations,
budgets and accountability items created, edited, opened and closed by officials, in Persian, with
errors named next to their fields; officials of another agency can neither open nor post any of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jdatetime
from sqlalchemy import func, select

from smartgov import clock
from smartgov.events import EventRecord
from smartgov.i18n import localize_digits
from smartgov.participation import service
from smartgov.participation.models import AccountabilityItem, Budget, Comment, Consultation, Poll
from tests.factories import csrf_of, page_login
from tests.participation.helpers import SECTIONS, agency, citizen, count_votes, official

BASE = "/participation/admin"


def jalali(moment: dt.datetime) -> str:
    """A moment as a Persian official types it: Jalali date and time, Persian digits, local time."""
    local = clock.local(moment)
    j = jdatetime.date.fromgregorian(date=local.date())
    return localize_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d} {local:%H:%M}", "fa")


def post(client: Any, url: str, data: dict[str, str], page_url: str | None = None) -> Any:
    token = csrf_of(client.get(page_url or url).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def events(db: Any, name: str) -> int:
    return db.scalar(select(func.count()).select_from(EventRecord).where(EventRecord.name == name))


def test_an_official_creates_a_poll_a_citizen_votes_and_results_appear_at_close(client, db) -> None:  # type: ignore[no-untyped-def]
    agency(db, "sso")
    reza = official(db, "reza", "sso")
    voter = citizen(db, "voter")
    db.commit()
    page_login(client, reza)
    home = client.get(BASE)
    assert home.status_code == 200 and 'dir="rtl"' in home.text and f'href="{BASE}/polls/new"' in home.text
    form = client.get(f"{BASE}/polls/new").text
    assert '<label for="f-question_fa">' in form and '<label for="f-o3_fa">' in form and 'id="f-opens_at-hint"' in form
    # errors are named next to their fields and listed in the summary, what was typed is kept
    r = post(client, f"{BASE}/polls/new", {"organization": "sso", "slug": "bus", "question_fa": "کدام مسیر؟",
                                            "o1_fa": "الف", "o1_en": "A", "opens_at": "۱۴۰۵/۱۳/۴۰"})
    assert r.status_code == 422
    for field in ("question_en", "o1_fa", "opens_at", "closes_at"):
        assert f'href="#f-{field}"' in r.text and f'id="f-{field}-error"' in r.text, field
    assert 'aria-invalid="true"' in r.text and "کدام مسیر؟" in r.text
    assert db.scalar(select(func.count()).select_from(Poll)) == 0
    # "add an option" works without JavaScript: the same form with one more row
    r = post(client, f"{BASE}/polls/new", {"option_count": "3", "add_row": "1", "question_fa": "کدام مسیر؟"})
    assert r.status_code == 200 and 'id="f-o4_fa"' in r.text and "کدام مسیر؟" in r.text
    opens, closes = clock.now() + dt.timedelta(hours=1), clock.now() + dt.timedelta(days=3)
    data = {"organization": "sso", "slug": "bus-route", "question_fa": "کدام مسیر اتوبوس اول راه بیفتد؟",
            "question_en": "Which bus route first?", "o1_fa": "شمال", "o1_en": "North", "o2_fa": "جنوب",
            "o2_en": "South", "option_count": "3", "opens_at": jalali(opens), "closes_at": jalali(closes)}
    r = post(client, f"{BASE}/polls/new", data)
    assert r.status_code == 303, r.text
    poll = db.scalar(select(Poll))
    assert r.headers["location"] == f"{BASE}/polls/{poll.id}?done=created"
    assert [o.label_en for o in poll.options] == ["North", "South"]
    assert abs((poll.opens_at - opens).total_seconds()) < 60 and events(db, "participation.poll_created") == 1
    page = client.get(r.headers["location"]).text
    assert "ساخته شد" in page and 'id="f-o1_fa"' in page  # still editable before it opens
    # before it opens the official adds an option
    r = post(client, f"{BASE}/polls/{poll.id}", {**data, "o3_fa": "شرق", "o3_en": "East"})
    assert r.status_code == 303 and events(db, "participation.poll_updated") == 1
    db.expire_all()
    assert [o.label_en for o in service.poll_by_ref(db, poll.id).options] == ["North", "South", "East"]
    # it opens; a citizen votes; the poll can no longer be edited, only closed
    clock.advance(dt.timedelta(hours=2))
    service.vote_in_poll(db, service.poll_by_ref(db, poll.id), voter, 2)
    db.commit()
    page = client.get(f"{BASE}/polls/{poll.id}").text
    assert 'id="f-o1_fa"' not in page and f'action="{BASE}/polls/{poll.id}/close"' in page
    r = post(client, f"{BASE}/polls/{poll.id}", data, page_url=f"{BASE}/polls/{poll.id}")
    assert r.status_code == 409
    r = post(client, f"{BASE}/polls/{poll.id}/close", {}, page_url=f"{BASE}/polls/{poll.id}")
    assert r.status_code == 303 and events(db, "participation.voting_closed") == 1
    assert 'id="results-title"' not in client.get(f"{BASE}/polls/{poll.id}").text  # counting, not yet out
    db.expire_all()  # the worker reads in a fresh session; this one still holds the planned closing time
    assert count_votes(db) == 1
    page = client.get(f"{BASE}/polls/{poll.id}").text
    assert 'id="results-title"' in page and "جنوب" in page and "<td>۱</td>" in page
    r = post(client, f"{BASE}/polls/{poll.id}/close", {}, page_url=f"{BASE}/polls/{poll.id}")
    assert r.status_code == 409  # closed already


def test_an_official_builds_a_consultation_in_three_sections_and_publishes_what_changed(client, db) -> None:  # type: ignore[no-untyped-def]
    agency(db, "sso")
    reza = official(db, "reza", "sso")
    maryam = citizen(db, "maryam")
    db.commit()
    page_login(client, reza)
    start = clock.now() + dt.timedelta(days=1)
    data = {"organization": "sso", "slug": "pension-rules", "kind": "regulation", "title_fa": "آیین‌نامهٔ مستمری",
            "title_en": "Pension regulation", "summary_fa": "", "summary_en": "", "section_count": "3",
            **{f"phase_{p}": jalali(start + dt.timedelta(days=10 * i)) for i, p in
               enumerate(("information", "consultation", "analysis", "decision", "accountability"))}}
    for i, sec in enumerate(SECTIONS, start=1):
        data.update({f"s{i}_{k}": v for k, v in sec.items()})
    bad = {**data, "phase_analysis": data["phase_information"], "s3_body_en": ""}
    r = post(client, f"{BASE}/consultations/new", bad)
    assert r.status_code == 422 and 'href="#f-s3_body_en"' in r.text and 'id="f-s3_body_en-error"' in r.text
    r = post(client, f"{BASE}/consultations/new", {**data, "phase_analysis": data["phase_information"]})
    assert r.status_code == 422 and 'href="#f-phase_information"' in r.text  # phases out of order
    assert db.scalar(select(func.count()).select_from(Consultation)) == 0
    r = post(client, f"{BASE}/consultations/new", data)
    assert r.status_code == 303, r.text
    c = db.scalar(select(Consultation))
    assert [s.heading_en for s in c.sections] == ["Purpose", "Deadlines", "Entry into force"]
    # while upcoming, the draft is corrected (section 3 reworded); a change is an event
    r = post(client, f"{BASE}/consultations/{c.id}", {**data, "s3_body_fa": "این آیین‌نامه از نیمهٔ سال اجرا می‌شود."})
    assert r.status_code == 303 and events(db, "participation.consultation_updated") == 1
    # the official opens comments early, a citizen comments on section 2
    for _ in range(2):
        r = post(client, f"{BASE}/consultations/{c.id}/advance", {}, page_url=f"{BASE}/consultations/{c.id}")
        assert r.status_code == 303
    db.expire_all()
    c = service.consultation_by_slug(db, "pension-rules")
    assert service.current_phase(c).value == "consultation"
    page = client.get(f"{BASE}/consultations/{c.id}").text
    assert 'id="f-s1_heading_fa"' not in page  # no more editing once comments are open
    assert post(client, f"{BASE}/consultations/{c.id}", data, page_url=f"{BASE}/consultations/{c.id}"
                ).status_code == 409
    comment = service.post_comment(db, account=maryam, subject_kind="consultation", subject_id=c.id,
                                   body="سی روز زیاد است؛ پانزده روز کافی است.", section_number=2)
    db.commit()
    assert db.scalar(select(Comment.section_id)) == c.sections[1].id
    r = post(client, f"{BASE}/consultations/{c.id}/advance", {}, page_url=f"{BASE}/consultations/{c.id}")
    assert r.status_code == 303
    page = client.get(f"{BASE}/consultations/{c.id}").text
    assert f'href="/participation/consultations/{c.slug}/respond"' in page
    r = post(client, f"/participation/consultations/{c.slug}/respond",
             {"response_fa": "بیشتر شرکت‌کنندگان مهلت را طولانی دانستند.",
              "response_en": "Most participants found the deadline too long.", "change_section": "۲",
              "change_fa": "مهلت به پانزده روز کاهش یافت.", "change_en": "The deadline was cut to fifteen days.",
              "comment_ids": localize_digits(str(comment.id), "fa")})
    assert r.status_code == 303
    public = client.get(f"/participation/consultations/{c.slug}").text
    assert "مهلت به پانزده روز کاهش یافت." in public and f'href="#comment-{comment.id}"' in public


def test_budgets_and_accountability_items_from_the_forms(client, db) -> None:  # type: ignore[no-untyped-def]
    agency(db, "sso")
    reza = official(db, "reza", "sso")
    db.commit()
    page_login(client, reza)
    opens, closes = clock.now() + dt.timedelta(hours=1), clock.now() + dt.timedelta(days=7)
    data = {"organization": "sso", "slug": "parks", "title_fa": "بودجهٔ پارک‌ها", "title_en": "Parks budget",
            "total": "۱٬۰۰۰٬۰۰۰٬۰۰۰", "style": "approval", "max_choices": "5", "project_count": "3",
            "p1_fa": "نیمکت", "p1_en": "Benches", "p1_cost": "۲۰۰٬۰۰۰٬۰۰۰", "p2_fa": "روشنایی", "p2_en": "Lights",
            "p2_cost": "abc", "opens_at": jalali(opens), "closes_at": jalali(closes)}
    r = post(client, f"{BASE}/budgets/new", data)
    assert r.status_code == 422 and 'href="#f-p2_cost"' in r.text and 'href="#f-max_choices"' in r.text
    r = post(client, f"{BASE}/budgets/new", {**data, "p2_cost": "۳۰۰٬۰۰۰٬۰۰۰", "max_choices": "1"})
    assert r.status_code == 303, r.text
    b = db.scalar(select(Budget))
    assert b.total == 1_000_000_000 and [p.cost for p in b.projects] == [200_000_000, 300_000_000]
    r = post(client, f"{BASE}/budgets/{b.id}", {**data, "p2_cost": "۳۰۰٬۰۰۰٬۰۰۰", "style": "knapsack",
                                                  "max_choices": ""})
    assert r.status_code == 303 and events(db, "participation.budget_updated") == 1
    db.expire_all()
    assert service.budget_by_ref(db, b.id).style.value == "knapsack"
    # an accountability item with two milestones; progress reported later
    item = {"organization": "sso", "kind": "project", "title_fa": "ساخت رمپ", "title_en": "Build ramps",
            "deadline": "۱۴۰۹/۰۱/۰۱", "milestone_count": "2", "m1_fa": "طراحی", "m1_en": "Design",
            "m1_due": "1408/06/01", "m2_fa": "ساخت", "m2_en": "Build", "m2_due": "۱۴۰۸/۳۲/۰۱"}
    r = post(client, f"{BASE}/accountability/new", item)
    assert r.status_code == 422 and 'href="#f-m2_due"' in r.text
    r = post(client, f"{BASE}/accountability/new", {**item, "m2_due": "۱۴۰۸/۱۲/۰۱"})
    assert r.status_code == 303, r.text
    row = db.scalar(select(AccountabilityItem))
    assert [m.title_en for m in row.milestones] == ["Design", "Build"] and row.deadline == dt.date(2030, 3, 21)
    page = client.get(f"{BASE}/accountability/{row.id}").text
    first = row.milestones[0].id
    assert f'<label for="f-done_{first}">' in page
    r = post(client, f"{BASE}/accountability/{row.id}", {"status": "in_progress", "progress": "۱۵۰"})
    assert r.status_code == 422 and 'href="#f-progress"' in r.text
    r = post(client, f"{BASE}/accountability/{row.id}", {"status": "in_progress", "progress": "۴۰",
                                                         f"done_{first}": "1"})
    assert r.status_code == 303 and events(db, "participation.accountability_updated") == 1
    db.expire_all()
    row = service.item_by_id(db, row.id)
    assert row.progress == 40 and row.milestones[0].completed_on == clock.today()
    home = client.get(BASE).text
    assert "بودجهٔ پارک‌ها" in home and "ساخت رمپ" in home and "۴۰٪" in home


def test_an_official_of_another_agency_can_neither_open_nor_post_any_admin_route(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.participation.helpers import consultation

    sso = agency(db, "sso")
    agency(db, "tax")
    c = consultation(db, sso, phase="information")
    now = clock.now()
    poll = service.create_poll(db, organization=sso, slug="p1", question_fa="س", question_en="Q",
                               options=[("الف", "A"), ("ب", "B")], opens_at=now - dt.timedelta(hours=1),
                               closes_at=now + dt.timedelta(days=1))
    budget = service.create_budget(db, organization=sso, slug="b1", title_fa="ب", title_en="B", total=10,
                                   style="knapsack", projects=[("الف", "A", 5)], opens_at=now - dt.timedelta(hours=1),
                                   closes_at=now + dt.timedelta(days=1))
    item = service.create_item(db, organization=sso, kind="decision", title_fa="ت", title_en="T",
                               deadline=dt.date(2031, 1, 1))
    stranger = official(db, "sara", "tax")
    someone = citizen(db, "someone")
    db.commit()
    mine = select(func.count()).select_from(EventRecord).where(EventRecord.name.like("participation.%"))
    before = db.scalar(mine)
    records = [f"{BASE}/consultations/{c.id}", f"{BASE}/polls/{poll.id}", f"{BASE}/budgets/{budget.id}",
               f"{BASE}/accountability/{item.id}"]
    posts = [*records, f"{BASE}/consultations/{c.id}/advance", f"{BASE}/polls/{poll.id}/close",
             f"{BASE}/budgets/{budget.id}/close"]
    page_login(client, stranger)
    home = client.get(BASE).text
    assert "Pension regulation" not in home and "آیین‌نامهٔ مستمری" not in home and f"/polls/{poll.id}" not in home
    for url in records:
        assert client.get(url).status_code == 403, url
    token = csrf_of(client.get(BASE).text)
    for url in posts:
        r = client.post(url, data={"csrf_token": token, "status": "completed", "progress": "100", "title_fa": "x"})
        assert r.status_code == 403, url
    # nor create anything in the other agency's name
    for kind in ("consultations", "polls", "budgets", "accountability"):
        r = client.post(f"{BASE}/{kind}/new", data={"csrf_token": token, "organization": "sso", "slug": "zz"})
        assert r.status_code == 403, kind
    # a citizen has no back office at all
    client.cookies.clear()
    page_login(client, someone)
    for url in [BASE, f"{BASE}/polls/new", f"{BASE}/consultations/new", *records]:
        assert client.get(url).status_code == 403, url
    db.expire_all()
    assert db.scalar(mine) == before  # nothing changed (signing in is identity's event, not ours)
    assert service.poll_by_ref(db, poll.id).closes_at > clock.now()
    assert service.item_by_id(db, item.id).status.value == "planned"
