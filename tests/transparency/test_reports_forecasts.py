"""Reports: forecasts against actuals (hand-made events rolled up, stored demand runs; the numbers checked),
and the report's figures read through the read-only database URL (a replica)."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.engine import make_url

from smartgov import clock, events
from smartgov.analytics import forecast, rollups
from smartgov.analytics.forecast.models import DemandRun
from smartgov.db import Database, dispose_read_databases
from smartgov.services.events import SUBMITTED
from smartgov.settings import Settings
from smartgov.transparency import reports
from smartgov.transparency.reports import accuracy
from tests.analytics.helpers import at
from tests.factories import create_agency

Q = reports.Quarter(1405, 2)  # 2026-06-22 … 2026-09-22: whole weeks from Saturday 27 June to Friday 18 September
W = [dt.date(2026, 6, 27) + dt.timedelta(weeks=k) for k in range(12)]


def _submit(database: Database, agency: int, service: str, day: dt.date, n: int, first_id: int) -> None:
    """``n`` applications to ``service`` on ``day``, published in one transaction at 10:00 Tehran."""
    clock.freeze(at(day))
    try:
        with database.unit_of_work() as db:
            for case_id in range(first_id, first_id + n):
                events.publish(db, SUBMITTED, application_id=case_id, reference=f"R-{case_id}", service_id=service,
                               version=1, agency_id=agency, agency="sso", applicant_id=7, state="submitted",
                               branch_id=None, submitted_at=at(day).isoformat(), fee=0, relationship="G2C",
                               organization_id=None, channel="web")
    finally:
        clock.freeze(None)


def _run(db, made: dt.datetime, points: dict[dt.date, float], service: str = "svc.a") -> None:  # type: ignore[no-untyped-def]
    """A stored demand run as ``analytics.forecast`` keeps it (the interval: ± 2)."""
    db.add(DemandRun(service=service, made_at=made, method="ets_holiday", history_weeks=60, test_weeks=12,
                     horizon=len(points), mape=9.5, smape=9.0, wape=9.1, candidates=[], history=[],
                     points=[{"week": w.isoformat(), "mean": v, "lo80": v - 2, "hi80": v + 2, "lo95": v - 4,
                              "hi95": v + 4, "holidays": 0} for w, v in points.items()]))


def _arrange(db, database) -> int:  # type: ignore[no-untyped-def]
    """svc.a: 10, 8, 3 applications in the first three weeks; svc.b: 6 in the first and third; svc.c: 7 in
    the third (no forecast). svc.a's runs: one made before the quarter (12, 6, 99 for the first three
    weeks), one made in the second week (5, 2 for the third and fourth: it replaces the first for the third
    week only), one after the quarter; svc.b's: 5 and 6 for its two weeks."""
    sso = create_agency(db, "sso").id
    db.commit()
    _submit(database, sso, "svc.a", W[0] + dt.timedelta(days=1), 10, 1)
    _submit(database, sso, "svc.a", W[1] + dt.timedelta(days=2), 8, 100)
    _submit(database, sso, "svc.a", W[2], 3, 200)
    _submit(database, sso, "svc.b", W[0] + dt.timedelta(days=3), 6, 300)
    _submit(database, sso, "svc.b", W[2] + dt.timedelta(days=6), 6, 400)
    _submit(database, sso, "svc.c", W[2] + dt.timedelta(days=1), 7, 600)
    _submit(database, sso, "svc.a", Q.start, 4, 500)  # Monday before the first whole week: not compared
    rollups.roll_pending(database)
    _run(db, at(dt.date(2026, 6, 20)), {W[0]: 12.0, W[1]: 6.0, W[2]: 99.0})
    _run(db, at(W[1] + dt.timedelta(days=1)), {W[2]: 5.0, W[3]: 2.0})  # made after week 2 began
    _run(db, at(dt.date(2026, 9, 25)), {W[11] + dt.timedelta(weeks=1): 50.0})
    _run(db, at(dt.date(2026, 6, 19)), {W[0]: 5.0, W[2]: 6.0}, service="svc.b")
    db.commit()
    return sso


def test_forecast_for_reads_the_latest_run_made_before_each_week(db, database) -> None:  # type: ignore[no-untyped-def]
    _arrange(db, database)
    found = forecast.forecast_for(db, "svc.a", Q.start, Q.end)
    assert [(f.week, f.predicted, f.low, f.high) for f in found] == [
        (W[0], 12.0, 10.0, 14.0), (W[1], 6.0, 4.0, 8.0), (W[2], 5.0, 3.0, 7.0), (W[3], 2.0, 0.0, 4.0)]
    assert found[0].model == "ets_holiday" and found[2].made_at == at(W[1] + dt.timedelta(days=1))
    assert forecast.forecast_for(db, "svc.c", Q.start, Q.end) == []
    assert forecast.forecast_for(db, "svc.a", W[1] + dt.timedelta(days=1), W[2]) == [found[2]]  # weeks from Saturday


def test_the_report_sets_forecasts_against_actuals_with_suppression(client, db, database) -> None:  # type: ignore[no-untyped-def]
    _arrange(db, database)
    assert accuracy.full_weeks(Q) == (W[0], W[11] + dt.timedelta(days=6))
    with database.unit_of_work() as s:
        made = reports.make_quarter(s, Q)
    assert [r.scope for r in made] == ["national", "sso"]
    for row in made:
        section = row.record["document"]["forecasts"]
        a, b, c = section["services"]
        assert (a["service"], b["service"], c["service"]) == ("svc.a", "svc.b", "svc.c")
        weeks = a["weeks"]
        assert len(weeks) == 12 and [w["week"] for w in weeks] == [w.isoformat() for w in W]
        assert [(w["actual"], w["predicted"], w["ape"]) for w in weeks[:4]] == [
            (10.0, 12.0, 20.0), (8.0, 6.0, 25.0), (None, 5.0, None), (0.0, 2.0, None)]
        assert weeks[2]["suppressed"] and weeks[2]["low"] == 3.0 and weeks[2]["high"] == 7.0
        assert all(w["predicted"] is None for w in weeks[4:])
        assert (a["mape"], a["compared_weeks"], a["forecast_weeks"]) == (22.5, 2, 4)
        # svc.b's third week (6, the smaller part beside svc.c's 7) is hidden with svc.a's 3, and its error
        assert [(w["actual"], w["suppressed"], w["predicted"], w["ape"]) for w in b["weeks"][:3]] == [
            (6.0, False, 5.0, 16.67), (0.0, False, None, None), (None, True, 6.0, None)]
        assert (b["mape"], b["compared_weeks"], b["forecast_weeks"]) == (16.67, 1, 2)
        assert c["weeks"] == [] and c["mape"] is None and c["forecast_weeks"] == 0

    page = client.get("/transparency/reports/1405-Q2/national", params={"lang": "fa"})
    assert page.status_code == 200 and "پیش‌بینی در برابر واقعیت" in page.text
    assert "۲۲٫۵٪" in page.text and "۲۵٫۰٪" in page.text and "کمتر از ۵" in page.text
    assert "پیش از این هفته‌ها پیش‌بینی‌ای ذخیره نشده بود." in page.text and "<polyline" in page.text
    english = client.get("/transparency/reports/1405-Q2/sso", params={"lang": "en"}).text
    assert "MAPE this quarter: 22.5%" in english and "No forecast was stored before these weeks." in english
    assert "10.0 – 14.0" in english
    for lang, words in (("en", ["Forecasts against actuals", "MAPE this quarter: 22.5%", "10.0 – 14.0"]),
                        ("fa", ["پیش‌بینی در برابر واقعیت", "مقایسه در 2 هفته", "پیش از این هفته‌ها"])):
        data = client.get(f"/transparency/reports/1405-Q2/national/report-{lang}.pdf").content
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        if lang == "fa":  # Persian digits, extracted in drawing order: one-digit numbers compared
            text = text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٫", "0123456789."))
        assert all(w in text for w in words), (lang, [w for w in words if w not in text])


def test_reports_read_their_figures_from_the_read_database(db, database, settings: Settings,
                                                           tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if database.is_postgres:
        pytest.skip("a copy of the database file stands for the replica (SQLite)")
    sso = _arrange(db, database)
    replica = tmp_path / "replica.sqlite"
    with sqlite3.connect(make_url(database.url).database) as source, sqlite3.connect(replica) as copy:
        source.backup(copy)  # the replica, as of now: 44 applications
    _submit(database, sso, "svc.a", W[0] + dt.timedelta(days=2), 5, 900)  # only on the main database
    rollups.roll_pending(database)
    settings.read_database_url = f"sqlite:///{replica}"
    try:
        with database.unit_of_work() as s:
            national = reports.make(s, Q)
    finally:
        settings.read_database_url = None
        dispose_read_databases()
    received = {k["code"]: k for k in national.record["document"]["kpis"]}["applications_received"]
    assert received["value"] == 44  # the replica's, not the main database's 49
    assert national.record["document"]["forecasts"]["services"][0]["weeks"][0]["actual"] == 10.0
    with database.unit_of_work() as s:  # written through the main session; now read from the main database
        assert reports.latest(s, Q, "national").revision == 1
        again = reports.make(s, Q)
    received = {k["code"]: k for k in again.record["document"]["kpis"]}["applications_received"]
    assert again.revision == 2 and received["value"] == 49
