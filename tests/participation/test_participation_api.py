"""The participation API: authorization per route, the SMS channel, secret-ballot receipts, exports."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from smartgov import clock, events
from smartgov.participation import service, sms
from smartgov.participation.models import Ballot, Comment, ContentStatus, ModerationAction, Voter
from tests.factories import api_token, auth
from tests.participation.helpers import agency, citizen, consultation, count_votes, official

API = "/api/v1/participation"


def sms_post(client, sender: str, text: str, message_id: str, signed: bool = True):  # type: ignore[no-untyped-def]
    """What the simulated gateway does: post the message, signed with the shared key."""
    body = json.dumps({"message_id": message_id, "from": sender, "text": text}).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["X-Smartgov-Signature"] = sms.sign_inbound(body)
    return client.post(f"{API}/sms/inbound", content=body, headers=headers)


def sms_sent(db) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e.payload for e in db.scalars(select(events.EventRecord).order_by(events.EventRecord.id))
            if e.name == "notifications.sms_requested"]


def open_poll(db):  # type: ignore[no-untyped-def]
    return service.create_poll(db, organization=agency(db), slug="parks", question_fa="پارک؟", question_en="Parks?",
                               options=[("بله", "Yes"), ("خیر", "No")], opens_at=clock.now() - dt.timedelta(hours=1),
                               closes_at=clock.now() + dt.timedelta(days=1))


def test_a_person_cannot_edit_or_delete_anothers_comment(client, db) -> None:  # type: ignore[no-untyped-def]
    c = consultation(db, agency(db))
    owner, other = citizen(db, "owner"), citizen(db, "other")
    db.commit()
    t_owner, t_other = api_token(client, owner), api_token(client, other)
    r = client.post(f"{API}/comments", headers=auth(t_owner),
                    json={"subject_kind": "consultation", "subject_id": c.id, "section": 2, "body": "My comment"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["section"] == 2 and r.json()["mine"] is True
    r = client.patch(f"{API}/comments/{cid}", headers=auth(t_other), json={"body": "Hijacked"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client.delete(f"{API}/comments/{cid}", headers=auth(t_other))
    assert r.status_code == 403
    db.expire_all()
    assert db.get(Comment, cid).body == "My comment" and db.get(Comment, cid).status == ContentStatus.VISIBLE
    read_only = api_token(client, owner, scopes=["read"])
    assert client.patch(f"{API}/comments/{cid}", headers=auth(read_only), json={"body": "x y"}).status_code == 403
    r = client.patch(f"{API}/comments/{cid}", headers=auth(t_owner), json={"body": "My better comment"})
    assert r.status_code == 200 and r.json()["edited_at"]
    assert client.delete(f"{API}/comments/{cid}", headers=auth(t_owner)).status_code == 204
    db.expire_all()
    assert db.get(Comment, cid).status == ContentStatus.DELETED
    # Anonymous callers cannot post; a cookie session cannot change things through the API.
    assert client.post(f"{API}/comments", json={"subject_kind": "consultation", "subject_id": c.id,
                                                 "body": "x y"}).status_code == 401


def test_errors_are_localized_and_name_the_field(client, db) -> None:  # type: ignore[no-untyped-def]
    c = consultation(db, agency(db))
    a = citizen(db, "aaa")
    db.commit()
    token = api_token(client, a)
    r = client.post(f"{API}/comments", headers={**auth(token), "Accept-Language": "fa"},
                    json={"subject_kind": "consultation", "subject_id": c.id, "body": "You idiot"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "body"
    assert "توهین" in r.json()["error"]["message"]
    r = client.post(f"{API}/comments", headers={**auth(token), "Accept-Language": "en"},
                    json={"subject_kind": "consultation", "subject_id": c.id, "section": 9, "body": "About 9"})
    assert r.status_code == 404 and r.json()["error"]["field"] == "section"


def test_staff_routes_belong_to_the_owning_agency(client, db) -> None:  # type: ignore[no-untyped-def]
    agency(db, "sso")
    agency(db, "moi")
    c = consultation(db, agency(db, "sso"), phase="analysis")
    ours, theirs = official(db, "ours", "sso"), official(db, "theirs", "moi")
    a = citizen(db, "aaa")
    db.commit()
    body = {"response_fa": "آنچه شنیدیم", "response_en": "What we heard", "changes": []}
    for account in (theirs, a):
        r = client.post(f"{API}/consultations/{c.slug}/response", headers=auth(api_token(client, account)), json=body)
        assert r.status_code == 403
    r = client.post(f"{API}/consultations/{c.slug}/response", headers=auth(api_token(client, ours)), json=body)
    assert r.status_code == 200 and r.json()["response_en"] == "What we heard"


def test_vote_through_the_api_with_receipt_and_results_at_close(client, db) -> None:  # type: ignore[no-untyped-def]
    poll = open_poll(db)
    a = citizen(db, "aaa")
    db.commit()
    token = api_token(client, a)
    r = client.post(f"{API}/polls/{poll.slug}/votes", headers=auth(token), json={"option": 2})
    assert r.status_code == 201
    receipt = r.json()["receipt"]
    r = client.post(f"{API}/polls/{poll.slug}/votes", headers=auth(token), json={"option": 1})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_voted"
    assert client.get(f"{API}/polls/{poll.slug}", headers=auth(token)).json()["you_voted"] is True
    check = client.get(f"{API}/polls/{poll.slug}/receipts/{receipt}").json()
    assert check == {"counted": True, "tracker": receipt, "board": "/participation/polls/parks/board"}
    assert client.get(f"{API}/polls/{poll.slug}/receipts/{'0' * 64}").json()["counted"] is False
    assert client.get(f"{API}/polls/nowhere/receipts/{receipt}").status_code == 404
    board = client.get(f"{API}/polls/{poll.slug}/board").json()
    assert [b["tracker"] for b in board["ballots"]] == [receipt] and board["tally"]["result"] is None
    r = client.get(f"{API}/polls/{poll.slug}/results")
    assert r.status_code == 409 and r.json()["error"]["code"] == "results_hidden"
    clock.advance(dt.timedelta(days=1))
    r = client.get(f"{API}/polls/{poll.slug}/results")
    assert r.status_code == 409 and r.json()["error"]["code"] == "results_counting"
    assert count_votes(db) == 1
    assert client.get(f"{API}/polls/{poll.slug}/results").json() == {
        "total": 1, "options": [{"position": 1, "votes": 0}, {"position": 2, "votes": 1}]}


def test_sms_vote_from_unverified_number_is_refused_helpfully_verified_counts(client, db) -> None:  # type: ignore[no-untyped-def]
    poll = open_poll(db)
    citizen(db, "unverified", verified=False, phone="09127770001")
    verified = citizen(db, "verified", phone="09127770002")
    verified.language = "en"
    db.commit()
    r = sms_post(client, "+989127770001", f"رای {poll.id} ۱", "gw-1")
    assert r.status_code == 200
    reply = r.json()["reply"]
    assert "تأیید" in reply and "/account" in reply  # Persian keyword, Persian reply saying what to do
    r = sms_post(client, "+989127779999", f"VOTE {poll.id} 1", "gw-2")  # unknown number, English keyword
    assert "not linked to a verified account" in r.json()["reply"]
    assert db.scalar(select(func.count()).select_from(Voter)) == 0
    r = sms_post(client, "00989127770002", f"vote {poll.slug} 2", "gw-3")
    assert r.json()["reply"].startswith("Your vote in poll") and "counted" in r.json()["reply"]
    assert db.scalar(select(func.count()).select_from(Ballot)) == 1
    r = sms_post(client, "09127770002", f"VOTE {poll.id} 1", "gw-4")
    assert "already voted" in r.json()["reply"]
    assert sms_post(client, "09127770002", f"VOTE {poll.id} 1", "gw-4").json()["reply"] is None  # repeat: ignored
    sent = sms_sent(db)
    assert [s["to"] for s in sent] == ["+989127770001", "+989127779999", "00989127770002", "09127770002"]
    assert all("text" in s and s["text"] for s in sent)
    # The SMS log keeps neither the number nor the poll or option of a vote.
    from smartgov.participation.models import SmsMessage

    logged = list(db.scalars(select(SmsMessage)))
    assert {m.command for m in logged} == {"vote"}
    assert all("0912777" not in m.sender_hash for m in logged)
    count_votes(db, dt.timedelta(days=1))
    assert client.get(f"{API}/polls/{poll.id}/results").json()["options"][1]["votes"] == 1


def test_sms_support_sign_comment_help_and_signature(client, db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    author = citizen(db, "author")
    proposal = service.create_proposal(db, account=author, organization=org, title="More buses",
                                       body="Add buses on the routes to the big hospitals.", threshold=5)
    petition = service.create_petition(db, account=author, organization=org, title="Thursday offices",
                                       body="Please open the offices on Thursdays for workers.", threshold=5)
    citizen(db, "texter", phone="09127770003")
    db.commit()
    assert sms_post(client, "09127770003", "HELP", "h-0", signed=False).status_code == 403
    assert "VOTE" in sms_post(client, "09127770003", "راهنما", "h-1").json()["reply"]
    assert "(1 of 5)" in sms_post(client, "09127770003", f"SUPPORT {proposal.id}", "h-2").json()["reply"]
    assert "۲" in sms_post(client, "09127770003", f"امضا {petition.id}", "h-3").json()["reply"]
    r = sms_post(client, "09127770003", f"نظر {c.slug}/2 مهلت سی روزه زیاد است", "h-4")
    assert "نظر شما" in r.json()["reply"]
    comment = db.scalar(select(Comment).where(Comment.via == "sms"))
    assert comment.section_id == c.sections[1].id and comment.language == "fa"
    r = sms_post(client, "09127770003", f"COMMENT {c.id}/7 wrong section", "h-5")
    assert "Not found" in r.json()["reply"]


def test_moderation_via_api_is_audited_and_scoped(client, db) -> None:  # type: ignore[no-untyped-def]
    agency(db, "moi")
    c = consultation(db, agency(db, "sso"))
    author = citizen(db, "author")
    comment = service.post_comment(db, account=author, subject_kind="consultation", subject_id=c.id,
                                   body="Something dubious")
    ours, theirs = official(db, "ours", "sso"), official(db, "theirs", "moi")
    db.commit()
    action = {"kind": "comment", "id": comment.id, "action": "hide", "reason": "Personal attack"}
    t_ours, t_author = api_token(client, ours), api_token(client, author)  # one TOTP code each: reuse tokens
    assert client.post(f"{API}/moderation/actions", headers=auth(api_token(client, theirs)), json=action
                       ).status_code == 403
    assert client.post(f"{API}/moderation/actions", headers=auth(t_author), json=action).status_code == 403
    r = client.post(f"{API}/moderation/actions", headers=auth(t_ours), json=action)
    assert r.status_code == 201 and r.json()["action"] == "hide"
    db.expire_all()
    assert db.get(Comment, comment.id).status == ContentStatus.HIDDEN
    assert client.get(f"{API}/comments", params={"subject_kind": "consultation", "subject_id": c.id}).json() == []
    entry = db.scalar(select(ModerationAction))
    assert (entry.moderator_id, entry.reason) == (ours.id, "Personal attack")
    log = client.get(f"{API}/moderation/log", headers=auth(t_ours)).json()
    assert [x["action"] for x in log] == ["hide"]
    assert client.get(f"{API}/moderation/log", headers=auth(t_author)).status_code == 403


def test_verification_by_an_official_unlocks_voting(client, db) -> None:  # type: ignore[no-untyped-def]
    """Level 2 is identity's proven person (one notion, owned by identity): an official's proof unlocks the vote."""
    poll = open_poll(db)
    c = consultation(db, agency(db))
    a = citizen(db, "aaa", verified=False)
    off = official(db)
    db.commit()
    token = api_token(client, a)
    r = client.post(f"{API}/polls/{poll.id}/votes", headers=auth(token), json={"option": 1})
    assert r.status_code == 403 and r.json()["error"]["code"] == "person_not_proven"
    r = client.post(f"{API}/comments", headers=auth(token),  # level 1 (any account) still comments
                    json={"subject_kind": "consultation", "subject_id": c.id, "body": "A clear, useful remark."})
    assert r.status_code == 201, r.text
    proof = {"national_code": a.person.national_code, "username": "aaa", "method": "in_person"}
    assert client.post("/api/v1/identity/proofs", headers=auth(token), json=proof).status_code == 403
    r = client.post("/api/v1/identity/proofs", headers=auth(api_token(client, off)), json=proof)
    assert r.status_code == 201
    assert client.post(f"{API}/polls/{poll.id}/votes", headers=auth(token), json={"option": 1}).status_code == 201


def test_petition_overdue_is_public(client, db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    author = citizen(db, "author")
    petition = service.create_petition(db, account=author, organization=org, title="Thursday offices",
                                       body="Please open the offices on Thursdays for workers.", threshold=1,
                                       response_days=7)
    db.commit()
    assert client.get(f"{API}/petitions/{petition.id}").json()["state"] == "awaiting_response"
    assert client.get(f"{API}/petitions", params={"overdue": True}).json()["total"] == 0
    clock.advance(dt.timedelta(days=8))
    assert client.get(f"{API}/petitions/{petition.id}").json()["state"] == "overdue"
    assert [p["id"] for p in client.get(f"{API}/petitions", params={"overdue": True}).json()["items"]] == [petition.id]


def test_exports_and_statistics_routes(client, db) -> None:  # type: ignore[no-untyped-def]
    c = consultation(db, agency(db))
    for i in range(3):
        service.post_comment(db, account=citizen(db, f"user{i}", province="Tehran"), subject_kind="consultation",
                             subject_id=c.id, body=f"Comment {i} with 09121112233")
    db.commit()
    r = client.get(f"{API}/consultations/{c.slug}/comments.csv")
    assert r.status_code == 200 and r.text.startswith("comment_id,") and "[phone]" in r.text
    assert "09121112233" not in r.text
    docs = client.get(f"{API}/consultations/{c.slug}/documents").json()
    assert len(docs) == 3 and set(docs[0]) == {"id", "text", "language", "section", "created", "source"}
    stats = client.get(f"{API}/consultations/{c.slug}/statistics").json()
    assert stats["participants"] is None and stats["province"] == {"Tehran": None}


def test_an_answer_the_public_is_owed_is_given_once(client, db) -> None:  # type: ignore[no-untyped-def]
    """A petition response and a final proposal answer stand; "being evaluated" may be followed up."""
    org = agency(db)
    petition = service.create_petition(db, account=citizen(db, "author"), organization=org, title="Thursday offices",
                                       body="Please open the offices on Thursdays for workers.", threshold=1,
                                       response_days=7)
    proposal = service.create_proposal(db, account=citizen(db, "author2"), organization=org, title="Night buses",
                                       body="Run buses at night between the big hospitals and the suburbs.",
                                       threshold=1)
    officer = official(db)
    db.commit()
    staff = auth(api_token(client, officer))
    first = {"text": "We will open two offices on Thursdays from next month."}
    r = client.post(f"{API}/petitions/{petition.id}/response", headers=staff, json=first)
    assert r.status_code == 200 and r.json()["response_text"] == first["text"]
    r = client.post(f"{API}/petitions/{petition.id}/response", headers=staff,
                    json={"text": "Actually we changed our mind about all of it."})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_responded"
    assert client.get(f"{API}/petitions/{petition.id}").json()["response_text"] == first["text"]

    url = f"{API}/proposals/{proposal.id}/answer"
    assert client.post(url, headers=staff, json={"status": "evaluating",
                                                 "text": "Our transport office is costing it."}).status_code == 200
    r = client.post(url, headers=staff, json={"status": "accepted", "text": "Buses start in spring.", "cost": 5000})
    assert r.status_code == 200 and r.json()["answer_status"] == "accepted"
    r = client.post(url, headers=staff, json={"status": "rejected", "text": "On second thoughts, no buses."})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_answered"
    assert client.get(f"{API}/proposals/{proposal.id}").json()["answer_status"] == "accepted"
