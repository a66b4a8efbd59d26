"""Demo history: two years of applications as events, counted by the rollup job like live ones.

Forecasts need history to backtest: about twenty applications a day to the Social Security
Organization's provincial branches, with a weekly rhythm (Thursday half, Friday a quarter), a
Nowruz dip (the first two weeks of Farvardin) and slow growth. Events are written with their
past instants (``SUBMITTED``, the decision's ``TRANSITIONED``, some ratings) and the rollups are
then brought up to date by ``rollups.roll``, the path every live event takes; nothing writes a
rollup number by hand. Only the event store is written: no outbox rows (nobody is notified
about the past) and no cases (the history is figures, not casework).
"""

from __future__ import annotations

import datetime as dt
import math
import random

import jdatetime
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from smartgov import clock, demo, events, identity
from smartgov.errors import NotFound
from smartgov.services.events import RATED, SUBMITTED, TRANSITIONED

from . import rollups

DAYS = 730
PER_DAY = 20.0
SERVICES = (("insurance-record", 0.4), ("medical-reimbursement", 0.25), ("pension-retirement", 0.1),
            ("employer-wage-report", 0.15), ("address-change", 0.1))
BRANCHES = (("sso-thr", 0.6), ("sso-isf", 0.25), ("sso-khr", 0.15))
WEEKDAY = {3: 0.5, 4: 0.25}  # Thursday, Friday (Monday is 0)
FIRST_CASE_ID = 1_000_000_000  # history's case ids, far from the demo's real cases


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def demand(day: dt.date, start: dt.date) -> float:
    """The expected applications on ``day``: weekly rhythm, Nowruz dip, 15 % growth a year."""
    level = PER_DAY * (1 + 0.15 * (day - start).days / 365) * WEEKDAY.get(day.weekday(), 1.0)
    jday = jdatetime.date.fromgregorian(date=day)
    if jday.month == 1 and jday.day <= 13:
        level *= 0.2 if jday.day <= 4 else 0.45
    return level


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def load(db: Session, rng: random.Random, _people: int) -> None:
    try:
        agency = identity.organization_by_code(db, "sso")
        branches = {code: identity.organization_by_code(db, code).id for code, _ in BRANCHES}
    except NotFound:
        return
    today = clock.local(clock.now()).date()
    start = today - dt.timedelta(days=DAYS)
    cutoff = clock.now() - dt.timedelta(days=DAYS // 2)
    if db.scalar(select(events.EventRecord.id).where(events.EventRecord.name == SUBMITTED,
                                                     events.EventRecord.occurred_at < cutoff).limit(1)):
        return  # loaded before
    rows: list[dict[str, object]] = []
    case_id = FIRST_CASE_ID
    now = clock.now()
    for offset in range(DAYS):
        day = start + dt.timedelta(days=offset)
        for _ in range(_poisson(rng, demand(day, start))):
            case_id += 1
            rows += _case(rng, case_id, day, agency.id, branches, now)
        if len(rows) >= 5000:
            db.execute(insert(events.EventRecord), rows)
            rows = []
    if rows:
        db.execute(insert(events.EventRecord), rows)
    while rollups.roll(db) == rollups.BATCH:
        pass


def _case(rng: random.Random, case_id: int, day: dt.date, agency_id: int, branches: dict[str, int],
          now: dt.datetime) -> list[dict[str, object]]:
    submitted_at = clock.day_start(day) + dt.timedelta(hours=8, seconds=rng.randrange(10 * 3600))
    service, branch = _pick(rng, SERVICES), branches[_pick(rng, BRANCHES)]
    common = {"application_id": case_id, "reference": f"H-{case_id}", "service_id": service, "version": 1,
              "agency_id": agency_id, "agency": "sso", "applicant_id": None, "state": "submitted",
              "branch_id": branch, "submitted_at": submitted_at.isoformat()}
    online = 0.55 + 0.25 * max(0.0, 1 - (now - submitted_at).days / DAYS)  # the digital share grows
    channel = rng.choices(["web", "api", "branch"], [online * 0.75, online * 0.25, 1 - online])[0]
    found = [events.Event(SUBMITTED, {**common, "fee": 0, "relationship": "G2C", "organization_id": None,
                                      "channel": channel}, None, submitted_at)]
    days = rng.lognormvariate(math.log(4), 0.8)
    decided_at = submitted_at + dt.timedelta(days=days)
    if decided_at < now:
        withdrawn = rng.random() < 0.05
        action, state = ("withdraw", "withdrawn") if withdrawn else \
            (("approve", "approved") if rng.random() < 0.85 else ("reject", "rejected"))
        returned = not withdrawn and rng.random() < 0.12
        data = {**common, "state": state, "from_state": "in_review", "to_state": state, "action": action,
                "automatic": False, "terminal": True, "reason": None, "fee": 0, "awaits_applicant": False,
                "waited_seconds": 0}
        if not withdrawn:
            data.update(due_at=(submitted_at + dt.timedelta(days=15)).isoformat(), sla_met=days <= 15)
        if returned:
            back = submitted_at + dt.timedelta(days=days / 2)
            found.append(events.Event(TRANSITIONED, {**data, "state": "awaiting_applicant", "terminal": False,
                                                     "to_state": "awaiting_applicant",
                                                     "action": "request_information", "awaits_applicant": True,
                                                     "sla_met": None}, None, back))
        found.append(events.Event(TRANSITIONED, data, None, decided_at))
        if not withdrawn and rng.random() < 0.3 and decided_at + dt.timedelta(days=1) < now:
            found.append(events.Event(RATED, {"application_id": case_id, "service_id": service,
                                              "agency_id": agency_id, "score": rng.choice([3, 4, 4, 5, 5, 2])},
                                      None, decided_at + dt.timedelta(days=1)))
    return [events.rows(evt)[0] for evt in sorted(found, key=lambda e: e.occurred_at)]


demo.register("analytics", load, order=90)
