"""Live indicators from the running platform, shown beside survey scores.

Each indicator has a definition and a *provider*: ``provider(db, scope) -> Reading | None``.
The defaults read the append-only event store (``smartgov.events.EventRecord``) that the
services module publishes to, so this module never touches another module's tables; a module
with a better source (analytics rollups, an uptime monitor) replaces a default with
:func:`register_provider`. ``None`` means "no data yet" and is shown as such, never as 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.events import EventRecord
from smartgov.i18n import N_, format_number, format_percent, gettext, localize_digits
from smartgov.services.events import DEFINITION_PUBLISHED, DEFINITION_RETIRED, RATED, TRANSITIONED

# The names these defaults read back from the event store, imported from their publisher.
events.reads(TRANSITIONED, RATED, DEFINITION_PUBLISHED, DEFINITION_RETIRED)
WITHDRAWN_ACTIONS = frozenset({"withdraw", "withdrawn", "cancel"})


@dataclass(frozen=True)
class Scope:
    """Which agencies (``None``: all) and which period the indicators cover."""

    org_ids: frozenset[int] | None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    total_services: int | None = None  # entered by the agency: all services, online or not
    operating_cost_rial: int | None = None  # entered by the agency for the period


@dataclass(frozen=True)
class Reading:
    value: float
    n: int
    source: str = "events"


Provider = Callable[[Session, Scope], Reading | None]


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str  # message id
    definition: str  # message id
    unit: str  # percent | hours | score5 | rial


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "digitization_rate",
        N_("Digitization rate"),
        N_("Services offered online ÷ all services of the agency (the study behind the SSO's digital governance "
          "model reports 40% for the SSO)."),
        "percent",
    ),
    Indicator(
        "processing_time_median",
        N_("Median processing time"),
        N_("Median time from submission to final decision of applications decided in the period."),
        "hours",
    ),
    Indicator(
        "processing_time_p90",
        N_("90th-percentile processing time"),
        N_("Nine in ten applications decided in the period took at most this long."),
        "hours",
    ),
    Indicator(
        "sla_compliance",
        N_("SLA compliance"),
        N_("Share of decided applications that met their service deadline."),
        "percent",
    ),
    Indicator(
        "automatic_decisions",
        N_("Automatic decisions"),
        N_("Share of final decisions taken automatically by the service rules."),
        "percent",
    ),
    Indicator(
        "satisfaction",
        N_("Satisfaction"),
        N_("Average rating that applicants gave to decided applications (1 to 5)."),
        "score5",
    ),
    Indicator(
        "cost_per_service",
        N_("Cost per service delivered"),
        N_("Operating cost of the period ÷ applications decided (T-Gov's outcome measure; lower is better)."),
        "rial",
    ),
    Indicator(
        "availability",
        N_("Availability"),
        N_("Share of the once-a-minute health probes the platform answered."),
        "percent",
    ),
)

_providers: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Use ``provider`` for indicator ``name`` (replaces the default)."""
    if name not in {i.key for i in INDICATORS}:
        raise KeyError(name)
    _providers[name] = provider


def _events(db: Session, names: Iterable[str], scope: Scope, *, period: bool = True) -> list[EventRecord]:
    stmt = select(EventRecord).where(EventRecord.name.in_(list(names))).order_by(EventRecord.id)
    if period and scope.since is not None:
        stmt = stmt.where(EventRecord.occurred_at >= scope.since)
    if period and scope.until is not None:
        stmt = stmt.where(EventRecord.occurred_at <= scope.until)
    rows = list(db.scalars(stmt))
    if scope.org_ids is None:
        return rows
    return [r for r in rows if r.payload.get("agency_id") in scope.org_ids]


def _decisions(db: Session, scope: Scope) -> list[EventRecord]:
    return [
        e
        for e in _events(db, [TRANSITIONED], scope)
        if e.payload.get("terminal") and str(e.payload.get("action", "")).lower() not in WITHDRAWN_ACTIONS
    ]


def _hours(e: EventRecord) -> float | None:
    submitted = e.payload.get("submitted_at")
    if not submitted:
        return None
    try:
        start = dt.datetime.fromisoformat(str(submitted))
    except ValueError:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    return (e.occurred_at - start).total_seconds() / 3600


def _processing(db: Session, scope: Scope, q: float) -> Reading | None:
    hours = [h for h in (_hours(e) for e in _decisions(db, scope)) if h is not None and h >= 0]
    if not hours:
        return None
    return Reading(float(np.percentile(hours, q)), len(hours))


def digitization_rate(db: Session, scope: Scope) -> Reading | None:
    if not scope.total_services:
        return None
    online: set[str] = set()
    for e in _events(db, [DEFINITION_PUBLISHED, DEFINITION_RETIRED], scope, period=False):
        sid = str(e.payload.get("service_id"))
        (online.add if e.name == DEFINITION_PUBLISHED else online.discard)(sid)
    if not online:
        return None
    return Reading(min(100.0, 100 * len(online) / scope.total_services), len(online))


def sla_compliance(db: Session, scope: Scope) -> Reading | None:
    met = []
    for e in _decisions(db, scope):
        p = e.payload
        if "sla_met" in p:
            met.append(bool(p["sla_met"]))
        elif "sla_breached" in p:
            met.append(not p["sla_breached"])
        elif p.get("due_at"):
            try:
                due = dt.datetime.fromisoformat(str(p["due_at"]))
            except ValueError:
                continue
            met.append(e.occurred_at <= (due if due.tzinfo else due.replace(tzinfo=dt.UTC)))
    return Reading(100 * sum(met) / len(met), len(met)) if met else None


def automatic_decisions(db: Session, scope: Scope) -> Reading | None:
    decided = _decisions(db, scope)
    if not decided:
        return None
    return Reading(100 * sum(bool(e.payload.get("automatic")) for e in decided) / len(decided), len(decided))


def satisfaction(db: Session, scope: Scope) -> Reading | None:
    scores = []
    for e in _events(db, [RATED], scope):
        value = e.payload.get("score", e.payload.get("rating"))
        if isinstance(value, int | float) and 1 <= value <= 5:
            scores.append(float(value))
    return Reading(float(np.mean(scores)), len(scores)) if scores else None


def cost_per_service(db: Session, scope: Scope) -> Reading | None:
    if scope.operating_cost_rial is None:
        return None
    decided = len(_decisions(db, scope))
    return Reading(scope.operating_cost_rial / decided, decided) if decided else None


def availability(db: Session, scope: Scope) -> Reading | None:
    """Share of the worker's once-a-minute health probes that the platform answered."""
    from smartgov import health

    found = health.availability(db, scope.since, scope.until)
    return Reading(found[0], found[1]) if found else None


_DEFAULTS: dict[str, Provider] = {
    "digitization_rate": digitization_rate,
    "processing_time_median": lambda db, s: _processing(db, s, 50),
    "processing_time_p90": lambda db, s: _processing(db, s, 90),
    "sla_compliance": sla_compliance,
    "automatic_decisions": automatic_decisions,
    "satisfaction": satisfaction,
    "cost_per_service": cost_per_service,
    "availability": availability,
}


def display(indicator: Indicator, reading: Reading | None, lang: str | None = None) -> str:
    if reading is None:
        return gettext(NO_DATA, lang)
    v = reading.value
    if indicator.unit == "percent":
        return format_percent(v, lang, places=1)
    if indicator.unit == "hours":
        return gettext(N_("{value} hours"), lang, value=format_number(v, lang, places=1))
    if indicator.unit == "score5":
        return f"{format_number(v, lang, places=2)} / {localize_digits('5', lang)}"
    return gettext(N_("{value} rial"), lang, value=format_number(round(v), lang))


NO_DATA = N_("no data yet")


def live_indicators(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Every indicator with its definition, value (``None``: no data yet) and sample size."""
    out = []
    for ind in INDICATORS:
        provider = _providers.get(ind.key) or _DEFAULTS[ind.key]
        reading = provider(db, scope)
        out.append(
            {
                "key": ind.key,
                "label": gettext(ind.label),
                "definition": gettext(ind.definition),
                "unit": ind.unit,
                "value": reading.value if reading else None,
                "display": display(ind, reading),
                "n": reading.n if reading else 0,
                "source": reading.source if reading else "-",
            }
        )
    return out
