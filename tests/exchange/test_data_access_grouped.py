"""Who read my data, grouped: repeated reads of one record by one official for one purpose are one
line with their count and first/last time, paginated, grouped in SQL; the home panel says the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from smartgov import clock
from smartgov.exchange import privacy
from smartgov.identity import Role
from tests.exchange.support import login, registry
from tests.factories import api_token, auth, create_account

API = "/api/v1/exchange/my-data-access/grouped"
START = dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC)  # 1 Azar 1405


def _people(database: Any) -> dict[str, Any]:
    with database.unit_of_work() as db:
        registry(db)
        people = {
            "maryam": create_account(db, username="maryam"),
            "sara": create_account(db, username="sara", first_name_en="Sara"),
            "reza": create_account(db, username="reza", role=Role.OFFICIAL, organization="sso"),
            "ali": create_account(db, username="ali", role=Role.OFFICIAL, organization="sso"),
        }
        for account in people.values():
            assert account.person.national_code  # loaded while the session is open
    return people


def _read(database: Any, who: Any, official: Any, what: str, purpose: str = "pension-claim",
          agency: str = "sso", times: int = 1, step: dt.timedelta = dt.timedelta(hours=1)) -> None:
    """``official`` reads ``what`` of ``who`` ``times`` times, ``step`` apart (the clock moves)."""
    for _ in range(times):
        with database.unit_of_work() as db:
            privacy.record_access(db, who.person.national_code, official.id if official else None, agency, what,
                                  purpose, what_fa=f"پروندهٔ {what}", what_en=f"File {what}")
        clock.advance(step)


def test_repeated_reads_by_one_official_of_one_record_are_one_line(client, database) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(START)
    p = _people(database)
    _read(database, p["maryam"], p["reza"], "case-1", times=5, step=dt.timedelta(days=1))  # 1..5 Azar
    _read(database, p["maryam"], p["ali"], "case-1")  # another official: a line of its own
    _read(database, p["maryam"], p["reza"], "case-2")  # another record
    _read(database, p["maryam"], p["reza"], "case-1", purpose="eligibility-check")  # another purpose
    token = api_token(client, p["maryam"], scopes=["read"])
    page = client.get(API, headers={**auth(token), "Accept-Language": "en"}).json()
    assert page["total"] == 4
    lines = [(i["what"], i["purpose"], i["reads"]) for i in page["items"]]
    # latest read first
    assert lines == [("case-1", "eligibility-check", 1), ("case-2", "pension-claim", 1),
                     ("case-1", "pension-claim", 1), ("case-1", "pension-claim", 5)]
    five = page["items"][3]
    assert dt.datetime.fromisoformat(five["first_at"]) == START
    assert dt.datetime.fromisoformat(five["last_at"]) == START + dt.timedelta(days=4)
    assert five["what_label"] == "File case-1" and five["agency_name"] == "Agency sso"
    # every read stays in the per-read log
    assert client.get("/api/v1/exchange/my-data-access", headers=auth(token)).json()["total"] == 8
    # the page in Persian: one line with the count in Persian digits and Jalali first/last dates
    login(client, p["maryam"], "/account/data-access")
    html = client.get("/account/data-access").text
    assert html.count("<tbody>") == 1 and html.split("<tbody>")[1].count("<tr>") == 4
    assert "۵ بار" in html and "نخستین بار" in html
    assert "۱ آذر ۱۴۰۵" in html and "۵ آذر ۱۴۰۵" in html
    en = client.get("/account/data-access?lang=en").text
    assert "5 times" in en and "22 November 2026" in en and "26 November 2026" in en


def test_one_person_never_sees_anothers_log(client, database) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(START)
    p = _people(database)
    _read(database, p["maryam"], p["reza"], "maryams-case", times=3)
    _read(database, p["sara"], p["reza"], "saras-case", times=2)
    maryam = api_token(client, p["maryam"], scopes=["read"])
    sara = api_token(client, p["sara"])
    mine = client.get(API, headers=auth(maryam)).json()
    theirs = client.get(API, headers=auth(sara)).json()
    assert [(i["what"], i["reads"]) for i in mine["items"]] == [("maryams-case", 3)]
    assert [(i["what"], i["reads"]) for i in theirs["items"]] == [("saras-case", 2)]
    # Sara cannot report Maryam's read, and her report of her own does not mark Maryam's line
    assert client.post(f"/api/v1/exchange/my-data-access/{mine['items'][0]['last_id']}/flag",
                       json={"reason": "not mine"}, headers=auth(sara)).status_code == 404
    assert client.post(f"/api/v1/exchange/my-data-access/{theirs['items'][0]['last_id']}/flag",
                       json={"reason": "why?"}, headers=auth(sara)).status_code == 201
    assert client.get(API, headers=auth(sara)).json()["items"][0]["flag_status"] == "open"
    assert client.get(API, headers=auth(maryam)).json()["items"][0]["flagged"] is False
    login(client, p["sara"], "/account/data-access")
    html = client.get("/account/data-access").text
    assert "saras-case" in html and "maryams-case" not in html
    assert f"/account/data-access/{mine['items'][0]['last_id']}/flag" not in html
    client.cookies.clear()
    assert client.get(API).status_code == 401


def test_a_hidden_read_joins_its_line_only_once_its_date_has_passed(client, database) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(START)
    p = _people(database)
    _read(database, p["maryam"], p["reza"], "case-1", times=2)
    with database.unit_of_work() as db:
        secret = privacy.record_access(db, p["maryam"].person.national_code, p["reza"].id, "sso", "case-1",
                                       "pension-claim")
        privacy.hide_access(db, secret.id, clock.now() + dt.timedelta(days=10), "Investigation", p["ali"].id)
        secret_id = secret.id
    token = api_token(client, p["maryam"], scopes=["read"])
    line = client.get(API, headers=auth(token)).json()["items"][0]
    assert line["reads"] == 2 and line["last_id"] != secret_id
    clock.advance(dt.timedelta(days=11))
    token = api_token(client, p["maryam"], scopes=["read"])
    line = client.get(API, headers=auth(token)).json()["items"][0]
    assert line["reads"] == 3 and line["last_id"] == secret_id


def test_reporting_the_line_reports_its_latest_read(client, database) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(START)
    p = _people(database)
    _read(database, p["maryam"], p["reza"], "case-1", times=3)
    token = api_token(client, p["maryam"])
    line = client.get(API, headers=auth(token)).json()["items"][0]
    r = client.post(f"/api/v1/exchange/my-data-access/{line['last_id']}/flag", json={"reason": "I did not apply."},
                    headers=auth(token))
    assert r.status_code == 201 and r.json()["access_id"] == line["last_id"]
    after = client.get(API, headers=auth(token)).json()["items"][0]
    assert after["flagged"] is True and after["flag_status"] == "open" and after["reads"] == 3
    login(client, p["maryam"], "/account/data-access")
    html = client.get("/account/data-access").text
    assert "در حال بررسی" in html and "گزارش این دسترسی" not in html


def test_the_page_is_paginated_by_lines_and_costs_the_same_queries_however_many_reads(client, database) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(START)
    p = _people(database)
    with database.unit_of_work() as db:
        for n in range(55):
            privacy.record_access(db, p["maryam"].person.national_code, p["reza"].id, "sso", f"case-{n:02}",
                                  "pension-claim")
            clock.advance(dt.timedelta(minutes=1))
    login(client, p["maryam"], "/account/data-access")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    def cost(path: str) -> tuple[int, str]:
        statements.clear()
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            r = client.get(path)
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        assert r.status_code == 200
        return len(statements), r.text

    cost("/account/data-access")  # the session's sliding expiry is written once
    before, first = cost("/account/data-access")
    assert first.split("<tbody>")[1].count("<tr>") == 50 and "case-54" in first and "case-04" not in first
    assert 'href="?page=2"' in first
    _n, second = cost("/account/data-access?page=2")
    assert second.split("<tbody>")[1].count("<tr>") == 5 and "case-04" in second
    # two hundred more reads of the same records add no line and no query
    with database.unit_of_work() as db:
        for n in range(200):
            privacy.record_access(db, p["maryam"].person.national_code, p["reza"].id, "sso", f"case-{n % 55:02}",
                                  "pension-claim")
    after, again = cost("/account/data-access")
    assert after == before
    assert again.split("<tbody>")[1].count("<tr>") == 50 and "۵ بار" in again
    assert any("GROUP BY" in s.upper() for s in statements)


def test_the_home_panel_shows_the_pages_first_lines(client, database) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(START)
    p = _people(database)
    _read(database, p["maryam"], p["reza"], "case-1", times=6)
    _read(database, p["maryam"], p["ali"], "case-1", times=2)
    login(client, p["maryam"], "/home")
    html = client.get("/home?lang=en").text
    panel = html.split('id="panel-data-access"')[1].split("</section>")[0]
    assert "(6 times)" in panel and "(2 times)" in panel
    assert panel.count("File case-1") == 2  # one line per official, as on the page
    assert "8" in panel  # reads in the last 30 days
    fa = client.get("/home?lang=fa").text.split('id="panel-data-access"')[1].split("</section>")[0]
    assert "(۶ بار)" in fa
