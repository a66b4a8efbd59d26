"""HTML pages of insight (fa/en, RTL): projects, a source with its coding, the code system, themes,
the thematic network, saturation, agreement, and the REFI-QDA export. Every page works without
JavaScript: the coding form codes whole sentences, and ``coding.js`` adds free span selection."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from smartgov import digits, identity
from smartgov.errors import DomainError
from smartgov.i18n import N_, get_language
from smartgov.identity import Principal, require
from smartgov.web import csrf
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.forms import PostedFiles, PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

from . import access, analysis, assist_pages, charts, loop_pages, permissions, promote, refi_export, service, texts
from .access import BASE
from .models import THEME_LEVELS, Project

router = APIRouter(include_in_schema=False)
_project = access.project_for
LEVEL_NAMES = {"basic": N_("Basic theme"), "organizing": N_("Organizing theme"), "global": N_("Global theme")}

register(NavItem(BASE, N_("Thematic analysis"), roles=frozenset(permissions.ANALYST_ROLES), signed_in=True, order=70))


def _int(value: str | None, field: str) -> int | None:
    return digits.integer(value or "", field) if value else None


def _ids(form: Any, name: str) -> list[int]:
    raw = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
    return [i for i in (digits.integer(str(v), name) for v in raw if v) if i is not None]


@router.get(BASE, response_class=HTMLResponse)
def index(request: Request, db: DbSession, principal: CurrentPrincipal, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    """The projects of the agencies the analyst works for, and a form to start one."""
    require(permissions.is_analyst(principal))
    orgs = identity.organization_views(db, permissions.visible_organization_ids(db, principal))
    return render(request, "insight/index.html", {
        "projects": service.projects_for(db, principal), "orgs": sorted(orgs.values(), key=lambda o: o.code),
        "errors": errors or {}, "values": values or {}}, status_code=status)


@router.post(BASE + "/projects", response_class=HTMLResponse)
def create_project(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    require(permissions.is_analyst(principal))
    try:
        org = identity.organization_view(db, _int(form.get("organization"), "organization"))
        if org is None:
            raise DomainError("required", N_("Choose an agency."), field="organization", status=422)
        require(permissions.can_create_project(db, principal, org))
        project = service.create_project(db, principal, org, form.get("name", ""),
                                         description=form.get("description", ""), blind=form.get("blind") == "on")
    except DomainError as exc:
        if exc.status == 403:
            raise
        db.rollback()
        return index(request, db, principal, field_errors(exc), form, exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}", status_code=303)


def _project_page(request: Request, db: DbSession, principal: Principal, project: Project,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  status: int = 200) -> HTMLResponse:
    themes = service.themes(db, project)
    return render(request, "insight/project.html", {
        "project": project, "sources": service.sources(db, project), "tree": service.code_tree(db, project),
        "frequencies": {c.id: (n, k) for c, n, k in analysis.frequencies(db, project)},
        "themes": themes, "theme_by_id": {t.id: t for t in themes}, "grouped": service.theme_codes(db, project),
        "levels": THEME_LEVELS, "level_names": LEVEL_NAMES, "promoted": promote.promotions(db, project),
        "can_code": permissions.can_code_project(db, principal, project),
        "errors": errors or {}, "values": values or {}}, status_code=status)


@router.get(BASE + "/projects/{project_id}", response_class=HTMLResponse)
def project_page(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Sources, code system with frequencies, and themes of one project."""
    return _project_page(request, db, principal, _project(db, principal, project_id))


@router.post(BASE + "/projects/{project_id}/sources", response_class=HTMLResponse)
def add_source(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal,
               form: PostedFiles) -> Response:
    """Paste a transcript or upload a TXT/DOCX/PDF, with case variables ``role``, ``province``, ``group``."""
    project = _project(db, principal, project_id, write=True)
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}
    attrs = {k: values[k] for k in ("role", "province", "group") if values.get(k)}
    file = form.get("file")
    try:
        if isinstance(file, UploadFile) and file.filename:
            source = service.upload_source(db, project, principal, file.filename,
                                           file.file.read(texts.MAX_UPLOAD_BYTES + 1), name=values.get("name", ""),
                                           values=attrs)
        else:
            source = service.add_source(db, project, principal, values.get("name", ""), values.get("text", ""),
                                        values=attrs)
    except DomainError as exc:
        db.rollback()
        return _project_page(request, db, principal, project, field_errors(exc), values, exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}/sources/{source.id}", status_code=303)


@router.post(BASE + "/projects/{project_id}/codes", response_class=HTMLResponse)
def add_code(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal,
             form: PostedForm) -> Response:
    """A new code with its colour, definition, inclusion and exclusion criteria and examples."""
    project = _project(db, principal, project_id, write=True)
    try:
        service.create_code(db, project, principal, form.get("name", ""), parent_id=_int(form.get("parent"), "parent"),
                            color=form.get("color"), definition=form.get("definition", ""),
                            inclusion=form.get("inclusion", ""), exclusion=form.get("exclusion", ""),
                            examples=form.get("examples", ""))
    except DomainError as exc:
        db.rollback()
        return _project_page(request, db, principal, project, field_errors(exc), form, exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}#codes", status_code=303)


@router.post(BASE + "/projects/{project_id}/themes", response_class=HTMLResponse)
def add_theme(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal,
              form: PostedFiles) -> Response:
    """A basic theme grouping codes, an organizing theme grouping basic ones, or a global theme."""
    project = _project(db, principal, project_id, write=True)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}
    try:
        service.create_theme(db, project, principal, values.get("name", ""), values.get("level", ""),
                             parent_id=_int(values.get("parent"), "parent"), code_ids=_ids(form, "codes"),
                             description=values.get("description", ""))
    except DomainError as exc:
        db.rollback()
        return _project_page(request, db, principal, project, field_errors(exc), values, exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}#themes", status_code=303)


def _source_page(request: Request, db: DbSession, principal: Principal, project: Project, source_id: int,
                 errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    source = service.get_source(db, project, source_id)
    segs = service.visible_segments(db, project, principal, source.id)
    codes = {c.id: c for c in service.codes(db, project)}
    units = texts.sentences(source.text)
    coded: dict[int, list[int]] = {}
    for i, (start, end) in enumerate(units):
        coded[i] = sorted({s.code_id for s in segs if s.start < end and start < s.end})
    return render(request, "insight/source.html", {
        "project": project, "source": source, "units": units, "coded": coded, "codes": codes,
        "tree": service.code_tree(db, project), "segments": segs,
        "can_code": permissions.can_code_project(db, principal, project), "errors": errors or {}},
        status_code=status)


@router.get(BASE + "/projects/{project_id}/sources/{source_id}", response_class=HTMLResponse)
def source_page(project_id: int, source_id: int, request: Request, db: DbSession,
                principal: CurrentPrincipal) -> HTMLResponse:
    """A source's text sentence by sentence with its codes, and the coding form."""
    return _source_page(request, db, principal, _project(db, principal, project_id), source_id)


@router.post(BASE + "/projects/{project_id}/sources/{source_id}/code", response_class=HTMLResponse)
def code(project_id: int, source_id: int, request: Request, db: DbSession, principal: CurrentPrincipal,
         form: PostedFiles) -> Response:
    """Code a span (``start``/``end`` from the selection script) or, without JavaScript, a whole sentence."""
    project = _project(db, principal, project_id, write=True)
    try:
        source = service.get_source(db, project, source_id)
        code_ids = _ids(form, "codes")
        start, end = _int(str(form.get("start") or ""), "start"), _int(str(form.get("end") or ""), "end")
        if start is not None and end is not None:
            service.code_span(db, project, principal, source, start, end, code_ids)
        else:
            sentence = _int(str(form.get("sentence") or ""), "sentence")
            if sentence is None:
                raise DomainError("required", N_("Choose a sentence or select a part of the text."), field="sentence",
                                  status=422)
            service.code_sentence(db, project, principal, source, sentence, code_ids)
    except DomainError as exc:
        db.rollback()
        return _source_page(request, db, principal, project, source_id, field_errors(exc), exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}/sources/{source_id}", status_code=303)


@router.get(BASE + "/projects/{project_id}/network", response_class=HTMLResponse)
def network(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """The thematic network (global → organizing → basic → codes) drawn, and as a nested list."""
    project = _project(db, principal, project_id)
    codes = {c.id: c for c in service.codes(db, project)}
    framework = charts.network_framework(project, service.themes(db, project), service.theme_codes(db, project), codes)
    return render(request, "insight/network.html", {
        "project": project, "framework": framework, "svg": charts.network_svg(framework, get_language()),
        "level_names": LEVEL_NAMES})


@router.get(BASE + "/projects/{project_id}/saturation", response_class=HTMLResponse)
def saturation(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """New codes per source in coding order, where the curve flattens, and agreement between coders."""
    project = _project(db, principal, project_id)
    points, flat = analysis.saturation(db, project)
    return render(request, "insight/saturation.html", {
        "project": project, "points": points, "flat": flat, "plotly_styles": charts.style_ids(),
        "figure": charts.to_json(charts.saturation(points, flat, get_language())) if points else None,
        "agreement": analysis.agreement(db, project)})


@router.get(BASE + "/projects/{project_id}/export.qdpx")
def export(project_id: int, db: DbSession, principal: CurrentPrincipal) -> Response:
    """The project as REFI-QDA ``.qdpx`` for MAXQDA, ATLAS.ti, NVivo or QualCoder."""
    project = _project(db, principal, project_id)
    return Response(refi_export.export_qdpx(db, project), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="project-{project.id}.qdpx"'})


router.include_router(assist_pages.router)
router.include_router(loop_pages.router)
