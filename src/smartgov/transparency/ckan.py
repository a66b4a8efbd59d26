"""CKAN's Action API: each action reads CKAN's parameters, calls the service and answers CKAN's shapes.

The envelope (``help``, ``success``, ``result`` or ``error`` with ``__type``) and the status codes are
drawn by ``api.py``; refusals are smartgov's ``DomainError`` until then, mapped by :func:`error_body`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from smartgov import digits, identity
from smartgov.errors import DomainError, Forbidden, NotFound, ValidationFailed
from smartgov.i18n import N_, get_language
from smartgov.identity import Principal
from smartgov.settings import get_settings

from . import datastore, dictize, permissions, service
from . import search as searching
from .licenses import LICENSES

CKAN_VERSION = "2.10.4"
MAX_ROWS = 1000


@dataclass
class Call:
    db: Session
    principal: Principal | None
    params: dict[str, Any]
    upload: tuple[str, bytes] | None
    action: str


class Unauthorized(DomainError):
    status = 403


# --------------------------------------------------------------------------- parameters


def _int(call: Call, key: str, default: int, *, low: int = 0, high: int = 2**31 - 1) -> int:
    raw = call.params.get(key)
    if raw is None or raw == "":
        return default
    value = raw if isinstance(raw, int) and not isinstance(raw, bool) else (
        digits.integer(raw, key) if isinstance(raw, str) else None)
    if value is None or not low <= value <= high:
        raise service.invalid(key, N_("Enter a whole number from {low} to {high}."), low=low, high=high)
    return value


def _bool(call: Call, key: str, default: bool = False) -> bool:
    raw = call.params.get(key, default)
    if isinstance(raw, str):
        return raw.strip().lower() in ("true", "1", "yes", "on")
    return bool(raw)


def _str(call: Call, key: str, *, required: bool = False) -> str:
    raw = call.params.get(key)
    if raw is None or raw == "":
        if required:
            raise service.invalid(key, N_("Missing value"), "missing")
        return ""
    if not isinstance(raw, str | int):
        raise service.invalid(key, N_("Enter text."))
    return str(raw)[:5000]


def _json(call: Call, key: str) -> Any:
    """A parameter that is JSON in a query string and a value in a JSON body."""
    raw = call.params.get(key)
    if isinstance(raw, str) and raw.strip()[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            raise service.invalid(key, N_("This is not valid JSON.")) from None
    return raw


def _writer(call: Call) -> Principal:
    if call.principal is None:
        raise Unauthorized("unauthorized", N_("Send an API token in the Authorization header to make changes."))
    identity.require_personal_records(call.principal.account)
    return call.principal


def _visible_orgs(call: Call) -> set[int] | None:
    return permissions.publishing_orgs(call.db, call.principal)


# --------------------------------------------------------------------------- read actions


def status_show(call: Call) -> dict[str, Any]:
    settings = get_settings()
    return {"site_title": "smartgov", "site_url": settings.base_url, "site_description": "",
            "ckan_version": CKAN_VERSION, "error_emails_to": None, "locale_default": "fa",
            "extensions": ["datastore", "dcat"]}


def package_list(call: Call) -> list[str]:
    limit = _int(call, "limit", 0, high=100_000) or None
    return service.dataset_names(call.db, limit=limit, offset=_int(call, "offset", 0))


def current_package_list_with_resources(call: Call) -> list[dict[str, Any]]:
    limit = _int(call, "limit", 10, low=1, high=MAX_ROWS)
    offset = _int(call, "offset", 0)
    if call.params.get("page"):
        offset = (_int(call, "page", 1, low=1) - 1) * limit
    found = searching.run(call.db, searching.Search(rows=limit, start=offset, sort="metadata_modified desc"))
    return dictize.package_dicts(call.db, found.datasets, get_language())


def package_show(call: Call) -> dict[str, Any]:
    row = service.get_dataset(call.db, _str(call, "id", required=True), call.principal)
    return dictize.package_dict(call.db, row, get_language())


def package_search(call: Call) -> dict[str, Any]:
    facets = _json(call, "facet.field") or []
    if isinstance(facets, str):
        facets = [facets]
    if not isinstance(facets, list) or not all(isinstance(f, str) for f in facets):
        raise service.invalid("facet.field", N_("List the facet fields."))
    q = _str(call, "q")
    fq = _str(call, "fq")
    for extra in ("fq_list",):
        more = _json(call, extra)
        if isinstance(more, list):
            fq = " ".join([fq, *[str(m) for m in more]])
    include_private = _bool(call, "include_private")
    search = searching.Search(
        q=q, fq=fq, rows=_int(call, "rows", 10, high=MAX_ROWS), start=_int(call, "start", 0),
        sort=_str(call, "sort"), facet_fields=facets, facet_limit=_int(call, "facet.limit", 50, low=-1, high=1000),
        visible_orgs=_visible_orgs(call) if include_private else set(),
    )
    if search.facet_limit < 0:
        search.facet_limit = 1000
    found = searching.run(call.db, search)
    lang = get_language()
    titles = {code: org.name(lang) for code, org in found.organizations.items()}
    return {
        "count": found.count, "sort": found.sort,
        "results": dictize.package_dicts(call.db, found.datasets, lang),
        "facets": {name: dict(items) for name, items in found.facets.items()},
        "search_facets": {name: {"title": name, "items": [
            {"name": value, "display_name": titles.get(value, value) if name == "organization" else value,
             "count": count} for value, count in items]} for name, items in found.facets.items()},
    }


def organization_list(call: Call) -> list[Any]:
    orgs = service.organizations(call.db)
    sort = _str(call, "sort") or "name asc"
    lang = get_language()
    if sort.startswith("package_count"):
        orgs.sort(key=lambda item: -item[1])
    elif sort.startswith("title"):
        orgs.sort(key=lambda item: item[0].name(lang))
    if sort.endswith("desc") and not sort.startswith("package_count"):
        orgs.reverse()
    offset = _int(call, "offset", 0)
    limit = _int(call, "limit", 1000, high=1000)
    orgs = orgs[offset:offset + limit]
    if _bool(call, "all_fields"):
        return [dictize.organization_dict(o, package_count=n, lang=lang) for o, n in orgs]
    return [o.code for o, _ in orgs]


def organization_show(call: Call) -> dict[str, Any]:
    org = service.organization(call.db, _str(call, "id", required=True))
    found = searching.run(call.db, searching.Search(fq=f"organization:{org.code}", rows=0))
    out = dictize.organization_dict(org, package_count=found.count, lang=get_language())
    out["users"] = []
    if _bool(call, "include_datasets"):
        page = searching.run(call.db, searching.Search(fq=f"organization:{org.code}", rows=10))
        out["packages"] = dictize.package_dicts(call.db, page.datasets, get_language())
    return out


def tag_list(call: Call) -> list[Any]:
    names = service.tag_names(call.db, _str(call, "query") or None)
    if _bool(call, "all_fields"):
        return [{"id": n, "name": n, "display_name": n, "vocabulary_id": None} for n in names]
    return names


def license_list(call: Call) -> list[dict[str, Any]]:
    return [lic.as_dict() for lic in LICENSES]


def resource_show(call: Call) -> dict[str, Any]:
    return dictize.resource_dict(service.get_resource(call.db, _str(call, "id", required=True), call.principal))


def _sort_terms(raw: Any) -> list[tuple[str, bool]]:
    parts = raw if isinstance(raw, list) else str(raw or "").split(",")
    out = []
    for part in parts:
        bits = str(part).strip().rsplit(" ", 1)
        if not bits[0]:
            continue
        desc = len(bits) == 2 and bits[1].lower() == "desc"
        name = bits[0] if len(bits) == 2 and bits[1].lower() in ("asc", "desc") else str(part).strip()
        out.append((name.strip('"'), desc))
    return out


def datastore_search(call: Call) -> dict[str, Any]:
    rid = _str(call, "resource_id", required=True) or _str(call, "id")
    res = service.get_resource(call.db, rid, call.principal)
    if not res.datastore_active:
        raise NotFound("resource", field="resource_id")
    filters = _json(call, "filters") or {}
    if not isinstance(filters, dict):
        raise service.invalid("filters", N_("Filters are an object of column and value."))
    filters = {str(k): (v if isinstance(v, list) else [v]) for k, v in filters.items()}
    q = _json(call, "q")
    if q is not None and not isinstance(q, str | dict):
        raise service.invalid("q", N_("Enter text."))
    fields = _json(call, "fields")
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    if fields is not None and not isinstance(fields, list):
        raise service.invalid("fields", N_("List the columns."))
    limit = _int(call, "limit", 100, high=MAX_ROWS * 10)
    offset = _int(call, "offset", 0)
    sort = _sort_terms(call.params.get("sort"))
    result = datastore.search(call.db, res, datastore.Query(
        filters=filters, q=q, sort=sort, limit=limit, offset=offset,
        fields=[str(f) for f in fields] if fields else None, include_total=_bool(call, "include_total", True)))
    base = "/api/3/action/datastore_search"
    link_params = {"resource_id": res.id, **({"limit": limit} if "limit" in call.params else {})}
    out: dict[str, Any] = {
        "resource_id": res.id, "include_total": result.total >= 0,
        "fields": ([{"id": "_id", "type": "int"}] if not fields or "_id" in fields else []) + [
            {"id": f.id, "type": f.type, "info": {"label": f.label, "notes": f.notes}} for f in result.fields],
        "records": result.records, "limit": limit, "records_format": "objects",
        "_links": {"start": f"{base}?{urlencode(link_params)}",
                   "next": f"{base}?{urlencode({**link_params, 'offset': offset + limit})}"},
        "total_was_estimated": False,
    }
    if result.total >= 0:
        out["total"] = result.total
    if offset:
        out["offset"] = offset
    if filters:
        out["filters"] = {k: v[0] if len(v) == 1 else v for k, v in filters.items()}
    if q:
        out["q"] = q
    if sort:
        out["sort"] = ", ".join(f'"{n}" {"desc" if d else "asc"}' for n, d in sort)
    return out


# --------------------------------------------------------------------------- write actions


def package_create(call: Call) -> dict[str, Any]:
    row = service.create_dataset(call.db, _writer(call), call.params)
    return dictize.package_dict(call.db, row, get_language())


def package_update(call: Call) -> dict[str, Any]:
    row = service.update_dataset(call.db, _writer(call), call.params, patch=False)
    return dictize.package_dict(call.db, row, get_language())


def package_patch(call: Call) -> dict[str, Any]:
    row = service.update_dataset(call.db, _writer(call), call.params, patch=True)
    return dictize.package_dict(call.db, row, get_language())


def package_delete(call: Call) -> None:
    service.delete_dataset(call.db, _writer(call), _str(call, "id", required=True))
    return None


def resource_create(call: Call) -> dict[str, Any]:
    res = service.create_resource(call.db, _writer(call), call.params, call.upload)
    return dictize.resource_dict(res)


def resource_patch(call: Call) -> dict[str, Any]:
    """Change a resource's fields, or upload its file again (``ckanapi load --upload-resources``)."""
    principal = _writer(call)
    res = service.get_resource(call.db, _str(call, "id", required=True), principal)
    dataset = service.get_dataset(call.db, res.dataset_id, principal)
    if not permissions.can_publish_for(call.db, principal, service.org_of(call.db, dataset)):
        raise Forbidden(N_("You may only publish datasets for your own agency."))
    service._resource_fields(res, call.params, patch=True, field="")
    if call.upload is not None:
        service.store_upload(call.db, principal, res, *call.upload)
    service.changed(call.db, dataset)
    return dictize.resource_dict(res)


ACTIONS: dict[str, Callable[[Call], Any]] = {
    f.__name__: f for f in (
        status_show, package_list, current_package_list_with_resources, package_show, package_search,
        organization_list, organization_show, tag_list, license_list, resource_show, datastore_search,
        package_create, package_update, package_patch, package_delete, resource_create, resource_patch,
    )
}
WRITES = frozenset({"package_create", "package_update", "package_patch", "package_delete", "resource_create",
                    "resource_patch"})


# --------------------------------------------------------------------------- errors


def error_body(exc: DomainError) -> tuple[int, dict[str, Any]]:
    """CKAN's status and ``error`` object for a refusal."""
    if isinstance(exc, NotFound):
        return 404, {"__type": "Not Found Error", "message": f"Not found: {exc.localized()}"}
    if isinstance(exc, searching.SearchQueryError):
        return 409, {"__type": "Search Query Error", "message": f"Search Query is invalid: {exc.localized()}"}
    if exc.status in (401, 403):
        return 403, {"__type": "Authorization Error", "message": exc.localized()}
    if exc.status == 429:
        return 429, {"__type": "Throttled", "message": exc.localized()}
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    body: dict[str, Any] = {"__type": "Validation Error"}
    for err in errors:
        if err.field:
            body.setdefault(err.field, []).append(err.localized())
        else:
            body["message"] = err.localized()
    return 409, body
