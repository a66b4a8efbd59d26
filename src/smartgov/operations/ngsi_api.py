"""The NGSI-LD API (``/ngsi-ld/v1/``): entities, attributes, batch operations, subscriptions, temporal entities.

Callers are operations staff with a bearer token (or a browser session); ``NGSILD-Tenant``
names the agency (its code) when the caller operates more than one. Every refusal is an NGSI-LD
problem detail (``NgsiRoute``). Bodies are ``application/json`` (the @context, if any, in a
``Link`` header) or ``application/ld+json`` (the @context in the body); answers follow ``Accept``.
Kept out of the platform's OpenAPI document: NGSI-LD has its own (ETSI's), and its error shape differs.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from smartgov import clock, identity
from smartgov.errors import DomainError
from smartgov.identity import Principal
from smartgov.web.deps import CurrentPrincipal, DbSession

from . import context, subscriptions, temporal
from .ngsi import CORE_CONTEXT, LINK_HEADER, NgsiError, bad, check_entity, check_fragment, render_entity
from .permissions import can_change, is_operator, operated_orgs
from .query import parse_geo

_ERRORS = {401: "Unauthorized", 403: "Forbidden", 404: "ResourceNotFound", 409: "AlreadyExists"}


class NgsiRoute(APIRoute):
    """Every failure of an NGSI-LD route answered as problem details, never the platform's envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except NgsiError as exc:
                return problem(exc)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ()))
                return problem(NgsiError("BadRequestData", f"{where}: {first.get('msg', 'invalid')}"))
            except DomainError as exc:
                return problem(NgsiError(_ERRORS.get(exc.status, "BadRequestData"), exc.localized("en")))
            except HTTPException as exc:  # the framework's own refusals (a body that is not JSON, …)
                if exc.status_code >= 500:
                    raise
                return problem(NgsiError(_ERRORS.get(exc.status_code, "BadRequestData"), str(exc.detail)))
        return run


def problem(exc: NgsiError) -> JSONResponse:
    return JSONResponse(exc.problem(), status_code=exc.status, media_type="application/json")


router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"], route_class=NgsiRoute, include_in_schema=False)
Tenant = Annotated[str | None, Header(alias="NGSILD-Tenant", max_length=64)]


def _orgs(db: Session, principal: Principal, tenant: str | None) -> set[int] | None:
    if not is_operator(principal):
        raise NgsiError("Forbidden", "only operations staff use the context broker")
    orgs = operated_orgs(db, principal)
    if tenant is None:
        return orgs
    try:
        org = identity.organization_by_code(db, tenant)
    except DomainError:
        raise NgsiError("NonexistentTenant", f"no tenant {tenant}") from None
    if orgs is not None and org.id not in orgs:
        raise NgsiError("NonexistentTenant", f"no tenant {tenant}")
    return identity.agency_subtree(db, org.id)


def _home(db: Session, principal: Principal, tenant: str | None) -> int:
    """The agency new entities belong to: the tenant's, or the caller's only one."""
    if tenant is not None:
        orgs = _orgs(db, principal, tenant)
        org_id = identity.organization_by_code(db, tenant).id
        assert orgs is not None
    else:
        mine = principal.org_ids(identity.Role.OFFICIAL, identity.Role.AGENCY_ADMIN)
        if len(mine) != 1:
            raise bad("say which agency with the NGSILD-Tenant header (its code)")
        org_id = next(iter(mine))
    if not can_change(db, principal, org_id):
        raise NgsiError("Forbidden", "this token may not change the context")
    return org_id


def _checked(request: Request, body: Any) -> Any:
    """The body as the spec wants it: JSON, with the @context where its media type says."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/json", "application/ld+json", "application/merge-patch+json"):
        raise NgsiError("InvalidRequest", "send application/json or application/ld+json")
    items = body if isinstance(body, list) else [body]
    for item in items:
        if isinstance(item, dict):
            if kind == "application/ld+json" and "@context" not in item:
                raise bad("an application/ld+json body carries its @context")
            if kind == "application/json" and "@context" in item:
                raise bad("an application/json body has no @context: send it in a Link header")
    return body


JsonBody = Annotated[Any, Body()]


def _answer(request: Request, payload: Any, status: int = 200) -> Response:
    ld = "application/ld+json" in request.headers.get("accept", "")
    if ld:
        return JSONResponse(payload, status_code=status, media_type="application/ld+json")
    return JSONResponse(payload, status_code=status, headers={"Link": LINK_HEADER})


def _attrs(attrs: str | None) -> list[str] | None:
    return [a for a in attrs.split(",") if a] if attrs else None


def _ld(request: Request) -> bool:
    return "application/ld+json" in request.headers.get("accept", "")


@router.get("/jsonldContexts/ngsi-ld-core-context")
def core_context() -> JSONResponse:
    """The core @context as this broker embeds it (never fetched)."""
    return JSONResponse(CORE_CONTEXT, media_type="application/ld+json")


@router.post("/entities", status_code=201)
@router.post("/entities/", status_code=201)  # clients (ngsildclient) post to the collection with a slash
def create_entity(request: Request, body: JsonBody, db: DbSession, principal: CurrentPrincipal,
                  tenant: Tenant = None) -> Response:
    """Create an entity (201 with its Location; 409 AlreadyExists)."""
    body = _checked(request, body)
    org_id = _home(db, principal, tenant)
    row = context.create(db, org_id, check_entity(body), principal.id)
    db.commit()
    return Response(status_code=201, headers={"Location": f"/ngsi-ld/v1/entities/{row.entity_id}"})


@router.get("/entities")
def query_entities(request: Request, db: DbSession, principal: CurrentPrincipal, tenant: Tenant = None,
                   type: Annotated[str | None, Query(max_length=1000)] = None,
                   id: Annotated[str | None, Query(max_length=10000)] = None,
                   idPattern: Annotated[str | None, Query(max_length=256)] = None,
                   q: Annotated[str | None, Query(max_length=1000)] = None,
                   attrs: Annotated[str | None, Query(max_length=2000)] = None,
                   georel: Annotated[str | None, Query(max_length=100)] = None,
                   geometry: Annotated[str | None, Query(max_length=20)] = None,
                   coordinates: Annotated[str | None, Query(max_length=20000)] = None,
                   geoproperty: Annotated[str | None, Query(max_length=128)] = None,
                   limit: Annotated[int, Query(ge=0, le=1000)] = 20,
                   offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
                   count: bool = False, options: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """Query entities by type, id, idPattern, q, attrs and geo-query, with limit/offset and count."""
    orgs = _orgs(db, principal, tenant)
    geo = parse_geo(georel, geometry, coordinates, geoproperty)
    pick = _attrs(attrs)
    rows, total = context.query(db, orgs, types=_attrs(type), ids=_attrs(id), id_pattern=idPattern, q=q, geo=geo,
                                attrs=pick, limit=limit, offset=offset)
    opts = set((options or "").split(","))
    body = [render_entity(r.entity_id, r.type, r.attrs, pick=set(pick) if pick else None, ld=_ld(request),
                          key_values="keyValues" in opts,
                          sys_attrs=(r.created_at, r.modified_at) if "sysAttrs" in opts else None) for r in rows]
    response = _answer(request, body)
    if count:
        response.headers["NGSILD-Results-Count"] = str(total)
    return response


@router.get("/entities/{entity_id:path}")
def retrieve_entity(request: Request, entity_id: str, db: DbSession, principal: CurrentPrincipal,
                    tenant: Tenant = None, attrs: Annotated[str | None, Query(max_length=2000)] = None,
                    options: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """One entity (404 ResourceNotFound)."""
    row = context.find(db, _orgs(db, principal, tenant), entity_id)
    pick = _attrs(attrs)
    opts = set((options or "").split(","))
    return _answer(request, render_entity(row.entity_id, row.type, row.attrs, pick=set(pick) if pick else None,
                                          ld=_ld(request), key_values="keyValues" in opts,
                                          sys_attrs=(row.created_at, row.modified_at) if "sysAttrs" in opts else None))


def _writable(db: Session, principal: Principal, tenant: str | None, entity_id: str) -> Any:
    row = context.find(db, _orgs(db, principal, tenant), entity_id)
    if not can_change(db, principal, row.organization_id):
        raise NgsiError("Forbidden", "this token may not change the context")
    return row


def _partial(names: list[str], reason: str) -> Response:
    if not names:
        return Response(status_code=204)
    return JSONResponse({"updated": [], "notUpdated": [{"attributeName": n, "reason": reason} for n in names]},
                        status_code=207)


@router.post("/entities/{entity_id:path}/attrs")
def append_attrs(request: Request, body: JsonBody, entity_id: str, db: DbSession, principal: CurrentPrincipal,
                       tenant: Tenant = None, options: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """Append attributes (``options=noOverwrite`` keeps existing ones: 207 names them)."""
    body = _checked(request, body)
    row = _writable(db, principal, tenant, entity_id)
    kept = context.append(db, row, check_fragment(body), principal.id,
                          overwrite="noOverwrite" not in (options or ""))
    db.commit()
    return _partial(kept, "attribute exists and noOverwrite was asked")


@router.patch("/entities/{entity_id:path}/attrs/{attr}")
def patch_attr(request: Request, body: JsonBody, entity_id: str, attr: str, db: DbSession, principal: CurrentPrincipal,
                     tenant: Tenant = None) -> Response:
    """Partial update of one attribute (204; 404 if the entity or attribute is not there)."""
    body = _checked(request, body)
    row = _writable(db, principal, tenant, entity_id)
    context.patch_attribute(db, row, attr, body, principal.id)
    db.commit()
    return Response(status_code=204)


@router.patch("/entities/{entity_id:path}/attrs")
def update_attrs(request: Request, body: JsonBody, entity_id: str, db: DbSession, principal: CurrentPrincipal,
                       tenant: Tenant = None) -> Response:
    """Update existing attributes (204; 207 names those the entity does not have)."""
    body = _checked(request, body)
    row = _writable(db, principal, tenant, entity_id)
    missing = context.update(db, row, check_fragment(body), principal.id)
    db.commit()
    return _partial(missing, "attribute does not exist")


@router.delete("/entities/{entity_id:path}/attrs/{attr}", status_code=204)
def delete_attr(entity_id: str, attr: str, db: DbSession, principal: CurrentPrincipal,
                tenant: Tenant = None) -> Response:
    """Delete one attribute (204; 404 if absent)."""
    row = _writable(db, principal, tenant, entity_id)
    context.delete_attribute(db, row, attr, principal.id)
    db.commit()
    return Response(status_code=204)


@router.delete("/entities/{entity_id:path}", status_code=204)
def delete_entity(entity_id: str, db: DbSession, principal: CurrentPrincipal, tenant: Tenant = None) -> Response:
    """Delete an entity (204; 404 if absent)."""
    context.delete(db, _writable(db, principal, tenant, entity_id), principal.id)
    db.commit()
    return Response(status_code=204)


@router.post("/entityOperations/{operation}")
def batch(request: Request, operation: str, body: JsonBody, db: DbSession, principal: CurrentPrincipal,
                tenant: Tenant = None) -> Response:
    """Batch create, upsert, update or delete; 207 lists what succeeded and each failure's problem."""
    if operation not in ("create", "upsert", "update", "delete"):
        raise NgsiError("ResourceNotFound", f"no batch operation {operation[:20]}")
    body = _checked(request, body)
    if not isinstance(body, list) or not 0 < len(body) <= 1000:
        raise bad("a batch is a JSON array of 1 to 1000 entities (ids for delete)")
    return _batch(db, principal, tenant, operation, body)


def _batch(db: Session, principal: Principal, tenant: str | None, operation: str, body: list[Any]) -> Response:
    orgs = _orgs(db, principal, tenant)
    home: int | None = None
    done: list[str] = []
    errors: list[dict[str, Any]] = []
    for item in body:
        item_id = item if operation == "delete" else (item.get("id") if isinstance(item, dict) else None)
        try:
            with db.begin_nested():
                if operation == "delete":
                    if not isinstance(item, str):
                        raise bad("delete takes a list of entity ids")
                    context.delete(db, _writable(db, principal, tenant, item), principal.id)
                elif operation == "update":
                    entity = check_entity(item, need_type=False)
                    context.update(db, _writable(db, principal, tenant, entity.id), entity.attrs, principal.id)
                else:
                    entity = check_entity(item, need_type=operation == "create")
                    existing = None
                    if operation == "upsert":
                        try:
                            existing = context.find(db, orgs, entity.id)
                        except NgsiError:
                            existing = None
                    if existing is not None:
                        if not can_change(db, principal, existing.organization_id):
                            raise NgsiError("Forbidden", "this token may not change the context")
                        context.append(db, existing, entity.attrs, principal.id)
                    else:
                        if not entity.type:
                            raise bad("an entity needs exactly one 'type', a string")
                        home = home if home is not None else _home(db, principal, tenant)
                        context.create(db, home, entity, principal.id)
            done.append(str(item_id))
        except NgsiError as exc:
            errors.append({"entityId": str(item_id)[:256] if item_id is not None else None, "error": exc.problem()})
    db.commit()
    if not errors:
        if operation == "create":
            return JSONResponse(done, status_code=201)
        return Response(status_code=204)
    return JSONResponse({"success": done, "errors": errors}, status_code=207)


@router.get("/temporal/entities")
def temporal_query(request: Request, db: DbSession, principal: CurrentPrincipal, tenant: Tenant = None,
                   type: Annotated[str | None, Query(max_length=1000)] = None,
                   id: Annotated[str | None, Query(max_length=10000)] = None,
                   idPattern: Annotated[str | None, Query(max_length=256)] = None,
                   q: Annotated[str | None, Query(max_length=1000)] = None,
                   attrs: Annotated[str | None, Query(max_length=2000)] = None,
                   timerel: Annotated[str | None, Query(max_length=10)] = None,
                   timeAt: Annotated[str | None, Query(max_length=40)] = None,
                   endTimeAt: Annotated[str | None, Query(max_length=40)] = None,
                   lastN: Annotated[int | None, Query(ge=1, le=10000)] = None,
                   options: Annotated[str | None, Query(max_length=100)] = None,
                   aggrMethods: Annotated[str | None, Query(max_length=100)] = None,
                   aggrPeriodDuration: Annotated[str | None, Query(max_length=30)] = None,
                   limit: Annotated[int, Query(ge=0, le=100)] = 20,
                   offset: Annotated[int, Query(ge=0, le=10**6)] = 0, count: bool = False) -> Response:
    """Entities with their attributes' history in a window, as instances or aggregated per period."""
    orgs = _orgs(db, principal, tenant)
    window = temporal.window(timerel, timeAt, endTimeAt, lastN)
    rows, total = context.query(db, orgs, types=_attrs(type), ids=_attrs(id), id_pattern=idPattern, q=q,
                                limit=limit, offset=offset)
    body = [_temporal(db, r, _attrs(attrs), window, options, aggrMethods, aggrPeriodDuration, _ld(request))
            for r in rows]
    response = _answer(request, body)
    if count:
        response.headers["NGSILD-Results-Count"] = str(total)
    return response


@router.get("/temporal/entities/{entity_id:path}")
def temporal_entity(request: Request, entity_id: str, db: DbSession, principal: CurrentPrincipal,
                    tenant: Tenant = None, attrs: Annotated[str | None, Query(max_length=2000)] = None,
                    timerel: Annotated[str | None, Query(max_length=10)] = None,
                    timeAt: Annotated[str | None, Query(max_length=40)] = None,
                    endTimeAt: Annotated[str | None, Query(max_length=40)] = None,
                    lastN: Annotated[int | None, Query(ge=1, le=10000)] = None,
                    options: Annotated[str | None, Query(max_length=100)] = None,
                    aggrMethods: Annotated[str | None, Query(max_length=100)] = None,
                    aggrPeriodDuration: Annotated[str | None, Query(max_length=30)] = None,
                    ) -> Response:
    """One entity's history (404 ResourceNotFound)."""
    row = context.find(db, _orgs(db, principal, tenant), entity_id)
    window = temporal.window(timerel, timeAt, endTimeAt, lastN)
    return _answer(request, _temporal(db, row, _attrs(attrs), window, options, aggrMethods, aggrPeriodDuration,
                                      _ld(request)))


def _temporal(db: Session, row: Any, attrs: list[str] | None, window: temporal.Window, options: str | None,
              methods: str | None, period: str | None, ld: bool) -> dict[str, Any]:
    out = render_entity(row.entity_id, row.type, {}, ld=ld)
    if "aggregatedValues" in (options or ""):
        out.update(temporal.aggregated(db, row, attrs, window, _attrs(methods) or [],
                                       temporal.period_seconds(period)))
    else:
        out.update(temporal.instances(db, row, attrs, window))
    return out


@router.post("/subscriptions", status_code=201)
@router.post("/subscriptions/", status_code=201)
def create_subscription(request: Request, body: JsonBody, db: DbSession, principal: CurrentPrincipal,
                        tenant: Tenant = None) -> Response:
    """Create a subscription (201 with its Location; 409 AlreadyExists)."""
    body = _checked(request, body)
    row = subscriptions.create(db, _home(db, principal, tenant), body, principal.id)
    db.commit()
    return Response(status_code=201, headers={"Location": f"/ngsi-ld/v1/subscriptions/{row.subscription_id}"})


@router.get("/subscriptions")
def list_subscriptions(request: Request, db: DbSession, principal: CurrentPrincipal, tenant: Tenant = None,
                       limit: Annotated[int, Query(ge=0, le=1000)] = 20,
                       offset: Annotated[int, Query(ge=0, le=10**6)] = 0, count: bool = False) -> Response:
    """The subscriptions of the agencies you operate."""
    rows, total = subscriptions.listing(db, _orgs(db, principal, tenant), limit=limit, offset=offset)
    now = clock.now()
    response = _answer(request, [subscriptions.render(r, ld=_ld(request), now=now) for r in rows])
    if count:
        response.headers["NGSILD-Results-Count"] = str(total)
    return response


@router.get("/subscriptions/{subscription_id:path}")
def retrieve_subscription(request: Request, subscription_id: str, db: DbSession, principal: CurrentPrincipal,
                          tenant: Tenant = None) -> Response:
    """One subscription (404 ResourceNotFound)."""
    row = subscriptions.find(db, _orgs(db, principal, tenant), subscription_id)
    return _answer(request, subscriptions.render(row, ld=_ld(request), now=clock.now()))


def _own_subscription(db: Session, principal: Principal, tenant: str | None, subscription_id: str) -> Any:
    row = subscriptions.find(db, _orgs(db, principal, tenant), subscription_id)
    if not can_change(db, principal, row.organization_id):
        raise NgsiError("Forbidden", "this token may not change subscriptions")
    return row


@router.patch("/subscriptions/{subscription_id:path}")
def update_subscription(request: Request, body: JsonBody, subscription_id: str, db: DbSession,
                        principal: CurrentPrincipal, tenant: Tenant = None) -> Response:
    """Update members of a subscription (204; the whole is checked again)."""
    body = _checked(request, body)
    subscriptions.update(db, _own_subscription(db, principal, tenant, subscription_id), body, principal.id)
    db.commit()
    return Response(status_code=204)


@router.delete("/subscriptions/{subscription_id:path}", status_code=204)
def delete_subscription(subscription_id: str, db: DbSession, principal: CurrentPrincipal,
                        tenant: Tenant = None) -> Response:
    """Delete a subscription (204; 404 if absent)."""
    subscriptions.delete(db, _own_subscription(db, principal, tenant, subscription_id), principal.id)
    db.commit()
    return Response(status_code=204)
