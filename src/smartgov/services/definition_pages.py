"""Pages of agency admins: the service definitions they publish (included by ``pages``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from smartgov.errors import DomainError, NotFound
from smartgov.i18n import (
    gettext,
)
from smartgov.identity import Role, require
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedFiles, PostedForm
from smartgov.web.templating import render

from . import designer_pages, permissions, service
from .definitions import DefinitionInvalid

router = APIRouter(include_in_schema=False)
router.include_router(designer_pages.router)  # the service designer: the same admins, in the browser


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# --------------------------------------------------------------------------- definitions (agency admins)


@router.get("/services/admin/definitions", response_class=HTMLResponse)
def definitions_page(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    return _render_definitions(request, db, principal)


def _render_definitions(request: Request, db: DbSession, principal: Any, *, issues: list[str] | None = None,
                        source: str = "", status: int = 200, notice: str | None = None) -> HTMLResponse:
    require(bool(principal.roles & {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}))
    rows = [r for r in service.all_versions(db)
            if permissions.can_publish_definition(db, principal, service.agency(db, r.agency_id))]  # type: ignore[arg-type]
    return render(request, "services/definitions.html", {"rows": rows, "issues": issues or [], "source": source,
                                                         "notice": notice}, status_code=status)


@router.post("/services/admin/definitions")
def publish_page(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedFiles) -> Response:
    text = _text(form, "yaml")
    name = "definition.yaml"
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        name = upload.filename[:200]
        try:
            text = upload.file.read(512 * 1024 + 1).decode("utf-8")
        except UnicodeDecodeError:
            return _render_definitions(request, db, principal, issues=[gettext("The file is not UTF-8 text.")],
                                       status=422)
    try:
        defn, agency = service.prepare_definition(db, text, name)
        require(permissions.can_publish_definition(db, principal, agency))
        row = service.store_definition(db, defn, agency, text, name, actor_id=principal.id,
                                       publish=form.get("publish") == "yes")
        db.commit()
    except DefinitionInvalid as exc:
        db.rollback()
        return _render_definitions(request, db, principal, issues=[str(i) for i in exc.issues], source=text,
                                   status=422)
    except DomainError as exc:
        db.rollback()
        return _render_definitions(request, db, principal, issues=[exc.localized()], source=text, status=exc.status)
    return _render_definitions(request, db, principal, notice=gettext("Stored {key} ({status}).", key=row.key,
                                                                      status=row.status.value))


@router.post("/services/admin/definitions/{definition_id}/{change}")
def change_definition(definition_id: Id, change: str, request: Request, db: DbSession,
                      principal: CurrentPrincipal, _form: PostedForm) -> Response:
    row = service.definition_row(db, definition_id)
    require(permissions.can_publish_definition(db, principal, service.agency(db, row.agency_id)))  # type: ignore[arg-type]
    if change == "publish":
        service.publish_definition(db, row, actor_id=principal.id)
    elif change == "retire":
        service.retire_definition(db, row, actor_id=principal.id)
    else:
        raise NotFound("page")
    db.commit()
    return RedirectResponse("/services/admin/definitions", status_code=303)
