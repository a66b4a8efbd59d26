"""The audit log viewer: who did what to which record and when, for auditors and platform admins.

It reads the event store through ``events.search`` (every change on the platform is an event);
personal data in an event (e-mail, phone, national code, IP, names) is masked, since an auditor
needs to know that a record changed and by whom, not whom it concerns. The CSV export is itself
an event, so reading the log in bulk leaves a trace.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, digits, events, files
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import permissions
from smartgov.identity.events import AUDIT_EXPORTED
from smartgov.identity.models import Account, Role
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import day_bounds
from smartgov.web.forms import field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.pagination import Pagination
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

register(NavItem("/audit", N_("Audit log"), roles=frozenset({Role.AUDITOR, Role.PLATFORM_ADMIN}), signed_in=True,
                 order=94))

#: Payload keys holding personal data; their values are shown masked.
PERSONAL_KEYS = frozenset({
    "email", "to", "phone", "mobile", "registry_mobile", "national_code", "ip", "name", "first_name_fa",
    "last_name_fa", "first_name_en", "last_name_en", "birth_date", "address", "postal_code", "user_agent",
    "username",
})
#: At most this many rows in one CSV export (narrow the filters for more).
EXPORT_LIMIT = 10_000
FILTERS = ("actor", "event", "record_key", "record_value", "since", "until")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,59}")
_EVENT = re.compile(r"[a-z0-9_.]{1,100}")


def mask(value: Any) -> str:
    """Enough of a value to tell two apart, not enough to read it: ``ma•••ir``."""
    text = str(value)
    if len(text) <= 4:
        return "•" * len(text)
    return text[:2] + "•••" + text[-2:]


def masked(data: Any, key: str = "") -> Any:
    """The payload with personal values masked and sealed secrets hidden, at any depth."""
    if key == "sealed":
        return "[sealed]"
    if isinstance(data, dict):
        return {k: masked(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [masked(v, key) for v in data]
    if key in PERSONAL_KEYS and data is not None:
        return mask(data)
    return data


@dataclass(frozen=True)
class Query:
    flt: events.EventFilter
    values: dict[str, str]


def read_filters(db: Session, params: dict[str, str]) -> Query:
    """The filters as typed (Jalali or ISO dates, any digits), checked: a 422 names each bad field."""
    values = {k: params.get(k, "").strip()[:100] for k in FILTERS}
    errors: list[DomainError] = []
    actor_id: int | None = None
    if values["actor"]:
        actor_id = db.scalar(select(Account.id).where(Account.username == values["actor"].lower()))
        if actor_id is None:
            errors.append(DomainError("unknown_account", N_("No account has this username."), field="actor"))
    if values["event"] and not _EVENT.fullmatch(values["event"]):
        errors.append(DomainError("invalid_event", N_("Event names are Latin lower-case letters, digits, dots and "
                                                      "underscores, for example identity."), field="event"))
    key = values["record_key"]
    if key and not _KEY.fullmatch(key):
        errors.append(DomainError("invalid_key", N_("A record field is a Latin lower-case name, for example "
                                                    "account_id."), field="record_key"))
    if bool(key) != bool(values["record_value"]):
        missing = "record_value" if key else "record_key"
        errors.append(DomainError("required", N_("This field is required."), field=missing))
    bounds = day_bounds(values, errors)
    if errors:
        raise ValidationFailed(errors)
    record_value = digits.to_latin_digits(values["record_value"]) if values["record_value"] else None
    return Query(events.EventFilter(actor_id=actor_id, name_prefix=values["event"] or None, record_key=key or None,
                                    record_value=record_value, since=bounds["since"], until=bounds["until"]), values)


def _actors(db: Session, found: list[events.Event]) -> dict[int, str]:
    ids = {e.actor_id for e in found if e.actor_id is not None}
    if not ids:
        return {}
    return dict(db.execute(select(Account.id, Account.username).where(Account.id.in_(ids))).tuples().all())


def _rows(db: Session, found: list[events.Event]) -> list[dict[str, Any]]:
    actors = _actors(db, found)
    return [{"id": e.id, "at": e.occurred_at, "name": e.name, "actor": actors.get(e.actor_id) if e.actor_id else None,
             "actor_id": e.actor_id, "data": masked(e.data)} for e in found]


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, principal: CurrentPrincipal, db: DbSession, params: Pagination) -> HTMLResponse:
    permissions.require(permissions.can_read_audit(principal))
    raw = dict(request.query_params)
    try:
        query = read_filters(db, raw)
    except DomainError as exc:
        values = {k: raw.get(k, "") for k in FILTERS}
        return render(request, "identity/audit.html", {"errors": field_errors(exc), "values": values, "rows": [],
                                                        "total": 0, "page": 1, "pages": 1, "query": ""},
                      status_code=422)
    found, total = events.search(db, query.flt, limit=params.per_page, offset=params.offset)
    kept = {k: v for k, v in query.values.items() if v}
    return render(request, "identity/audit.html", {
        "rows": _rows(db, found), "total": total, "page": params.page,
        "pages": max(1, math.ceil(total / params.per_page)), "values": query.values,
        "query": urlencode(kept), "per_page": params.per_page,
    })


@router.get("/audit.csv")
def audit_csv(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The filtered log as CSV (masked as on the page, at most ``EXPORT_LIMIT`` rows); the export is an event."""
    permissions.require(permissions.can_read_audit(principal))
    try:
        query = read_filters(db, dict(request.query_params))
    except DomainError as exc:
        return render(request, "identity/audit.html", {"errors": field_errors(exc), "rows": [], "total": 0,
                                                        "page": 1, "pages": 1, "query": "",
                                                        "values": {k: request.query_params.get(k, "")
                                                                   for k in FILTERS}}, status_code=422)
    found, total = events.search(db, query.flt, limit=EXPORT_LIMIT)
    rows = _rows(db, found)
    text = files.csv_text(
        ["id", "occurred_at", "event", "actor", "data"],
        ([r["id"], r["at"].isoformat(), r["name"], r["actor"] or "",
          json.dumps(r["data"], ensure_ascii=False, sort_keys=True)] for r in rows), bom=True)
    events.publish(db, AUDIT_EXPORTED, actor_id=principal.id, rows=len(rows), total=total,
                   filters={k: v for k, v in query.values.items() if v})
    db.commit()
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})
