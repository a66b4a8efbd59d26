"""Participation pages: the consultation journey in Persian, accessible forms, votes, petitions, moderation."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from smartgov import clock
from smartgov.participation import service
from smartgov.participation.models import Comment, ContentStatus
from tests.factories import PASSWORD, csrf_of
from tests.participation.helpers import agency, citizen, consultation, count_votes, official


def sign_in(client, username: str) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303


def test_read_draft_comment_on_section_2_then_see_the_response(client, db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    citizen(db, "maryam")
    db.commit()
    page = client.get(f"/participation/consultations/{c.slug}")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert "بند ۲: مهلت‌ها" in page.text and "سازمان باید درخواست را ظرف سی روز بررسی کند." in page.text
    assert 'aria-current="step"' in page.text and "رایزنی" in page.text
    assert "وارد شوید" in page.text or "/login?next=" in page.text
    sign_in(client, "maryam")
    page = client.get(f"/participation/consultations/{c.slug}").text
    assert '<label for="f-body-s2">' in page  # the section-2 form has a label tied to its field
    token = csrf_of(page)
    form = {"csrf_token": token, "subject_kind": "consultation", "subject_id": str(c.id), "form_key": "s2",
            "section": "2", "next": f"/participation/consultations/{c.slug}"}
    r = client.post("/participation/comments", data={**form, "body": "x"})
    assert r.status_code == 400
    assert 'id="f-body-s2-error"' in r.text and 'href="#f-body-s2"' in r.text and 'aria-invalid="true"' in r.text
    r = client.post("/participation/comments", data={**form, "body": "سی روز زیاد است؛ پانزده روز کافی است."},
                    follow_redirects=False)
    assert r.status_code == 303 and "#comment-" in r.headers["location"]
    comment = db.scalar(select(Comment))
    assert comment.section_id == c.sections[1].id
    page = client.get(f"/participation/consultations/{c.slug}").text
    assert f'id="comment-{comment.id}"' in page and "پانزده روز کافی است" in page
    # The agency analyses and responds; citizens see it, linked to the comment.
    clock.advance(dt.timedelta(days=10))
    c = service.consultation_by_slug(db, c.slug)
    service.publish_response(db, c, response_fa="بیشتر شرکت‌کنندگان مهلت را طولانی دانستند.",
                             response_en="Most participants found the deadline too long.",
                             changes=[{"section": 2, "text_fa": "مهلت به پانزده روز کاهش یافت.",
                                       "text_en": "The deadline was cut to fifteen days.",
                                       "comment_ids": [comment.id]}], actor_id=None)
    db.commit()
    page = client.get(f"/participation/consultations/{c.slug}").text
    assert "پاسخ دستگاه" in page and "مهلت به پانزده روز کاهش یافت." in page
    assert f'href="#comment-{comment.id}"' in page and 'href="#section-2"' in page
    assert '<label for="f-body-s2">' not in page  # comments are closed in the analysis phase
    english = client.get(f"/participation/consultations/{c.slug}?lang=en").text
    assert 'dir="ltr"' in english and "The deadline was cut to fifteen days." in english


def test_final_version_diff_is_accessible(client, db) -> None:  # type: ignore[no-untyped-def]
    c = consultation(db, agency(db), phase="decision")
    service.publish_response(db, c, response_fa="پاسخ", response_en="Response", actor_id=None)
    service.publish_final_version(db, c, [{"number": 2, "body_fa": "سازمان باید درخواست را ظرف پانزده روز بررسی کند.",
                                           "body_en": "x"}], actor_id=None)
    db.commit()
    page = client.get(f"/participation/consultations/{c.slug}/diff").text
    assert "<del><span class=\"visually-hidden\">[حذف شده: </span>سی</span>" not in page
    assert re.search(r"<del><span class=\"visually-hidden\">\[[^:]+: </span>سی<span", page)
    assert re.search(r"<ins><span class=\"visually-hidden\">\[[^:]+: </span>پانزده<span", page)


def test_staff_response_form(client, db) -> None:  # type: ignore[no-untyped-def]
    c = consultation(db, agency(db, "sso"), phase="analysis")
    off = official(db, "reza", "sso")
    off.mfa_enabled = False  # sign in without the TOTP step for this page test
    off.grants  # noqa: B018 - load
    from smartgov.identity.models import Role

    assert Role.OFFICIAL in off.roles
    db.commit()
    # Officials need MFA; skip the page sign-in and use the service to check the permission boundary instead.
    citizen(db, "someone")
    db.commit()
    sign_in(client, "someone")
    assert client.get(f"/participation/consultations/{c.slug}/respond").status_code == 403


def test_poll_page_vote_shows_receipt_once(client, db) -> None:  # type: ignore[no-untyped-def]
    poll = service.create_poll(db, organization=agency(db), slug="parks", question_fa="پارک بیشتر؟",
                               question_en="More parks?", options=[("بله", "Yes"), ("خیر", "No")],
                               opens_at=clock.now() - dt.timedelta(hours=1), closes_at=clock.now() + dt.timedelta(days=1))
    citizen(db, "voter")
    citizen(db, "novice", verified=False)
    db.commit()
    sign_in(client, "novice")
    page = client.get("/participation/polls/parks").text  # says how to prove the person, and links to it
    assert "هویت خود را ثابت کرده" in page and 'href="/account/prove?next=/participation/polls/parks"' in page
    client.cookies.clear()
    sign_in(client, "voter")
    page = client.get("/participation/polls/parks").text
    assert '<legend>پارک بیشتر؟</legend>' in page and '<label for="f-option">بله</label>' in page
    r = client.post("/participation/polls/parks/vote", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 400 and 'id="f-option-error"' in r.text
    r = client.post("/participation/polls/parks/vote", data={"csrf_token": csrf_of(page), "option": "۲"})
    assert r.status_code == 200
    code = re.search(r'class="receipt" dir="ltr">([0-9a-f]{64})<', r.text).group(1)
    assert service.check_receipt(db, "poll", poll.id, code).counted
    assert code not in client.get("/participation/polls/parks").text
    check = client.get("/participation/receipts", params={"box": "poll", "ref": "parks", "code": code}).text
    assert "شمارش شد" in check and f"/participation/polls/parks/board?tracker={code}" in check
    # Typed with Persian digits, in groups, in capitals: the same tracker.
    typed = " ".join(code[i:i + 8] for i in range(0, 64, 8)).upper().translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert service.check_receipt(db, "poll", poll.id, typed).counted
    # A wrong poll name: the same form, the field marked, a sentence saying what to type (not a bare 404).
    wrong = client.get("/participation/receipts", params={"box": "poll", "ref": "park", "code": code})
    assert wrong.status_code == 404 and 'id="f-ref-error"' in wrong.text and "نشانی" in wrong.text
    assert 'name="code"' in wrong.text
    # The public board lists the tracker (fa and en), finds it, and offers the file and the script.
    board = client.get("/participation/polls/parks/board", params={"tracker": code}).text
    assert "تابلوی رأی‌ها" in board and code in board and "شمارش شد" in board and 'dir="rtl"' in board
    english = client.get("/participation/polls/parks/board", params={"lang": "en"}).text
    assert "Ballot board" in english and code in english and "Download the board file" in english
    download = client.get("/participation/polls/parks/board.json")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.json()["ballots"][0]["tracker"] == code
    script = client.get("/participation/verify_ballots.py")
    assert script.status_code == 200 and "def verify_board" in script.text


def test_budget_page_results_are_explained(client, db) -> None:  # type: ignore[no-untyped-def]
    b = service.create_budget(db, organization=agency(db), slug="pb", title_fa="بودجهٔ محله", title_en="Budget",
                              total=100, style="knapsack", projects=[("پارک", "Park", 60), ("کتابخانه", "Library", 50)],
                              opens_at=clock.now() - dt.timedelta(hours=1), closes_at=clock.now() + dt.timedelta(days=1))
    v = citizen(db, "voter")
    db.commit()
    sign_in(client, "voter")
    page = client.get("/participation/budgets/pb").text
    r = client.post("/participation/budgets/pb/vote",
                    data={"csrf_token": csrf_of(page), "projects": [str(p.id) for p in b.projects]})
    assert r.status_code == 400 and 'id="f-projects-error"' in r.text and "checked" in r.text
    r = client.post("/participation/budgets/pb/vote", data={"csrf_token": csrf_of(page), "projects": [str(b.projects[0].id)]})
    assert r.status_code == 200 and 'class="receipt"' in r.text
    assert v.id
    clock.advance(dt.timedelta(days=1))
    assert "رمزگشایی" in client.get("/participation/budgets/pb").text  # closed, the trustees still counting
    count_votes(db)
    page = client.get("/participation/budgets/pb").text
    assert "تأمین شد: هزینه‌اش در باقی‌ماندهٔ بودجه می‌گنجید." in page and "تأمین نشد: رأیی نداشت." in page


def test_overdue_petition_is_flagged_on_the_public_page(client, db) -> None:  # type: ignore[no-untyped-def]
    p = service.create_petition(db, account=citizen(db, "author"), organization=agency(db),
                                title="Thursday offices", body="Please open the offices on Thursdays for workers.",
                                threshold=1, response_days=7)
    db.commit()
    assert "در انتظار پاسخ" in client.get(f"/participation/petitions/{p.id}").text
    clock.advance(dt.timedelta(days=8))
    page = client.get(f"/participation/petitions/{p.id}").text
    assert "پاسخ دیرکرد دارد" in page
    assert "پاسخ دیرکرد دارد" in client.get("/participation").text


def test_missed_milestone_is_public_and_citizens_can_comment(client, db) -> None:  # type: ignore[no-untyped-def]
    t = clock.today()
    item = service.create_item(db, organization=agency(db), kind="project", title_fa="پرداخت برخط",
                               title_en="Online payment", deadline=t + dt.timedelta(days=3),
                               milestones=[("طراحی", "Design", t + dt.timedelta(days=1))])
    citizen(db, "watcher")
    db.commit()
    clock.advance(dt.timedelta(days=5))
    page = client.get(f"/participation/accountability/{item.id}").text
    assert "انجام‌نشده در موعد" in page and "مهلت" in page
    assert "مهلت گذشته" in client.get("/participation").text
    sign_in(client, "watcher")
    page = client.get(f"/participation/accountability/{item.id}").text
    r = client.post("/participation/comments", data={
        "csrf_token": csrf_of(page), "subject_kind": "accountability", "subject_id": str(item.id),
        "form_key": "general", "next": f"/participation/accountability/{item.id}",
        "body": "چرا طراحی دیر شد؟"}, follow_redirects=True)
    assert r.status_code == 200 and "چرا طراحی دیر شد؟" in r.text


def test_other_people_cannot_edit_my_comment_on_pages(client, db) -> None:  # type: ignore[no-untyped-def]
    c = consultation(db, agency(db))
    mine = service.post_comment(db, account=citizen(db, "owner"), subject_kind="consultation", subject_id=c.id,
                                body="Owner's view")
    citizen(db, "intruder")
    db.commit()
    sign_in(client, "intruder")
    token = csrf_of(client.get("/participation").text)
    assert client.get(f"/participation/comments/{mine.id}/edit").status_code == 403
    assert client.post(f"/participation/comments/{mine.id}/edit",
                       data={"csrf_token": token, "body": "Taken over"}).status_code == 403
    assert client.post(f"/participation/comments/{mine.id}/delete", data={"csrf_token": token}).status_code == 403
    db.expire_all()
    assert db.get(Comment, mine.id).body == "Owner's view" and db.get(Comment, mine.id).status == ContentStatus.VISIBLE


def test_hub_and_mobile_layout(client, db) -> None:  # type: ignore[no-untyped-def]
    consultation(db, agency(db))
    db.commit()
    page = client.get("/participation").text
    assert 'name="viewport"' in page and "/static/participation/participation.css" in page
    assert client.get("/static/participation/participation.css").status_code == 200


def test_an_official_answers_a_petition_from_the_queue_and_others_cannot(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import page_login

    sso, other = agency(db, "sso"), agency(db, "tax")
    p = service.create_petition(db, account=citizen(db, "author"), organization=sso, title="Thursday offices",
                                body="Please open the offices on Thursdays for workers.", threshold=1, response_days=7)
    quiet = service.create_petition(db, account=citizen(db, "author2"), organization=sso, title="Evening hours",
                                    body="Please keep one counter open until eight in the evening.", threshold=50)
    reza, stranger = official(db, "reza", "sso"), official(db, "sara", "tax")
    citizen(db, "someone")
    db.commit()
    assert other.id != sso.id
    # a citizen sees no staff form and may not post one
    sign_in(client, "someone")
    assert 'id="respond-title"' not in client.get(f"/participation/petitions/{p.id}").text
    assert client.get("/participation/answers").status_code == 403
    token = csrf_of(client.get(f"/participation/petitions/{p.id}").text)
    long_text = "دستگاه از هفتهٔ آینده دفترها را پنجشنبه‌ها باز می‌کند."
    assert client.post(f"/participation/petitions/{p.id}/response",
                       data={"csrf_token": token, "response_text": long_text}).status_code == 403
    # nor may an official of another agency, whose queue does not list it
    client.cookies.clear()
    page_login(client, stranger)
    assert "Thursday offices" not in client.get("/participation/answers").text
    token = csrf_of(client.get(f"/participation/petitions/{p.id}").text)
    assert client.post(f"/participation/petitions/{p.id}/response",
                       data={"csrf_token": token, "response_text": long_text}).status_code == 403
    # the agency's official finds it in the queue (past the threshold only) and answers
    client.cookies.clear()
    clock.advance(dt.timedelta(days=8))
    page_login(client, reza)
    queue = client.get("/participation/answers").text
    assert "پاسخ‌های بدهکار" in queue and f'/participation/petitions/{p.id}#respond-title' in queue
    assert "Evening hours" not in queue and quiet.id and "پاسخ دیرکرد دارد" in queue
    page = client.get(f"/participation/petitions/{p.id}").text
    assert '<label for="f-response_text">' in page
    r = client.post(f"/participation/petitions/{p.id}/response", data={"csrf_token": csrf_of(page), "response_text": "باشد"})
    assert r.status_code == 400 and 'id="f-response_text-error"' in r.text and 'href="#f-response_text"' in r.text
    assert 'aria-invalid="true"' in r.text and "باشد" in r.text  # what was typed is kept
    r = client.post(f"/participation/petitions/{p.id}/response",
                    data={"csrf_token": csrf_of(page), "response_text": long_text}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#resp-title")
    page = client.get(f"/participation/petitions/{p.id}").text
    assert long_text in page and 'id="respond-title"' not in page and "با تأخیر پاسخ داده شد" in page
    assert "Thursday offices" not in client.get("/participation/answers").text
    r = client.post(f"/participation/petitions/{p.id}/response", data={"csrf_token": csrf_of(page), "response_text": long_text})
    assert r.status_code == 409  # published responses are not rewritten


def test_an_official_answers_a_proposal_with_its_cost(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import page_login

    sso = agency(db, "sso")
    p = service.create_proposal(db, account=citizen(db, "author"), organization=sso, title="Ramps at every branch",
                                body="Every branch should have a wheelchair ramp at its entrance.", threshold=1)
    service.support_proposal(db, p, citizen(db, "fan"))
    reza = official(db, "reza", "sso")
    db.commit()
    page_login(client, reza)
    assert f"/participation/proposals/{p.id}#answer-form-title" in client.get("/participation/answers").text
    page = client.get(f"/participation/proposals/{p.id}").text
    assert "<legend>پاسخ رسمی</legend>" in page and '<label for="f-answer_cost">' in page
    url = f"/participation/proposals/{p.id}/answer"
    reason = "Ramps are cheap and the law requires them; we build them this year."
    r = client.post(url, data={"csrf_token": csrf_of(page), "answer_text": reason})
    assert r.status_code == 400 and 'href="#f-answer_status"' in r.text
    r = client.post(url, data={"csrf_token": csrf_of(page), "answer_status": "accepted", "answer_text": reason})
    assert r.status_code == 400 and 'id="f-answer_cost-error"' in r.text  # accepting needs a cost
    r = client.post(url, data={"csrf_token": csrf_of(page), "answer_status": "evaluating", "answer_text": reason},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "در حال بررسی" in client.get("/participation/answers").text  # still owed a final answer
    page = client.get(f"/participation/proposals/{p.id}").text  # the form starts from the answer so far
    assert 'value="evaluating" checked' in page and f">{reason}</textarea>" in page
    r = client.post(url, data={"csrf_token": csrf_of(page), "answer_status": "accepted", "answer_text": reason,
                               "answer_cost": "۱٬۲۰۰٬۰۰۰٬۰۰۰"}, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    answered = service.proposal_by_id(db, p.id)
    assert answered.answer_status.value == "accepted" and answered.answer_cost == 1_200_000_000
    page = client.get(f"/participation/proposals/{p.id}").text
    assert 'id="answer-form-title"' not in page and "۱٬۲۰۰٬۰۰۰٬۰۰۰" in page
    assert client.get("/participation/answers").text.count("Ramps at every branch") == 0
