"""JSON API of the participation module under ``/api/v1/participation``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.errors import Forbidden
from smartgov.i18n import N_, gettext
from smartgov.identity import Principal, organization_by_code, require
from smartgov.participation import permissions, schemas, service, sms
from smartgov.participation.models import (
    AccountabilityItem,
    Budget,
    Comment,
    Consultation,
    ContentStatus,
    Petition,
    Poll,
    Proposal,
)
from smartgov.web.deps import AccountPrincipal, CurrentPrincipal, DbSession, OptionalPrincipal, client_ip
from smartgov.web.fields import Id
from smartgov.web.pagination import Page, Pagination, page_of, paginate
from smartgov.web.routing import ModuleRouter

router = ModuleRouter(prefix="/api/v1/participation", tags=["participation"])
#: A CSV answer; refusals stay JSON (the error envelope), so the route's class does not name one media type.
CSV_ANSWER: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


def _org_code(db: Session, org_id: int) -> str:
    return identity.organization_code(db, org_id) or ""


def _staff(db: Session, principal: Principal, org_id: int) -> None:
    require(permissions.can_run_processes(db, principal, org_id))


def _participant(principal: Principal) -> None:
    require(permissions.can_participate(principal))


# --------------------------------------------------------------------------- serializers


def consultation_summary(db: Session, c: Consultation) -> dict[str, Any]:
    return {"id": c.id, "slug": c.slug, "organization": _org_code(db, c.organization_id), "kind": c.kind.value,
            "title_fa": c.title_fa, "title_en": c.title_en, "phase": service.current_phase(c).value}


def consultation_public(db: Session, c: Consultation) -> schemas.ConsultationPublic:
    numbers = {s.id: s.number for s in c.sections}
    return schemas.ConsultationPublic(
        **consultation_summary(db, c), summary_fa=c.summary_fa, summary_en=c.summary_en,
        phases=schemas.PhaseDates(**{p.value: d for p, d in c.phase_starts().items()}),
        sections=[schemas.SectionPublic.model_validate(s) for s in c.sections],
        response_fa=c.response_fa if c.response_published_at else None,
        response_en=c.response_en if c.response_published_at else None,
        response_published_at=c.response_published_at, final_published_at=c.final_published_at,
        changes=[schemas.ChangePublic(section=numbers.get(ch.section_id or 0), text_fa=ch.text_fa, text_en=ch.text_en,
                                      comment_ids=ch.comment_ids) for ch in c.changes],
    )


def comment_public(db: Session, c: Comment, viewer_id: int | None, numbers: dict[int, int] | None = None
                   ) -> schemas.CommentPublic:
    if numbers is None:
        numbers = {}
        if c.section_id:
            from smartgov.participation.models import Section

            sec = db.get(Section, c.section_id)
            numbers = {sec.id: sec.number} if sec else {}
    return schemas.CommentPublic(
        id=c.id, subject_kind=c.subject_kind, subject_id=c.subject_id, section=numbers.get(c.section_id or 0),
        parent_id=c.parent_id, body=c.body, language=c.language, status=c.status.value, agree=c.agree_count,
        disagree=c.disagree_count, mine=c.author_id == viewer_id, created_at=c.created_at, edited_at=c.edited_at)


def proposal_public(db: Session, p: Proposal) -> schemas.ProposalPublic:
    return schemas.ProposalPublic(
        id=p.id, organization=_org_code(db, p.organization_id), title=p.title, body=p.body, language=p.language,
        status=p.status.value, threshold=p.threshold, supports=p.support_count,
        threshold_reached_at=p.threshold_reached_at, answer_due_at=p.answer_due_at,
        answer_overdue=service.answer_overdue(p), answer_status=p.answer_status.value if p.answer_status else None,
        answer_text=p.answer_text, answer_cost=p.answer_cost, created_at=p.created_at)


def poll_public(db: Session, p: Poll, principal: Principal | None) -> schemas.PollPublic:
    person_id = principal.account.person_id if principal else None
    return schemas.PollPublic(
        id=p.id, slug=p.slug, question_fa=p.question_fa, question_en=p.question_en,
        options=[schemas.OptionPublic(position=o.position, label_fa=o.label_fa, label_en=o.label_en)
                 for o in p.options],
        opens_at=p.opens_at, closes_at=p.closes_at, results_published=service.results_published(db, p),
        you_voted=service.has_voted(db, "poll", p.id, person_id))


def budget_public(db: Session, b: Budget, principal: Principal | None) -> schemas.BudgetPublic:
    person_id = principal.account.person_id if principal else None
    return schemas.BudgetPublic(
        id=b.id, slug=b.slug, title_fa=b.title_fa, title_en=b.title_en, total=b.total, style=b.style.value,
        max_choices=b.max_choices, opens_at=b.opens_at, closes_at=b.closes_at,
        projects=[schemas.ProjectPublic(id=p.id, position=p.position, title_fa=p.title_fa, title_en=p.title_en,
                                        cost=p.cost) for p in b.projects],
        results_published=service.results_published(db, b),
        you_voted=service.has_voted(db, "budget", b.id, person_id))


def petition_public(db: Session, p: Petition) -> schemas.PetitionPublic:
    return schemas.PetitionPublic(
        id=p.id, organization=_org_code(db, p.organization_id), title=p.title, body=p.body, language=p.language,
        status=p.status.value, threshold=p.threshold, signatures=p.signature_count,
        state=service.petition_state(p),  # type: ignore[arg-type]
        threshold_reached_at=p.threshold_reached_at, response_due_at=p.response_due_at,
        response_text=p.response_text, responded_at=p.responded_at, created_at=p.created_at)


def item_public(db: Session, i: AccountabilityItem) -> schemas.ItemPublic:
    return schemas.ItemPublic(
        id=i.id, organization=_org_code(db, i.organization_id), kind=i.kind, title_fa=i.title_fa, title_en=i.title_en,
        status=i.status.value, progress=i.progress, deadline=i.deadline, overdue=service.item_overdue(i),
        consultation_id=i.consultation_id, proposal_id=i.proposal_id,
        milestones=[schemas.MilestonePublic(id=m.id, title_fa=m.title_fa, title_en=m.title_en, due_on=m.due_on,
                                            completed_on=m.completed_on, missed=service.milestone_missed(m))
                    for m in i.milestones])


# --------------------------------------------------------------------------- consultations


@router.get("/consultations", response_model=Page[schemas.ConsultationSummary])
def list_consultations(db: DbSession, pages: Pagination) -> dict[str, Any]:
    """Consultations on drafts, newest first, with their current phase."""
    rows, total = paginate(db, service.list_consultations(db), pages)
    return page_of([consultation_summary(db, c) for c in rows], total, pages)


@router.post("/consultations", status_code=201, response_model=schemas.ConsultationPublic)
def create_consultation(body: schemas.ConsultationCreate, principal: CurrentPrincipal,
                        db: DbSession) -> schemas.ConsultationPublic:
    """Publish a draft in numbered sections with the dates of its phases (officials of the agency)."""
    org = organization_by_code(db, body.organization)
    _staff(db, principal, org.id)
    c = service.create_consultation(
        db, organization=org, slug=body.slug, kind=body.kind, title_fa=body.title_fa, title_en=body.title_en,
        summary_fa=body.summary_fa, summary_en=body.summary_en, phases=body.phases.model_dump(),
        sections=[s.model_dump() for s in body.sections], actor_id=principal.id)
    db.commit()
    return consultation_public(db, c)


@router.get("/consultations/{slug}", response_model=schemas.ConsultationPublic)
def get_consultation(slug: str, db: DbSession) -> schemas.ConsultationPublic:
    """The draft, its sections and phases, and the agency's response once published."""
    return consultation_public(db, service.consultation_by_slug(db, slug))


@router.post("/consultations/{slug}/advance", response_model=schemas.ConsultationPublic)
def advance_phase(slug: str, principal: CurrentPrincipal, db: DbSession) -> schemas.ConsultationPublic:
    """Start the next phase now."""
    c = service.consultation_by_slug(db, slug)
    _staff(db, principal, c.organization_id)
    service.advance_phase(db, c, actor_id=principal.id)
    db.commit()
    return consultation_public(db, c)


@router.post("/consultations/{slug}/response", response_model=schemas.ConsultationPublic)
def publish_response(slug: str, body: schemas.ResponseCreate, principal: CurrentPrincipal,
                     db: DbSession) -> schemas.ConsultationPublic:
    """Publish what the agency heard and what it changed and why, linked to comments (from the analysis phase)."""
    c = service.consultation_by_slug(db, slug)
    _staff(db, principal, c.organization_id)
    service.publish_response(db, c, response_fa=body.response_fa, response_en=body.response_en,
                             changes=[ch.model_dump() for ch in body.changes], actor_id=principal.id)
    db.commit()
    return consultation_public(db, c)


@router.post("/consultations/{slug}/final", response_model=schemas.ConsultationPublic)
def publish_final(slug: str, body: schemas.FinalVersionCreate, principal: CurrentPrincipal,
                  db: DbSession) -> schemas.ConsultationPublic:
    """Publish the final text (from the decision phase); unmentioned sections stay as drafted."""
    c = service.consultation_by_slug(db, slug)
    _staff(db, principal, c.organization_id)
    service.publish_final_version(db, c, [s.model_dump() for s in body.sections], actor_id=principal.id)
    db.commit()
    return consultation_public(db, c)


@router.get("/consultations/{slug}/diff", response_model=list[schemas.SectionDiffPublic])
def final_diff(slug: str, db: DbSession, lang: Annotated[str, Query(pattern="^(fa|en)$")] = "fa"
               ) -> list[schemas.SectionDiffPublic]:
    """Word-level differences between the draft and the final version, section by section."""
    c = service.consultation_by_slug(db, slug)
    return [schemas.SectionDiffPublic(number=d.section.number, status=d.status,  # type: ignore[arg-type]
                                      segments=[schemas.SegmentPublic(op=s.op, text=s.text)  # type: ignore[arg-type]
                                                for s in d.segments])
            for d in service.section_diffs(c, lang)]


@router.get("/consultations/{slug}/statistics", response_model=schemas.Statistics)
def consultation_statistics(slug: str, db: DbSession) -> dict[str, Any]:
    """Participants by phase, province, age band and gender; cells under 5 are hidden."""
    c = service.consultation_by_slug(db, slug)
    return service.participation_statistics(db, "consultation", c.id)


@router.get("/consultations/{slug}/comments.csv", response_class=Response, responses=CSV_ANSWER)
def comments_csv(slug: str, db: DbSession) -> PlainTextResponse:
    """Visible comments as anonymized CSV (pseudonymous authors, dates only, contact details redacted)."""
    c = service.consultation_by_slug(db, slug)
    return PlainTextResponse(service.comments_csv(db, c), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{c.slug}-comments.csv"'})


@router.get("/consultations/{slug}/documents", response_model=list[schemas.DocumentPublic])
def documents(slug: str, db: DbSession) -> list[schemas.DocumentPublic]:
    """Comments as documents for text analysis (id, text, language, section, created day)."""
    c = service.consultation_by_slug(db, slug)
    return [schemas.DocumentPublic(**d.__dict__) for d in service.export_documents(db, consultation_id=c.id)]


# --------------------------------------------------------------------------- comments


@router.get("/comments", response_model=list[schemas.CommentPublic])
def list_comments(subject_kind: schemas.SubjectKind, subject_id: Id, db: DbSession,
                  principal: OptionalPrincipal) -> list[schemas.CommentPublic]:
    """Comments on one consultation, proposal, petition or accountability item, oldest first."""
    viewer = principal.id if principal else None
    rows = service.comments_for(db, subject_kind, subject_id, viewer)
    numbers: dict[int, int] = {}
    if subject_kind == "consultation":
        numbers = {s.id: s.number for s in service.consultation_by_id(db, subject_id).sections}
    return [comment_public(db, c, viewer, numbers) for c in rows]


@router.post("/comments", status_code=201, response_model=schemas.CommentPublic)
def post_comment(body: schemas.CommentCreate, request: Request, principal: AccountPrincipal,
                 db: DbSession) -> schemas.CommentPublic:
    """Comment (or reply) on a consultation section or the whole draft, a proposal, petition or accountability item.

    Texts with insults are refused; texts that look like spam are held for a moderator.
    """
    _participant(principal)
    c = service.post_comment(db, account=principal.account, subject_kind=body.subject_kind,
                             subject_id=body.subject_id, body=body.body, section_number=body.section,
                             parent_id=body.parent_id, ip=client_ip(request), via="api")
    db.commit()
    return comment_public(db, c, principal.id)


@router.patch("/comments/{comment_id}", response_model=schemas.CommentPublic)
def edit_comment(comment_id: Id, body: schemas.CommentUpdate, principal: AccountPrincipal,
                 db: DbSession) -> schemas.CommentPublic:
    """Rewrite your own comment."""
    c = service.comment_by_id(db, comment_id)
    require(permissions.can_edit_comment(principal, c))
    service.edit_comment(db, c, body.body, actor_id=principal.id)
    db.commit()
    return comment_public(db, c, principal.id)


@router.delete("/comments/{comment_id}", status_code=204)
def delete_comment(comment_id: Id, principal: AccountPrincipal, db: DbSession) -> None:
    """Withdraw your own comment (replies to it stay)."""
    c = service.comment_by_id(db, comment_id)
    require(permissions.can_edit_comment(principal, c))
    service.delete_comment(db, c, actor_id=principal.id)
    db.commit()


@router.post("/comments/{comment_id}/rating", response_model=schemas.CommentPublic)
def rate_comment(comment_id: Id, body: schemas.RatingIn, principal: AccountPrincipal,
                 db: DbSession) -> schemas.CommentPublic:
    """Agree or disagree with a comment (again to change, 0 to take back)."""
    _participant(principal)
    c = service.rate_comment(db, service.comment_by_id(db, comment_id), principal.account, body.value)
    db.commit()
    return comment_public(db, c, principal.id)


# --------------------------------------------------------------------------- proposals


@router.get("/proposals", response_model=Page[schemas.ProposalPublic])
def list_proposals(db: DbSession, pages: Pagination) -> dict[str, Any]:
    """Visible proposals, most supported first."""
    stmt = (select(Proposal).where(Proposal.status == ContentStatus.VISIBLE)
            .order_by(Proposal.support_count.desc(), Proposal.id.desc()))
    rows, total = paginate(db, stmt, pages)
    return page_of([proposal_public(db, p) for p in rows], total, pages)


@router.post("/proposals", status_code=201, response_model=schemas.ProposalPublic)
def create_proposal(body: schemas.ProposalCreate, request: Request, principal: AccountPrincipal,
                    db: DbSession) -> schemas.ProposalPublic:
    """Propose something to an agency."""
    _participant(principal)
    p = service.create_proposal(db, account=principal.account, organization=organization_by_code(db, body.organization),
                                title=body.title, body=body.body, ip=client_ip(request))
    db.commit()
    return proposal_public(db, p)


@router.get("/proposals/{proposal_id}", response_model=schemas.ProposalPublic)
def get_proposal(proposal_id: Id, db: DbSession, principal: OptionalPrincipal) -> schemas.ProposalPublic:
    """One proposal with its supports and the official answer."""
    return proposal_public(db, service.proposal_by_id(db, proposal_id, principal.id if principal else None))


@router.post("/proposals/{proposal_id}/supports", response_model=schemas.ProposalPublic)
def support(proposal_id: Id, request: Request, principal: CurrentPrincipal, db: DbSession) -> schemas.ProposalPublic:
    """Support a proposal (verified national code; once per person)."""
    _participant(principal)
    p = service.support_proposal(db, service.proposal_by_id(db, proposal_id), principal.account, ip=client_ip(request))
    db.commit()
    return proposal_public(db, p)


@router.post("/proposals/{proposal_id}/answer", response_model=schemas.ProposalPublic)
def answer(proposal_id: Id, body: schemas.AnswerCreate, principal: CurrentPrincipal,
           db: DbSession) -> schemas.ProposalPublic:
    """The agency's official answer: accepted (with cost), rejected or evaluating, with the reason.

    "Evaluating" may be followed by a final answer; a final answer stands (409 afterwards).
    """
    p = service.proposal_by_id(db, proposal_id)
    _staff(db, principal, p.organization_id)
    service.answer_proposal(db, p, status=body.status, text=body.text, cost=body.cost, actor_id=principal.id)
    db.commit()
    return proposal_public(db, p)


# --------------------------------------------------------------------------- polls


@router.get("/polls", response_model=Page[schemas.PollPublic])
def list_polls(db: DbSession, pages: Pagination, principal: OptionalPrincipal) -> dict[str, Any]:
    """Polls, latest closing first."""
    rows, total = paginate(db, select(Poll).order_by(Poll.closes_at.desc()), pages)
    return page_of([poll_public(db, p, principal) for p in rows], total, pages)


@router.post("/polls", status_code=201, response_model=schemas.PollPublic)
def create_poll(body: schemas.PollCreate, principal: CurrentPrincipal, db: DbSession) -> schemas.PollPublic:
    """Open a poll (officials of the agency)."""
    org = organization_by_code(db, body.organization)
    _staff(db, principal, org.id)
    p = service.create_poll(db, organization=org, slug=body.slug, question_fa=body.question_fa,
                            question_en=body.question_en, options=body.options, opens_at=body.opens_at,
                            closes_at=body.closes_at, consultation_id=body.consultation_id, actor_id=principal.id)
    db.commit()
    return poll_public(db, p, principal)


@router.get("/polls/{ref}", response_model=schemas.PollPublic)
def get_poll(ref: str, db: DbSession, principal: OptionalPrincipal) -> schemas.PollPublic:
    """A poll by id or short name."""
    return poll_public(db, service.poll_by_ref(db, ref), principal)


@router.post("/polls/{ref}/votes", status_code=201, response_model=schemas.VoteReceipt)
def vote(ref: str, body: schemas.PollVote, principal: CurrentPrincipal, db: DbSession) -> schemas.VoteReceipt:
    """Cast your secret ballot (verified national code; once): it is encrypted under the poll's election key
    at once. The receipt is the ballot's tracker on the public ballot board."""
    _participant(principal)
    poll = service.poll_by_ref(db, ref)
    tracker = service.vote_in_poll(db, poll, principal.account, body.option)
    db.commit()
    return schemas.VoteReceipt(receipt=tracker, board=f"/participation/polls/{poll.slug}/board")


@router.get("/polls/{ref}/receipts/{code}", response_model=schemas.ReceiptCheckPublic)
def poll_receipt(ref: str, code: str, db: DbSession) -> schemas.ReceiptCheckPublic:
    """Check that the ballot with this tracker is on the poll's board (what it says is never shown)."""
    poll = service.poll_by_ref(db, ref)
    check = service.check_receipt(db, "poll", poll.id, code)
    return schemas.ReceiptCheckPublic(counted=check.counted, tracker=check.tracker,
                                      board=f"/participation/polls/{poll.slug}/board")


@router.get("/polls/{ref}/board", response_model=schemas.BallotBoard)
def poll_board(ref: str, db: DbSession) -> dict[str, Any]:
    """The poll's public ballot board: election key, every encrypted ballot with its proofs, and once counted,
    the aggregate, the trustees' decryptions and the result. ``verify_ballots.py`` checks it."""
    return service.board(db, service.poll_by_ref(db, ref))


@router.get("/polls/{ref}/results", response_model=schemas.PollResults)
def poll_results(ref: str, db: DbSession) -> dict[str, Any]:
    """Votes per option; 409 until the poll closes and its tally is decrypted (``results_counting`` meanwhile)."""
    return service.poll_results(db, service.poll_by_ref(db, ref))


@router.get("/polls/{ref}/results.csv", response_class=Response, responses=CSV_ANSWER)
def poll_results_csv(ref: str, db: DbSession) -> PlainTextResponse:
    """Results as CSV, after closing."""
    return PlainTextResponse(service.poll_results_csv(db, service.poll_by_ref(db, ref)), media_type="text/csv")


@router.get("/polls/{ref}/statistics", response_model=schemas.Statistics)
def poll_statistics(ref: str, db: DbSession) -> dict[str, Any]:
    """Turnout by province, age band and gender; cells under 5 are hidden."""
    return service.participation_statistics(db, "poll", service.poll_by_ref(db, ref).id)


# --------------------------------------------------------------------------- participatory budgets


@router.post("/budgets", status_code=201, response_model=schemas.BudgetPublic)
def create_budget(body: schemas.BudgetCreate, principal: CurrentPrincipal, db: DbSession) -> schemas.BudgetPublic:
    """Open a participatory budget with projects and a voting style (officials of the agency)."""
    org = organization_by_code(db, body.organization)
    _staff(db, principal, org.id)
    b = service.create_budget(db, organization=org, slug=body.slug, title_fa=body.title_fa, title_en=body.title_en,
                              total=body.total, style=body.style, projects=body.projects, opens_at=body.opens_at,
                              closes_at=body.closes_at, max_choices=body.max_choices, actor_id=principal.id)
    db.commit()
    return budget_public(db, b, principal)


@router.get("/budgets/{ref}", response_model=schemas.BudgetPublic)
def get_budget(ref: str, db: DbSession, principal: OptionalPrincipal) -> schemas.BudgetPublic:
    """A participatory budget and its projects."""
    return budget_public(db, service.budget_by_ref(db, ref), principal)


@router.post("/budgets/{ref}/votes", status_code=201, response_model=schemas.VoteReceipt)
def budget_vote(ref: str, body: schemas.BudgetVote, principal: CurrentPrincipal, db: DbSession) -> schemas.VoteReceipt:
    """Cast your secret ballot for a set of projects (approval: up to the limit; knapsack: within the budget)."""
    _participant(principal)
    budget = service.budget_by_ref(db, ref)
    tracker = service.vote_in_budget(db, budget, principal.account, body.projects)
    db.commit()
    return schemas.VoteReceipt(receipt=tracker, board=f"/participation/budgets/{budget.slug}/board")


@router.get("/budgets/{ref}/receipts/{code}", response_model=schemas.ReceiptCheckPublic)
def budget_receipt(ref: str, code: str, db: DbSession) -> schemas.ReceiptCheckPublic:
    """Check that the ballot with this tracker is on the budget's board."""
    budget = service.budget_by_ref(db, ref)
    check = service.check_receipt(db, "budget", budget.id, code)
    return schemas.ReceiptCheckPublic(counted=check.counted, tracker=check.tracker,
                                      board=f"/participation/budgets/{budget.slug}/board")


@router.get("/budgets/{ref}/board", response_model=schemas.BallotBoard)
def budget_board(ref: str, db: DbSession) -> dict[str, Any]:
    """The budget's public ballot board (as for polls)."""
    return service.board(db, service.budget_by_ref(db, ref))


@router.get("/budgets/{ref}/results", response_model=list[schemas.BudgetLine])
def budget_results(ref: str, db: DbSession) -> list[schemas.BudgetLine]:
    """Projects ranked by votes, funded while the money lasts, each with the reason; 409 until counted."""
    return [schemas.BudgetLine(**line.__dict__) for line in service.budget_results(db, service.budget_by_ref(db, ref))]


@router.get("/budgets/{ref}/results.csv", response_class=Response, responses=CSV_ANSWER)
def budget_results_csv(ref: str, db: DbSession) -> PlainTextResponse:
    """Results as CSV, after closing."""
    return PlainTextResponse(service.budget_results_csv(db, service.budget_by_ref(db, ref)), media_type="text/csv")


# --------------------------------------------------------------------------- petitions


@router.get("/petitions", response_model=Page[schemas.PetitionPublic])
def list_petitions(db: DbSession, pages: Pagination, overdue: bool = False) -> dict[str, Any]:
    """Visible petitions; ``overdue=true`` lists only those whose response deadline has passed."""
    stmt = select(Petition).where(Petition.status == ContentStatus.VISIBLE).order_by(Petition.id.desc())
    if overdue:
        stmt = stmt.where(Petition.responded_at.is_(None), Petition.response_due_at < service.now())
    rows, total = paginate(db, stmt, pages)
    return page_of([petition_public(db, p) for p in rows], total, pages)


@router.post("/petitions", status_code=201, response_model=schemas.PetitionPublic)
def create_petition(body: schemas.PetitionCreate, request: Request, principal: CurrentPrincipal,
                    db: DbSession) -> schemas.PetitionPublic:
    """Start a petition to an agency (verified national code); you sign it first."""
    _participant(principal)
    p = service.create_petition(db, account=principal.account, organization=organization_by_code(db, body.organization),
                                title=body.title, body=body.body, threshold=body.threshold,
                                response_days=body.response_days, ip=client_ip(request))
    db.commit()
    return petition_public(db, p)


@router.get("/petitions/{petition_id}", response_model=schemas.PetitionPublic)
def get_petition(petition_id: Id, db: DbSession, principal: OptionalPrincipal) -> schemas.PetitionPublic:
    """One petition, its signatures, deadline and response; ``state`` says if the response is overdue."""
    return petition_public(db, service.petition_by_id(db, petition_id, principal.id if principal else None))


@router.post("/petitions/{petition_id}/signatures", response_model=schemas.PetitionPublic)
def sign(petition_id: Id, request: Request, principal: CurrentPrincipal, db: DbSession) -> schemas.PetitionPublic:
    """Sign a petition (verified national code; once per person)."""
    _participant(principal)
    p = service.sign_petition(db, service.petition_by_id(db, petition_id), principal.account, ip=client_ip(request))
    db.commit()
    return petition_public(db, p)


@router.post("/petitions/{petition_id}/response", response_model=schemas.PetitionPublic)
def respond(petition_id: Id, body: schemas.TextIn, principal: CurrentPrincipal,
            db: DbSession) -> schemas.PetitionPublic:
    """The agency's public response; it is given once (409 afterwards)."""
    p = service.petition_by_id(db, petition_id)
    _staff(db, principal, p.organization_id)
    service.respond_to_petition(db, p, body.text, actor_id=principal.id)
    db.commit()
    return petition_public(db, p)


# --------------------------------------------------------------------------- surveys


@router.get("/surveys/{key}")
def get_survey(key: str, db: DbSession) -> dict[str, Any]:
    """A survey's questions."""
    s = service.survey_by_key(db, key)
    return {"key": s.key, "title_fa": s.title_fa, "title_en": s.title_en, "anonymous": s.anonymous,
            "questions": s.questions}


@router.post("/surveys/{key}/responses", status_code=201)
def answer_survey(key: str, body: schemas.SurveyAnswers, principal: OptionalPrincipal, request: Request,
                  db: DbSession) -> dict[str, Any]:
    """Answer a survey (anonymous surveys never store who answered)."""
    from smartgov.i18n import get_language

    service.rate_limit(db, account_id=principal.id if principal else None, ip=client_ip(request))
    r = service.submit_survey(db, key, dict(body.answers), account=principal.account if principal else None,
                              subject_ref=body.subject_ref, language=get_language())
    db.commit()
    return {"id": r.id}


@router.get("/surveys/{key}/summary")
def survey_summary(key: str, db: DbSession, subject_ref: str | None = None) -> dict[str, Any]:
    """Counts per option, mean of scales and how many wrote a text answer."""
    return service.survey_summary(db, key, subject_ref=subject_ref)


# --------------------------------------------------------------------------- accountability


@router.get("/accountability", response_model=list[schemas.ItemPublic])
def list_items(db: DbSession) -> list[schemas.ItemPublic]:
    """Decisions and projects with progress; ``overdue`` and ``missed`` milestones are public."""
    return [item_public(db, i) for i in service.list_items(db)]


@router.post("/accountability", status_code=201, response_model=schemas.ItemPublic)
def create_item(body: schemas.ItemCreate, principal: CurrentPrincipal, db: DbSession) -> schemas.ItemPublic:
    """Track a decision or project in public (officials of the agency)."""
    org = organization_by_code(db, body.organization)
    _staff(db, principal, org.id)
    i = service.create_item(db, organization=org, kind=body.kind, title_fa=body.title_fa, title_en=body.title_en,
                            description_fa=body.description_fa, description_en=body.description_en,
                            deadline=body.deadline, consultation_id=body.consultation_id,
                            proposal_id=body.proposal_id, milestones=body.milestones, actor_id=principal.id)
    db.commit()
    return item_public(db, i)


@router.get("/accountability/{item_id}", response_model=schemas.ItemPublic)
def get_item(item_id: Id, db: DbSession) -> schemas.ItemPublic:
    """One decision or project with its milestones."""
    return item_public(db, service.item_by_id(db, item_id))


@router.patch("/accountability/{item_id}", response_model=schemas.ItemPublic)
def update_item(item_id: Id, body: schemas.ItemUpdate, principal: CurrentPrincipal,
                db: DbSession) -> schemas.ItemPublic:
    """Report progress, status and completed milestones."""
    i = service.item_by_id(db, item_id)
    _staff(db, principal, i.organization_id)
    service.update_item(db, i, status=body.status, progress=body.progress,
                        completed_milestones=body.completed_milestones, actor_id=principal.id)
    db.commit()
    return item_public(db, i)


# --------------------------------------------------------------------------- follows & notifications


@router.post("/follows", status_code=204)
def follow(body: schemas.FollowIn, principal: AccountPrincipal, db: DbSession) -> None:
    """Follow an item: news arrive by e-mail and on your participation page."""
    _participant(principal)
    service.subject_title(db, body.subject_kind, body.subject_id, "en")  # 404 if it does not exist
    service.follow(db, principal.account, body.subject_kind, body.subject_id)
    db.commit()


@router.delete("/follows/{subject_kind}/{subject_id}", status_code=204)
def unfollow(subject_kind: schemas.SubjectKind, subject_id: Id, principal: AccountPrincipal, db: DbSession) -> None:
    """Stop following an item."""
    _participant(principal)
    service.unfollow(db, principal.account, subject_kind, subject_id)
    db.commit()


@router.get("/notifications", response_model=list[schemas.NotificationPublic])
def notifications(principal: AccountPrincipal, db: DbSession) -> list[schemas.NotificationPublic]:
    """Your latest in-app notifications about followed items."""
    return [schemas.NotificationPublic(id=n.id, message=gettext(n.message_id, **n.params), link=n.link,
                                       created_at=n.created_at, read=n.read_at is not None)
            for n in service.notifications_for(db, principal.id)]


# --------------------------------------------------------------------------- moderation


@router.post("/reports", status_code=201)
def report(body: schemas.ReportCreate, request: Request, principal: AccountPrincipal, db: DbSession) -> dict[str, Any]:
    """Report a comment, proposal or petition to the moderators."""
    _participant(principal)
    r = service.report_content(db, principal.account, body.kind, body.id, body.reason, body.details,
                               ip=client_ip(request))
    db.commit()
    return {"id": r.id}


@router.get("/moderation/queue", response_model=list[schemas.QueueItemPublic])
def moderation_queue(principal: CurrentPrincipal, db: DbSession) -> list[schemas.QueueItemPublic]:
    """Held and reported content addressed to your agencies."""
    require(permissions.is_moderator(principal))
    return [schemas.QueueItemPublic(kind=q.kind, id=q.id, status=q.status, text=q.text, reports=q.reports,
                                    reasons=q.reasons)
            for q in service.moderation_queue(db, permissions.moderator_org_ids(db, principal))]


@router.post("/moderation/actions", status_code=201, response_model=schemas.ModerationActionPublic)
def moderate(body: schemas.ModerationCreate, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Hide, unhide, approve or dismiss reports; the reason goes into the audit log."""
    item = service.content(db, body.kind, body.id)
    require(permissions.can_moderate(db, principal, service.content_organization_id(db, body.kind, item)))
    entry = service.moderate(db, principal.id, body.kind, body.id, body.action, body.reason)
    db.commit()
    return entry


@router.post("/moderation/blocks", status_code=201)
def block(body: schemas.BlockCreate, principal: CurrentPrincipal, db: DbSession) -> dict[str, Any]:
    """Bar an account from posting (agency and platform admins)."""
    require(permissions.can_block(principal))
    b = service.block_account(db, principal.id, body.account_id, body.reason)
    db.commit()
    return {"id": b.id}


@router.get("/moderation/log", response_model=list[schemas.ModerationActionPublic])
def moderation_log(principal: CurrentPrincipal, db: DbSession) -> Any:
    """Every moderator action, newest first (moderators and auditors)."""
    require(permissions.can_view_moderation_log(principal))
    return service.moderation_log(db)


# --------------------------------------------------------------------------- SMS gateway


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/sms/inbound", response_model=schemas.SmsReply)
def sms_inbound(body: schemas.SmsInbound, raw: Annotated[bytes, Depends(_raw_body)], db: DbSession,
                x_smartgov_signature: Annotated[str, Header(description="HMAC-SHA256 of the body, hex.")] = ""
                ) -> schemas.SmsReply:
    """Inbound SMS from the gateway (signed): keyword commands to vote, support, sign or comment.

    The reply is queued to the sender in the language of the keyword they used.
    """
    if not sms.signature_ok(raw, x_smartgov_signature):
        raise Forbidden(N_("The gateway signature is missing or wrong."))
    reply = sms.handle_inbound(db, gateway_id=body.message_id, sender=body.sender, text=body.text)
    db.commit()
    return schemas.SmsReply(reply=reply)

