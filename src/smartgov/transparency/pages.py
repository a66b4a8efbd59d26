"""The open-data portal's pages: datasets with search and facets, previews, organizations, and
the officials' forms (new dataset, upload a CSV/XLSX resource, edit a table's columns)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from smartgov import identity
from smartgov.errors import DomainError, Forbidden
from smartgov.i18n import N_, format_date, format_datetime, format_number, get_language, localize_digits
from smartgov.web import csrf
from smartgov.web.deps import CurrentPrincipal, DbSession, OptionalPrincipal
from smartgov.web.forms import PostedFiles, PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.pagination import PageNumber
from smartgov.web.templating import render

from . import datastore, dictize, permissions, service
from . import search as searching
from .licenses import LICENSES

router = APIRouter(include_in_schema=False)

register(NavItem("/dataset", N_("Open data"), order=75))

PER_PAGE = 20
PREVIEW_ROWS = 25


def _pages(total: int, per_page: int) -> int:
    return max(1, (total + per_page - 1) // per_page)


def _listed(db: DbSession, rows: list[Any]) -> list[dict[str, Any]]:
    """Datasets as the lists show them: CKAN's dictionaries with the modification time kept as a time."""
    out = dictize.package_dicts(db, rows, get_language())
    for pkg, row in zip(out, rows, strict=True):
        pkg["row_modified"] = row.metadata_modified
    return out


YEAR_COLUMNS = frozenset({"year", "sal", "سال"})
"""Columns whose whole numbers are years: written without a thousands separator (۱۴۰۲, not ۱٬۴۰۲)."""


def cell(value: Any, type_: str, column: str = "") -> str:
    """A datastore value as a Persian (or English) page shows it: grouped digits (a year column's are not),
    Jalali dates."""
    if value is None:
        return ""
    if isinstance(value, int) and (column.lower() in YEAR_COLUMNS or column.lower().endswith("_year")):
        return localize_digits(str(value))
    if type_ in ("int", "numeric") and isinstance(value, int | float):
        return format_number(value) if isinstance(value, int) else format_number(value, places=2)
    if type_ == "date":
        return format_date(dt.date.fromisoformat(value))
    if type_ == "timestamp":
        return format_datetime(dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC))
    if type_ == "bool":
        from smartgov.i18n import gettext

        return gettext(N_("yes")) if value else gettext(N_("no"))
    return str(value)


@router.get("/dataset", response_class=HTMLResponse)
def dataset_list(
    request: Request, db: DbSession, principal: OptionalPrincipal,
    q: str = Query("", max_length=200), organization: str = Query("", max_length=100),
    tags: str = Query("", max_length=100), res_format: str = Query("", max_length=30),
    license_id: str = Query("", max_length=50), page: PageNumber = 1,
) -> HTMLResponse:
    """Every public dataset, searched in Persian or English, narrowed by facets."""
    chosen = {"organization": organization, "tags": tags, "res_format": res_format, "license_id": license_id}
    fq = " ".join(f'{k}:"{v}"' for k, v in chosen.items() if v and '"' not in v)
    found = searching.run(db, searching.Search(q=q.replace('"', " "), fq=fq, rows=PER_PAGE,
                                               start=(page - 1) * PER_PAGE,
                                               facet_fields=list(searching.FACET_FIELDS), facet_limit=10))
    lang = get_language()
    org_names = {o.code: o.name(lang) for o, _ in service.organizations(db)}
    licence_titles = {lic.id: lic.title for lic in LICENSES}

    def link(**change: str) -> str:
        params = {k: v for k, v in {"q": q, **chosen, **change}.items() if v}
        return "/dataset" + ("?" + urlencode(params) if params else "")

    return render(request, "transparency/datasets.html", {
        "found": found, "datasets": _listed(db, found.datasets), "q": q, "chosen": chosen,
        "org_names": org_names, "licence_titles": licence_titles, "link": link, "page": page,
        "pages": _pages(found.count, PER_PAGE),
        "can_publish": permissions.publishing_orgs(db, principal) != set() and principal is not None,
    })


@router.get("/dataset/new", response_class=HTMLResponse)
def new_dataset_form(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """The form an official fills to publish a dataset for their agency."""
    return _new_form(request, db, principal, {}, {})


def _publishable(db: DbSession, principal: identity.Principal) -> list[identity.OrganizationView]:
    allowed = permissions.publishing_orgs(db, principal)
    return [o for o in identity.agencies(db) if allowed is None or o.id in allowed]


def _new_form(request: Request, db: DbSession, principal: identity.Principal, values: dict[str, str],
              errors: dict[str, str], status: int = 200) -> HTMLResponse:
    orgs = _publishable(db, principal)
    if not orgs:
        raise Forbidden(N_("Only officials of an agency publish datasets."))
    return render(request, "transparency/new.html", {
        "orgs": orgs, "licenses": LICENSES, "frequencies": service.FREQUENCIES[1:], "values": values,
        "errors": errors}, status_code=status)


@router.post("/dataset/new", response_class=HTMLResponse)
def create_dataset(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    values = {k: v.strip() for k, v in form.items()}
    data: dict[str, Any] = {k: values.get(k, "") for k in (
        "name", "title", "title_en", "notes", "notes_en", "owner_org", "license_id", "frequency")}
    data["tag_string"] = values.get("tags", "")
    try:
        row = service.create_dataset(db, principal, data)
        db.commit()
    except DomainError as exc:
        db.rollback()
        if exc.status == 403:
            raise
        return _new_form(request, db, principal, values, field_errors(exc), status=422)
    return RedirectResponse(f"/dataset/{row.name}/upload", status_code=303)


@router.get("/dataset/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    row = service.get_dataset(db, name, principal)
    org = service.org_of(db, row)
    pkg = dictize.package_dict(db, row, get_language())
    return render(request, "transparency/dataset.html", {
        "pkg": pkg, "row": row, "org": org, "licence": next((x for x in LICENSES if x.id == row.license_id), None),
        "can_edit": permissions.can_publish_for(db, principal, org) and not row.platform,
    })


@router.get("/dataset/{name}/upload", response_class=HTMLResponse)
def upload_form(request: Request, name: str, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    row = _editable(db, principal, name)
    return render(request, "transparency/upload.html", {"row": row})


def _editable(db: DbSession, principal: identity.Principal, name: str) -> Any:
    row = service.get_dataset(db, name, principal)
    if not permissions.can_publish_for(db, principal, service.org_of(db, row)) or row.platform:
        raise Forbidden(N_("You may only publish datasets for your own agency."))
    return row


@router.post("/dataset/{name}/upload", response_class=HTMLResponse)
def upload(request: Request, name: str, db: DbSession, principal: CurrentPrincipal, form: PostedFiles) -> Response:
    """An official uploads a CSV or XLSX file; its table is typed into the datastore and previewed."""
    row = _editable(db, principal, name)
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}
    file = form.get("upload")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise DomainError("required", N_("Choose a CSV or XLSX file."), field="upload", status=422)
        data = file.file.read(service.MAX_UPLOAD + 1)
        res = service.create_resource(db, principal, {"package_id": row.id, "name": values.get("name", ""),
                                                      "description": values.get("description", "")},
                                      (file.filename, data))
        db.commit()
    except DomainError as exc:
        db.rollback()
        if exc.status == 403:
            raise
        return render(request, "transparency/upload.html", {"row": service.get_dataset(db, name, principal),
                                                            "values": values, "errors": field_errors(exc)},
                      status_code=422 if exc.status < 500 else exc.status)
    return RedirectResponse(f"/dataset/{row.name}/resource/{res.id}", status_code=303)


@router.get("/dataset/{name}/resource/{resource_id}", response_class=HTMLResponse)
def resource_page(
    request: Request, name: str, resource_id: str, db: DbSession, principal: OptionalPrincipal,
    column: str = Query("", max_length=200), value: str = Query("", max_length=200),
    sort: str = Query("", max_length=200), desc: bool = False, page: PageNumber = 1,
) -> HTMLResponse:
    """The resource's table, server-rendered: filter one column, sort, page through."""
    row = service.get_dataset(db, name, principal)
    res = service.get_resource(db, resource_id, principal)
    if res.dataset_id != row.id:
        raise service.NotFound("resource")
    fields = datastore.fields_of(res)
    errors: dict[str, str] = {}
    result = None
    status = 200
    if res.datastore_active:
        filters = {column: [value]} if column and value else {}
        order = [(sort, desc)] if sort else []
        try:
            result = datastore.search(db, res, datastore.Query(filters=filters, sort=order, limit=PREVIEW_ROWS,
                                                               offset=(page - 1) * PREVIEW_ROWS))
        except DomainError as exc:
            errors = {"value" if exc.field == "filters" else (exc.field or "_form"): exc.localized()}
            status = 422
            result = datastore.search(db, res, datastore.Query(filters={}, limit=PREVIEW_ROWS))
    query = {"column": column, "value": value, "sort": sort, "desc": "true" if desc else ""}

    def link(**change: Any) -> str:
        params = {k: v for k, v in {**query, **change}.items() if v}
        return f"/dataset/{row.name}/resource/{res.id}" + ("?" + urlencode(params) if params else "")

    org = service.org_of(db, row)
    return render(request, "transparency/resource.html", {
        "row": row, "res": res, "fields": fields, "result": result, "cell": cell, "values": query,
        "errors": errors, "page": page, "pages": _pages(result.total, PREVIEW_ROWS) if result else 1, "link": link,
        "can_edit": permissions.can_publish_for(db, principal, org) and not row.platform,
    }, status_code=status)


@router.get("/dataset/{name}/resource/{resource_id}/schema", response_class=HTMLResponse)
def schema_form(request: Request, name: str, resource_id: str, db: DbSession,
                principal: CurrentPrincipal) -> HTMLResponse:
    row = _editable(db, principal, name)
    res = service.get_resource(db, resource_id, principal)
    return render(request, "transparency/schema.html", {"row": row, "res": res, "fields": datastore.fields_of(res),
                                                        "types": list(datastore.TYPES)})


@router.post("/dataset/{name}/resource/{resource_id}/schema", response_class=HTMLResponse)
def edit_schema(request: Request, name: str, resource_id: str, db: DbSession, principal: CurrentPrincipal,
                form: PostedForm) -> Response:
    """The owner corrects a column's type or label; every row is typed again, or nothing changes."""
    row = _editable(db, principal, name)
    res = service.get_resource(db, resource_id, principal)
    fields = datastore.fields_of(res)
    changes = {f.id: {"type": form.get(f"type-{i}", f.type), "label": form.get(f"label-{i}", f.label)}
               for i, f in enumerate(fields)}
    try:
        service.edit_schema(db, principal, res.id, changes)
        db.commit()
    except DomainError as exc:
        db.rollback()
        if exc.status == 403:
            raise
        return render(request, "transparency/schema.html", {
            "row": row, "res": service.get_resource(db, resource_id, principal), "fields": fields,
            "types": list(datastore.TYPES), "errors": {"_form": exc.localized()}}, status_code=422)
    return RedirectResponse(f"/dataset/{row.name}/resource/{res.id}", status_code=303)


@router.get("/dataset/{dataset_id}/resource/{resource_id}/download/{filename}")
def download(dataset_id: str, resource_id: str, filename: str, db: DbSession, principal: OptionalPrincipal) -> Response:
    """The uploaded file as it was sent (CKAN's download address)."""
    stored = service.download(db, dataset_id, resource_id, principal)
    res = service.get_resource(db, resource_id, principal)
    return Response(stored.data, media_type=res.mimetype or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(stored.filename)}"})


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@router.get("/organization", response_class=HTMLResponse)
def organization_list(request: Request, db: DbSession) -> HTMLResponse:
    return render(request, "transparency/organizations.html", {"orgs": service.organizations(db)})


@router.get("/organization/{code}", response_class=HTMLResponse)
def organization_page(request: Request, code: str, db: DbSession, principal: OptionalPrincipal,
                      page: PageNumber = 1) -> HTMLResponse:
    org = service.organization(db, code)
    found = searching.run(db, searching.Search(fq=f'organization:"{org.code}"', rows=PER_PAGE,
                                               start=(page - 1) * PER_PAGE))
    return render(request, "transparency/organization.html", {
        "org": org, "found": found, "datasets": _listed(db, found.datasets),
        "page": page, "pages": _pages(found.count, PER_PAGE),
        "can_publish": permissions.can_publish_for(db, principal, org),
    })


