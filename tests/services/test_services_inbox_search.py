"""Officials find things: the inbox searches by reference, name and national code (any digits), with
saved filters that are each official's own."""

from __future__ import annotations

from sqlalchemy import select

from smartgov.events import EventRecord
from smartgov.identity import Role
from smartgov.services import submit_application
from smartgov.services.events import INBOX_FILTER_SAVED
from smartgov.services.models import InboxFilter
from tests.factories import create_account, csrf_of, page_login
from tests.services.helpers import address_answers, arrange, principal, upload

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _cases(db, people):  # type: ignore[no-untyped-def]
    """Two citizens' address changes (home owners: registered at once, but searchable closed too)."""
    refs = {}
    people["karimi"] = create_account(db, "karimi", province="Tehran", first_name_fa="زهرا", last_name_fa="کریمی",
                                      first_name_en="Zahra", last_name_en="Karimi")
    for who in ("citizen", "other", "karimi"):
        account = people[who]
        result = submit_application(db, principal(account), "address-change", address_answers(account),
                                    {"proof_of_address": upload(db, account)})
        refs[who] = result.application.reference
    db.commit()
    return refs


def test_an_official_finds_a_case_by_national_code_in_any_digits_by_name_and_by_reference(client, db) -> None:  # type: ignore[no-untyped-def]
    people = arrange(db)
    refs = _cases(db, people)
    page_login(client, people["official"], "/services/inbox")
    code = people["citizen"].person.national_code
    for typed in (code, code.translate(FA_DIGITS), code.translate(AR_DIGITS)):
        html = client.get("/services/inbox", params={"q": typed}).text
        assert refs["citizen"] in html and refs["other"] not in html, typed
    html = client.get("/services/inbox", params={"q": refs["other"].lower()}).text
    assert refs["other"] in html and refs["citizen"] not in html
    html = client.get("/services/inbox", params={"q": "كريمي"}).text  # typed with Arabic letters
    assert refs["karimi"] in html and refs["citizen"] not in html


def test_a_saved_filter_is_the_officials_own(client, db) -> None:  # type: ignore[no-untyped-def]
    people = arrange(db)
    refs = _cases(db, people)
    page_login(client, people["official"], "/services/inbox")
    code = people["citizen"].person.national_code
    page = client.get("/services/inbox", params={"q": code}).text
    r = client.post("/services/inbox/filters", data={"q": code, "filter_name": "پروندهٔ مریم",
                                                     "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "پروندهٔ مریم" in page and refs["citizen"] in page
    saved = db.scalar(select(InboxFilter))
    assert saved.query == {"q": code} and saved.account_id == people["official"].id
    assert db.scalar(select(EventRecord.name).where(EventRecord.name == INBOX_FILTER_SAVED)) is not None
    # another official of the same branch neither sees nor deletes it
    other = create_account(db, "official3", Role.OFFICIAL, organization="sso-thr")
    db.commit()
    client.cookies.clear()
    page_login(client, other, "/services/inbox")
    page = client.get("/services/inbox").text
    assert "پروندهٔ مریم" not in page
    r = client.post(f"/services/inbox/filters/{saved.id}/delete", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 404
    assert db.scalar(select(InboxFilter.id)) == saved.id
