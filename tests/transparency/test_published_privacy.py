"""Issue #17: no published dataset (nor report) holds a national code, a name, or a count below the
suppression threshold — checked over every datastore row, every file, DCAT and the CKAN API."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from smartgov import clock
from smartgov.analytics import rollups
from smartgov.identity.models import Person
from smartgov.services import service
from smartgov.transparency import platform_data, reports
from tests.analytics.helpers import at, moved, submitted
from tests.services.helpers import address_answers, arrange, principal, upload

BELOW = 5
TODAY = dt.date(2026, 10, 1)  # 1405-07-09: the months published end with Shahrivar 1405 (Q2)
QUARTER = reports.Quarter(1405, 2)


def _arrange(db, database) -> list[Person]:  # type: ignore[no-untyped-def]
    """Three real applicants (names, national codes) through the engine: tiny cells; and many
    hand-made cases of two services so that some cells are published."""
    a = arrange(db)
    ids = {o.code: o.id for o in __import__("smartgov").identity.agencies(db)}
    day = QUARTER.start + dt.timedelta(days=40)
    clock.freeze(at(day))
    try:
        for who in ("citizen", "other", "citizen_isf"):
            service.submit_application(db, principal(a[who]), "address-change", address_answers(a[who]),
                                       {"proof_of_address": upload(db, a[who])})
        db.commit()
    finally:
        clock.freeze(None)
    n = 10_000
    for offset in range(0, 80, 2):  # 40 cases of svc.big (published), 2 of svc.tiny in one month (suppressed)
        n += 1
        when = at(QUARTER.start + dt.timedelta(days=offset))
        submitted(database, n, when, service="svc.big", agency=ids["sso"], branch=ids["sso-thr"])
        moved(database, n, when, at(QUARTER.start + dt.timedelta(days=offset + 3)), service="svc.big",
              agency=ids["sso"], branch=ids["sso-thr"])
    for k in range(2):
        n += 1
        submitted(database, n, at(QUARTER.start + dt.timedelta(days=5 + k)), service="svc.tiny", agency=ids["sso"])
    for k in range(3):  # another agency, 3 cases: its cell is suppressed, so is one more (complementary)
        n += 1
        submitted(database, n, at(QUARTER.start + dt.timedelta(days=50 + k)), service="svc.nocr", agency=ids["nocr"])
    rollups.roll_pending(database)
    return list(db.scalars(select(Person)))


def _scan(text: str, people: list[Person]) -> None:
    for p in people:
        for secret in (p.national_code, p.first_name_fa + " " + p.last_name_fa, p.last_name_en,
                       p.full_name("en")):
            assert secret not in text, f"published text holds {secret!r}"


def test_no_published_dataset_holds_a_national_code_a_name_or_a_small_cell(client, db, database,
                                                                           settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.suppress_below == BELOW
    people = _arrange(db, database)
    assert len(people) >= 3 and all(p.national_code for p in people)
    with database.unit_of_work() as s:
        made = reports.make_quarter(s, QUARTER)
        platform_data.publish_kpis(s, today=TODAY, count=6)
        platform_data.publish_reports(s)
    assert {r.scope for r in made} >= {"national", "sso"}

    listed = client.get("/api/3/action/current_package_list_with_resources", params={"limit": 1000}).json()
    assert listed["success"]
    packages = listed["result"]
    names = {p["name"] for p in packages}
    assert {"kpi-applications-received", "performance-reports", "performance-reports-sso"} <= names
    seen_rows = suppressed = published = 0
    for pkg in packages:
        shown = client.get("/api/3/action/package_show", params={"id": pkg["name"]})
        _scan(shown.text, people)
        for res in pkg["resources"]:
            if res["datastore_active"]:
                found = client.get("/api/3/action/datastore_search",
                                   params={"resource_id": res["id"], "limit": 1000}).json()["result"]
                _scan(json.dumps(found, ensure_ascii=False), people)
                for row in found["records"]:
                    seen_rows += 1
                    if "count" in row:
                        if row["suppressed"]:
                            suppressed += 1
                            assert row["count"] is None and row["value"] is None
                        else:
                            published += 1
                            assert row["count"] == 0 or row["count"] >= BELOW, row
                            if pkg["name"] in ("kpi-applications-received", "kpi-applications-decided"):
                                assert row["value"] == 0 or row["value"] >= BELOW, row
            url = res["url"].replace("http://testserver", "").replace(settings.base_url, "")
            body = client.get(url)
            assert body.status_code == 200, url
            _scan(body.content.decode("utf-8", "replace"), people)
            if url.endswith(".pdf"):
                record = reports.pdf.record_of(body.content)  # type: ignore[attr-defined]
                assert record is not None
                _scan(json.dumps(record, ensure_ascii=False), people)
                for k in record["document"]["kpis"]:
                    for cell in (k, k["previous"], *k["months"]):
                        assert cell["count"] is None or cell["count"] == 0 or cell["count"] >= BELOW
    assert seen_rows and suppressed and published
    for fmt in ("ttl", "jsonld", "xml"):
        _scan(client.get(f"/catalog.{fmt}").text, people)
    # the tiny service and the other agency's 3 cases are hidden; a second sso service cell went with svc.tiny
    rows = client.get("/api/3/action/datastore_search", params={
        "resource_id": next(p for p in packages if p["name"] == "kpi-applications-received")["resources"][0]["id"],
        "limit": 1000}).json()["result"]["records"]
    tiny = [r for r in rows if r["service"] == "svc.tiny"]
    assert tiny and all(r["suppressed"] for r in tiny)
    nocr = [r for r in rows if r["agency"] == "nocr" and r["level"] == "agency"]
    assert nocr and all(r["suppressed"] for r in nocr)
