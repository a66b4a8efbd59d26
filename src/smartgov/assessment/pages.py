"""HTML pages of the assessment module: frameworks, rounds, questionnaires, results, roadmap, reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from smartgov import demo, digits, identity
from smartgov.assessment import additions, charts, downloads, permissions, service
from smartgov.assessment import demo as assessment_demo
from smartgov.assessment import roadmap as roadmap_data
from smartgov.assessment.frameworks import list_frameworks, load_framework
from smartgov.assessment.models import AssessmentRound, Invitation, RoundStatus
from smartgov.assessment.network import network_svg
from smartgov.assessment.schemas import RoundResults
from smartgov.digits import parse_date, to_latin_digits
from smartgov.errors import DomainError, Forbidden
from smartgov.i18n import N_, get_language, gettext
from smartgov.identity import OrganizationView, Principal, Role, organization_by_code, require
from smartgov.settings import public_url
from smartgov.web.deps import CurrentPrincipal, DbSession, OptionalPrincipal
from smartgov.web.fields import Id
from smartgov.web.forms import PostedFiles, PostedForm, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)

register(NavItem("/assessment", N_("Assessment"), order=60))
demo.register("assessment", assessment_demo.load, order=80)

SCALE_LABELS = {
    5: (N_("Strongly disagree"), N_("Disagree"), N_("Neither agree nor disagree"), N_("Agree"), N_("Strongly agree")),
    7: (
        N_("Strongly disagree"),
        N_("Disagree"),
        N_("Somewhat disagree"),
        N_("Neither agree nor disagree"),
        N_("Somewhat agree"),
        N_("Agree"),
        N_("Strongly agree"),
    ),
}
STATUS_LABELS = {
    "draft": N_("Draft"),
    "open": N_("Open"),
    "closed": N_("Closed"),
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
}


# --------------------------------------------------------------------------- frameworks


def _agency_rounds(db: DbSession, principal: Principal | None) -> list[AssessmentRound]:
    if principal is None:
        return []
    org_ids = permissions.listed_org_ids(db, principal)
    if org_ids is not None and not org_ids:
        return []
    return list(db.scalars(service.rounds_for(db, org_ids).limit(50)))


@router.get("/assessment", response_class=HTMLResponse)
def index(request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    frameworks = [load_framework(f) for f in list_frameworks()]
    invited = service.invitations_of(db, principal.account) if principal else []
    return render(
        request,
        "assessment/index.html",
        {
            "frameworks": frameworks,
            "rounds": _agency_rounds(db, principal),
            "invited": invited,
            "can_create": bool(principal and principal.org_ids(Role.AGENCY_ADMIN)),
            "status_labels": STATUS_LABELS,
        },
    )


@router.get("/assessment/frameworks/{framework_id}", response_class=HTMLResponse)
def framework_page(framework_id: str, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    options = {k: v for k, v in request.query_params.items() if k != "lang"}
    fw = load_framework(framework_id, **options)
    lang = get_language()
    # An agency's own additions (with where they came from) are shown to its admins and analysts.
    org_ids: set[int] = set()
    for org_id in principal.org_ids(Role.AGENCY_ADMIN, Role.ANALYST) if principal else ():
        org_ids |= identity.agency_subtree(db, org_id)
    added = additions.framework_additions(db, fw.id, org_ids)
    names = {o.id: o.name(lang) for o in identity.organization_views(db, {a.organization_id for a in added}).values()}
    return render(request, "assessment/framework.html", {
        "fw": fw, "svg": Markup(network_svg(fw, lang)),  # noqa: S704 - built with escape()
        "additions": added, "org_names": names, "kind_names": additions.KIND_NAMES})


# --------------------------------------------------------------------------- rounds


def _admin_agencies(db: DbSession, principal: Principal) -> list[OrganizationView]:
    ids = permissions.administered_org_ids(db, principal)
    return sorted(identity.organization_views(db, ids).values(), key=lambda o: o.code)


@router.get("/assessment/rounds/new", response_class=HTMLResponse)
def new_round_form(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    agencies = _admin_agencies(db, principal)
    if not agencies:
        raise Forbidden()
    return render(
        request,
        "assessment/round_new.html",
        {
            "agencies": agencies,
            "frameworks": [load_framework(f) for f in service.questionnaire_frameworks()],
            "values": {"framework": "dg-sso", "scale_points": "5", "min_items": "3", "anonymous": "1"},
        },
    )


@router.post("/assessment/rounds")
def create_round(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    agencies = _admin_agencies(db, principal)
    try:
        org = organization_by_code(db, form.get("organization", ""))
        require(permissions.can_create_round(db, principal, org))
        try:
            scale, min_items = int(form.get("scale_points", "5")), int(to_latin_digits(form.get("min_items", "3")))
        except ValueError as exc:
            raise DomainError(
                "min_items", N_("Choose between 2 and 6 items per component."), field="min_items"
            ) from exc
        rnd = service.create_round(
            db,
            organization=org,
            framework_id=form.get("framework", ""),
            title_fa=form.get("title_fa", ""),
            title_en=form.get("title_en", ""),
            scale_points=scale,
            min_items=min_items,
            anonymous=form.get("anonymous") == "1",
            actor_id=principal.id,
        )
        db.commit()
    except DomainError as exc:
        if exc.status == 403:
            raise
        db.rollback()
        return render(
            request,
            "assessment/round_new.html",
            {
                "agencies": agencies,
                "frameworks": [load_framework(f) for f in service.questionnaire_frameworks()],
                "errors": field_errors(exc),
                "values": form,
            },
            status_code=422,
        )
    return RedirectResponse(f"/assessment/rounds/{rnd.id}", status_code=303)


def _round_page(
    request: Request, db: DbSession, principal: Principal, rnd: AssessmentRound, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    invitations = list(db.scalars(select(Invitation).where(Invitation.round_id == rnd.id).order_by(Invitation.id)))
    return render(
        request,
        "assessment/round.html",
        {
            "rnd": rnd,
            "org": service.organization_of(db, rnd),
            "counts": service.counts(db, rnd),
            "fw": service.framework_of(rnd.instrument),
            "invitations": invitations,
            "can_manage": permissions.can_manage_round(db, principal, rnd),
            "status_labels": STATUS_LABELS,
            **extra,
        },
        status_code=status_code,
    )


@router.get("/assessment/rounds/{round_id}", response_class=HTMLResponse)
def round_page(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    return _round_page(request, db, principal, permissions.round_to_view(db, principal, round_id))


@router.post("/assessment/rounds/{round_id}/open")
def open_round(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
               _form: PostedForm) -> Response:
    rnd = permissions.round_to_manage(db, principal, round_id)
    service.open_round(db, rnd, principal.id)
    db.commit()
    return RedirectResponse(f"/assessment/rounds/{rnd.id}", status_code=303)


@router.post("/assessment/rounds/{round_id}/close")
def close_round(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                _form: PostedForm) -> Response:
    rnd = permissions.round_to_manage(db, principal, round_id)
    results = service.close_round(db, rnd, principal.id)
    service.build_roadmap(db, rnd, results)
    db.commit()
    return RedirectResponse(f"/assessment/rounds/{rnd.id}/results", status_code=303)


@router.post("/assessment/rounds/{round_id}/invitations", response_class=HTMLResponse)
def invite(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
           form: PostedForm) -> HTMLResponse:
    rnd = permissions.round_to_manage(db, principal, round_id)
    try:
        count = int(to_latin_digits(form.get("count", "0") or "0"))
        labels = [line for line in form.get("labels", "").splitlines() if line.strip()]
        usernames = [u for u in form.get("usernames", "").replace(",", " ").split() if u]
        links = service.invite_links(db, rnd, count, labels) if (count or labels) else []
        accounts = service.invite_accounts(db, rnd, usernames)
        if not links and not accounts:
            raise DomainError("invitation_count", N_("Make between 1 and 500 links at a time."), field="count")
        db.commit()
    except ValueError:
        db.rollback()
        return _round_page(request, db, principal, rnd, 422, errors={"count": gettext("Enter a whole number.")})
    except DomainError as exc:
        db.rollback()
        return _round_page(request, db, principal, rnd, 422, errors=field_errors(exc))
    return _round_page(
        request,
        db,
        principal,
        rnd,
        new_links=[public_url(f"/assessment/respond/{raw}") for raw in links],
        new_accounts=[a.username for a in accounts],
    )


@router.post("/assessment/rounds/{round_id}/import", response_class=HTMLResponse)
def import_responses(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                     form: PostedFiles) -> Response:
    rnd = permissions.round_to_manage(db, principal, round_id)
    upload = form.get("file")
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise DomainError("file_type", N_("Upload a .csv or .xlsx file."), field="file")
        content = upload.file.read(service.MAX_IMPORT_BYTES + 1)
        n = service.import_responses(db, rnd, upload.filename, content)
        db.commit()
    except service.ImportFailed as exc:
        db.rollback()
        return _round_page(request, db, principal, rnd, 422, import_problems=exc.problems)
    except DomainError as exc:
        db.rollback()
        return _round_page(request, db, principal, rnd, 422, errors=field_errors(exc))
    return _round_page(request, db, principal, rnd, imported=n)


@router.get("/assessment/rounds/{round_id}/items", response_class=HTMLResponse)
def items_page(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    rnd = permissions.round_to_view(db, principal, round_id)
    return render(
        request,
        "assessment/items.html",
        {
            "rnd": rnd,
            "fw": service.framework_of(rnd.instrument),
            "editable": permissions.can_manage_round(db, principal, rnd) and rnd.status == RoundStatus.DRAFT,
        },
    )


@router.post("/assessment/rounds/{round_id}/items", response_class=HTMLResponse)
def save_items(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
               form: PostedForm) -> Response:
    rnd = permissions.round_to_manage(db, principal, round_id)
    try:
        for item in rnd.instrument.items:
            service.update_item(
                db,
                rnd,
                item.code,
                text_fa=form.get(f"fa-{item.code}"),
                text_en=form.get(f"en-{item.code}"),
                reverse=form.get(f"rev-{item.code}") == "1",
            )
        db.commit()
    except DomainError as exc:
        db.rollback()
        return render(
            request,
            "assessment/items.html",
            {"rnd": rnd, "fw": service.framework_of(rnd.instrument), "editable": True, "errors": field_errors(exc)},
            status_code=422,
        )
    return RedirectResponse(f"/assessment/rounds/{rnd.id}/items?saved=1", status_code=303)


# --------------------------------------------------------------------------- results


def _results_context(db: DbSession, rnd: AssessmentRound) -> dict[str, Any]:
    results: RoundResults = service.results_for(db, rnd)
    lang = get_language()
    fw = service.framework_of(rnd.instrument)
    return {
        "rnd": rnd,
        "org": service.organization_of(db, rnd),
        "fw": fw,
        "res": results,
        "figures": charts.figures(results, lang),
        "chart_notes": charts.notes(results, lang),
        "plotly_styles": charts.style_ids(),
        "indicators": service.live_indicators(db, rnd),
        "actions": service.roadmap_of(db, rnd),
        "phases": roadmap_data.phases(),
        "capabilities": roadmap_data.capabilities(),
        "tgov_fw": load_framework("tgov"),
        "gartner_fw": load_framework("gartner"),
        "status_labels": STATUS_LABELS,
        "labels": {
            s.code: (s.label_en if lang == "en" else s.label_fa) for s in [*results.dimensions, *results.components]
        },
    }


def _results_page(request: Request, db: DbSession, rnd: AssessmentRound, template: str, *, can_manage: bool,
                  refused: DomainError | None = None, values: Any = None) -> HTMLResponse:
    """A page built on the round's results (results, roadmap, report); with ``refused``, again with the
    form's values and errors (422)."""
    ctx = {**_results_context(db, rnd), "can_manage": can_manage}
    if refused is None:
        return render(request, template, ctx)
    return render(request, template, {**ctx, "errors": field_errors(refused), "values": values}, status_code=422)


@router.get("/assessment/rounds/{round_id}/results", response_class=HTMLResponse)
def results_page(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    rnd = permissions.round_to_view(db, principal, round_id)
    return _results_page(request, db, rnd, "assessment/results.html",
                         can_manage=permissions.can_manage_round(db, principal, rnd))


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@router.post("/assessment/rounds/{round_id}/settings", response_class=HTMLResponse)
def save_settings(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    rnd = permissions.round_to_manage(db, principal, round_id)
    values: dict[str, Any] = {f"tgov_{k}": _yes_no(form.get(f"tgov_{k}")) for k in service.TGOV_KEYS}
    values |= {f"gartner_{k}": _yes_no(form.get(f"gartner_{k}")) for k in service.GARTNER_KEYS}
    try:
        for name in ("total_services", "operating_cost_rial"):
            raw = form.get(name, "").strip()
            number = digits.whole_number(raw, name) if raw else None
            if raw and (number is None or (name == "total_services" and number < 1)):
                raise DomainError("not_a_number", N_("Enter a whole number."), field=name)
            values[name] = number
        service.update_settings(db, rnd, values)
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _results_page(request, db, rnd, "assessment/results.html", can_manage=True, refused=exc, values=form)
    return RedirectResponse(f"/assessment/rounds/{rnd.id}/results#stages", status_code=303)


# --------------------------------------------------------------------------- roadmap


@router.get("/assessment/rounds/{round_id}/roadmap", response_class=HTMLResponse)
def roadmap_page(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    rnd = permissions.round_to_view(db, principal, round_id)
    return _results_page(request, db, rnd, "assessment/roadmap.html",
                         can_manage=permissions.can_manage_round(db, principal, rnd))


@router.post("/assessment/rounds/{round_id}/roadmap/build")
def build_roadmap(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                  _form: PostedForm) -> Response:
    rnd = permissions.round_to_manage(db, principal, round_id)
    service.build_roadmap(db, rnd, service.results_for(db, rnd))
    db.commit()
    return RedirectResponse(f"/assessment/rounds/{rnd.id}/roadmap", status_code=303)


def _date(text: str, field: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise DomainError(
            "invalid_date",
            N_("Enter a real date, for example {example}."),
            field=field,
            example="1405/03/01" if get_language() == "fa" else "2026-05-22",
        ) from exc


@router.post("/assessment/rounds/{round_id}/roadmap", response_class=HTMLResponse)
def save_roadmap(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                 form: PostedForm) -> Response:
    rnd = permissions.round_to_manage(db, principal, round_id)
    try:
        for action in service.roadmap_of(db, rnd):
            service.update_action(
                db,
                rnd,
                action.id,
                owner=form.get(f"owner-{action.id}"),
                due_date=_date(form.get(f"due-{action.id}", ""), f"due-{action.id}"),
                status=form.get(f"status-{action.id}") or None,
            )
        db.commit()
    except DomainError as exc:
        db.rollback()
        return _results_page(request, db, rnd, "assessment/roadmap.html", can_manage=True, refused=exc, values=form)
    return RedirectResponse(f"/assessment/rounds/{rnd.id}/roadmap?saved=1", status_code=303)


# --------------------------------------------------------------------------- reports and exports


@router.get("/assessment/rounds/{round_id}/report", response_class=HTMLResponse)
def report_page(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    rnd = permissions.round_to_view(db, principal, round_id)
    return _results_page(request, db, rnd, "assessment/report.html", can_manage=False)


@router.get("/assessment/rounds/{round_id}/report.pdf")
def report_pdf(round_id: Id, db: DbSession, principal: CurrentPrincipal) -> Response:
    rnd = permissions.round_to_view(db, principal, round_id)
    lang = get_language()
    return downloads.report_pdf(db, rnd, lang)


@router.get("/assessment/rounds/{round_id}/export.csv")
def export_csv(round_id: Id, db: DbSession, principal: CurrentPrincipal) -> Response:
    rnd = permissions.round_to_view(db, principal, round_id)
    return downloads.scores_csv(db, rnd)


@router.get("/assessment/rounds/{round_id}/export.xlsx")
def export_xlsx(round_id: Id, db: DbSession, principal: CurrentPrincipal) -> Response:
    rnd = permissions.round_to_view(db, principal, round_id)
    return downloads.scores_xlsx(db, rnd)


@router.get("/assessment/rounds/{round_id}/roadmap.csv")
def export_roadmap(round_id: Id, db: DbSession, principal: CurrentPrincipal) -> Response:
    rnd = permissions.round_to_view(db, principal, round_id)
    return downloads.roadmap_csv(db, rnd)


# --------------------------------------------------------------------------- answering


def _questionnaire(
    request: Request, rnd: AssessmentRound, action: str, answers: dict[str, Any], status_code: int = 200, **extra: Any
) -> HTMLResponse:
    fw = service.framework_of(rnd.instrument)
    groups: dict[str, list[Any]] = {}
    for item in rnd.instrument.items:
        groups.setdefault(item.component, []).append(item)
    return render(
        request,
        "assessment/respond.html",
        {
            "rnd": rnd,
            "fw": fw,
            "groups": groups,
            "action": action,
            "answers": answers,
            "scale": SCALE_LABELS[rnd.instrument.scale_points],
            **extra,
        },
        status_code=status_code,
    )


def _answer(
    request: Request, db: DbSession, rnd: AssessmentRound, inv: Invitation, form: dict[str, str], action: str
) -> Response:
    answers = {k[2:]: v for k, v in form.items() if k.startswith("q:")}
    submit = form.get("do") == "submit"
    try:
        service.save_answers(db, rnd, inv, answers, submit=submit)
        db.commit()
    except DomainError as exc:
        db.rollback()
        if exc.status == 410:
            raise
        response = service.response_for(db, inv)
        merged = {**(response.answers if response else {}), **answers}
        return _questionnaire(request, rnd, action, merged, 422, errors=field_errors(exc))
    if submit:
        return render(request, "assessment/respond_done.html", {"rnd": rnd})
    return _questionnaire(request, rnd, action, service.response_for(db, inv).answers, saved=True)  # type: ignore[union-attr]


@router.get("/assessment/respond/{token}", response_class=HTMLResponse)
def respond_form(token: str, request: Request, db: DbSession) -> HTMLResponse:
    inv = service.invitation_by_token(db, token)
    rnd = service.get_round(db, inv.round_id)
    if rnd.status != RoundStatus.OPEN:
        raise DomainError("round_not_open", N_("This round is not accepting answers."), status=409)
    response = service.response_for(db, inv)
    return _questionnaire(request, rnd, f"/assessment/respond/{token}", response.answers if response else {})


@router.post("/assessment/respond/{token}", response_class=HTMLResponse)
def respond(token: str, request: Request, db: DbSession, form: PostedForm) -> Response:
    inv = service.invitation_by_token(db, token)
    rnd = service.get_round(db, inv.round_id)
    return _answer(request, db, rnd, inv, form, f"/assessment/respond/{token}")


@router.get("/assessment/rounds/{round_id}/respond", response_class=HTMLResponse)
def respond_account_form(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    rnd = service.get_round(db, round_id)
    inv = service.account_invitation(db, rnd, principal.account)
    if rnd.status != RoundStatus.OPEN:
        raise DomainError("round_not_open", N_("This round is not accepting answers."), status=409)
    response = service.response_for(db, inv)
    return _questionnaire(request, rnd, f"/assessment/rounds/{rnd.id}/respond", response.answers if response else {})


@router.post("/assessment/rounds/{round_id}/respond", response_class=HTMLResponse)
def respond_account(round_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                    form: PostedForm) -> Response:
    rnd = service.get_round(db, round_id)
    inv = service.account_invitation(db, rnd, principal.account)
    require(permissions.can_answer(principal, inv))
    return _answer(request, db, rnd, inv, form, f"/assessment/rounds/{rnd.id}/respond")
