"""CKAN's Action API (``/api/3/action/{name}`` and ``/api/action/{name}``) and the DCAT catalogue.

Not in smartgov's OpenAPI document: these answer CKAN's envelope, not smartgov's, and CKAN's own
documentation describes them. Callers are identified by an API token sent as CKAN clients send
it, the raw token in ``Authorization`` (``Bearer`` accepted too) or ``X-CKAN-API-Key``; identity
checks it (``identity.principal_for_token``), with its throttle. Cookies are never read here, so a
browser session cannot be made to write through this API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from smartgov import identity
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.settings import public_url
from smartgov.web.deps import DbSession, client_ip

from . import ckan, dcat, service

router = APIRouter(include_in_schema=False)
MAX_BODY = service.MAX_UPLOAD + 1024 * 1024


@dataclass
class ActionInput:
    params: dict[str, Any]
    upload: tuple[str, bytes] | None = None
    error: DomainError | None = None


async def action_input(request: Request) -> ActionInput:
    """The action's parameters: the query string (GET), a JSON body, or a form with an ``upload`` file."""
    params: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return ActionInput(params)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        return ActionInput(params, error=DomainError("too_big", N_("The request is too big."), field="upload",
                                                     status=413))
    try:
        if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.form()
            upload = None
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key == "upload":
                        upload = (value.filename or "upload.csv", await value.read(MAX_BODY))
                else:
                    params[key] = value
            return ActionInput(params, upload)
        body = await request.body()
        if body.strip():
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            params.update(data)
    except (ValueError, UnicodeDecodeError):
        return ActionInput(params, error=DomainError("bad_json", N_("The request body is not a JSON object."),
                                                     field="body", status=400))
    return ActionInput(params)


Input = Annotated[ActionInput, Depends(action_input)]


def _envelope(name: str, status: int, body: dict[str, Any]) -> JSONResponse:
    help_url = public_url(f"/api/3/action/help_show?name={name}")
    return JSONResponse({"help": help_url, **body}, status_code=status)


def _caller(request: Request, db: Session) -> identity.Principal | None:
    raw = request.headers.get("authorization") or request.headers.get("x-ckan-api-key") or ""
    raw = raw.strip()
    if raw.lower().startswith("bearer "):
        raw = raw[7:].strip()
    if not raw:
        return None
    principal = identity.principal_for_token(db, raw, client_ip(request))
    if principal is None:
        raise ckan.Unauthorized("unauthorized", N_("The API token is not valid."))
    return principal


def _run(name: str, request: Request, db: DbSession, inp: ActionInput) -> Response:
    action = ckan.ACTIONS.get(name)
    if action is None:
        return _envelope(name, 400, {"success": False, "error": {
            "__type": "Bad request", "message": f"Bad request - Action name not known: {name[:100]}"}})
    if request.method != "POST" and name in ckan.WRITES:
        return _envelope(name, 400, {"success": False, "error": {
            "__type": "Bad request", "message": "Bad request - JSON Error: Invalid request. Please use POST method"}})
    try:
        if inp.error is not None:
            raise inp.error
        call = ckan.Call(db=db, principal=_caller(request, db), params=inp.params, upload=inp.upload, action=name)
        result = action(call)
        db.commit()
    except DomainError as exc:
        db.rollback()
        status, error = ckan.error_body(exc)
        if exc.status in (400, 413) and status == 409:
            status = exc.status
        return _envelope(name, status, {"success": False, "error": error})
    return _envelope(name, 200, {"success": True, "result": result})


@router.get("/api/3/action/{name}")
@router.post("/api/3/action/{name}")
def action_v3(name: str, request: Request, db: DbSession, inp: Input) -> Response:
    """One CKAN action, by name."""
    return _run(name, request, db, inp)


@router.get("/api/action/{name}")
@router.post("/api/action/{name}")
def action_unversioned(name: str, request: Request, db: DbSession, inp: Input) -> Response:
    """The same actions at CKAN's unversioned address (``ckanapi`` calls this one)."""
    return _run(name, request, db, inp)


# --------------------------------------------------------------------------- DCAT (ckanext-dcat's addresses)


def _rdf(db: Session, fmt: str, dataset: str | None = None) -> Response:
    graph = dcat.dataset_graph(db, service.get_dataset(db, dataset)) if dataset else dcat.catalog_graph(db)
    body, media = dcat.serialize(graph, fmt)
    return Response(body, media_type=media)


@router.get("/catalog.{fmt}")
def catalog(fmt: str, db: DbSession) -> Response:
    """The whole catalogue as DCAT-AP 3: ``/catalog.ttl``, ``.jsonld``, ``.xml`` (RDF/XML), ``.rdf``, ``.n3``."""
    return _rdf(db, fmt)


@router.get("/dataset/{name}.{fmt}")
def dataset_rdf(name: str, fmt: str, db: DbSession) -> Response:
    """One dataset as DCAT-AP 3, as ckanext-dcat serves it."""
    return _rdf(db, fmt, name)
