"""Wording overrides, preferences, in-app copies and delivery status, without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from smartgov import clock, events
from smartgov.errors import Conflict, ValidationFailed
from smartgov.events import EventRecord, OutboxMessage
from smartgov.identity import service as identity_service
from smartgov.notifications import delivery, inbox, preferences, sinks, templates_store
from smartgov.notifications.models import InboxMessage, TemplateVersion
from smartgov.notifications.wording import MASKED, TEMPLATES, render_text
from tests.factories import sent_mail, sent_sms

from .support import REFERENCE, arrange, tell_about_submission


def texts(key: str = "services.submitted", **changes: str) -> dict[str, str]:
    return {**TEMPLATES[key].defaults(), **changes}


def test_an_override_is_used_until_it_is_reset_and_every_version_is_kept(database, db, settings) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    row = templates_store.save(db, a["platform"].id, "services.submitted",
                               texts(email_subject_fa="رسید درخواست {{ reference }}",
                                     sms_fa="درخواست {{ reference }} رسید. {{ link }}"))
    assert row.version == 1
    tell_about_submission(db, a["citizen"])
    db.commit()
    sms = sent_sms(database, settings.data_dir)  # drains the outbox
    assert sms == [("09121110001", f"درخواست {REFERENCE} رسید. http://testserver/services/applications/{REFERENCE}")]
    assert sent_mail(settings.data_dir)[0][1] == f"رسید درخواست {REFERENCE}"
    saved = db.scalars(select(EventRecord).where(EventRecord.name == "notifications.template_saved")).one()
    assert saved.actor_id == a["platform"].id and saved.payload["changed"] == ["email_subject_fa", "sms_fa"]

    with pytest.raises(Conflict):  # the same texts again change nothing
        templates_store.save(db, a["platform"].id, "services.submitted", templates_store.in_force(db, "services.submitted"))
    templates_store.reset(db, a["platform"].id, "services.submitted")
    assert templates_store.in_force(db, "services.submitted") == TEMPLATES["services.submitted"].defaults()
    assert [(v.version, v.reset) for v in templates_store.history(db, "services.submitted")] == [(2, True), (1, False)]
    assert templates_store.overridden(db) == {}
    with pytest.raises(Conflict):
        templates_store.reset(db, a["platform"].id, "services.submitted")


def test_a_bad_template_is_refused_field_by_field_and_nothing_is_saved(db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    with pytest.raises(ValidationFailed) as refused:
        templates_store.save(db, a["platform"].id, "services.submitted", texts(
            email_body_fa="سلام {{ national_code }}",  # a variable this message does not provide
            sms_en="Ref {{ reference ",  # does not parse
            email_subject_en="{{ reference.__class__ }}",  # attribute access
            sms_fa="{% include 'web/base.html' %}",  # reaches outside the text
            email_subject_fa=""))
    found = {e.field: e.code for e in refused.value.errors}
    assert found == {"email_body_fa": "unknown_variable", "sms_en": "template_syntax",
                     "email_subject_en": "template_expression", "sms_fa": "template_expression",
                     "email_subject_fa": "required"}
    assert "national_code" in refused.value.errors[[e.field for e in refused.value.errors].index("email_body_fa")]\
        .localized("en")
    db.flush()
    assert db.scalars(select(TemplateVersion)).all() == []


def test_the_sandbox_shows_nothing_of_python_internals() -> None:
    assert render_text("{{ x.__class__ }}{{ x.__init__ }}", "en", {"x": "text"}) == ""
    assert render_text("{{ n }} {{ name|upper }}", "fa", {"n": 12, "name": "ali"}) == "۱۲ ALI"


def test_a_preview_uses_the_examples_and_checks_like_a_save() -> None:
    shown = templates_store.preview("services.submitted", texts(sms_en="Ref {{ reference }} for {{ service_en }}"))
    assert shown["en"].sms == "Ref SSO-1405-000123 for Retirement pension"
    assert "SSO-1405-000123" in shown["fa"].email_subject
    with pytest.raises(ValidationFailed):
        templates_store.preview("services.submitted", texts(sms_en="{{ nope }}"))


def test_a_channel_turned_off_is_kept_in_app_and_the_language_chosen_is_used(database, db, settings) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    citizen = a["citizen"]
    preferences.save(db, citizen.id, language="en", channels={"services.submitted": (False, True)})
    tell_about_submission(db, citizen, lang="fa")
    db.commit()
    sms = sent_sms(database, settings.data_dir)
    assert len(sms) == 1 and sms[0][1].startswith("We received your application")  # English, as chosen
    assert sent_mail(settings.data_dir) == []  # e-mail turned off for this kind
    kept = db.scalars(select(InboxMessage).where(InboxMessage.account_id == citizen.id)
                      .order_by(InboxMessage.id)).all()
    assert [(m.channel, m.sent, m.lang) for m in kept] == [("email", False, "en"), ("sms", True, "en")]
    assert kept[0].link == f"/services/applications/{REFERENCE}"
    found, total = delivery.search(db, delivery.DeliveryFilter(), limit=10)
    assert total == 2 and {d.status for d in found} == {"skipped", "sent"}
    assert delivery.search(db, delivery.DeliveryFilter(status="skipped"), limit=10)[0][0].channel == "email"
    saved = db.scalars(select(EventRecord).where(EventRecord.name == "notifications.preferences_saved")).one()
    assert saved.payload["off"] == {"services.submitted": ["email"]}


def test_a_mandatory_message_cannot_be_turned_off_and_its_secret_is_never_kept(database, db, settings) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    citizen = a["citizen"]
    with pytest.raises(ValidationFailed) as refused:
        preferences.save(db, citizen.id, language="fa", channels={"identity.password_reset": (False, False)})
    assert refused.value.errors[0].field == "identity.password_reset"
    optional, mandatory, _ = preferences.choices(db, citizen.id)
    assert "identity.password_reset" in {t.key for t in mandatory}
    assert "identity.password_reset" not in {c.key for c in optional}
    db.commit()
    with database.unit_of_work() as session:
        identity_service.request_password_reset(session, "citizen1")
    events.drain_outbox(database)
    mail = sent_mail(settings.data_dir)
    assert len(mail) == 1 and "/password/reset/" in mail[0][2]  # the person gets the link ...
    kept = db.scalars(select(InboxMessage).where(InboxMessage.account_id == citizen.id)).one()
    assert MASKED in kept.body and "/password/reset/" not in kept.body and kept.link is None  # ... the copy does not


def test_delivery_status_follows_the_worker_queued_retrying_sent_failed(database, db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    tell_about_submission(db, a["citizen"])
    db.commit()
    queued, total = delivery.search(db, delivery.DeliveryFilter(), limit=10)
    assert total == 2 and {d.status for d in queued} == {"queued"} and queued[0].attempts == 0

    def gateway_down(self, **kw):  # type: ignore[no-untyped-def]
        raise ConnectionError("gateway down")

    monkeypatch.setattr(sinks.FileSmsGateway, "send", gateway_down)
    events.drain_outbox(database)
    retrying = delivery.search(db, delivery.DeliveryFilter(status="retrying"), limit=10)[0]
    assert [(d.channel, d.attempts) for d in retrying] == [("sms", 1)]
    assert "gateway down" in (retrying[0].last_error or "") and retrying[0].next_try is not None
    assert retrying[0].next_try >= clock.now() + dt.timedelta(seconds=9)
    assert [d.channel for d in delivery.search(db, delivery.DeliveryFilter(status="sent"), limit=10)[0]] == ["email"]
    for _ in range(8):  # every later try fails too: given up
        clock.advance(dt.timedelta(hours=2))
        events.drain_outbox(database)
    failed = delivery.search(db, delivery.DeliveryFilter(status="failed"), limit=10)[0]
    assert [(d.channel, d.attempts) for d in failed] == [("sms", 8)]
    # the filters: channel, message kind, dates
    assert delivery.search(db, delivery.DeliveryFilter(channel="email"), limit=10)[1] == 1
    assert delivery.search(db, delivery.DeliveryFilter(template="identity.password_reset"), limit=10)[1] == 0
    assert delivery.search(db, delivery.DeliveryFilter(template="services.submitted"), limit=10)[1] == 2
    later = clock.now() + dt.timedelta(days=1)
    assert delivery.search(db, delivery.DeliveryFilter(since=later), limit=10)[1] == 0
    assert delivery.search(db, delivery.DeliveryFilter(until=later), limit=10)[1] == 2
    assert db.scalar(select(OutboxMessage.status).where(OutboxMessage.handler == "notifications.sms")) == "dead"


def test_the_inbox_is_the_accounts_own(database, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    tell_about_submission(db, a["citizen"])
    tell_about_submission(db, a["other"], reference="SSO-1405-000888")
    db.commit()
    events.drain_outbox(database)
    mine, total = inbox.messages(db, a["citizen"].id)
    assert total == 2 and all(REFERENCE in m.subject for m in mine)
    theirs = inbox.messages(db, a["other"].id)[0][0]
    from smartgov.errors import NotFound

    with pytest.raises(NotFound):
        inbox.mark_read(db, a["citizen"].id, [theirs.id])
    assert inbox.mark_read(db, a["citizen"].id) == 2
    db.commit()
    assert inbox.unread_count(db, a["citizen"].id) == 0 and inbox.unread_count(db, a["other"].id) == 2
