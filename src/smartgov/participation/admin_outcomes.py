"""The back office's follow-through: the terms of petitions addressed to an agency (signature threshold,
response time, signing deadline) and a consultation's final version, section by section.

Same shape as ``admin_pages`` (whose form reader and helpers it uses): a plain form, one POST = one
transaction through one ``service`` function, the record's agency checked with
``permissions.can_run_processes`` before anything is read out, errors named on their fields.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.errors import DomainError
from smartgov.i18n import N_, get_language
from smartgov.identity import Principal, require
from smartgov.participation import permissions, service
from smartgov.participation.admin_pages import (
    BASE,
    PHASE_LABELS,
    _owned,
    _page,
    shown_moment,
)
from smartgov.participation.models import Consultation, ContentStatus, Petition, Phase
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import Collected, PostedForm, field_errors

router = APIRouter(include_in_schema=False)

PETITION_STATES = {"collecting": N_("Collecting signatures"), "awaiting_response": N_("Awaiting the response"),
                   "overdue": N_("Response overdue"), "responded": N_("Responded"),
                   "responded_late": N_("Responded late")}


# --------------------------------------------------------------------------- petitions


def _petitions(db: Session, principal: Principal) -> list[Petition]:
    """Visible petitions addressed to the principal's agencies (every agency for a platform admin), newest first."""
    org_ids = permissions.moderator_org_ids(db, principal)
    query = select(Petition).where(Petition.status == ContentStatus.VISIBLE).order_by(Petition.id.desc()).limit(200)
    if org_ids is not None:
        query = query.where(Petition.organization_id.in_(org_ids))
    return list(db.scalars(query))


@router.get(f"{BASE}/petitions", response_class=HTMLResponse)
def petitions(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Petitions to the principal's agencies, with their state and terms; each opens its terms form."""
    require(permissions.is_moderator(principal))
    rows = _petitions(db, principal)
    lang = get_language()
    names = {o.id: o.name(lang) for o in identity.organization_views(db, {p.organization_id for p in rows}).values()}
    return _page(request, "participation/admin/petitions.html", principal, db, {
        "petitions": rows, "org_names": names, "state_of": service.petition_state, "states": PETITION_STATES})


def _petition_values(p: Petition) -> dict[str, str]:
    return {"threshold": str(p.threshold), "response_days": str(p.response_days),
            "signatures_close_at": shown_moment(p.signatures_close_at)}


def _petition_form(request: Request, db: Session, principal: Principal, p: Petition, values: dict[str, str],
                   errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return _page(request, "participation/admin/petition.html", principal, db, {
        "p": p, "values": values, "errors": errors or {}, "state": service.petition_state(p),
        "states": PETITION_STATES, "done": request.query_params.get("done", "")}, status_code)


@router.get(f"{BASE}/petitions/{{petition_id}}", response_class=HTMLResponse)
def petition(petition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    p = _owned(db, principal, Petition, petition_id)
    return _petition_form(request, db, principal, p, _petition_values(p))


@router.post(f"{BASE}/petitions/{{petition_id}}")
def set_petition_terms(petition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                       form: PostedForm) -> Response:
    """Set the threshold, the days the agency has to respond and (optionally) when signing ends."""
    p = _owned(db, principal, Petition, petition_id)
    found = Collected()
    try:
        threshold = found.number(form, "threshold", low=1, high=service.THRESHOLD_MAX)
        days = found.number(form, "response_days", low=1, high=365)
        closes = found.when(form, "signatures_close_at") if form.get("signatures_close_at", "").strip() else None
        found.check()
        assert threshold is not None and days is not None
        service.set_petition_terms(db, p, threshold=threshold, response_days=days, signatures_close_at=closes,
                                   actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        p = _owned(db, principal, Petition, petition_id)
        return _petition_form(request, db, principal, p, form, field_errors(exc), 409 if exc.status == 409 else 422)
    db.commit()
    return RedirectResponse(f"{BASE}/petitions/{p.id}?done=saved", status_code=303)


# --------------------------------------------------------------------------- a consultation's final version


def _final_values(c: Consultation) -> dict[str, str]:
    """Each section's final text if published, else its draft: the official edits from there."""
    values: dict[str, str] = {}
    for s in c.sections:
        values[f"s{s.number}_body_fa"] = s.final_body_fa if s.final_body_fa is not None else s.body_fa
        values[f"s{s.number}_body_en"] = s.final_body_en if s.final_body_en is not None else s.body_en
    return values


def _final_form(request: Request, db: Session, principal: Principal, c: Consultation, values: dict[str, str],
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    phase = service.current_phase(c)
    return _page(request, "participation/admin/final.html", principal, db, {
        "c": c, "values": values, "errors": errors or {}, "phase": phase, "phase_labels": PHASE_LABELS,
        "open": phase in (Phase.DECISION, Phase.ACCOUNTABILITY), "done": request.query_params.get("done", "")},
        status_code)


@router.get(f"{BASE}/consultations/{{consultation_id}}/final", response_class=HTMLResponse)
def final_version(consultation_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    c = _owned(db, principal, Consultation, consultation_id)
    return _final_form(request, db, principal, c, _final_values(c))


def _read_final(c: Consultation, form: dict[str, Any], found: Collected) -> list[dict[str, Any]]:
    """Every section's final text in both languages; both left empty removes the section, one alone is an error."""
    sections = []
    for s in c.sections:
        fa = found.text(form, f"s{s.number}_body_fa", required=False, max_len=20000)
        en = found.text(form, f"s{s.number}_body_en", required=False, max_len=20000)
        if bool(fa) != bool(en):
            found.add(f"s{s.number}_body_{'en' if fa else 'fa'}",
                      N_("Give the final text in both languages; leave both empty to remove the section."))
        sections.append({"number": s.number, "body_fa": fa, "body_en": en})
    return sections


@router.post(f"{BASE}/consultations/{{consultation_id}}/final")
def publish_final_version(consultation_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                          form: PostedForm) -> Response:
    """Publish the final text; citizens then see it beside the draft, word by word (``…/diff``)."""
    c = _owned(db, principal, Consultation, consultation_id)
    found = Collected()
    try:
        sections = _read_final(c, form, found)
        found.check()
        service.publish_final_version(db, c, sections, actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        c = _owned(db, principal, Consultation, consultation_id)
        errors = field_errors(exc) if exc.status != 409 else {"_form": exc.localized()}
        return _final_form(request, db, principal, c, form, errors, 409 if exc.status == 409 else 422)
    db.commit()
    return RedirectResponse(f"{BASE}/consultations/{c.id}/final?done=published", status_code=303)
