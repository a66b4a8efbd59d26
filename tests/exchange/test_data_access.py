"""Who read my data: the citizen's page and API, flags for the data-protection officer, hiding."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from smartgov import clock, events
from smartgov.events import EventRecord
from smartgov.exchange import privacy, service
from smartgov.exchange.models import AccessFlag, PersonDataAccess
from smartgov.identity import Role
from tests.exchange.support import csrf_of, login, registry
from tests.factories import api_token, auth, create_account


def _citizens_with_an_exchange_call(database):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        registry(db)
        maryam = create_account(db, username="maryam")
        sara = create_account(db, username="sara", first_name_en="Sara")
        admin = create_account(db, username="admin1", role=Role.PLATFORM_ADMIN)
        auditor = create_account(db, username="auditor1", role=Role.AUDITOR)
        codes = maryam.person.national_code, sara.person.national_code
    with database.unit_of_work() as db:
        assert service.fetch(db, "IR/GOV/sso/pension", "person-status", codes[0], "pension-claim").ok
        privacy.record_access(db, codes[1], None, "nocr", "person-status", "pension-claim")
    return maryam, sara, admin, auditor


def test_citizen_sees_the_exchange_call_with_its_purpose_and_only_their_own(client, database) -> None:  # type: ignore[no-untyped-def]
    maryam, sara, _admin, _auditor = _citizens_with_an_exchange_call(database)
    token = api_token(client, maryam, scopes=["read"])
    r = client.get("/api/v1/exchange/my-data-access", headers={**auth(token), "Accept-Language": "en"})
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 1
    row = page["items"][0]
    assert (row["agency_code"], row["what"], row["purpose"], row["source"]) == (
        "sso", "person-status", "pension-claim", "exchange")
    assert row["purpose_label"] == "Pension claim" and row["what_label"] == "Person status"
    assert row["agency_name"] == "Agency sso"
    assert "national_code" not in row and "hidden_reason" not in row
    # Sara sees her own row only, and cannot flag Maryam's
    sara_token = api_token(client, sara)
    theirs = client.get("/api/v1/exchange/my-data-access", headers=auth(sara_token)).json()
    assert [i["id"] for i in theirs["items"]] != [row["id"]] and theirs["total"] == 1
    r = client.post(f"/api/v1/exchange/my-data-access/{row['id']}/flag", json={"reason": "not me"},
                    headers=auth(sara_token))
    assert r.status_code == 404
    # Sara's page does not show Maryam's access either
    login(client, sara, "/account/data-access")
    html = client.get("/account/data-access").text
    assert "/account/data-access/{}/flag".format(row["id"]) not in html
    assert client.get(f"/account/data-access/{row['id']}/flag").status_code == 404
    # and the persons' log is for staff only
    assert client.get(f"/api/v1/exchange/persons/{maryam.person.national_code}/accesses",
                      headers=auth(sara_token)).status_code == 403


def test_data_access_page_is_persian_rtl_with_jalali_dates(client, database) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC))
    maryam, *_ = _citizens_with_an_exchange_call(database)
    login(client, maryam, "/account/data-access")
    html = client.get("/account/data-access").text
    assert '<html lang="fa" dir="rtl">' in html
    assert "۱ آذر ۱۴۰۵" in html and "مستمری" in html and "تبادل داده میان دستگاه‌ها" in html
    assert 'href="/account/data-access"' in html  # the nav entry
    en = client.get("/account/data-access?lang=en").text
    assert "22 November 2026" in en and "Pension claim" in en and "Agency sso" in en


def test_flagging_opens_a_case_for_the_data_protection_officer(client, database, db) -> None:  # type: ignore[no-untyped-def]
    maryam, _sara, admin, auditor = _citizens_with_an_exchange_call(database)
    access_id = db.scalar(select(PersonDataAccess.id).where(
        PersonDataAccess.national_code == maryam.person.national_code))
    login(client, maryam, "/account/data-access")
    form = client.get(f"/account/data-access/{access_id}/flag").text
    assert 'for="f-reason"' in form
    r = client.post(f"/account/data-access/{access_id}/flag", data={"csrf_token": csrf_of(form), "reason": "  "})
    assert r.status_code == 422 and 'id="f-reason-error"' in r.text and 'href="#f-reason"' in r.text
    r = client.post(f"/account/data-access/{access_id}/flag",
                    data={"csrf_token": csrf_of(form), "reason": "I never applied for a pension."},
                    follow_redirects=False)
    assert r.status_code == 303
    flag = db.scalar(select(AccessFlag))
    assert flag.status == "open" and flag.access_id == access_id
    assert db.scalar(select(EventRecord).where(EventRecord.name == "exchange.access_flagged")) is not None
    assert "در حال بررسی" in client.get("/account/data-access").text
    # the auditor sees the queue but cannot resolve
    auditor_token = api_token(client, auditor)
    queue = client.get("/api/v1/exchange/flags?status=open", headers=auth(auditor_token)).json()
    assert [f["id"] for f in queue["items"]] == [flag.id]
    assert client.post(f"/api/v1/exchange/flags/{flag.id}/resolve", json={"resolution": "ok"},
                       headers=auth(auditor_token)).status_code == 403
    # the platform admin (data-protection officer) resolves it on the page
    client.cookies.clear()
    login(client, admin, "/exchange/data-protection")
    page = client.get("/exchange/data-protection").text
    assert "I never applied for a pension." in page
    r = client.post(f"/exchange/data-protection/flags/{flag.id}/resolve",
                    data={"csrf_token": csrf_of(page), "resolution": "The pension office asked by mistake."},
                    follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    flag = db.scalar(select(AccessFlag))
    assert flag.status == "resolved" and flag.resolved_by == admin.id
    # the citizen sees the finding
    token = api_token(client, maryam, scopes=["read"])
    row = client.get("/api/v1/exchange/my-data-access", headers=auth(token)).json()["items"][0]
    assert row["flag_status"] == "resolved" and row["flag_resolution"] == "The pension office asked by mistake."


def test_hidden_access_is_not_shown_until_its_date(client, database, db) -> None:  # type: ignore[no-untyped-def]
    maryam, _sara, admin, auditor = _citizens_with_an_exchange_call(database)
    code = maryam.person.national_code
    with database.unit_of_work() as s:
        secret = privacy.record_access(s, code, None, "inta", "income-record", "tax-assessment")
        secret_id = secret.id
    admin_token = api_token(client, admin)
    until = clock.now() + dt.timedelta(days=30)
    citizen = api_token(client, maryam, scopes=["read"])
    assert client.post(f"/api/v1/exchange/accesses/{secret_id}/hide", json={"hidden_until": until.isoformat(),
                       "reason": "x"}, headers=auth(citizen)).status_code == 403
    r = client.post(f"/api/v1/exchange/accesses/{secret_id}/hide",
                    json={"hidden_until": until.isoformat(), "reason": "Investigation 12/1405"},
                    headers=auth(admin_token))
    assert r.status_code == 200, r.text
    past = client.post(f"/api/v1/exchange/accesses/{secret_id}/hide",
                       json={"hidden_until": "2020-01-01T00:00:00Z", "reason": "x"}, headers=auth(admin_token))
    assert past.status_code == 400 and past.json()["error"]["field"] == "hidden_until"
    ids = [i["id"] for i in client.get("/api/v1/exchange/my-data-access", headers=auth(citizen)).json()["items"]]
    assert secret_id not in ids and len(ids) == 1
    assert client.post(f"/api/v1/exchange/my-data-access/{secret_id}/flag", json={"reason": "?"},
                       headers=auth(api_token(client, maryam))).status_code == 404
    # the hiding is an event and auditors see it, with the reason
    hidden = db.scalar(select(EventRecord).where(EventRecord.name == "exchange.access_hidden"))
    assert hidden.payload["access_id"] == secret_id and hidden.actor_id == admin.id
    auditor_token = api_token(client, auditor)
    staff_view = client.get(f"/api/v1/exchange/persons/{code}/accesses", headers=auth(auditor_token)).json()
    row = next(i for i in staff_view["items"] if i["id"] == secret_id)
    assert row["hidden_reason"] == "Investigation 12/1405"
    # looking at a person's log is itself recorded in that person's log
    assert db.scalar(select(PersonDataAccess).where(PersonDataAccess.what == "exchange.access_log",
                                                    PersonDataAccess.actor_account_id == auditor.id))
    # once the date passes the citizen sees it
    clock.advance(dt.timedelta(days=31))
    citizen = api_token(client, maryam, scopes=["read"])
    ids = [i["id"] for i in client.get("/api/v1/exchange/my-data-access", headers=auth(citizen)).json()["items"]]
    assert secret_id in ids


def test_hide_form_on_the_data_protection_page(client, database, db) -> None:  # type: ignore[no-untyped-def]
    maryam, _sara, admin, _auditor = _citizens_with_an_exchange_call(database)
    code = maryam.person.national_code
    access_id = db.scalar(select(PersonDataAccess.id).where(PersonDataAccess.national_code == code))
    login(client, admin, "/exchange/data-protection")
    page = client.get(f"/exchange/data-protection?national_code={code}&lang=en").text
    assert f'action="/exchange/data-protection/accesses/{access_id}/hide"' in page
    bad = client.post(f"/exchange/data-protection/accesses/{access_id}/hide",
                      data={"csrf_token": csrf_of(page), "hidden_until": "soon", "reason": "r"})
    assert bad.status_code == 422 and "f-hidden_until" in bad.text
    until = (clock.today() + dt.timedelta(days=10)).isoformat()
    r = client.post(f"/exchange/data-protection/accesses/{access_id}/hide?lang=en",
                    data={"csrf_token": csrf_of(page), "hidden_until": until, "reason": "Case 7"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    db.expire_all()
    assert db.get(PersonDataAccess, access_id).hidden_reason == "Case 7"
    assert "Case 7" in client.get("/exchange/data-protection?lang=en").text
    assert client.get("/exchange/registry").status_code == 200


def test_modules_record_reads_by_publishing_an_event(database, db) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as s:
        official = create_account(s, username="off1", role=Role.OFFICIAL,
                                  organization=__import__("tests.factories").factories.create_agency(s, "sso-thr").code)
        person = official.person
        events.publish(s, privacy.ACCESS_EVENT, actor_id=official.id, person_id=person.id, agency_code="sso-thr",
                       what="insurance.contribution_record", purpose="medical-claim")
        events.publish(s, privacy.ACCESS_EVENT, actor_id=official.id, national_code=person.national_code,
                       agency_code="sso-thr", what="services.application", purpose="pension-claim")
    rows = list(db.scalars(select(PersonDataAccess).order_by(PersonDataAccess.id)))
    assert [(r.what, r.actor_account_id, r.source) for r in rows] == [
        ("insurance.contribution_record", official.id, "view"), ("services.application", official.id, "view")]


def test_staff_pages_are_refused_to_citizens(client, database) -> None:  # type: ignore[no-untyped-def]
    maryam, *_ = _citizens_with_an_exchange_call(database)
    login(client, maryam, "/account")
    for path in ("/exchange/registry", "/exchange/monitoring", "/exchange/data-protection"):
        assert client.get(path).status_code == 403, path


def test_flagging_someone_elses_or_an_unknown_access_is_a_404_page(client, database, db) -> None:  # type: ignore[no-untyped-def]
    """The refusal is drawn after the failed command rolled back: it must still show who is signed in."""
    maryam, sara, _admin, _auditor = _citizens_with_an_exchange_call(database)
    theirs = db.scalar(select(PersonDataAccess.id).where(
        PersonDataAccess.national_code == maryam.person.national_code))
    login(client, sara, "/account/data-access")
    token = csrf_of(client.get("/account/data-access").text)
    for access_id in (theirs, 2_000_000_000):
        r = client.post(f"/account/data-access/{access_id}/flag", data={"csrf_token": token, "reason": "not me"})
        assert r.status_code == 404 and sara.username in r.text
    assert db.scalar(select(AccessFlag)) is None
