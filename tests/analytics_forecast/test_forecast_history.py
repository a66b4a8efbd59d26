"""End to end: a generated history of submissions goes through the event store and the analytics
rollups, ``smartgov analytics forecast`` backtests on it and prints the MAPE it stores."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
from sqlalchemy import select
from typer.testing import CliRunner

from smartgov import clock, events
from smartgov.analytics import rollups
from smartgov.analytics.forecast import calendar, demand, service
from smartgov.analytics.forecast.models import DemandRun
from smartgov.cli import app as cli
from smartgov.db import Database
from smartgov.services.events import SUBMITTED

TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))
SERVICE = "svc.demand"


def generate_history(database: Database, weeks: int = 70, seed: int = 11) -> int:
    """Submissions on working days over ``weeks`` weeks ending last week: a slow rise, none on
    Fridays or holidays (the stored calendar), Poisson noise; published as the services module
    publishes them, at their instants, in one transaction."""
    rng = np.random.default_rng(seed)
    today = clock.today()
    first = calendar.week_start(today) - dt.timedelta(weeks=weeks)
    with database.unit_of_work() as db:
        year = service.jalali_year(today)
        service.seed_holidays(db, None, year - 2, year + 1)
        off = {h.day for h in service.holidays(db)}
        n = 0
        for k in range(weeks * 7):
            day = first + dt.timedelta(days=k)
            if day.weekday() == calendar.FRIDAY or day in off:
                continue
            for _ in range(rng.poisson(4 + k / 120)):
                n += 1
                when = dt.datetime.combine(day, dt.time(9 + n % 8), TEHRAN).astimezone(dt.UTC)
                events.publish_event(db, events.Event(SUBMITTED, {
                    "application_id": n, "reference": f"R-{n}", "service_id": SERVICE, "version": 1, "agency_id": 1,
                    "agency": "a", "applicant_id": 7, "state": "submitted", "branch_id": 1,
                    "submitted_at": when.isoformat(), "fee": 0, "relationship": "G2C", "organization_id": None,
                    "channel": "web"}, occurred_at=when))
    return n


def test_the_cli_backtests_the_generated_history_and_prints_the_mape(database, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov import settings as settings_module

    monkeypatch.setattr(settings_module, "_current", settings)
    submitted = generate_history(database)
    assert rollups.roll_pending(database) >= submitted
    with database.sessions() as db:
        history = service.weekly_history(db, SERVICE, clock.today())
    assert len(history) == 70 and history.sum() == submitted

    result = CliRunner().invoke(cli, ["analytics", "forecast", "--service", SERVICE])
    assert result.exit_code == 0, result.output
    print(result.output)  # the MAPE of each model, for the record (pytest -s)
    printed = re.search(r"MAPE (\d+\.\d) % \((\w+);", result.output)
    assert printed is not None
    for method in demand.METHODS:
        assert method in result.output
    with database.sessions() as db:
        run = db.scalar(select(DemandRun).where(DemandRun.service == SERVICE))
        assert run is not None and run.method == printed.group(2)
        assert f"{run.mape:.1f}" == printed.group(1)
        assert run.mape < 25  # weekly counts of ~25–35 with Poisson noise: a few points of error is the floor
        assert len(run.points) == 8
        nowruz = [p for p in run.points if p["holidays"] >= 3]
        for p in nowruz:  # a Nowruz week ahead is forecast well below an ordinary one
            assert p["mean"] < max(q["mean"] for q in run.points) * 0.75
    unknown = CliRunner().invoke(cli, ["analytics", "forecast", "--service", "svc.none"])
    assert unknown.exit_code == 1 and "history" in unknown.output.lower()


def test_backtests_on_the_demos_history_print_a_mape_for_every_service(database, settings, monkeypatch,  # type: ignore[no-untyped-def]
                                                                       capsys) -> None:
    """The analytics demo's two years of applications (its own loader, rolled up as live events are),
    then the forecasts' demo loader, then ``smartgov analytics forecast``: a MAPE for each service."""
    import random

    from smartgov import settings as settings_module
    from smartgov.analytics import demo as history_demo
    from smartgov.analytics.forecast import demo as forecast_demo
    from tests.factories import create_agency

    monkeypatch.setattr(settings_module, "_current", settings)
    with database.unit_of_work() as db:
        create_agency(db, "sso")
        for code, _share in history_demo.BRANCHES:
            create_agency(db, code, parent="sso")
    with database.unit_of_work() as db:
        history_demo.load(db, random.Random(1405), 0)
    with database.unit_of_work() as db:
        forecast_demo.load_demo(db, random.Random(1405), 0)
    with database.sessions() as db:
        stored = {r.service: r for r in service.latest_runs(db)}
    assert set(stored) == {code for code, _share in history_demo.SERVICES}

    result = CliRunner().invoke(cli, ["analytics", "forecast", "--no-store"])
    assert result.exit_code == 0, result.output
    printed: dict[str, float] = {}
    current = None
    for line in result.output.splitlines():
        if head := re.match(r"^(\S+): \d+ weeks of history", line):
            current = head.group(1)
        elif (mape := re.match(r"^  MAPE (\d+\.\d) %", line)) and current:
            printed[current] = float(mape.group(1))
    with capsys.disabled():
        print("\nbacktest MAPE on the demo's history:", printed)
    assert set(printed) == set(stored)
    for code, run in stored.items():
        assert printed[code] == round(run.mape, 1)  # the same history, the same seeded models: the same error
        assert run.history_weeks >= 100
    # the busiest service is forecast within 15 %; quiet ones sit near their Poisson noise floor
    assert printed["insurance-record"] < 15
