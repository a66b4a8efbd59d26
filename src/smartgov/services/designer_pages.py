"""The service designer's pages (included by ``pages``): a form builder that needs no YAML and no JavaScript.

Every route answers 404 to anyone who may not design the service (``permissions.can_design_definition``),
so another agency's admin or an official learns nothing. Every POST is one transaction: the
engine's loader judges the whole definition first, and a refused change stores nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov import clock
from smartgov.digits import DigitsRefused, parse_date, to_latin
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_, get_language, gettext
from smartgov.identity import Role, require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

from . import designer, journey
from . import designer_store as store
from .catalog import catalog, definition_of, published
from .definitions import DefinitionInvalid, GroupField
from .models import Definition

router = APIRouter(include_in_schema=False)
BASE = "/services/admin/designer"
_ID = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")

register(NavItem(BASE, N_("Service designer"), roles=frozenset({Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}), order=41))


def _builder(row: Definition, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{BASE}/{row.id}" + (f"#{anchor}" if anchor else ""), status_code=303)


def _issue_lines(exc: DefinitionInvalid) -> list[str]:
    return [f"{i.field or '(document)'}: {i.message}" for i in exc.issues]


# --------------------------------------------------------------------------- the list and new services


@router.get(BASE, response_class=HTMLResponse)
def designer_home(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    return _home(request, db, principal)


def _home(request: Request, db: DbSession, principal: Any, *, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None, issues: list[str] | None = None, status: int = 200) -> HTMLResponse:
    require(store.can_design_any(db, principal))
    return render(request, "services/designer/home.html", {
        "rows": store.designable(db, principal), "agencies": store.design_agencies(db, principal),
        "templates": catalog(db), "errors": errors or {}, "values": values or {}, "issues": issues or []},
        status_code=status)


@router.post(f"{BASE}/new")
def create_service(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    require(store.can_design_any(db, principal))
    errors: dict[str, str] = {}
    service_id = form.get("id", "").strip()
    if not _ID.match(service_id):
        errors["id"] = gettext("Use Latin lower-case letters, digits, - and _, starting with a letter.")
    agencies = {a.code: a for a in store.design_agencies(db, principal)}
    org = agencies.get(form.get("agency", ""))
    if org is None:
        errors["agency"] = gettext("Choose an agency you administer.")
    template = form.get("template", "")
    if template:
        try:
            data = designer.from_template(definition_of(published(db, template)), service_id, org.code if org else "")
        except NotFound:
            errors["template"] = gettext("Choose a published service.")
    else:
        for key in ("title_fa", "title_en"):
            if not form.get(key, "").strip():
                errors[key] = gettext("Enter a title.")
        relationship = form.get("relationship", "")
        if relationship not in ("G2C", "G2B", "G2E"):
            errors["relationship"] = gettext("Choose one of the options.")
        data = designer.skeleton(service_id, org.code if org else "", form.get("title_fa", "").strip()[:300],
                                 form.get("title_en", "").strip()[:300], relationship)
    if errors:
        return _home(request, db, principal, errors=errors, values=form, status=422)
    try:
        row = store.create(db, principal, data, how=f"template {template}" if template else "scratch")
        db.commit()
    except DefinitionInvalid as exc:
        db.rollback()
        return _home(request, db, principal, values=form, issues=_issue_lines(exc), status=422)
    except DomainError as exc:
        db.rollback()
        return _home(request, db, principal, values=form, errors=field_errors(exc), status=exc.status)
    return _builder(row)


# --------------------------------------------------------------------------- the builder


def _overview(db: DbSession, row: Definition) -> dict[str, Any]:
    defn = definition_of(row)
    data = designer.to_data(defn)
    pages = journey.question_pages(defn)
    page_of = {f.name: p.number for p in pages for f in p.fields}
    return {"row": row, "defn": defn, "data": data, "page_of": page_of, "pages": pages,
            "types": designer.FIELD_TYPES, "sub_types": designer.SUB_FIELD_TYPES,
            "scheduled": store.scheduled_at(db, row), "draft": row.status.value == "draft"}


@router.get(BASE + "/{definition_id}", response_class=HTMLResponse)
def builder_page(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    row = store.row_for(db, principal, definition_id)
    return render(request, "services/designer/builder.html", {**_overview(db, row), "errors": {}})


def _item_context(row: Definition, at: str, add: str, ftype: str) -> dict[str, Any]:
    data = store.data_of(row)
    path = designer.parse_path(add or at)
    if add:
        if designer.kind_of(path) == "field" and path[-1] not in ("form", "fields"):
            raise NotFound("page")
        if path[-1] == "fields" and designer.item(data, path[:-1]).get("type") != "group":
            raise NotFound("page")
        if designer.path_text(path) not in designer.COLLECTIONS and path[-1] != "fields":
            raise NotFound("page")
        current: dict[str, Any] = {}
        allowed = designer.SUB_FIELD_TYPES if path[-1] == "fields" else tuple(designer.FIELD_TYPES)
        if designer.kind_of(path) == "field" and ftype not in allowed:
            raise NotFound("page")
    else:
        if designer.path_text(path) in designer.COLLECTIONS or path[-1] == "fields":
            raise NotFound("page")
        current = designer.item(data, path)
        if not current and path not in (("fee",), ("output",), ("workflow",), ("general",)):
            raise NotFound("page")
        ftype = str(current.get("type", "")) if designer.kind_of(path) == "field" else ""
    item_props = designer.props(path, ftype or None)
    values = {p.key: designer.shown_value(p, current.get(p.key)) for p in item_props}
    return {"row": row, "data": data, "path": path, "at": at, "add": add, "ftype": ftype, "props": item_props,
            "values": values, "current": current, "types": designer.FIELD_TYPES,
            "sub_types": designer.SUB_FIELD_TYPES, "states": [s["id"] for s in data["workflow"]["states"]]}


@router.get(BASE + "/{definition_id}/edit", response_class=HTMLResponse)
def item_page(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
              at: str = "", add: str = "", type: str = "") -> HTMLResponse:
    row = store.row_for(db, principal, definition_id)
    ctx = _item_context(row, at, add, type)
    return render(request, "services/designer/item.html", {**ctx, "errors": {}, "issues": []})


@router.post(BASE + "/{definition_id}/edit")
def save_item(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
              form: PostedForm) -> Response:
    row = store.row_for(db, principal, definition_id)
    ctx = _item_context(row, form.get("at", ""), form.get("add", ""), form.get("type", ""))
    lang = get_language()
    path, adding = ctx["path"], bool(ctx["add"])
    values, errors = designer.read_item(ctx["props"], form, lang, field_type=ctx["ftype"] or None)
    issues: list[str] = []
    status = 422
    if not errors:
        new, where = designer.put_item(ctx["data"], path, values, add=adding)
        if adding and path == ("workflow", "states") and form.get("via_from"):
            new, _ = designer.put_item(new, ("workflow", "transitions"), {
                "from": [form["via_from"]], "to": values.get("id"), "action": form.get("via_action", "").strip(),
                "label_fa": form.get("via_label_fa", "").strip(), "label_en": form.get("via_label_en", "").strip(),
                "roles": [r for r in re.split(r"[,،\s]+", form.get("via_roles", "")) if r] or None}, add=True)
        try:
            store.save(db, principal, row, designer.builder_yaml(new), change="added" if adding else "changed",
                       at=designer.path_text(where), detail=designer.describe({k: v for k, v in values.items()
                                                                                if v is not None}))
            db.commit()
            return _builder(row, designer.path_text(where).replace(".", "-"))
        except DefinitionInvalid as exc:
            db.rollback()
            mine, others = designer.issues_for(exc, where, ctx["props"])
            errors.update({k: gettext("The engine refused this value: {reason}", reason=v) for k, v in mine.items()})
            issues = [f"{i.field or '(document)'}: {i.message}" for i in others]
        except DomainError as exc:
            db.rollback()
            errors.update(field_errors(exc))
            status = exc.status
    shown = {p.key: ("yes" if form.get(p.key) == "yes" else "") if p.kind == "bool" else form.get(p.key, "")
             for p in ctx["props"]}
    return render(request, "services/designer/item.html", {**ctx, "values": shown, "errors": errors,
                                                           "issues": issues, "posted": form}, status_code=status)


def _change(db: DbSession, principal: Any, row: Definition, new: dict[str, Any], change: str, at: str,
            request: Request) -> Response:
    try:
        store.save(db, principal, row, designer.builder_yaml(new), change=change, at=at)
        db.commit()
    except DefinitionInvalid as exc:
        db.rollback()
        return render(request, "services/designer/builder.html",
                      {**_overview(db, row), "errors": {}, "issues": _issue_lines(exc)}, status_code=422)
    except DomainError as exc:
        db.rollback()
        return render(request, "services/designer/builder.html",
                      {**_overview(db, row), "errors": field_errors(exc), "issues": []}, status_code=exc.status)
    return _builder(row, at.replace(".", "-"))


@router.post(BASE + "/{definition_id}/move")
def move_item(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
              form: PostedForm) -> Response:
    row = store.row_for(db, principal, definition_id)
    path = designer.parse_path(form.get("at", ""))
    delta = -1 if form.get("to") == "up" else 1
    new = designer.move_item(store.data_of(row), path, delta)
    return _change(db, principal, row, new, "moved_up" if delta < 0 else "moved_down", designer.path_text(path),
                   request)


@router.post(BASE + "/{definition_id}/remove")
def remove_item(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                form: PostedForm) -> Response:
    row = store.row_for(db, principal, definition_id)
    path = designer.parse_path(form.get("at", ""))
    new = designer.remove_item(store.data_of(row), path)
    return _change(db, principal, row, new, "removed", designer.path_text(path), request)


# --------------------------------------------------------------------------- YAML, preview, versions


@router.get(BASE + "/{definition_id}/yaml", response_class=HTMLResponse)
def yaml_page(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    row = store.row_for(db, principal, definition_id)
    return render(request, "services/designer/yaml.html", {"row": row, "source": row.source, "issues": []})


@router.post(BASE + "/{definition_id}/yaml")
def save_yaml(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
              form: PostedForm) -> Response:
    row = store.row_for(db, principal, definition_id)
    text = form.get("yaml", "")
    try:
        store.save(db, principal, row, text, change="yaml_edited", detail=f"{len(text)} characters")
        db.commit()
    except DefinitionInvalid as exc:
        db.rollback()
        return render(request, "services/designer/yaml.html", {"row": row, "source": text,
                                                               "issues": _issue_lines(exc)}, status_code=422)
    except DomainError as exc:
        db.rollback()
        return render(request, "services/designer/yaml.html", {"row": row, "source": text,
                                                               "issues": [exc.localized()]}, status_code=exc.status)
    return _builder(row)


@router.get(BASE + "/{definition_id}/preview", response_class=HTMLResponse)
def preview_page(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                 show: str = "") -> HTMLResponse:
    row = store.row_for(db, principal, definition_id)
    shown_lang = show if show in ("fa", "en") else get_language()
    return render(request, "services/designer/preview.html", {**_overview(db, row), "show": shown_lang,
                                                              "group_type": GroupField})


@router.get(BASE + "/{definition_id}/versions", response_class=HTMLResponse)
def versions_page(definition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                  against: Id | None = None) -> HTMLResponse:
    row = store.row_for(db, principal, definition_id)
    rows = store.versions(db, row.service_id)
    other = next((r for r in rows if r.id == against), None) if against else \
        next((r for r in rows if r.version < row.version), None)
    lines = designer.diff(other.source, row.source, other.key, row.key) if other else []
    return render(request, "services/designer/versions.html", {
        "row": row, "rows": rows, "other": other, "lines": lines, "history": store.history(db, row.service_id)})


# --------------------------------------------------------------------------- publishing


def _read_when(form: dict[str, str]) -> dt.datetime:
    try:
        day = parse_date(form.get("publish_on", ""))
        hh, _, mm = to_latin(form.get("publish_time", "") or "00:00").strip().partition(":")
        local = dt.datetime.combine(day, dt.time(int(hh), int(mm or 0)), tzinfo=clock.zone())
    except (ValueError, DigitsRefused):
        raise DomainError("designer_schedule_date", N_("Enter a date such as 1404/01/15 and a time such as 08:00."),
                          field="publish_at", status=422) from None
    return local.astimezone(dt.UTC)


@router.post(BASE + "/{definition_id}/{change}")
def change_status(definition_id: Id, change: str, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    row = store.row_for(db, principal, definition_id)
    target = row
    try:
        if change == "publish":
            store.publish(db, principal, row)
        elif change == "retire":
            store.retire(db, principal, row)
        elif change == "schedule":
            store.schedule(db, principal, row, _read_when(form))
        elif change == "new-version":
            target = store.new_version(db, principal, row)
        else:
            raise NotFound("page")
        db.commit()
    except DefinitionInvalid as exc:
        db.rollback()
        return render(request, "services/designer/builder.html",
                      {**_overview(db, row), "errors": {}, "issues": _issue_lines(exc)}, status_code=422)
    except NotFound:
        raise
    except DomainError as exc:
        db.rollback()
        return render(request, "services/designer/builder.html",
                      {**_overview(db, row), "errors": field_errors(exc), "issues": []}, status_code=exc.status)
    return _builder(target)
