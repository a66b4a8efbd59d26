"""Pages of closing the loop: draft a consultation's "what we heard" from the project's themes
(the official edits and publishes it on participation's response form)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov import digits
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.templating import render

from . import access, loop
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
    return render(request, "insight/heard.html", {"project": project, "consultations": found,
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
    return RedirectResponse(f"/participation/consultations/{ref.slug}/respond", status_code=303)
