"""The operations centre's page (fa/en, RTL): the district map, the alert queue, the incident board
and the entities with their latest values; acknowledging and dispatching are plain forms."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov.errors import DomainError
from smartgov.i18n import N_, get_language
from smartgov.identity import Role, require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

from . import alerts as alerting
from . import board, mapdraw
from .permissions import can_change, is_operator, operated_orgs
from .rules import SEVERITIES

router = APIRouter(include_in_schema=False)
register(NavItem("/operations", N_("Operations centre"),
                 roles=frozenset({Role.OFFICIAL, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN})))


@router.get("/operations", response_class=HTMLResponse)
def centre(request: Request, principal: CurrentPrincipal, db: DbSession) -> HTMLResponse:
    require(is_operator(principal))
    orgs = operated_orgs(db, principal)
    queue = board.alerts(db, orgs)
    alarmed = {r.entity.id for r in queue}
    entities = board.entities(db, orgs)
    shapes, dots = mapdraw.draw(get_language(), [(e.entity_id, e.lon, e.lat, e.id in alarmed) for e in entities])
    rows = []
    for e in entities:
        values = [(name, a) for name, a in sorted(e.attrs.items())
                  if isinstance(a, dict) and a.get("type") == "Property" and isinstance(a.get("value"), int | float)]
        rows.append({"entity": e, "measures": values,
                     "spark": mapdraw.sparkline(board.sparkline(db, e.id, values[0][0])) if values else ""})
    return render(request, "operations/centre.html", {
        "counts": board.counts(db, orgs), "queue": queue, "incidents": board.incidents(db, orgs, limit=50),
        "rows": rows, "shapes": shapes, "dots": dots, "width": mapdraw.WIDTH, "height": mapdraw.HEIGHT,
        "severities": SEVERITIES, "done": request.query_params.get("done")})


@router.post("/operations/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: Id, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> Response:
    row = board.alert(db, operated_orgs(db, principal), alert_id)
    require(can_change(db, principal, row.organization_id))
    try:
        alerting.acknowledge(db, row, principal.id)
        db.commit()
    except DomainError:
        db.rollback()
    return RedirectResponse("/operations?done=acknowledged#alerts", status_code=303)


@router.post("/operations/incidents/{incident_id}/dispatch")
def dispatch(incident_id: Id, principal: CurrentPrincipal, db: DbSession, form: PostedForm) -> Response:
    row = board.incident(db, operated_orgs(db, principal), incident_id)
    require(can_change(db, principal, row.organization_id))
    alerting.dispatch(db, row, principal.id)
    db.commit()
    return RedirectResponse("/operations?done=dispatched#incidents", status_code=303)
