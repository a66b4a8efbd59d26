"""Proposals, petitions with response deadlines, surveys, accountability, follows, moderation,
statistics with small-cell suppression, and the anonymized exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError
from smartgov.participation import export_documents, integrity, service, statistics
from smartgov.participation.models import ContentStatus, InAppNotification, ModerationAction
from tests.participation.helpers import agency, citizen, consultation


def test_proposal_threshold_obliges_an_answer_with_cost_and_reason(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    author = citizen(db, "author", verified=False)
    proposal = service.create_proposal(db, account=author, organization=org, title="Night buses to hospitals",
                                       body="Run buses at night between the big hospitals and the suburbs.",
                                       threshold=3)
    with pytest.raises(DomainError) as err:
        service.support_proposal(db, proposal, author)  # not verified
    assert err.value.code == "person_not_proven"
    supporters = [citizen(db, f"fan{i}") for i in range(3)]
    service.support_proposal(db, proposal, supporters[0])
    with pytest.raises(Conflict):
        service.support_proposal(db, proposal, supporters[0])
    service.support_proposal(db, proposal, supporters[1])
    assert proposal.threshold_reached_at is None
    service.support_proposal(db, proposal, supporters[2])
    assert proposal.support_count == 3 and proposal.threshold_reached_at is not None
    assert proposal.answer_due_at == proposal.threshold_reached_at + dt.timedelta(days=service.PROPOSAL_ANSWER_DAYS)
    clock.advance(dt.timedelta(days=service.PROPOSAL_ANSWER_DAYS + 1))
    assert service.answer_overdue(proposal)
    with pytest.raises(DomainError) as err:
        service.answer_proposal(db, proposal, status="accepted", text="We will do it from spring.", actor_id=None)
    assert err.value.code == "cost_required"
    service.answer_proposal(db, proposal, status="accepted", text="We will do it from spring.", cost=12_000_000_000,
                            actor_id=None)
    assert not service.answer_overdue(proposal) and proposal.answer_cost == 12_000_000_000


def test_petition_threshold_creates_a_deadline_and_passing_it_flags_overdue(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    author = citizen(db, "author")
    petition = service.create_petition(db, account=author, organization=org, title="Open offices on Thursdays",
                                       body="Many workers cannot visit on weekdays; open the offices on Thursdays.",
                                       threshold=3, response_days=14)
    assert petition.signature_count == 1 and service.petition_state(petition) == "collecting"
    service.sign_petition(db, petition, citizen(db, "signer1"))
    with pytest.raises(Conflict):
        service.sign_petition(db, petition, author)
    clock.freeze(clock.now())
    service.sign_petition(db, petition, citizen(db, "signer2"))
    assert petition.threshold_reached_at == clock.now()
    assert petition.response_due_at == clock.now() + dt.timedelta(days=14)
    assert service.petition_state(petition) == "awaiting_response"
    reached = [e for e in db.scalars(select(events.EventRecord))
               if e.name == "participation.petition_threshold_reached"]
    assert len(reached) == 1
    service.sign_petition(db, petition, citizen(db, "signer3"))  # past the threshold: no second obligation
    assert len([e for e in db.scalars(select(events.EventRecord))
                if e.name == "participation.petition_threshold_reached"]) == 1
    clock.advance(dt.timedelta(days=14, minutes=1))
    assert service.petition_state(petition) == "overdue"
    assert service.flag_overdue(db) == 1 and service.flag_overdue(db) == 0
    service.respond_to_petition(db, petition, "We will open two offices on Thursdays.", actor_id=None)
    assert service.petition_state(petition) == "responded_late"


def test_surveys_are_reusable_by_other_modules(db) -> None:  # type: ignore[no-untyped-def]
    from smartgov import participation

    questions = [
        {"key": "ease", "kind": "scale", "text_fa": "چقدر آسان بود؟", "text_en": "How easy was it?", "required": True},
        {"key": "channel", "kind": "single", "text_fa": "از کجا؟", "text_en": "Where from?",
         "options": [{"fa": "وب", "en": "Web"}, {"fa": "پیامک", "en": "SMS"}]},
        {"key": "note", "kind": "text", "text_fa": "نظر", "text_en": "Comment"},
    ]
    survey = participation.define_survey(db, key="services.feedback", title_fa="بازخورد", title_en="Feedback",
                                         questions=questions)
    assert participation.define_survey(db, key="services.feedback", title_fa="بازخورد", title_en="Feedback",
                                       questions=questions).id == survey.id  # idempotent
    someone = citizen(db, "rater")
    participation.submit_survey(db, "services.feedback", {"ease": 4, "channel": 0}, account=someone,
                                subject_ref="services.application:1")
    participation.submit_survey(db, "services.feedback", {"ease": 2, "channel": 1, "note": "slow"},
                                subject_ref="services.application:2")
    with pytest.raises(DomainError) as err:
        participation.submit_survey(db, "services.feedback", {"channel": 1})
    assert err.value.field == "answers.ease"
    with pytest.raises(DomainError) as err:
        participation.submit_survey(db, "services.feedback", {"ease": 9})
    assert err.value.code == "invalid_answer"
    summary = participation.survey_summary(db, "services.feedback")
    assert summary["responses"] == 2 and summary["questions"]["ease"]["mean"] == 3.0
    assert summary["questions"]["channel"]["counts"] == [1, 1] and summary["questions"]["note"]["answered"] == 1
    assert participation.survey_summary(db, "services.feedback", subject_ref="services.application:1")["responses"] == 1
    from smartgov.participation.models import SurveyResponse

    assert all(r.person_id is None for r in db.scalars(select(SurveyResponse)))  # anonymous survey
    with pytest.raises(Conflict):
        participation.define_survey(db, key="services.feedback", title_fa="x", title_en="x", questions=questions[:1])


def test_accountability_missed_milestone_and_overdue(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    t = clock.today()
    item = service.create_item(db, organization=org, kind="project", title_fa="پرداخت برخط", title_en="Online payment",
                               deadline=t + dt.timedelta(days=30), consultation_id=c.id,
                               milestones=[("طراحی", "Design", t + dt.timedelta(days=5)),
                                           ("آزمون", "Testing", t + dt.timedelta(days=20))])
    design, testing = item.milestones
    assert not service.milestone_missed(design)
    clock.advance(dt.timedelta(days=6))
    assert service.milestone_missed(design) and not service.milestone_missed(testing)
    service.update_item(db, item, status="in_progress", progress=40, completed_milestones=[design.id], actor_id=None)
    assert service.milestone_missed(design)  # done late is still a miss
    with pytest.raises(DomainError):
        service.update_item(db, item, progress=140, actor_id=None)
    clock.advance(dt.timedelta(days=30))
    assert service.item_overdue(item)
    service.update_item(db, item, status="completed", actor_id=None)
    assert item.progress == 100 and not service.item_overdue(item)
    comment = service.post_comment(db, account=citizen(db, "watcher"), subject_kind="accountability",
                                   subject_id=item.id, body="Why was the design late?")
    assert comment.status == ContentStatus.VISIBLE


def test_followers_get_in_app_and_email_notifications(db, database, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import sent_mail

    org = agency(db)
    c = consultation(db, org)
    follower = citizen(db, "follower", email="follower@example.ir")
    poster = citizen(db, "poster")
    service.follow(db, follower, "consultation", c.id)
    service.post_comment(db, account=poster, subject_kind="consultation", subject_id=c.id, body="A new thought")
    db.commit()
    events.drain_outbox(database)
    events.drain_outbox(database)  # the e-mail queued by the notifier
    db.expire_all()
    notes = list(db.scalars(select(InAppNotification).where(InAppNotification.account_id == follower.id)))
    assert len(notes) == 1 and notes[0].link == "/participation/consultations/pension-rules"
    assert not list(db.scalars(select(InAppNotification).where(InAppNotification.account_id == poster.id)))
    mail = sent_mail(settings.data_dir)
    assert [m[0] for m in mail] == ["follower@example.ir"] and "آیین‌نامهٔ مستمری" in mail[0][1]


def test_reports_hide_content_and_every_moderator_action_is_logged(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    author = citizen(db, "troll")
    comment = service.post_comment(db, account=author, subject_kind="consultation", subject_id=c.id,
                                   body="Some questionable text")
    for i in range(service.REPORTS_TO_HIDE):
        service.report_content(db, citizen(db, f"reporter{i}"), "comment", comment.id, "offensive")
    assert comment.status == ContentStatus.HIDDEN
    assert service.comments_for(db, "consultation", c.id) == []
    queue = service.moderation_queue(db, {org.id})
    assert [(q.kind, q.id, q.reports) for q in queue] == [("comment", comment.id, 3)]
    assert service.moderation_queue(db, {org.id + 999}) == []
    mod = citizen(db, "moderator")
    service.moderate(db, mod.id, "comment", comment.id, "unhide", "Criticism, not abuse")
    assert comment.status == ContentStatus.VISIBLE and service.moderation_queue(db, None) == []
    service.moderate(db, mod.id, "comment", comment.id, "hide", "Repeated personal attack")
    service.block_account(db, mod.id, author.id, "Repeated personal attacks")
    with pytest.raises(DomainError) as err:
        service.post_comment(db, account=author, subject_kind="consultation", subject_id=c.id, body="I am back")
    assert err.value.status == 403
    log = [(a.moderator_id, a.action) for a in db.scalars(select(ModerationAction).order_by(ModerationAction.id))]
    assert log == [(None, "hide"), (mod.id, "unhide"), (mod.id, "hide"), (mod.id, "block")]
    assert len([e for e in db.scalars(select(events.EventRecord))
                if e.name == "participation.moderation_action"]) == 4
    with pytest.raises(DomainError) as err:
        service.moderate(db, mod.id, "comment", comment.id, "hide", "")
    assert err.value.code == "reason_required"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=5), st.integers(min_value=0, max_value=40), max_size=8))
def test_suppression_never_shows_a_small_cell_nor_lets_one_be_derived(counts: dict[str, int]) -> None:
    shown = statistics.suppress(counts)
    assert all(v is None or v >= statistics.K for v in shown.values())
    hidden = sum(counts[k] for k, v in shown.items() if v is None)
    assert hidden == 0 or hidden >= statistics.K or all(v is None for v in shown.values())


def test_statistics_by_phase_province_age_and_gender_hide_small_cells(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    born = dt.date(1990, 1, 1)
    people = ([citizen(db, f"teh{i}", province="Tehran", gender="f", birth_date=born) for i in range(6)]
              + [citizen(db, f"isf{i}", province="Isfahan", gender="m", birth_date=born) for i in range(5)]
              + [citizen(db, f"fars{i}", province="Fars", gender="m", birth_date=dt.date(1950, 1, 1))
                 for i in range(2)])
    for p in people:
        service.post_comment(db, account=p, subject_kind="consultation", subject_id=c.id, body=f"View of {p.username}")
    stats = service.participation_statistics(db, "consultation", c.id)
    assert stats["participants"] == 13 and stats["phase"] == {"consultation": 13}
    assert stats["gender"] == {"f": 6, "m": 7}
    # Fars (2) is under 5, so it is hidden, and so is the next smallest (Isfahan, 5) so it cannot be derived.
    assert stats["province"] == {"Tehran": 6, "Isfahan": None, "Fars": None}
    # Two age bands: hiding the 2 alone would let anyone derive it from the total, so both are hidden.
    assert stats["age_band"] == {"30-44": None, "60+": None}
    for dim in service.DIMENSIONS:
        assert all(v is None or v >= 5 for v in stats[dim].values())
    small = consultation(db, org, slug="tiny")
    service.post_comment(db, account=people[0], subject_kind="consultation", subject_id=small.id, body="Alone here")
    tiny = service.participation_statistics(db, "consultation", small.id)
    assert tiny["participants"] is None and all(v is None for v in tiny["province"].values())


def test_poll_statistics_come_from_voters_without_time(db) -> None:  # type: ignore[no-untyped-def]
    poll = service.create_poll(db, organization=agency(db), slug="p", question_fa="؟", question_en="?",
                               options=[("الف", "A"), ("ب", "B")], opens_at=clock.now() - dt.timedelta(hours=1),
                               closes_at=clock.now() + dt.timedelta(hours=1))
    for i in range(7):
        service.vote_in_poll(db, poll, citizen(db, f"v{i}x", province="Gilan", gender="f" if i < 5 else "m"), 1)
    stats = service.participation_statistics(db, "poll", poll.id)
    assert stats["participants"] == 7 and stats["province"] == {"Gilan": 7}
    assert stats["gender"] == {"f": None, "m": None}  # 5 and 2: the 2 is hidden, and so is the 5


def test_exports_are_anonymized_and_readable_by_text_analysis(db) -> None:  # type: ignore[no-untyped-def]
    org = agency(db)
    c = consultation(db, org)
    a = citizen(db, "aaa")
    first = service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id, section_number=2,
                                 body="Call me on 09121234567 or mail me at me@example.ir, code 0012345679.")
    service.post_comment(db, account=a, subject_kind="consultation", subject_id=c.id, body="نظر دوم من")
    hidden = service.post_comment(db, account=citizen(db, "bbb"), subject_kind="consultation", subject_id=c.id,
                                  body="to be hidden")
    service.moderate(db, a.id, "comment", hidden.id, "hide", "test")
    rows = list(csv.DictReader(io.StringIO(service.comments_csv(db, c))))
    assert len(rows) == 2 and rows[0]["section"] == "2" and rows[0]["author"] == rows[1]["author"]
    assert rows[0]["text"] == "Call me on [phone] or mail me at [email], code [number]."
    assert "aaa" not in service.comments_csv(db, c) and str(a.id) != rows[0]["author"]
    assert len(rows[0]["created_date"]) == 10  # a day, not a moment
    docs = export_documents(db, consultation_id=c.id)
    assert [(d.id, d.language, d.section) for d in docs] == [
        (f"participation.comment:{first.id}", "en", "2"), (f"participation.comment:{first.id + 1}", "fa", None)]
    assert docs[0].created == clock.today() and "[phone]" in docs[0].text


def test_integrity_helpers() -> None:
    assert integrity.profane_words("You are an IIIDIOT") == ["idiot"]
    assert integrity.profane_words("Scunthorpe is a town") == []
    assert integrity.profane_words("آدم بي‌شعور") == ["بیشعور"]
    assert integrity.spam_verdict("see http://a.example and http://b.example").reasons == ("links",)
    assert integrity.spam_verdict("buy buy buy buy buy now").hold
    assert not integrity.spam_verdict("A normal comment about the deadline in section two.").hold
    assert integrity.detect_language("سلام دنیا world") == "fa"
    assert integrity.detect_language("hello دنیا") == "en"
