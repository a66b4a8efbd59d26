"""The notification centre, preferences and the admin screens, through the pages, in Persian."""

from __future__ import annotations

import re

from sqlalchemy import select

from smartgov import events
from smartgov.events import EventRecord
from smartgov.notifications.models import InboxMessage, TemplateVersion
from smartgov.notifications.wording import TEMPLATES
from tests.factories import csrf_of, page_login

from .support import REFERENCE, arrange, tell_about_submission

FA_REFERENCE = "SSO-1405-000777"  # references are identifiers: kept as written


def post(client, url: str, data: dict, page_url: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def delivered(database, db, *accounts) -> None:  # type: ignore[no-untyped-def]
    for account in accounts:
        tell_about_submission(db, account)
    db.commit()
    events.drain_outbox(database)


def test_the_centre_lists_e_mail_and_sms_counts_unread_and_marks_read(client, database, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    delivered(database, db, a["citizen"])
    page_login(client, a["citizen"])
    html = client.get("/notifications").text
    assert 'href="/notifications"' in html and '<span class="nav-count">۲<span class="visually-hidden">' in html
    assert html.count(f"درخواست {REFERENCE} ثبت شد") >= 2  # the e-mail and the SMS
    assert "با رایانامه." in html and "با پیامک." in html
    assert f'href="/services/applications/{REFERENCE}"' in html  # a link to its subject
    first = db.scalars(select(InboxMessage).where(InboxMessage.account_id == a["citizen"].id)).first()
    r = post(client, f"/notifications/{first.id}/read", {}, "/notifications")
    assert r.status_code == 303
    assert '<span class="nav-count">۱<span' in client.get("/notifications").text
    assert post(client, "/notifications/read-all", {}, "/notifications").status_code == 303
    html = client.get("/notifications?unread=1").text
    assert 'class="nav-count"' not in html and "چیزی خوانده‌نشده نیست" in html
    read = db.scalars(select(EventRecord).where(EventRecord.name == "notifications.messages_read")).all()
    assert len(read) == 2 and all(e.actor_id == a["citizen"].id for e in read)


def test_one_person_never_sees_or_touches_anothers_notifications(client, database, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    delivered(database, db, a["citizen"])
    tell_about_submission(db, a["other"], reference="SSO-1405-000888")
    db.commit()
    events.drain_outbox(database)
    theirs = db.scalars(select(InboxMessage).where(InboxMessage.account_id == a["other"].id)).all()
    page_login(client, a["citizen"])
    html = client.get("/notifications").text
    assert "SSO-1405-000888" not in html and REFERENCE in html
    for message in theirs:  # IDOR: another's message id is not found, and stays unread
        assert post(client, f"/notifications/{message.id}/read", {}, "/notifications").status_code == 404
    post(client, "/notifications/read-all", {}, "/notifications")
    db.expire_all()
    assert all(m.read_at is None for m in db.scalars(select(InboxMessage)
                                                     .where(InboxMessage.account_id == a["other"].id)))
    client.cookies.clear()  # signed out: nothing
    assert client.get("/notifications", follow_redirects=False).status_code in (303, 401)


def test_preferences_are_saved_and_mandatory_messages_are_named(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    page_login(client, a["citizen"])
    html = client.get("/notifications/preferences").text
    assert "این پیام‌ها از حساب شما محافظت می‌کنند" in html
    for key in ("identity.password_reset", "identity.proof_code"):
        assert TEMPLATES[key].title("fa") in html and f'name="email:{key}"' not in html
    assert 'for="f-email:services.submitted"' in html
    form = {"language": "en", "sms:services.submitted": "on"}  # e-mail of this kind unticked
    r = post(client, "/notifications/preferences", form, "/notifications/preferences")
    assert r.status_code == 303
    html = client.get("/notifications/preferences").text
    assert re.search(r'name="email:services.submitted"[^>]*>', html) and \
        "checked" not in re.search(r'name="email:services.submitted"[^>]*>', html).group(0)
    assert 'value="en" selected' in html
    r = post(client, "/notifications/preferences", {"language": "de"}, "/notifications/preferences")
    assert r.status_code == 422 and 'id="f-language-error"' in r.text and 'aria-invalid="true"' in r.text


def test_an_admin_previews_and_saves_a_template_and_a_bad_one_names_its_field(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    page_login(client, a["platform"])
    url = "/admin/notifications/templates/services.submitted"
    assert TEMPLATES["services.submitted"].title("fa") in client.get("/admin/notifications/templates").text
    form = {**TEMPLATES["services.submitted"].defaults(), "sms_fa": "رسید {{ reference }} — {{ service_fa }}"}
    r = post(client, url, {**form, "action": "preview"}, url)
    assert r.status_code == 200 and "رسید SSO-1405-000123 — مستمری بازنشستگی" in r.text
    assert db.scalars(select(TemplateVersion)).all() == []  # a preview stores nothing
    bad = {**form, "email_body_en": "Hello {{ national_code }}", "action": "save"}
    r = post(client, url, bad, url)
    assert r.status_code == 422 and 'href="#f-email_body_en"' in r.text and 'id="f-email_body_en-error"' in r.text
    assert "national_code" in r.text and db.scalars(select(TemplateVersion)).all() == []
    r = post(client, url, {**form, "action": "save"}, url)
    assert r.status_code == 303
    html = client.get(r.headers["location"]).text
    assert "متن تازه ذخیره شد" in html and "رسید {{ reference }}" in html
    assert db.scalars(select(TemplateVersion)).one().author_id == a["platform"].id
    r = post(client, url + "/reset", {}, url)
    assert r.status_code == 303 and len(db.scalars(select(TemplateVersion)).all()) == 2


def test_delivery_status_masks_addresses_for_all_but_platform_admins(client, database, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    delivered(database, db, a["citizen"])
    page_login(client, a["platform"])
    url = "/admin/notifications/deliveries"
    html = client.get(url).text
    assert "citizen1@example.ir" in html and "09121110001" in html and "فرستاده‌شده" in html
    assert "۲ پیام" in html
    assert "۱ پیام" in client.get(url, params={"channel": "sms", "since": "۱۳۹۰/۰۱/۰۱"}).text
    r = client.get(url, params={"since": "1405/13/40", "status": "lost"})
    assert r.status_code == 422 and 'id="f-since-error"' in r.text and 'id="f-status-error"' in r.text
    client.cookies.clear()
    page_login(client, a["agency_admin"])
    html = client.get(url).text
    assert "citizen1@example.ir" not in html and "09121110001" not in html and "ci•••ir" in html


def test_admin_screens_are_refused_to_people_without_the_role(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    url = "/admin/notifications/templates/services.submitted"
    for who in ("citizen", "official", "agency_admin"):
        client.cookies.clear()
        page_login(client, a[who])
        assert client.get("/admin/notifications/templates").status_code == 403, who
        assert client.get(url).status_code == 403, who
        assert post(client, url, {"action": "save"}, "/notifications").status_code == 403, who
        assert post(client, url + "/reset", {}, "/notifications").status_code == 403, who
        expected = 200 if who == "agency_admin" else 403
        assert client.get("/admin/notifications/deliveries").status_code == expected, who
    client.cookies.clear()
    page_login(client, a["auditor"])  # an auditor reads the wording but may not change it
    html = client.get(url).text
    assert "readonly" in html and 'value="save"' not in html
    assert post(client, url, {"action": "save"}, "/notifications").status_code == 403
    assert client.get("/admin/notifications/templates/no.such").status_code == 404
