"""HTML pages of the participation module: consultations, proposals, polls, budgets, petitions,
accountability, moderation. Forms work without JavaScript; every field has a label."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import digits, identity
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_, get_language
from smartgov.identity import OrganizationView, Principal, require
from smartgov.participation import demo as _demo  # noqa: F401 - registers the demo loader
from smartgov.participation import permissions, service, verify_ballots
from smartgov.participation.models import (
    Budget,
    Comment,
    ContentStatus,
    Petition,
    Phase,
    Poll,
    Proposal,
)
from smartgov.web.deps import AccountPrincipal, CurrentPrincipal, DbSession, OptionalPrincipal, client_ip
from smartgov.web.fields import Id, posted_number
from smartgov.web.forms import PostedFiles, PostedForm, field_errors, safe_next
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

register(NavItem("/participation", N_("Participation"), order=30))
register(NavItem("/participation/answers", N_("Answers due"), roles=frozenset(permissions.STAFF), order=79))
register(NavItem("/participation/moderation", N_("Moderation"), roles=frozenset(permissions.STAFF), order=80))

PHASE_LABELS = {
    Phase.UPCOMING: N_("Upcoming"),
    Phase.INFORMATION: N_("Information"),
    Phase.CONSULTATION: N_("Consultation"),
    Phase.ANALYSIS: N_("Analysis"),
    Phase.DECISION: N_("Decision"),
    Phase.ACCOUNTABILITY: N_("Accountability"),
}
PETITION_STATES = {
    "collecting": N_("Collecting signatures"),
    "awaiting_response": N_("Awaiting the agency's response"),
    "overdue": N_("Response overdue"),
    "responded": N_("Answered"),
    "responded_late": N_("Answered late"),
}
ITEM_STATUSES = {"planned": N_("Planned"), "in_progress": N_("In progress"), "completed": N_("Completed"),
                 "cancelled": N_("Cancelled")}
ANSWER_STATUSES = {"accepted": N_("Accepted"), "rejected": N_("Rejected"), "evaluating": N_("Being evaluated")}
BUDGET_REASONS = {"funded": N_("Funded: it fits in what was left of the budget."),
                  "does_not_fit": N_("Not funded: its cost is more than what was left of the budget."),
                  "no_votes": N_("Not funded: no votes.")}


def _org_name(db: Session, org_id: int, lang: str) -> str:
    org = identity.organization_view(db, org_id)
    return org.name(lang) if org else ""


def _runs(db: Session, principal: Principal | None, org_id: int) -> bool:
    """Whether the viewer answers for the agency (shows the staff forms on public pages)."""
    return principal is not None and permissions.can_run_processes(db, principal, org_id)


def _renamed(errors: dict[str, str], prefix: str) -> dict[str, str]:
    """The service names fields ``text``/``cost``/``status``; a page with several forms prefixes them."""
    return {k if k == "_form" else prefix + k: v for k, v in errors.items()}


def comment_tree(comments: list[Comment]) -> tuple[dict[int | None, list[Comment]], dict[int | None, list[Comment]]]:
    """Top-level comments by section id, and replies by parent id."""
    top: dict[int | None, list[Comment]] = defaultdict(list)
    replies: dict[int | None, list[Comment]] = defaultdict(list)
    for c in comments:
        (replies[c.parent_id] if c.parent_id else top[c.section_id]).append(c)
    return top, replies


def _common(db: Session, principal: Principal | None, kind: str, subject_id: int) -> dict[str, Any]:
    viewer = principal.id if principal else None
    comments = service.comments_for(db, kind, subject_id, viewer)
    top, replies = comment_tree(comments)
    level = service.verification_level(db, principal.account if principal else None)
    return {"top": top, "replies": replies, "comment_count": len(comments), "viewer_id": viewer, "level": level,
            "following": service.is_following(db, viewer, kind, subject_id), "subject_kind": kind,
            "subject_id": subject_id}


# --------------------------------------------------------------------------- hub


@router.get("/participation", response_class=HTMLResponse)
def hub(request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    consultations = list(db.scalars(service.list_consultations(db).limit(50)))
    polls = list(db.scalars(select(Poll).order_by(Poll.closes_at.desc()).limit(20)))
    budgets = list(db.scalars(select(Budget).order_by(Budget.closes_at.desc()).limit(20)))
    petitions = list(db.scalars(select(Petition).where(Petition.status == ContentStatus.VISIBLE)
                                .order_by(Petition.id.desc()).limit(50)))
    proposals = list(db.scalars(select(Proposal).where(Proposal.status == ContentStatus.VISIBLE)
                                .order_by(Proposal.support_count.desc()).limit(50)))
    notes = service.notifications_for(db, principal.id, 10) if principal else []
    return render(request, "participation/hub.html", {
        "consultations": consultations, "polls": polls, "budgets": budgets, "petitions": petitions,
        "proposals": proposals, "items": service.list_items(db), "notes": notes, "phase_of": service.current_phase,
        "phase_labels": PHASE_LABELS, "petition_state": service.petition_state, "petition_states": PETITION_STATES,
        "item_overdue": service.item_overdue, "now": service.now(),
        "published": lambda box: service.results_published(db, box),
        "level": service.verification_level(db, principal.account if principal else None),
        "answer_overdue": service.answer_overdue,
    })


# --------------------------------------------------------------------------- consultations


def _consultation_page(request: Request, db: Session, principal: Principal | None, slug: str,
                       errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                       status_code: int = 200) -> HTMLResponse:
    c = service.consultation_by_slug(db, slug)
    lang = get_language()
    phase = service.current_phase(c)
    ctx = _common(db, principal, "consultation", c.id)
    by_id = {}
    heard = None
    if c.response_published_at:
        by_id = {x.id: x for x in db.scalars(select(Comment).where(Comment.subject_kind == "consultation",
                                                                   Comment.subject_id == c.id))}
        heard = service.grouped(service.heard_view(db, c.id).published)
    order = [Phase.INFORMATION, Phase.CONSULTATION, Phase.ANALYSIS, Phase.DECISION, Phase.ACCOUNTABILITY]
    ctx.update({
        "c": c, "phase": phase, "phase_labels": PHASE_LABELS, "phases": [(p, c.phase_starts()[p]) for p in order],
        "open": phase == Phase.CONSULTATION, "org_name": _org_name(db, c.organization_id, lang),
        "section_numbers": {s.id: s.number for s in c.sections}, "commented": by_id, "heard": heard,
        "is_staff": principal is not None and permissions.can_run_processes(db, principal, c.organization_id),
        "errors": errors or {}, "values": values or {},
        "next_url": f"/participation/consultations/{c.slug}",
    })
    return render(request, "participation/consultation.html", ctx, status_code=status_code)


@router.get("/participation/consultations/{slug}", response_class=HTMLResponse)
def consultation_page(slug: str, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    return _consultation_page(request, db, principal, slug)


@router.get("/participation/consultations/{slug}/diff", response_class=HTMLResponse)
def diff_page(slug: str, request: Request, db: DbSession) -> HTMLResponse:
    c = service.consultation_by_slug(db, slug)
    if c.final_published_at is None:
        raise NotFound("final version")
    return render(request, "participation/diff.html", {"c": c, "diffs": service.section_diffs(c, get_language())})


@router.get("/participation/consultations/{slug}/respond", response_class=HTMLResponse)
def respond_form(slug: str, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    c = service.consultation_by_slug(db, slug)
    require(permissions.can_run_processes(db, principal, c.organization_id))
    heard = service.heard_view(db, c.id)
    values: dict[str, str] = {}
    if heard.draft is not None:  # a drafted "what we heard" is the starting text the official edits
        values = {"response_fa": heard.draft.summary_fa, "response_en": heard.draft.summary_en}
        values.update({f"quote_{q.id}": "on" for q in heard.drafted})
    return render(request, "participation/respond.html", {"c": c, "phase": service.current_phase(c),
                                                          "phase_labels": PHASE_LABELS, "heard": heard,
                                                          "grouped": service.grouped, "values": values})


def _ids(text: str) -> list[int]:
    parts = digits.to_latin(text, "comment_ids").replace("،", ",").replace(" ", ",").split(",")
    ids = [posted_number(p) for p in parts if p.strip()]
    if None in ids:
        raise DomainError("invalid_ids", N_("Write comment numbers separated by commas."), field="comment_ids")
    return [i for i in ids if i is not None]


@router.post("/participation/consultations/{slug}/respond")
def respond(slug: str, request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    c = service.consultation_by_slug(db, slug)
    require(permissions.can_run_processes(db, principal, c.organization_id))
    try:
        changes = []
        if form.get("change_fa", "").strip() or form.get("change_en", "").strip():
            changes.append({"section": posted_number(form.get("change_section", ""), "change_section"),
                            "text_fa": form.get("change_fa", ""), "text_en": form.get("change_en", ""),
                            "comment_ids": _ids(form.get("comment_ids", ""))})
        heard = service.heard_view(db, c.id)
        kept = [q.id for q in heard.drafted if form.get(f"quote_{q.id}")]  # unticked drafted quotes are dropped
        service.publish_response(db, c, response_fa=form.get("response_fa", ""),
                                 response_en=form.get("response_en", ""), changes=changes, quote_ids=kept,
                                 actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        return render(request, "participation/respond.html",
                      {"c": c, "phase": service.current_phase(c), "phase_labels": PHASE_LABELS,
                       "heard": service.heard_view(db, c.id), "grouped": service.grouped,
                       "errors": field_errors(exc), "values": form}, status_code=exc.status)
    db.commit()
    return RedirectResponse(f"/participation/consultations/{c.slug}#response", status_code=303)


# --------------------------------------------------------------------------- comments (every subject)


def _subject_page(request: Request, db: Session, principal: Principal | None, kind: str, subject_id: int,
                  errors: dict[str, str], values: dict[str, str], status_code: int) -> HTMLResponse:
    if kind == "consultation":
        slug = service.consultation_by_id(db, subject_id).slug
        return _consultation_page(request, db, principal, slug, errors, values, status_code)
    if kind == "proposal":
        return _proposal_page(request, db, principal, subject_id, errors, values, status_code)
    if kind == "petition":
        return _petition_page(request, db, principal, subject_id, errors, values, status_code)
    return _item_page(request, db, principal, subject_id, errors, values, status_code)


@router.post("/participation/comments")
def post_comment(request: Request, db: DbSession, principal: AccountPrincipal, form: PostedForm) -> Response:
    kind = form.get("subject_kind", "")
    subject_id = posted_number(form.get("subject_id", ""), "subject_id")
    if kind not in service.SUBJECT_KINDS or subject_id is None:
        raise NotFound("page")
    key = form.get("form_key", "general")
    section = form.get("section", "")
    parent = form.get("parent_id", "")
    try:
        require(permissions.can_participate(principal))
        comment = service.post_comment(
            db, account=principal.account, subject_kind=kind, subject_id=subject_id, body=form.get("body", ""),
            section_number=posted_number(section, "section"), parent_id=posted_number(parent, "parent_id"),
            ip=client_ip(request))
    except DomainError as exc:
        db.rollback()
        message = field_errors(exc)
        errors = {f"body-{key}": next(iter(message.values()))}
        return _subject_page(request, db, principal, kind, subject_id, errors, {f"body-{key}": form.get("body", "")},
                             exc.status if exc.status != 409 else 422)
    db.commit()
    next_url = safe_next(form.get("next"), "/participation")
    return RedirectResponse(f"{next_url}#comment-{comment.id}", status_code=303)


@router.get("/participation/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit_form(comment_id: Id, request: Request, db: DbSession, principal: AccountPrincipal,
              next: str | None = None) -> HTMLResponse:
    comment = service.comment_by_id(db, comment_id)
    require(permissions.can_edit_comment(principal, comment))
    return render(request, "participation/edit_comment.html",
                  {"comment": comment, "values": {"body": comment.body}, "next_url": safe_next(next, "/participation")})


@router.post("/participation/comments/{comment_id}/edit")
def edit(comment_id: Id, request: Request, db: DbSession, principal: AccountPrincipal, form: PostedForm) -> Response:
    comment = service.comment_by_id(db, comment_id)
    require(permissions.can_edit_comment(principal, comment))
    next_url = safe_next(form.get("next"), "/participation")
    try:
        service.edit_comment(db, comment, form.get("body", ""), actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        return render(request, "participation/edit_comment.html",
                      {"comment": comment, "values": form, "errors": field_errors(exc), "next_url": next_url},
                      status_code=exc.status if exc.status != 409 else 422)
    db.commit()
    return RedirectResponse(f"{next_url}#comment-{comment.id}", status_code=303)


@router.post("/participation/comments/{comment_id}/delete")
def delete(comment_id: Id, request: Request, db: DbSession, principal: AccountPrincipal, form: PostedForm) -> Response:
    comment = service.comment_by_id(db, comment_id)
    require(permissions.can_edit_comment(principal, comment))
    service.delete_comment(db, comment, actor_id=principal.id)
    db.commit()
    return RedirectResponse(safe_next(form.get("next"), "/participation"), status_code=303)


@router.post("/participation/comments/{comment_id}/rate")
def rate(comment_id: Id, request: Request, db: DbSession, principal: AccountPrincipal, form: PostedForm) -> Response:
    require(permissions.can_participate(principal))
    value = {"agree": 1, "disagree": -1}.get(form.get("value", ""), 0)
    service.rate_comment(db, service.comment_by_id(db, comment_id), principal.account, value)
    db.commit()
    return RedirectResponse(f"{safe_next(form.get('next'), '/participation')}#comment-{comment_id}", status_code=303)


@router.post("/participation/report")
def report(request: Request, db: DbSession, principal: AccountPrincipal, form: PostedForm) -> Response:
    require(permissions.can_participate(principal))
    content_id = posted_number(form.get("id", ""), "id")
    if content_id is None:
        raise NotFound("content")
    try:
        service.report_content(db, principal.account, form.get("kind", ""), content_id,
                               form.get("reason", "other"), form.get("details", ""), ip=client_ip(request))
    except DomainError as exc:
        if exc.code != "already_reported":
            raise
        db.rollback()
    db.commit()
    return render(request, "participation/done.html", {
        "title": N_("Thank you for your report"), "message": N_("A moderator will look at it."),
        "next_url": safe_next(form.get("next"), "/participation")})


@router.post("/participation/follow")
def follow(request: Request, db: DbSession, principal: AccountPrincipal, form: PostedForm) -> Response:
    require(permissions.can_participate(principal))
    kind, sid = form.get("subject_kind", ""), posted_number(form.get("subject_id", ""), "subject_id")
    if kind not in service.SUBJECT_KINDS or sid is None:
        raise NotFound("page")
    service.subject_title(db, kind, sid, "en")
    if form.get("stop"):
        service.unfollow(db, principal.account, kind, sid)
    else:
        service.follow(db, principal.account, kind, sid)
    db.commit()
    return RedirectResponse(safe_next(form.get("next"), "/participation"), status_code=303)


# --------------------------------------------------------------------------- proposals


def _proposal_page(request: Request, db: Session, principal: Principal | None, proposal_id: int,
                   errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                   status_code: int = 200) -> HTMLResponse:
    p = service.proposal_by_id(db, proposal_id, principal.id if principal else None)
    if values is None and p.answer_status is not None:  # an answer being evaluated: start from it
        values = {"answer_status": p.answer_status.value, "answer_text": p.answer_text or "",
                  "answer_cost": "" if p.answer_cost is None else str(p.answer_cost)}
    ctx = _common(db, principal, "proposal", p.id)
    ctx.update({"p": p, "org_name": _org_name(db, p.organization_id, get_language()),
                "overdue": service.answer_overdue(p), "answer_statuses": ANSWER_STATUSES, "open": True,
                "can_answer": _runs(db, principal, p.organization_id),
                "errors": errors or {}, "values": values or {}, "next_url": f"/participation/proposals/{p.id}"})
    return render(request, "participation/proposal.html", ctx, status_code=status_code)


@router.get("/participation/proposals/new", response_class=HTMLResponse)
def new_proposal_form(request: Request, db: DbSession, principal: AccountPrincipal) -> HTMLResponse:
    return render(request, "participation/new_proposal.html", {"agencies": _agencies(db)})


def _agencies(db: Session) -> list[OrganizationView]:
    return identity.agencies(db)


@router.post("/participation/proposals/new")
def new_proposal(request: Request, db: DbSession, principal: AccountPrincipal, form: PostedForm) -> Response:
    require(permissions.can_participate(principal))
    try:
        org = next((a for a in identity.agencies(db) if a.code == form.get("organization", "")), None)
        if org is None:
            raise DomainError("required", N_("Choose the agency."), field="organization")
        p = service.create_proposal(db, account=principal.account, organization=org, title=form.get("title", ""),
                                    body=form.get("body", ""), ip=client_ip(request))
    except DomainError as exc:
        db.rollback()
        return render(request, "participation/new_proposal.html",
                      {"agencies": _agencies(db), "errors": field_errors(exc), "values": form},
                      status_code=exc.status if exc.status != 409 else 422)
    db.commit()
    return RedirectResponse(f"/participation/proposals/{p.id}", status_code=303)


@router.get("/participation/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal_page(proposal_id: Id, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    return _proposal_page(request, db, principal, proposal_id)


@router.post("/participation/proposals/{proposal_id}/support")
def support(proposal_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
            _form: PostedForm) -> Response:
    require(permissions.can_participate(principal))
    try:
        service.support_proposal(db, service.proposal_by_id(db, proposal_id), principal.account, ip=client_ip(request))
    except DomainError as exc:
        db.rollback()
        return _proposal_page(request, db, principal, proposal_id, {"_form": exc.localized()}, None, exc.status)
    db.commit()
    return RedirectResponse(f"/participation/proposals/{proposal_id}", status_code=303)


@router.post("/participation/proposals/{proposal_id}/answer")
def answer_proposal(proposal_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                    form: PostedForm) -> Response:
    p = service.proposal_by_id(db, proposal_id)
    require(permissions.can_run_processes(db, principal, p.organization_id))
    typed_cost = form.get("answer_cost", "").strip()
    try:
        if form.get("answer_status") not in ANSWER_STATUSES:
            raise DomainError("invalid_status", N_("Choose one of the allowed values."), field="status")
        cost = digits.whole_number(typed_cost, "cost") if typed_cost else None
        if typed_cost and cost is None:
            raise DomainError("cost_required", N_("Give the estimated cost in rial."), field="cost")
        service.answer_proposal(db, p, status=form["answer_status"], text=form.get("answer_text", ""),
                                cost=cost, actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        return _proposal_page(request, db, principal, proposal_id, _renamed(field_errors(exc), "answer_"), form,
                              exc.status)
    db.commit()
    return RedirectResponse(f"/participation/proposals/{proposal_id}#answer-title", status_code=303)


# --------------------------------------------------------------------------- petitions


def _petition_page(request: Request, db: Session, principal: Principal | None, petition_id: int,
                   errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                   status_code: int = 200) -> HTMLResponse:
    p = service.petition_by_id(db, petition_id, principal.id if principal else None)
    ctx = _common(db, principal, "petition", p.id)
    ctx.update({"p": p, "org_name": _org_name(db, p.organization_id, get_language()),
                "state": service.petition_state(p), "states": PETITION_STATES, "open": True,
                "can_respond": p.responded_at is None and _runs(db, principal, p.organization_id),
                "signed_at": service.signed_at(db, p, principal.account if principal else None),
                "just_signed": request.query_params.get("signed") == "1",
                "errors": errors or {}, "values": values or {}, "next_url": f"/participation/petitions/{p.id}"})
    return render(request, "participation/petition.html", ctx, status_code=status_code)


@router.get("/participation/petitions/{petition_id}", response_class=HTMLResponse)
def petition_page(petition_id: Id, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    return _petition_page(request, db, principal, petition_id)


@router.post("/participation/petitions/{petition_id}/sign")
def sign(petition_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal, _form: PostedForm) -> Response:
    require(permissions.can_participate(principal))
    try:
        service.sign_petition(db, service.petition_by_id(db, petition_id), principal.account, ip=client_ip(request))
    except DomainError as exc:
        db.rollback()
        return _petition_page(request, db, principal, petition_id, {"_form": exc.localized()}, None, exc.status)
    db.commit()
    return RedirectResponse(f"/participation/petitions/{petition_id}?signed=1#signed", status_code=303)


@router.post("/participation/petitions/{petition_id}/response")
def respond_to_petition(petition_id: Id, request: Request, db: DbSession,
                        principal: CurrentPrincipal, form: PostedForm) -> Response:
    p = service.petition_by_id(db, petition_id)
    require(permissions.can_run_processes(db, principal, p.organization_id))
    try:
        service.respond_to_petition(db, p, form.get("response_text", ""), actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        return _petition_page(request, db, principal, petition_id, _renamed(field_errors(exc), "response_"), form,
                              exc.status)
    db.commit()
    return RedirectResponse(f"/participation/petitions/{petition_id}#resp-title", status_code=303)


# --------------------------------------------------------------------------- polls and budgets


def _poll_page(request: Request, db: Session, principal: Principal | None, poll: Poll,
               errors: dict[str, str] | None = None, receipt: str | None = None,
               status_code: int = 200) -> HTMLResponse:
    published = service.results_published(db, poll)
    person_id = principal.account.person_id if principal else None
    return render(request, "participation/poll.html", {
        "poll": poll, "published": published, "results": service.poll_results(db, poll) if published else None,
        "opened": service.now() >= poll.opens_at, "closed": service.now() >= poll.closes_at,
        "voted": service.has_voted(db, "poll", poll.id, person_id),
        "level": service.verification_level(db, principal.account if principal else None),
        "eligible": service.may_vote(db, poll, person_id) if person_id is not None else None,
        "errors": errors or {}, "receipt": receipt,
    }, status_code=status_code)


@router.get("/participation/polls/{ref}", response_class=HTMLResponse)
def poll_page(ref: str, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    return _poll_page(request, db, principal, service.poll_by_ref(db, ref))


@router.post("/participation/polls/{ref}/vote")
def poll_vote(ref: str, request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    poll = service.poll_by_ref(db, ref)
    try:
        require(permissions.can_participate(principal))
        choice = posted_number(form.get("option", ""), "option")
        if choice is None:
            raise DomainError("required", N_("Choose an option."), field="option")
        tracker = service.vote_in_poll(db, poll, principal.account, choice)
    except DomainError as exc:
        db.rollback()
        return _poll_page(request, db, principal, poll, field_errors(exc),
                          status_code=exc.status if exc.status != 409 else 422)
    db.commit()
    # Shown in this answer (no redirect); the voter finds it again on the public board.
    return _poll_page(request, db, principal, poll, receipt=tracker)


def _budget_page(request: Request, db: Session, principal: Principal | None, budget: Budget,
                 errors: dict[str, str] | None = None, receipt: str | None = None, chosen: list[int] | None = None,
                 status_code: int = 200) -> HTMLResponse:
    published = service.results_published(db, budget)
    person_id = principal.account.person_id if principal else None
    lines = service.budget_results(db, budget) if published else []
    return render(request, "participation/budget.html", {
        "b": budget, "published": published, "lines": lines, "projects": {p.id: p for p in budget.projects},
        "reasons": BUDGET_REASONS, "opened": service.now() >= budget.opens_at,
        "closed": service.now() >= budget.closes_at,
        "voted": service.has_voted(db, "budget", budget.id, person_id),
        "level": service.verification_level(db, principal.account if principal else None),
        "errors": errors or {}, "receipt": receipt, "chosen": chosen or [],
        "funded_total": sum(x.cost for x in lines if x.funded),
    }, status_code=status_code)


@router.get("/participation/budgets/{ref}", response_class=HTMLResponse)
def budget_page(ref: str, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    return _budget_page(request, db, principal, service.budget_by_ref(db, ref))


@router.post("/participation/budgets/{ref}/vote")
def budget_vote(ref: str, request: Request, db: DbSession, principal: CurrentPrincipal, raw: PostedFiles) -> Response:
    budget = service.budget_by_ref(db, ref)
    picked = (posted_number(v, "projects") for v in raw.getlist("projects") if isinstance(v, str))
    chosen = [n for n in picked if n is not None]
    try:
        require(permissions.can_participate(principal))
        tracker = service.vote_in_budget(db, budget, principal.account, chosen)
    except DomainError as exc:
        db.rollback()
        return _budget_page(request, db, principal, budget, field_errors(exc), chosen=chosen,
                            status_code=exc.status if exc.status != 409 else 422)
    db.commit()
    return _budget_page(request, db, principal, budget, receipt=tracker)


def _box(db: Session, box: str, ref: str) -> Poll | Budget:
    return service.budget_by_ref(db, ref) if box == "budget" else service.poll_by_ref(db, ref)


def _unknown_box() -> dict[str, str]:
    return field_errors(DomainError("unknown_box", N_(
        "No poll or participatory budget has this number or short name. Copy it from the address of its "
        "page, after …/polls/ or …/budgets/."), field="ref"))


@router.get("/participation/receipts", response_class=HTMLResponse)
def receipt_check(request: Request, db: DbSession, box: str = "poll", ref: str = "", code: str = "") -> HTMLResponse:
    """Is my ballot on the board? A wrong name or number is answered on the same form, not with a bare 404."""
    box = "budget" if box == "budget" else "poll"
    result, target, errors, status = None, None, {}, 200
    if ref and code:
        try:
            target = _box(db, box, ref)
        except NotFound:
            errors, status = _unknown_box(), 404
        else:
            result = service.check_receipt(db, box, target.id, code)
    return render(request, "participation/receipt.html",
                  {"result": result, "target": target, "errors": errors,
                   "values": {"box": box, "ref": ref, "code": code}}, status_code=status)


BOARD_PAGE = 100  # trackers per page of the board


def _board_page(request: Request, db: Session, target: Poll | Budget, page: int, tracker: str) -> HTMLResponse:
    box = "poll" if isinstance(target, Poll) else "budget"
    data = service.board_summary(db, target)
    found = service.check_receipt(db, box, target.id, tracker) if tracker else None
    pages = max(1, -(-data["ballot_count"] // BOARD_PAGE))
    page = min(max(page, 1), pages)
    return render(request, "participation/board.html", {
        "box": box, "target": target, "board": data, "found": found, "query": tracker,
        "trackers": service.trackers(db, target, offset=(page - 1) * BOARD_PAGE, limit=BOARD_PAGE),
        "page": page, "pages": pages, "first": (page - 1) * BOARD_PAGE, "closed": service.now() >= target.closes_at,
    })


def _board_or_help(request: Request, db: Session, box: str, ref: str, page: int, tracker: str) -> HTMLResponse:
    """The board of ``ref``; a wrong name gets the receipt checker saying where to find the right one."""
    try:
        target = _box(db, box, ref)
    except NotFound:
        return render(request, "participation/receipt.html", {
            "result": None, "target": None, "errors": _unknown_box(),
            "values": {"box": box, "ref": ref, "code": tracker}}, status_code=404)
    return _board_page(request, db, target, page, tracker)


@router.get("/participation/polls/{ref}/board", response_class=HTMLResponse)
def poll_board(ref: str, request: Request, db: DbSession, page: int = 1, tracker: str = "") -> HTMLResponse:
    """The poll's public ballot board: keys, trackers (a page at a time, or the one searched), tally, downloads."""
    return _board_or_help(request, db, "poll", ref, page, tracker)


@router.get("/participation/budgets/{ref}/board", response_class=HTMLResponse)
def budget_board(ref: str, request: Request, db: DbSession, page: int = 1, tracker: str = "") -> HTMLResponse:
    return _board_or_help(request, db, "budget", ref, page, tracker)


def _board_file(db: Session, target: Poll | Budget) -> Response:
    box = "poll" if isinstance(target, Poll) else "budget"
    return Response(json.dumps(service.board(db, target), ensure_ascii=False, indent=1), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{box}-{target.slug}-board.json"'})


@router.get("/participation/polls/{ref}/board.json")
def poll_board_file(ref: str, db: DbSession) -> Response:
    """The board as a file, for ``verify_ballots.py``."""
    return _board_file(db, service.poll_by_ref(db, ref))


@router.get("/participation/budgets/{ref}/board.json")
def budget_board_file(ref: str, db: DbSession) -> Response:
    return _board_file(db, service.budget_by_ref(db, ref))


@router.get("/participation/verify_ballots.py")
def verify_script() -> Response:
    """The board checker itself (standard library + PyNaCl), the same file the platform runs."""
    return Response(Path(verify_ballots.__file__).read_text(encoding="utf-8"), media_type="text/x-python",
                    headers={"Content-Disposition": 'attachment; filename="verify_ballots.py"'})


# --------------------------------------------------------------------------- accountability


def _item_page(request: Request, db: Session, principal: Principal | None, item_id: int,
               errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    item = service.item_by_id(db, item_id)
    ctx = _common(db, principal, "accountability", item.id)
    source = service.consultation_by_id(db, item.consultation_id) if item.consultation_id else None
    proposal = db.get(Proposal, item.proposal_id) if item.proposal_id else None
    ctx.update({"item": item, "org_name": _org_name(db, item.organization_id, get_language()),
                "overdue": service.item_overdue(item), "missed": service.milestone_missed, "statuses": ITEM_STATUSES,
                "source": source, "proposal": proposal, "open": True, "errors": errors or {}, "values": values or {},
                "next_url": f"/participation/accountability/{item.id}"})
    return render(request, "participation/item.html", ctx, status_code=status_code)


@router.get("/participation/accountability/{item_id}", response_class=HTMLResponse)
def item_page(item_id: Id, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    return _item_page(request, db, principal, item_id)


# --------------------------------------------------------------------------- what the agency owes


@router.get("/participation/answers", response_class=HTMLResponse)
def answers_due(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Petitions and proposals past their threshold that wait for this official's agencies."""
    require(permissions.is_moderator(principal))
    petitions, proposals = service.answers_due(db, permissions.moderator_org_ids(db, principal))
    lang = get_language()
    return render(request, "participation/answers.html", {
        "petitions": petitions, "proposals": proposals, "states": PETITION_STATES,
        "petition_state": service.petition_state, "answer_overdue": service.answer_overdue,
        "answer_statuses": ANSWER_STATUSES,
        "org_names": {o: _org_name(db, o, lang) for o in {x.organization_id for x in [*petitions, *proposals]}}})


# --------------------------------------------------------------------------- moderation


#: What the moderation page says for the codes of its queue and log (kinds, states, actions, report reasons).
MODERATION_LABELS = {
    "comment": N_("Comment"), "proposal": N_("Proposal"), "petition": N_("Petition"), "account": N_("Account"),
    "visible": N_("Visible"), "pending": N_("Held for review"), "hidden": N_("Hidden"),
    "deleted": N_("Withdrawn by its author"),
    "hide": N_("Hidden"), "unhide": N_("Shown again"), "approve": N_("Approved"), "dismiss": N_("Reports dismissed"),
    "block": N_("Account blocked"), "unblock": N_("Account unblocked"),
    "spam": N_("Spam"), "offensive": N_("Offensive"), "personal_data": N_("Personal data"), "other": N_("Other"),
    "links": N_("Links"), "repeated_characters": N_("Repeated characters"), "repeated_words": N_("Repeated words"),
    "shouting": N_("Shouting"),
}


@router.get("/participation/moderation", response_class=HTMLResponse)
def moderation(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    require(permissions.is_moderator(principal))
    return render(request, "participation/moderation.html", {
        "queue": service.moderation_queue(db, permissions.moderator_org_ids(db, principal)),
        "log": service.moderation_log(db, 50), "labels": MODERATION_LABELS})


@router.post("/participation/moderation")
def moderate(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    kind, cid = form.get("kind", ""), posted_number(form.get("id", ""), "id")
    if cid is None:
        raise NotFound("content")
    item = service.content(db, kind, cid)
    require(permissions.can_moderate(db, principal, service.content_organization_id(db, kind, item)))
    try:
        service.moderate(db, principal.id, kind, cid, form.get("action", ""), form.get("reason", ""))
    except DomainError as exc:
        db.rollback()
        return render(request, "participation/moderation.html", {
            "queue": service.moderation_queue(db, permissions.moderator_org_ids(db, principal)),
            "log": service.moderation_log(db, 50), "errors": {f"reason-{kind}-{cid}": exc.localized()}},
            status_code=exc.status)
    db.commit()
    return RedirectResponse("/participation/moderation", status_code=303)


# The back office (``admin_pages``) is mounted with the public pages: one router per module.
from smartgov.participation import admin_outcomes, admin_pages  # noqa: E402 - after the public routes, which it links to

router.include_router(admin_pages.router)
router.include_router(admin_outcomes.router)
