"""Consultations: phases, section comments, replies, ratings, the agency's response, the final-version diff."""

from __future__ import annotations

import datetime as dt

import pytest

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError
from smartgov.participation import diffing, service
from smartgov.participation.models import ContentStatus, Phase
from tests.participation.helpers import agency, citizen, consultation


def test_phase_follows_the_clock_and_comments_only_in_consultation(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org, phase="information")
    maryam = citizen(db, "maryam")
    assert service.current_phase(c) == Phase.INFORMATION
    with pytest.raises(Conflict) as err:
        service.post_comment(db, account=maryam, subject_kind="consultation", subject_id=c.id, body="Too early?")
    assert err.value.code == "not_open"
    clock.advance(dt.timedelta(days=10))
    assert service.current_phase(c) == Phase.CONSULTATION
    comment = service.post_comment(db, account=maryam, subject_kind="consultation", subject_id=c.id,
                                   body="سی روز زیاد است؛ پانزده روز کافی است.", section_number=2)
    assert comment.section_id == c.sections[1].id and comment.language == "fa"
    assert comment.status == ContentStatus.VISIBLE
    clock.advance(dt.timedelta(days=10))
    assert service.current_phase(c) == Phase.ANALYSIS


def test_phases_must_be_in_order(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    t = clock.now()
    with pytest.raises(DomainError) as err:
        service.create_consultation(db, organization=org, slug="x", kind="policy", title_fa="x", title_en="x",
                                    phases={"information": t, "consultation": t, "analysis": t, "decision": t,
                                            "accountability": t}, sections=[{"heading_fa": "a", "heading_en": "a",
                                                                             "body_fa": "a", "body_en": "a"}])
    assert err.value.code == "phase_order"


def test_replies_ratings_and_duplicates(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    a, b = citizen(db, "aaa"), citizen(db, "bbb")
    first = service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id,
                                 body="Thirty days is too long for a pension decision.", section_number=2)
    reply = service.post_comment(db, account=b, subject_kind="consultation", subject_id=c.id,
                                 body="I agree, but staff need time.", parent_id=first.id)
    assert reply.section_id == first.section_id  # a reply belongs to the same section
    service.rate_comment(db, first, b, 1)
    assert (first.agree_count, first.disagree_count) == (1, 0)
    service.rate_comment(db, first, b, -1)  # changing one's mind moves the count, not adds
    assert (first.agree_count, first.disagree_count) == (0, 1)
    service.rate_comment(db, first, b, 0)
    assert (first.agree_count, first.disagree_count) == (0, 0)
    with pytest.raises(Conflict):
        service.rate_comment(db, first, a, 1)  # own comment
    with pytest.raises(Conflict) as err:
        service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id,
                             body="Thirty days is TOO long for a pension decision!", section_number=1)
    assert err.value.code == "duplicate_comment"


def test_profanity_refused_links_held_for_moderation(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    a = citizen(db, "aaa")
    for rude in ("You are idiots.", "نویسندهٔ این متن احمـــق است", "What a stuuupid rule"):
        with pytest.raises(DomainError) as err:
            service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id, body=rude)
        assert err.value.code == "profanity" and err.value.field == "body"
    spam = service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id,
                                body="Cheap loans at https://x.example and www.loans.example now")
    assert spam.status == ContentStatus.PENDING
    assert service.comments_for(db, "consultation", c.id) == []  # others do not see it
    assert service.comments_for(db, "consultation", c.id, viewer_id=a.id) == [spam]  # its author does


def test_copy_paste_campaign_is_held(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    text = "Please keep the thirty day rule as it is."
    statuses = [service.post_comment(db, account=citizen(db, f"user{i}"), subject_kind="consultation", subject_id=c.id,
                                     body=text).status for i in range(4)]
    assert statuses == [ContentStatus.VISIBLE, ContentStatus.VISIBLE, ContentStatus.PENDING, ContentStatus.PENDING]


def test_per_person_rate_limit(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    a = citizen(db, "aaa")
    limit = service.RATE_PER_ACCOUNT[0]
    for i in range(limit):
        service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id, body=f"Point number {i}")
    with pytest.raises(service.RateLimited):
        service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id, body="One more point")
    clock.advance(service.RATE_PER_ACCOUNT[1])
    service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id, body="One more point")


def test_per_ip_rate_limit_counts_across_accounts(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    n, _window = service.RATE_PER_IP
    for _ in range(n):
        service.rate_limit(db, account_id=None, ip="203.0.113.9")
    with pytest.raises(service.RateLimited):
        service.post_comment(db, account=citizen(db, "fresh"), subject_kind="consultation", subject_id=c.id,
                             body="A new person behind the same address", ip="203.0.113.9")
    service.post_comment(db, account=citizen(db, "other"), subject_kind="consultation", subject_id=c.id,
                         body="Another address is fine", ip="198.51.100.7")


def test_response_with_changes_linked_to_comments_and_final_diff(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    a = citizen(db, "aaa")
    comment = service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id,
                                   body="Thirty days is too long.", section_number=2)
    with pytest.raises(Conflict):
        service.publish_response(db, c, response_fa="x", response_en="x", actor_id=None)
    service.advance_phase(db, c, actor_id=None)
    assert service.current_phase(c) == Phase.ANALYSIS
    service.publish_response(
        db, c, response_fa="۱۲ نظر رسید؛ بیشتر مهلت را طولانی دانستند.",
        response_en="12 comments; most found the deadline too long.",
        changes=[{"section": 2, "text_fa": "مهلت به پانزده روز کاهش یافت.", "text_en": "Deadline cut to fifteen days.",
                  "comment_ids": [comment.id]}], actor_id=None)
    assert c.changes[0].comment_ids == [comment.id] and c.changes[0].section_id == c.sections[1].id
    with pytest.raises(DomainError) as err:
        service.publish_response(db, c, response_fa="x", response_en="y",
                                 changes=[{"text_fa": "x", "text_en": "y", "comment_ids": [99999]}], actor_id=None)
    assert err.value.code == "unknown_comment"
    with pytest.raises(Conflict):
        service.publish_final_version(db, c, [], actor_id=None)
    service.advance_phase(db, c, actor_id=None)
    service.publish_final_version(db, c, [
        {"number": 2, "body_fa": "سازمان باید درخواست را ظرف پانزده روز بررسی کند.",
         "body_en": "The organization must review each request within fifteen days."},
        {"number": 3, "body_fa": "", "body_en": ""},
        {"number": 4, "heading_fa": "گزارش", "heading_en": "Reporting", "body_fa": "گزارش سالانه منتشر می‌شود.",
         "body_en": "A yearly report is published."},
    ], actor_id=None)
    diffs = {d.section.number: d for d in service.section_diffs(c, "en")}
    assert {n: d.status for n, d in diffs.items()} == {1: "unchanged", 2: "changed", 3: "removed", 4: "added"}
    ops = [(s.op, s.text) for s in diffs[2].segments if s.op != "equal"]
    assert ops == [("delete", "thirty"), ("insert", "fifteen")]
    names = [e.name for e in events_of(db)]
    assert "participation.response_published" in names and "participation.final_version_published" in names


def test_diff_words() -> None:
    segs = diffing.diff_words("a b c", "a x c d")
    assert [(s.op, s.text) for s in segs] == [("equal", "a "), ("delete", "b"), ("insert", "x"), ("equal", " c"),
                                              ("insert", " d")]
    assert "-a b c" in diffing.unified("a b c\n", "a x c\n", "Section 1")


def test_edit_and_delete_keep_replies(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    a, b = citizen(db, "aaa"), citizen(db, "bbb")
    first = service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id, body="First thought")
    service.post_comment(db, account=b, subject_kind="consultation", subject_id=c.id, body="A reply", parent_id=first.id)
    service.edit_comment(db, first, "Second thought", actor_id=a.id)
    assert first.body == "Second thought" and first.edited_at is not None
    service.delete_comment(db, first, actor_id=a.id)
    shown = service.comments_for(db, "consultation", c.id)
    assert [x.status for x in shown] == [ContentStatus.DELETED, ContentStatus.VISIBLE] and shown[0].body == ""


def events_of(db):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return list(db.scalars(select(events.EventRecord).order_by(events.EventRecord.id)))
