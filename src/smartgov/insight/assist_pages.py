"""HTML pages of assisted coding (fa/en): run a method, read keyword-in-context, see the suggestions
with the segments they rest on, and approve or reject each one; decided suggestions stay listed with
their provenance. Plain forms: everything works without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartgov import digits, identity
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import Principal
from smartgov.web import csrf
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.forms import PostedForm, field_errors
from smartgov.web.templating import render

from . import assist_service, permissions, service, summaries
from .access import BASE
from .access import project_for as _project
from .models import Project

router = APIRouter(include_in_schema=False)

KIND_NAMES = {"theme": N_("Candidate theme"), "code": N_("Suggested code"), "duplicate": N_("Near-duplicates"),
              "summary": N_("Summary of a theme")}
METHOD_NAMES = {"tfidf-nmf": N_("TF-IDF with NMF topics"), "tfidf-centroid-cosine": N_("Similarity to coded segments"),
                "minhash-lsh": N_("MinHash over shingles"), "llm-chat": N_("Language model (OpenAI-compatible)")}
STATUS_NAMES = {"approved": N_("Approved"), "rejected": N_("Rejected"), "superseded": N_("Superseded by a newer run"),
                "pending": N_("Waiting for a decision")}


def _number(value: str | None, field: str, default: float) -> float:
    if not (value or "").strip():
        return default
    parsed = digits.decimal_number(value or "", field)
    return default if parsed is None else float(parsed)


def _assist_page(request: Request, db: DbSession, principal: Principal, project: Project, *,
                 errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 status: int = 200) -> HTMLResponse:
    q = (request.query_params.get("q") or "").strip()
    everything = assist_service.suggestions(db, project)
    pending = [s for s in everything if s.status == "pending"]
    decided = sorted((s for s in everything if s.status != "pending"), key=lambda s: -s.id)[:200]
    sources = {s.id: s for s in service.sources(db, project)}
    people = identity.account_views(db, {i for s in everything for i in (s.created_by, s.decided_by) if i})
    return render(request, "insight/assist.html", {
        "project": project, "pending": pending, "decided": decided, "sources": sources,
        "codes": {c.id: c for c in service.codes(db, project)}, "people": people, "q": q,
        "concordance": assist_service.kwic(db, project, q) if q else [], "label": assist_service.theme_label,
        "kind_names": KIND_NAMES, "method_names": METHOD_NAMES, "status_names": STATUS_NAMES,
        "can_code": permissions.can_code_project(db, principal, project),
        "themes": {t.id: t for t in service.themes(db, project)}, "llm": summaries.enabled(),
        "errors": errors or {}, "values": values or {}}, status_code=status)


@router.get(BASE + "/projects/{project_id}/assist", response_class=HTMLResponse)
def assist_page(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Assisted coding: the methods to run, keyword in context, pending suggestions and decisions."""
    return _assist_page(request, db, principal, _project(db, principal, project_id))


@router.post(BASE + "/projects/{project_id}/assist/run", response_class=HTMLResponse)
def run(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    """Run one method (``kind``: theme, code or duplicate); its results wait for a person's decision."""
    project = _project(db, principal, project_id, write=True)
    kind = form.get("kind", "")
    try:
        if kind == "theme":
            k = digits.integer(form.get("k") or "6", "k")
            assist_service.run_themes(db, project, principal, k=k if k is not None else 6)
        elif kind == "code":
            assist_service.run_code_suggestions(db, project, principal,
                                                threshold=_number(form.get("threshold"), "threshold", 0.1))
        elif kind == "duplicate":
            assist_service.run_duplicates(db, project, principal,
                                          threshold=_number(form.get("similarity"), "similarity", 0.7))
        else:
            raise DomainError("kind", N_("Choose what to suggest."), field="kind", status=422)
    except DomainError as exc:
        db.rollback()
        return _assist_page(request, db, principal, project, errors=field_errors(exc), values=dict(form),
                            status=exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}/assist#pending", status_code=303)


@router.post(BASE + "/projects/{project_id}/assist/summary", response_class=HTMLResponse)
def summarize(project_id: int, request: Request, db: DbSession, principal: CurrentPrincipal,
              form: PostedForm) -> Response:
    """Ask the configured language model for a summary of a theme; it waits for a person's decision."""
    project = _project(db, principal, project_id, write=True)
    try:
        theme = service.get_theme(db, project, digits.integer(form.get("theme", ""), "theme"))
        summaries.summarize_theme(db, project, principal, theme)
    except DomainError as exc:
        db.rollback()
        return _assist_page(request, db, principal, project, errors=field_errors(exc) or {"theme": exc.localized()},
                            values=dict(form), status=exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}/assist#pending", status_code=303)


@router.post(BASE + "/projects/{project_id}/assist/{suggestion_id}", response_class=HTMLResponse)
def decide(project_id: int, suggestion_id: int, request: Request, db: DbSession, principal: CurrentPrincipal,
           form: PostedForm) -> Response:
    """Approve or reject one suggestion (``decision``), with a name for an approved theme."""
    project = _project(db, principal, project_id, write=True)
    decision = form.get("decision", "")
    values = {k: v for k, v in form.items() if k != csrf.FIELD}
    try:
        suggestion = assist_service.get_suggestion(db, project, suggestion_id)
        if decision not in ("approve", "reject"):
            raise DomainError("decision", N_("Approve or reject the suggestion."), field="decision", status=422)
        assist_service.decide(db, project, principal, suggestion, decision == "approve",
                              name=form.get("name", ""), note=form.get("note", ""))
    except DomainError as exc:
        db.rollback()
        return _assist_page(request, db, principal, project, errors=field_errors(exc), values=values,
                            status=exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/projects/{project.id}/assist#pending", status_code=303)
