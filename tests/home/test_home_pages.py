"""The home after sign-in: each role sees what needs their action, their own things, and nobody else's."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from smartgov import clock, events
from smartgov.services import sync_bundled_definitions
from tests.factories import csrf_of, page_login
from tests.insurance.support import arrange
from tests.notifications.support import tell_about_submission

API = "/api/v1"
IBAN = "120170000000123456789012"


def _pension(client: Any, account: Any) -> str:
    """The retiree applies for the pension (through the pages' session), returning the reference."""
    page_login(client, account, "/home")
    client.get("/services/pension-retirement/apply")
    page = client.get("/services/pension-retirement/apply/1").text
    r = client.post("/services/pension-retirement/apply/1", data={
        "bank_account": IBAN, "declaration": "yes", "_continue": "1", "csrf_token": csrf_of(page)},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    check = client.get("/services/pension-retirement/check").text
    r = client.post("/services/pension-retirement/submit", data={"csrf_token": csrf_of(check),
                                                                 "idempotency_key": _key(check)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[-2]


def _key(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    return found.group(1) if found else ""


def test_sign_in_lands_on_the_home(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import PASSWORD, create_account

    citizen = create_account(db, "maryam")
    db.commit()
    r = client.post("/login", data={"username": "maryam", "password": PASSWORD,
                                    "csrf_token": csrf_of(client.get("/login").text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/home"
    page = client.get("/home")
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "خانهٔ من" in page.text
    assert citizen.username in page.text


def test_a_citizens_home_shows_their_cases_drafts_messages_and_readers(client, db, database) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    reference = _pension(client, a["retiree"])
    client.get("/services/address-change/apply")  # a draft left half-way
    tell_about_submission(db, a["retiree"], reference=reference)
    tell_about_submission(db, a["young"], reference="SSO-1405-999999")
    db.commit()
    events.drain_outbox(database)

    html = client.get("/home").text
    assert f'<bdi dir="ltr" translate="no">{reference}</bdi>' in html  # the reference kept copyable and isolated
    assert "درخواست مستمری بازنشستگی" in html and "ثبت شده" in html  # the service and its state, in Persian
    assert "اعلام تغییر نشانی" in html and "/services/address-change/apply" in html  # the draft to finish
    assert 'id="panel-notifications"' in html and "خوانده‌نشده" in html
    assert 'id="panel-data-access"' in html and "/account/data-access" in html
    assert "SSO-1405-999999" not in html  # another person's message is not here
    en = client.get("/home?lang=en").text
    assert "Needs your action" in en and "Finish your application" in en and 'dir="ltr"' in en
    assert not re.search(r"[۰-۹]", en)  # English digits on the English page


def test_one_person_never_sees_anothers_home(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    reference = _pension(client, a["retiree"])
    client.cookies.clear()
    page_login(client, a["young"], "/home")
    html = client.get("/home").text
    assert reference not in html and "درخواست مستمری بازنشستگی" not in html
    assert "هنوز درخواستی ثبت نکرده‌اید." in html


def test_an_employer_sees_the_wage_reports_due_for_their_own_workshops(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    page_login(client, a["boss"], "/home")
    html = client.get("/home").text
    assert 'id="panel-wage-reports"' in html
    assert "کارگاه الف" in html and "2000001" in html  # the boss's workshop, its report due
    assert "کارگاه ب" not in html and "2000002" not in html  # the rival's is not shown


def test_an_officials_home_counts_the_inbox_and_lists_cases_at_risk(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    reference = _pension(client, a["retiree"])
    client.cookies.clear()
    clock.advance(dt.timedelta(hours=60))  # 72 h in "submitted": 12 h left, at risk
    page_login(client, a["official"], "/home")
    html = client.get("/home").text
    assert 'id="panel-inbox"' in html and "پرونده‌های باز" in html
    assert reference in html  # the case due within a day, in the official's branch
    client.cookies.clear()
    page_login(client, a["stranger"], "/home")  # an official of another agency
    assert reference not in client.get("/home").text


def test_home_needs_sign_in(client, db) -> None:  # type: ignore[no-untyped-def]
    sync_bundled_definitions(db)
    db.commit()
    r = client.get("/home", follow_redirects=False)
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]
