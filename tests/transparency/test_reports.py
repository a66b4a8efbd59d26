"""Quarterly performance reports: content from the rollups, suppression, revisions, Ed25519 signature,
PDFs, pages in Persian and English, the worker's schedule and the command line."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from smartgov import clock, events
from smartgov.analytics import rollups
from smartgov.errors import DomainError
from smartgov.transparency import reports
from smartgov.transparency.reports import service as report_service
from smartgov.transparency.reports.models import PerformanceReport
from tests.analytics.helpers import at, moved, submitted
from tests.factories import create_agency, csrf_of

Q = reports.Quarter(1405, 2)


def _history(db, database) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """sso: 30 cases this quarter decided in 1–3 days, 12 the quarter before; nocr: 2 cases (suppressed)."""
    ids = {code: create_agency(db, code).id for code in ("mcls", "sso", "nocr")}
    db.commit()
    n = 0
    for q, cases in ((Q, 30), (Q.previous, 12)):
        for i in range(cases):
            n += 1
            when = at(q.start + dt.timedelta(days=i * 2))
            submitted(database, n, when, agency=ids["sso"])
            moved(database, n, when, at(q.start + dt.timedelta(days=i * 2 + 1 + i % 3)), agency=ids["sso"])
    for i in range(2):
        n += 1
        submitted(database, n, at(Q.start + dt.timedelta(days=3 + i)), agency=ids["nocr"], service="svc.n")
    rollups.roll_pending(database)
    return ids


def test_quarters() -> None:
    q = reports.Quarter.parse("۱۴۰۵-q2")
    assert q == Q and str(q) == "1405-Q2" and q.start == dt.date(2026, 6, 22) and q.end == dt.date(2026, 9, 22)
    assert reports.Quarter(1404, 4).end == dt.date(2026, 3, 20) and Q.previous.next == Q
    with pytest.raises(DomainError) as bad:
        reports.Quarter.parse("1405-Q5")
    assert bad.value.field == "quarter" and bad.value.status == 422
    assert report_service.due(Q.end) == Q.previous and report_service.due(Q.end + dt.timedelta(days=1)) == Q


def test_report_says_targets_against_actuals_signed_and_revised_only_when_it_changes(db, database) -> None:  # type: ignore[no-untyped-def]
    _history(db, database)
    with database.unit_of_work() as s:
        made = reports.make_quarter(s, Q)
    assert [r.scope for r in made] == ["national", "nocr", "sso"]
    national = made[0]
    doc = national.record["document"]
    by = {k["code"]: k for k in doc["kpis"]}
    assert by["applications_received"]["value"] == 32 and by["applications_received"]["previous"]["value"] == 12
    assert by["applications_received"]["change"] == 20
    assert by["processing_days_p50"]["target"] == 5 and by["processing_days_p50"]["met"] is True
    assert doc["issuer"]["code"] == "mcls" and national.record["key_id"].startswith("mcls-")  # first top-level agency
    nocr = {k["code"]: k for k in made[1].record["document"]["kpis"]}["applications_received"]
    assert nocr["suppressed"] and nocr["value"] is None and nocr["count"] is None  # 2 cases < 5
    sso = {k["code"]: k for k in made[2].record["document"]["kpis"]}["applications_received"]
    assert sso["suppressed"]  # complementary: national − sso would give nocr's 2
    with database.unit_of_work() as s:
        assert all(reports.verify(s, r).valid for r in s.scalars(select(PerformanceReport)))
        again = reports.make_quarter(s, Q)
    assert [r.revision for r in again] == [1, 1, 1]  # nothing changed: no new revision
    n = 100
    for i in range(5):  # five late events in the quarter: a new revision, the old one still verifies
        n += 1
        submitted(database, n, at(Q.start + dt.timedelta(days=60 + i)), agency=made[2].agency_id)
    rollups.roll_pending(database)
    with database.unit_of_work() as s:
        third = reports.make(s, Q)
        assert third.revision == 2
        first = report_service.revisions(s, Q, "national")[0]
        assert reports.verify(s, first).valid and reports.verify(s, first, first.pdf_fa).valid
        assert not reports.verify(s, first, third.pdf_fa).valid
        first.record = {**first.record, "document": {**first.record["document"], "quarter": "1405-Q3"}}
        assert not reports.verify(s, first).valid  # a changed record no longer matches its signature
        s.rollback()


def test_pages_in_persian_and_english_with_pdfs_and_checks(client, db, database) -> None:  # type: ignore[no-untyped-def]
    _history(db, database)
    with database.unit_of_work() as s:
        reports.make_quarter(s, Q)
    listing = client.get("/transparency/reports", headers={"Accept-Language": "fa"})
    assert listing.status_code == 200 and "تابستان ۱۴۰۵" in listing.text
    page = client.get("/transparency/reports/1405-Q2/national", params={"lang": "fa"})
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert "درخواست‌های دریافت‌شده" in page.text and "۳۲" in page.text and "<svg" in page.text
    assert "کمتر از ۵" in client.get("/transparency/reports/1405-Q2/nocr", params={"lang": "fa"}).text
    english = client.get("/transparency/reports/1405-Q2/sso?lang=en")
    assert "Applications received" in english.text and "fewer than 5" in english.text
    for lang in ("fa", "en"):
        got = client.get(f"/transparency/reports/1405-Q2/national/report-{lang}.pdf")
        assert got.status_code == 200 and got.content.startswith(b"%PDF-")
        token = csrf_of(client.get("/transparency/reports/verify?lang=en").text)
        checked = client.post("/transparency/reports/verify?lang=en", files={"file": ("r.pdf", got.content)},
                              data={"csrf_token": token})
        assert checked.status_code == 200 and "The signature is valid and the report is unchanged" in checked.text
    changed = got.content.replace(b"smartgov", b"smartgoV", 1)
    refused = client.post("/transparency/reports/verify?lang=en", files={"file": ("r.pdf", changed)},
                          data={"csrf_token": token})
    assert refused.status_code == 200 and "Not genuine" in refused.text
    empty = client.post("/transparency/reports/verify", data={"csrf_token": token})
    assert empty.status_code == 422 and 'aria-describedby="f-file-error"' in empty.text
    record = client.get("/transparency/reports/1405-Q2/national/record.json").json()
    assert record["algorithm"] == "Ed25519" and record["document"]["quarter"] == "1405-Q2"
    assert client.get("/transparency/reports/1405-Q2/national/verify").status_code == 200
    assert client.get("/transparency/reports/1405-Q9/national").status_code == 422
    assert client.get("/transparency/reports/1405-Q3/national").status_code == 404
    assert client.get("/transparency/reports/1405-Q2/national/report-de.pdf").status_code == 404


def test_the_worker_makes_the_reports_the_day_after_the_quarter_and_the_command_line(db, database,
                                                                                     settings) -> None:  # type: ignore[no-untyped-def]
    _history(db, database)
    clock.freeze(at(Q.end + dt.timedelta(days=1)))
    try:
        assert report_service.periodic(database) == 3
        assert report_service.periodic(database) == 0  # made once
    finally:
        clock.freeze(None)
    with database.sessions() as s:
        issued = [e for e in events.since(s, 0, 10_000) if e.name == "transparency.report_issued"]
        assert [e.data["scope"] for e in issued] == ["national", "nocr", "sso"]
    from smartgov.cli import app

    result = CliRunner().invoke(app, ["transparency", "report", "--quarter", "1405-Q2", "--agency", "sso"])
    assert result.exit_code == 0, result.output
    assert "1405-Q2 sso: revision 1" in result.output
    bad = CliRunner().invoke(app, ["transparency", "report", "--quarter", "1405-Q7"])
    assert bad.exit_code == 2 and "1405-Q2" in bad.output
