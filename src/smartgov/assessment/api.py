"""JSON API of the assessment module under ``/api/v1/assessment``.

Frameworks are public master data. Rounds belong to an agency: its agency admins manage them,
auditors and platform admins read them. Respondents answer through a single-use link
(``/respond/{token}``) or, when invited as accounts, through ``/rounds/{id}/my-response``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from smartgov import identity
from smartgov.assessment import downloads, permissions, service
from smartgov.assessment.frameworks import Framework, Node, list_frameworks, load_framework
from smartgov.assessment.models import AssessmentRound, SurveyResponse
from smartgov.assessment.schemas import (
    AnswersIn,
    FrameworkPublic,
    FrameworkSummary,
    ImportResult,
    IndicatorOut,
    InvitationCreate,
    InvitationCreated,
    ItemPublic,
    ItemUpdate,
    NodePublic,
    ResponsePublic,
    RoadmapActionPublic,
    RoadmapActionUpdate,
    RoundCreate,
    RoundPublic,
    RoundResults,
    RoundSettings,
)
from smartgov.errors import DomainError
from smartgov.i18n import N_, get_language
from smartgov.identity import Principal, organization_by_code, require
from smartgov.settings import public_url
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.pagination import Page, Pagination, page_of, paginate
from smartgov.web.routing import ModuleRouter

router = ModuleRouter(prefix="/api/v1/assessment", tags=["assessment"])


# --------------------------------------------------------------------------- frameworks


def _options(request: Request, framework_id: str) -> dict[str, str]:
    """Framework options from the query string (e.g. ``?empowerment=D9``), other keys ignored."""
    skip = {"page", "per_page", "lang"}
    return {k: v for k, v in request.query_params.items() if k not in skip} if framework_id else {}


def summary(fw: Framework) -> FrameworkSummary:
    return FrameworkSummary(
        id=fw.id,
        version=fw.version,
        title_fa=fw.title_fa,
        title_en=fw.title_en,
        levels=list(fw.levels),
        counts=dict(fw.counts),
        source=dict(fw.source),
        options=dict(fw.options),
    )


def node_public(node: Node) -> NodePublic:
    return NodePublic(
        code=node.code,
        level=node.level,
        label_fa=node.label_fa,
        label_en=node.label_en,
        description_fa=node.description_fa,
        description_en=node.description_en,
        attrs={k: v for k, v in node.attrs.items() if isinstance(v, str | int | float | bool)},
        children=[node_public(c) for c in node.children],
    )


@router.get("/frameworks", response_model=Page[FrameworkSummary])
def frameworks(pagination: Pagination) -> dict[str, Any]:
    """Every framework shipped with the platform (CSF, DG model, Taghva, T-Gov, Gartner, EGDI, …)."""
    ids = list_frameworks()
    page = ids[pagination.offset : pagination.offset + pagination.per_page]
    return page_of([summary(load_framework(i)) for i in page], len(ids), pagination)


@router.get("/frameworks/{framework_id}", response_model=FrameworkPublic)
def framework(framework_id: str, request: Request) -> FrameworkPublic:
    """One framework with its nested tree; options as query parameters (e.g. ``?empowerment=D9``)."""
    fw = load_framework(framework_id, **_options(request, framework_id))
    return FrameworkPublic(**summary(fw).model_dump(), nodes=[node_public(n) for n in fw.nodes])


# --------------------------------------------------------------------------- rounds


def round_public(db: DbSession, rnd: AssessmentRound) -> RoundPublic:
    org = identity.organization_view(db, rnd.organization_id)
    n = service.counts(db, rnd)
    return RoundPublic(
        id=rnd.id,
        organization=org.code if org else "",
        framework=rnd.instrument.framework_id,
        framework_options=rnd.instrument.framework_options,
        title_fa=rnd.title_fa,
        title_en=rnd.title_en,
        status=rnd.status.value,
        anonymous=rnd.anonymous,
        scale_points=rnd.instrument.scale_points,
        n_items=len(rnd.instrument.items),
        n_submitted=n["submitted"],
        n_in_progress=n["in_progress"],
        created_at=rnd.created_at,
        opened_at=rnd.opened_at,
        closed_at=rnd.closed_at,
        results_at=rnd.results_at,
    )


@router.get("/rounds", response_model=Page[RoundPublic])
def list_rounds(principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Rounds you may see: your agencies' (agency admins), or all (auditors, platform admins)."""
    rows, total = paginate(db, service.rounds_for(db, permissions.listed_org_ids(db, principal)), pagination)
    return page_of([round_public(db, r) for r in rows], total, pagination)


@router.post("/rounds", status_code=201, response_model=RoundPublic)
def create_round(body: RoundCreate, principal: CurrentPrincipal, db: DbSession) -> RoundPublic:
    """Start a draft round with a questionnaire generated from a framework (or reuse an earlier round's)."""
    org = organization_by_code(db, body.organization)
    require(permissions.can_create_round(db, principal, org))
    reuse = permissions.round_to_manage(db, principal, body.reuse_round) if body.reuse_round else None
    rnd = service.create_round(
        db,
        organization=org,
        framework_id=body.framework,
        title_fa=body.title_fa,
        title_en=body.title_en,
        scale_points=body.scale_points,
        min_items=body.min_items,
        anonymous=body.anonymous,
        options=body.options,
        reuse=reuse,
        actor_id=principal.id,
    )
    db.commit()
    return round_public(db, rnd)


@router.get("/rounds/{round_id}", response_model=RoundPublic)
def get_round(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> RoundPublic:
    """One round with its answer counts."""
    return round_public(db, permissions.round_to_view(db, principal, round_id))


def _changed_round(db: DbSession, principal: Principal, round_id: int,
                   change: Callable[[AssessmentRound], object]) -> RoundPublic:
    """One change to a round the caller manages (403/404 before it runs), committed; the round as it now stands."""
    rnd = permissions.round_to_manage(db, principal, round_id)
    change(rnd)
    db.commit()
    return round_public(db, rnd)


@router.post("/rounds/{round_id}/open", response_model=RoundPublic)
def open_round(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> RoundPublic:
    """Start collecting answers; items are fixed from now on."""
    return _changed_round(db, principal, round_id, lambda rnd: service.open_round(db, rnd, principal.id))


@router.post("/rounds/{round_id}/close", response_model=RoundPublic)
def close_round(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> RoundPublic:
    """Stop answers and store the results; the CFA follows from the worker (`cfa_pending` until then)."""
    return _changed_round(db, principal, round_id, lambda rnd: service.close_round(db, rnd, principal.id))


@router.put("/rounds/{round_id}/settings", response_model=RoundPublic)
def round_settings(round_id: Id, body: RoundSettings, principal: CurrentPrincipal, db: DbSession) -> RoundPublic:
    """T-Gov and Gartner answers, number of services and operating cost (invalid T-Gov answers: 400)."""
    return _changed_round(db, principal, round_id, lambda rnd: service.update_settings(db, rnd, body.model_dump()))


@router.get("/rounds/{round_id}/items", response_model=Page[ItemPublic])
def items(round_id: Id, principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """The questionnaire's items in order."""
    rnd = permissions.round_to_view(db, principal, round_id)
    all_items = rnd.instrument.items
    page = all_items[pagination.offset : pagination.offset + pagination.per_page]
    return page_of([ItemPublic.model_validate(i) for i in page], len(all_items), pagination)


@router.patch("/rounds/{round_id}/items/{code}", response_model=ItemPublic)
def update_item(round_id: Id, code: str, body: ItemUpdate, principal: CurrentPrincipal, db: DbSession) -> ItemPublic:
    """Edit an item's fa/en text or reverse flag while the round is a draft without answers."""
    rnd = permissions.round_to_manage(db, principal, round_id)
    item = service.update_item(db, rnd, code, text_fa=body.text_fa, text_en=body.text_en, reverse=body.reverse)
    db.commit()
    return ItemPublic.model_validate(item)


@router.post("/rounds/{round_id}/invitations", status_code=201, response_model=InvitationCreated)
def invite(
    round_id: Id, body: InvitationCreate, request: Request, principal: CurrentPrincipal, db: DbSession
) -> InvitationCreated:
    """Make single-use links (shown once) and/or invite accounts by username."""
    rnd = permissions.round_to_manage(db, principal, round_id)
    links = []
    if body.count or body.labels:
        raws = service.invite_links(db, rnd, body.count, body.labels)
        links = [public_url(f"/assessment/respond/{raw}") for raw in raws]
    accounts = [a.username for a in service.invite_accounts(db, rnd, body.usernames)]
    if not links and not accounts:
        raise DomainError("invitation_count", N_("Make between 1 and 500 links at a time."), field="count")
    db.commit()
    return InvitationCreated(links=links, accounts=accounts)


@router.get("/rounds/{round_id}/responses", response_model=Page[ResponsePublic])
def responses(round_id: Id, principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Responses of a round (respondent keys only; anonymous rounds never show names)."""
    rnd = permissions.round_to_view(db, principal, round_id)
    stmt = select(SurveyResponse).where(SurveyResponse.round_id == rnd.id).order_by(SurveyResponse.id)
    rows, total = paginate(db, stmt, pagination)
    return page_of(
        [
            ResponsePublic(
                id=r.id,
                respondent=r.respondent_key,
                status=r.status.value,
                source=r.source,
                answered=len(r.answers),
                submitted_at=r.submitted_at,
            )
            for r in rows
        ],
        total,
        pagination,
    )


@router.post(
    "/rounds/{round_id}/responses/import",
    status_code=201,
    response_model=ImportResult,
    responses={422: {"description": "Per-cell errors: `details` lists row, column, code and message."}},
)
def import_responses(
    round_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    file: Annotated[
        UploadFile, File(description="CSV (UTF-8) or XLSX: a respondent column and one column per item code.")
    ],
) -> Any:
    """Import submitted responses; nothing is stored if any cell is wrong (422 with every problem)."""
    rnd = permissions.round_to_manage(db, principal, round_id)
    content = file.file.read(service.MAX_IMPORT_BYTES + 1)
    try:
        n = service.import_responses(db, rnd, file.filename or "", content)
    except service.ImportFailed as exc:
        db.rollback()
        details = [
            {"row": p.row, "column": p.column, "code": p.error.code, "message": p.error.localized(), "field": p.column}
            for p in exc.problems
        ]
        return JSONResponse(
            {
                "error": {
                    "code": "import_invalid",
                    "message": details[0]["message"],
                    "field": details[0]["column"],
                    "details": details,
                }
            },
            status_code=422,
        )
    db.commit()
    return ImportResult(imported=n)


@router.get("/rounds/{round_id}/results", response_model=RoundResults)
def results(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> RoundResults:
    """Scores, alphas (with published reference), KMO/Bartlett, EFA, CFA, comparison and stages."""
    return service.results_for(db, permissions.round_to_view(db, principal, round_id))


@router.get("/rounds/{round_id}/indicators", response_model=list[IndicatorOut])
def indicators(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> list[dict[str, Any]]:
    """Live platform indicators of the round's agency, with definitions (``value: null`` = no data yet)."""
    return service.live_indicators(db, permissions.round_to_view(db, principal, round_id))


@router.get("/rounds/{round_id}/roadmap", response_model=Page[RoadmapActionPublic])
def roadmap(round_id: Id, principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Roadmap actions for the weakest components, by phase."""
    rnd = permissions.round_to_view(db, principal, round_id)
    actions = service.roadmap_of(db, rnd)
    page = actions[pagination.offset : pagination.offset + pagination.per_page]
    return page_of([RoadmapActionPublic.model_validate(a) for a in page], len(actions), pagination)


@router.post("/rounds/{round_id}/roadmap", response_model=Page[RoadmapActionPublic])
def build_roadmap(round_id: Id, principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """(Re)build the roadmap from the current results; owners and dates already set are kept."""
    rnd = permissions.round_to_manage(db, principal, round_id)
    actions = service.build_roadmap(db, rnd, service.results_for(db, rnd))
    db.commit()
    page = actions[pagination.offset : pagination.offset + pagination.per_page]
    return page_of([RoadmapActionPublic.model_validate(a) for a in page], len(actions), pagination)


@router.patch("/rounds/{round_id}/roadmap/{action_id}", response_model=RoadmapActionPublic)
def update_action(
    round_id: Id, action_id: Id, body: RoadmapActionUpdate, principal: CurrentPrincipal, db: DbSession
) -> RoadmapActionPublic:
    """Set the owner, due date, status or phase of one action."""
    rnd = permissions.round_to_manage(db, principal, round_id)
    action = service.update_action(
        db, rnd, action_id, owner=body.owner, due_date=body.due_date, status=body.status, phase=body.phase
    )
    db.commit()
    return RoadmapActionPublic.model_validate(action)


@router.get("/rounds/{round_id}/export.csv", response_class=Response)
def export_csv(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    """All scores with alphas as CSV (UTF-8 with BOM)."""
    rnd = permissions.round_to_view(db, principal, round_id)
    return downloads.scores_csv(db, rnd)


@router.get("/rounds/{round_id}/export.xlsx", response_class=Response)
def export_xlsx(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Scores, item statistics, roadmap and indicators as an Excel workbook."""
    rnd = permissions.round_to_view(db, principal, round_id)
    return downloads.scores_xlsx(db, rnd)


@router.get("/rounds/{round_id}/roadmap.csv", response_class=Response)
def export_roadmap(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The roadmap as CSV."""
    rnd = permissions.round_to_view(db, principal, round_id)
    return downloads.roadmap_csv(db, rnd)


@router.get("/rounds/{round_id}/report.pdf", response_class=Response)
def report_pdf(
    round_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    lang: Annotated[str | None, Query(description="fa or en (default: the request's language)")] = None,
) -> Response:
    """The assessment report as PDF (Persian right-to-left, or English)."""
    rnd = permissions.round_to_view(db, principal, round_id)
    language = lang if lang in ("fa", "en") else get_language()
    return downloads.report_pdf(db, rnd, language)


# --------------------------------------------------------------------------- respondents


@router.get("/respond/{token}", response_model=list[ItemPublic])
def link_items(token: str, db: DbSession) -> list[ItemPublic]:
    """The questionnaire behind a single-use link (404 unknown, 410 already used)."""
    inv = service.invitation_by_token(db, token)
    rnd = service.get_round(db, inv.round_id)
    return [ItemPublic.model_validate(i) for i in rnd.instrument.items]


@router.put("/respond/{token}", response_model=ResponsePublic)
def link_answer(token: str, body: AnswersIn, db: DbSession) -> ResponsePublic:
    """Save answers through a link (``submit: true`` finishes and uses the link up)."""
    inv = service.invitation_by_token(db, token)
    rnd = service.get_round(db, inv.round_id)
    r = service.save_answers(db, rnd, inv, body.answers, submit=body.submit)
    db.commit()
    return ResponsePublic(
        id=r.id,
        respondent=r.respondent_key,
        status=r.status.value,
        source=r.source,
        answered=len(r.answers),
        submitted_at=r.submitted_at,
    )


@router.get("/rounds/{round_id}/my-response", response_model=ResponsePublic | None)
def my_response(round_id: Id, principal: CurrentPrincipal, db: DbSession) -> ResponsePublic | None:
    """Your own response to a round you were invited to as an account (``null`` if not started)."""
    rnd = service.get_round(db, round_id)
    from smartgov.assessment.models import Invitation

    inv = db.scalar(select(Invitation).where(Invitation.round_id == rnd.id, Invitation.account_id == principal.id))
    if inv is None:
        from smartgov.errors import NotFound

        raise NotFound("invitation")
    r = service.response_for(db, inv)
    if r is None:
        return None
    return ResponsePublic(
        id=r.id,
        respondent=r.respondent_key,
        status=r.status.value,
        source=r.source,
        answered=len(r.answers),
        submitted_at=r.submitted_at,
    )


@router.put("/rounds/{round_id}/my-response", response_model=ResponsePublic)
def save_my_response(round_id: Id, body: AnswersIn, principal: CurrentPrincipal, db: DbSession) -> ResponsePublic:
    """Save or submit your own answers to a round you were invited to."""
    rnd = service.get_round(db, round_id)
    inv = service.account_invitation(db, rnd, principal.account)
    require(permissions.can_answer(principal, inv))
    r = service.save_answers(db, rnd, inv, body.answers, submit=body.submit)
    db.commit()
    return ResponsePublic(
        id=r.id,
        respondent=r.respondent_key,
        status=r.status.value,
        source=r.source,
        answered=len(r.answers),
        submitted_at=r.submitted_at,
    )
