"""Pages of closing the loop: draft a consultation's "what we heard" from the project's themes
(the official edits and publishes it on participation's response form)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov import assessment, digits
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import Principal
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.templating import render

from . import access, loop, promote, service
from .access import BASE

router = APIRouter(include_in_schema=False)
INT4_MAX = 2_147_483_647


@router.get(BASE + "/projects/{project_id}/heard", response_class=HTMLResponse)
def heard(project_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
          errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    """The consultations the project analyses, each with the themes and quotes its draft would carry."""
    project = access.project_for(db, principal, project_id)
    found = [(c, loop.theme_counts(db, project, c.id)) for c in loop.consultations(db, project)
             if loop.may_draft_for(db, project, c)]
    drafted = digits.integer(request.query_params.get("drafted") or "", "drafted")
    return render(request, "insight/heard.html", {"project": project, "consultations": found, "drafted": drafted,
                                                  "errors": errors or {}}, status_code=status)


@router.post(BASE + "/projects/{project_id}/heard", response_class=HTMLResponse)
def draft(project_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """Draft the chosen consultation's "what we heard" and open participation's response form on it."""
    project = access.project_for(db, principal, project_id, write=True)
    try:
        consultation_id = digits.integer(form.get("consultation", ""), "consultation")
        if consultation_id is None or consultation_id > INT4_MAX:
            raise DomainError("required", N_("Choose a consultation."), field="consultation", status=422)
        ref = loop.draft_what_we_heard(db, project, principal, consultation_id)
    except DomainError as exc:
        db.rollback()
        return heard(project.id, request, db, principal, field_errors(exc), exc.status if exc.status != 404 else 422)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}/heard?drafted={ref.id}#c-{ref.id}", status_code=303)


def _promote_page(request: Request, db: DbSession, principal: Principal, project_id: int, theme_id: int,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  status: int = 200) -> HTMLResponse:
    project = access.project_for(db, principal, project_id)
    theme = service.get_theme(db, project, theme_id)
    targets = [(fw_id, assessment.load_framework(fw_id), assessment.parent_nodes(fw_id))
               for fw_id in assessment.EXTENSIBLE]
    return render(request, "insight/promote.html", {
        "project": project, "theme": theme, "done": promote.promotions(db, project).get(theme.id, []),
        "may": promote.may_promote(db, principal, project), "targets": targets,
        "errors": errors or {}, "values": values or {"label": theme.name}}, status_code=status)


@router.get(BASE + "/projects/{project_id}/themes/{theme_id}/promote", response_class=HTMLResponse)
def promote_form(project_id: Id, theme_id: Id, request: Request, db: DbSession,
                 principal: CurrentPrincipal) -> HTMLResponse:
    """Where a theme went in the assessment frameworks, and the form to promote it there."""
    try:
        return _promote_page(request, db, principal, project_id, theme_id)
    except DomainError as exc:
        if exc.code == "theme_unknown":
            raise NotFound("theme") from None
        raise


@router.post(BASE + "/projects/{project_id}/themes/{theme_id}/promote", response_class=HTMLResponse)
def promote_theme(project_id: Id, theme_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    """Promote a theme to a success factor or indicator under the chosen framework node (both rights needed)."""
    project = access.project_for(db, principal, project_id, write=True)
    try:
        theme = service.get_theme(db, project, theme_id)
    except DomainError:
        raise NotFound("theme") from None
    framework_id, _sep, parent = form.get("parent", "").partition("|")
    try:
        added = promote.promote_theme(db, project, principal, theme, framework_id, parent, label=form.get("label", ""))
    except DomainError as exc:
        if exc.status == 403:
            raise
        db.rollback()
        errors = field_errors(exc) if exc.field else {"parent": exc.localized()}
        return _promote_page(request, db, principal, project_id, theme_id, errors, dict(form), exc.status)
    db.commit()
    return RedirectResponse(f"{added.url}", status_code=303)
