"""The public ledger page: latest signed tree head, its history, and a form to check an entry."""

from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.web.deps import DbSession, OptionalPrincipal
from smartgov.web.nav import NavItem, register
from smartgov.web.pagination import PageNumber
from smartgov.web.templating import render

from . import permissions, service

router = APIRouter(include_in_schema=False)

register(NavItem("/ledger", N_("Public ledger"), order=80))

PER_PAGE = 20


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request, db: DbSession, principal: OptionalPrincipal,
    q: str | None = Query(None, max_length=200), page: PageNumber = 1,
) -> HTMLResponse:
    """Anyone can see what the log committed to and check an entry or a receipt code against it."""
    latest = service.latest_head(db)
    history, total = service.head_history(db, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    ctx = {
        "latest": latest,
        "latest_ok": service.keyring(db).is_valid(latest) if latest else False,
        "history": history,
        "page": page,
        "pages": max(1, (total + PER_PAGE - 1) // PER_PAGE),
        "values": {"q": q or ""},
        "check": None,
        "data": None,
        "ms_to_datetime": lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.UTC),
    }
    status = 200
    if q:
        try:
            check = service.check_entry(db, q)
        except DomainError as exc:
            ctx["errors"] = {"q": exc.localized()}
            status = exc.status if exc.status in (404, 422) else 400
        else:
            ctx["check"] = check
            parsed = json.loads(bytes(check.entry.data))
            if permissions.can_read_entry_data(principal, parsed.get("actor_id")):
                ctx["data"] = json.dumps(parsed, ensure_ascii=False, indent=2, sort_keys=True)
    return render(request, "ledger/ledger.html", ctx, status_code=status)
