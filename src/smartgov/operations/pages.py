"""The operations centre's pages (fa/en, RTL): the district map, the alert queue, the incident board
and the entities with their latest values; an entity's page with its chart over the last hour, day
or week (and the same numbers as a table); acknowledging and dispatching are plain forms. The
pages work without JavaScript; with it, ``/operations/events`` (server-sent events, ``live.py``)
updates them in place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from smartgov import clock
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_, get_language
from smartgov.identity import Role, require
from smartgov.web import charts as shared
from smartgov.web import csrf
from smartgov.web.deps import CurrentPrincipal, DbSession, current_principal, request_session
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

from . import alerts as alerting
from . import board, charts, live, mapdraw
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
        names = charts.numeric_attributes(e)
        rows.append({"entity": e, "spark": mapdraw.sparkline(board.sparkline(db, e.id, names[0])) if names else ""})
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


@router.get("/operations/entities/{entity_pk}", response_class=HTMLResponse)
def entity_page(request: Request, entity_pk: Id, principal: CurrentPrincipal, db: DbSession,
                attribute: Annotated[str | None, Query(max_length=128)] = None,
                period: Annotated[str, Query(alias="range", max_length=8)] = "day") -> HTMLResponse:
    """An entity's latest values and one measure over the last hour, day or week (chart and table)."""
    require(is_operator(principal))
    entity = board.entity(db, operated_orgs(db, principal), entity_pk)
    if period not in charts.RANGES:
        raise DomainError("bad_range", N_("Choose the last hour, day or week."), field="range")
    names = charts.numeric_attributes(entity)
    if attribute is not None and attribute not in names:
        raise NotFound("attribute", field="attribute")
    lang = get_language()
    series = charts.series(db, entity, attribute or names[0], period, lang, clock.now()) if names else None
    return render(request, "operations/entity.html", {
        "entity": entity, "attributes": names, "series": series,
        "ranges": [(k, charts.RANGE_LABELS[k]) for k in charts.RANGES],
        "range_label": charts.RANGE_LABELS[period], "period_label": charts.PERIOD_LABELS[period],
        "plotly_styles": shared.style_ids(), "to_json": shared.to_json, "time_label": shared.time_label,
        "value_text": charts.value_text})


#: Routes whose answer is a stream: ``app.py`` gives them no page dependency (its session would stay open
#: as long as the stream, holding the database's connection and its first transaction for minutes).
streams = APIRouter(include_in_schema=False)


@streams.get("/operations/events")
def events(request: Request) -> Response:
    """The operations pages' live stream (text/event-stream) for the caller's agencies only.

    Checked as the pages are, in a session closed before the stream starts (no dependency session,
    which would live as long as the response); the stream itself runs on the event loop (``live.stream``).
    """
    with request_session(request) as db:
        principal = current_principal(request, db)
        require(is_operator(principal))
        orgs = operated_orgs(db, principal)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(live.stream(request.app, orgs, get_language(), csrf.token_for(request)),
                             media_type="text/event-stream", headers=headers)
