"""The participation back office in the browser: officials and agency admins create, edit, open and
close consultations, polls, participatory budgets and accountability items, and find what their
agencies owe the public (petitions, proposals, the moderation queue) in one place.

Every screen is a plain form (no JavaScript: "add a row" is a submit button that redisplays the
form with one more row), built on the same ``service`` functions as the JSON API; each POST is one
transaction that commits or refuses with the fields named. Who may open a record is
``permissions.can_run_processes`` on the record's agency, checked before anything is read out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import jdatetime
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, digits, identity
from smartgov.db import get_or_not_found
from smartgov.errors import DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_, get_language, gettext, localize_digits
from smartgov.identity import OrganizationView, Principal, is_platform_admin, require
from smartgov.participation import permissions, service
from smartgov.participation.models import AccountabilityItem, Budget, Consultation, ItemStatus, Phase, Poll, Voter
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.fields import Id
from smartgov.web.forms import Collected, PostedForm, example_day, field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
register(NavItem("/participation/admin", N_("Participation admin"), roles=frozenset(permissions.STAFF), order=78))

BASE = "/participation/admin"
PHASE_NAMES = ("information", "consultation", "analysis", "decision", "accountability")
KINDS = {"policy": N_("Policy"), "regulation": N_("Regulation"), "standard": N_("Standard")}
STYLES = {"approval": N_("Approval: each voter picks up to a number of projects"),
          "knapsack": N_("Within the budget: each voter picks projects whose total cost fits")}
ITEM_KINDS = {"decision": N_("Decision"), "project": N_("Project")}
ITEM_STATUSES = {"planned": N_("Planned"), "in_progress": N_("In progress"), "completed": N_("Completed"),
                 "cancelled": N_("Cancelled")}
BOX_STATES = {"upcoming": N_("Not open yet"), "open": N_("Open"), "counting": N_("Closed: being counted"),
              "published": N_("Closed: results published")}
MAX_ROWS = 50
PHASE_LABELS = {Phase.UPCOMING: N_("Upcoming"), Phase.INFORMATION: N_("Information"),
                Phase.CONSULTATION: N_("Consultation"), Phase.ANALYSIS: N_("Analysis"), Phase.DECISION: N_("Decision"),
                Phase.ACCOUNTABILITY: N_("Accountability")}


# --------------------------------------------------------------------------- reading a form


def row_count(form: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    """How many rows of a repeated group the form shows: the posted count, one more if asked."""
    count = digits.whole_number(form.get(name, ""), name) if form.get(name) else None
    count = max(minimum, min(count or default, MAX_ROWS))
    return min(count + 1, MAX_ROWS) if "add_row" in form else count


def rows(form: dict[str, str], prefix: str, count: int, names: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """The filled rows of a repeated group (a row whose fields are all blank is left out), numbered from 1."""
    out = []
    for i in range(1, count + 1):
        row = {n: form.get(f"{prefix}{i}_{n}", "").strip() for n in names}
        if any(row.values()):
            out.append((i, row))
    return out


def shown_moment(value: dt.datetime | None) -> str:
    """A moment as the form shows it back: Jalali with Persian digits in Persian, ISO in English."""
    if value is None:
        return ""
    local = clock.local(value)
    if get_language() == "fa":
        j = jdatetime.date.fromgregorian(date=local.date())
        return localize_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d} {local:%H:%M}", "fa")
    return f"{local:%Y-%m-%d %H:%M}"


def shown_day(value: dt.date | None) -> str:
    if value is None:
        return ""
    if get_language() == "fa":
        j = jdatetime.date.fromgregorian(date=value)
        return localize_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}", "fa")
    return value.isoformat()


def renamed(exc: DomainError, names: dict[str, str]) -> dict[str, str]:
    """The page's field names for a service's (``phases.analysis`` → ``phase_analysis``)."""
    return {names.get(k, k): v for k, v in field_errors(exc).items()}


# --------------------------------------------------------------------------- who sees what


def my_agencies(db: Session, principal: Principal) -> list[OrganizationView]:
    """The agencies the principal runs processes for: their own and those below (all, for platform admins)."""
    if is_platform_admin(principal):
        return identity.agencies(db)
    ids: set[int] = set()
    for org_id in principal.org_ids(*permissions.STAFF):
        ids |= identity.agency_subtree(db, org_id)
    return sorted(identity.organization_views(db, ids).values(), key=lambda o: o.code)


def chosen_agency(db: Session, principal: Principal, form: dict[str, str], found: Collected) -> OrganizationView | None:
    """The agency picked in the form; one the principal does not act for is refused (403), not listed."""
    code = form.get("organization", "").strip()
    try:
        org = identity.organization_by_code(db, code) if code else None
    except NotFound:
        org = None
    if org is None:
        found.add("organization", N_("Choose one of the allowed values."))
        return None
    require(permissions.can_run_processes(db, principal, org.id))
    return org


def _owned(db: Session, principal: Principal, model: type[Any], record_id: int) -> Any:
    row = get_or_not_found(db, model, record_id, "page")
    require(permissions.can_run_processes(db, principal, row.organization_id))
    return row


def box_state(db: Session, box: Poll | Budget) -> str:
    now = service.now()
    if now < box.opens_at:
        return "upcoming"
    if now < box.closes_at:
        return "open"
    return "published" if service.results_published(db, box) else "counting"


def _page(request: Request, template: str, principal: Principal, db: Session, ctx: dict[str, Any],
          status_code: int = 200) -> HTMLResponse:
    lang = get_language()
    ctx.setdefault("agencies", [(o.code, o.name(lang)) for o in my_agencies(db, principal)])
    ctx.update({"base": BASE, "options": lambda labels: [(k, gettext(v)) for k, v in labels.items()],
                "example_moment": "۱۴۰۵/۰۱/۱۵ ۰۹:۰۰" if lang == "fa" else "2026-04-04 09:00",
                "example_day": example_day()})
    return render(request, template, ctx, status_code=status_code)


# --------------------------------------------------------------------------- home


@router.get(BASE, response_class=HTMLResponse)
def home(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Everything the principal's agencies run or owe, newest first, with the forms one click away."""
    require(permissions.is_moderator(principal))
    org_ids = permissions.moderator_org_ids(db, principal)

    def mine(model: type[Any], order: Any) -> list[Any]:
        query = select(model).order_by(order).limit(100)
        if org_ids is not None:
            query = query.where(model.organization_id.in_(org_ids))
        return list(db.scalars(query))

    petitions, proposals = service.answers_due(db, org_ids)
    queue = service.moderation_queue(db, org_ids)
    lang = get_language()
    everything = [*mine(Consultation, Consultation.id.desc()), *mine(Poll, Poll.id.desc()),
                  *mine(Budget, Budget.id.desc()), *mine(AccountabilityItem, AccountabilityItem.deadline)]
    names = {o.id: o.name(lang) for o in identity.organization_views(
        db, {x.organization_id for x in [*everything, *petitions, *proposals]}).values()}
    return _page(request, "participation/admin/home.html", principal, db, {
        "consultations": mine(Consultation, Consultation.id.desc()), "polls": mine(Poll, Poll.id.desc()),
        "budgets": mine(Budget, Budget.id.desc()), "items": mine(AccountabilityItem, AccountabilityItem.deadline),
        "petitions": petitions, "proposals": proposals, "queue_size": len(queue), "org_names": names,
        "phase_of": service.current_phase, "phase_labels": PHASE_LABELS,
        "box_state": lambda box: box_state(db, box), "box_states": BOX_STATES,
        "item_statuses": ITEM_STATUSES, "item_overdue": service.item_overdue,
        "petition_state": service.petition_state, "answer_overdue": service.answer_overdue,
    })


# --------------------------------------------------------------------------- consultations

SECTION_FIELDS = ("heading_fa", "heading_en", "body_fa", "body_en")


def _consultation_values(c: Consultation) -> dict[str, str]:
    values = {"slug": c.slug, "kind": c.kind.value, "title_fa": c.title_fa, "title_en": c.title_en,
              "summary_fa": c.summary_fa, "summary_en": c.summary_en, "section_count": str(len(c.sections))}
    values.update({f"phase_{p}": shown_moment(getattr(c, f"{p}_starts_at")) for p in PHASE_NAMES})
    for s in c.sections:
        values.update({f"s{s.number}_{n}": getattr(s, n) for n in SECTION_FIELDS})
    return values


def _read_consultation(form: dict[str, str], found: Collected) -> dict[str, Any]:
    """Titles, kind, phases and sections as the service takes them; blank section rows are left out."""
    kind = form.get("kind", "")
    if kind not in KINDS:
        found.add("kind", N_("Choose one of the allowed values."))
    data: dict[str, Any] = {
        "kind": kind, "title_fa": found.text(form, "title_fa"), "title_en": found.text(form, "title_en"),
        "summary_fa": found.text(form, "summary_fa", required=False, max_len=5000),
        "summary_en": found.text(form, "summary_en", required=False, max_len=5000)}
    phases = {p: found.when(form, f"phase_{p}") for p in PHASE_NAMES}
    data["phases"] = {p: v for p, v in phases.items() if v is not None}
    sections = []
    for i, row in rows(form, "s", row_count(form, "section_count", 3), SECTION_FIELDS):
        for n in SECTION_FIELDS:
            found.text(form, f"s{i}_{n}", max_len=300 if n.startswith("heading") else 20000)
        sections.append(row)
    if not sections:
        found.add("s1_heading_fa", N_("A draft needs at least one section."))
    data["sections"] = sections
    return data


CONSULTATION_FIELDS = {f"phases.{p}": f"phase_{p}" for p in PHASE_NAMES} | {
    "phases": "phase_information", "sections": "s1_heading_fa"}


def _consultation_form(request: Request, db: Session, principal: Principal, c: Consultation | None,
                       values: dict[str, str], errors: dict[str, str] | None = None,
                       status_code: int = 200) -> HTMLResponse:
    phase = service.current_phase(c) if c else None
    editable = c is None or phase in (Phase.UPCOMING, Phase.INFORMATION)
    return _page(request, "participation/admin/consultation.html", principal, db, {
        "c": c, "values": values, "errors": errors or {}, "kinds": KINDS, "phase_names": PHASE_NAMES,
        "section_count": row_count(values, "section_count", 3), "editable": editable, "phase": phase,
        "phase_labels": PHASE_LABELS,
        "done": request.query_params.get("done", ""),
    }, status_code)


@router.get(f"{BASE}/consultations/new", response_class=HTMLResponse)
def new_consultation(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    require(permissions.is_moderator(principal))
    return _consultation_form(request, db, principal, None, {"kind": "regulation"})


@router.post(f"{BASE}/consultations/new")
def create_consultation(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    require(permissions.is_moderator(principal))
    if "add_row" in form:
        return _consultation_form(request, db, principal, None, form)
    found = Collected()
    try:
        org = chosen_agency(db, principal, form, found)
        slug = found.text(form, "slug", max_len=80)
        data = _read_consultation(form, found)
        found.check()
        assert org is not None
        c = service.create_consultation(db, organization=org, slug=slug, actor_id=principal.id, **data)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        return _consultation_form(request, db, principal, None, form, renamed(exc, CONSULTATION_FIELDS), 422)
    db.commit()
    return RedirectResponse(f"{BASE}/consultations/{c.id}?done=created", status_code=303)


@router.get(f"{BASE}/consultations/{{consultation_id}}", response_class=HTMLResponse)
def consultation(consultation_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    c = _owned(db, principal, Consultation, consultation_id)
    return _consultation_form(request, db, principal, c, _consultation_values(c))


@router.post(f"{BASE}/consultations/{{consultation_id}}")
def update_consultation(consultation_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                        form: PostedForm) -> Response:
    c = _owned(db, principal, Consultation, consultation_id)
    if "add_row" in form:
        return _consultation_form(request, db, principal, c, form)
    found = Collected()
    try:
        data = _read_consultation(form, found)
        found.check()
        service.update_consultation(db, c, actor_id=principal.id, **data)
    except DomainError as exc:
        db.rollback()
        c = _owned(db, principal, Consultation, consultation_id)
        return _consultation_form(request, db, principal, c, {**form, "slug": c.slug},
                                  renamed(exc, CONSULTATION_FIELDS), 422 if exc.status != 409 else 409)
    db.commit()
    return RedirectResponse(f"{BASE}/consultations/{c.id}?done=saved", status_code=303)


@router.post(f"{BASE}/consultations/{{consultation_id}}/advance")
def advance(consultation_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
            form: PostedForm) -> Response:
    c = _owned(db, principal, Consultation, consultation_id)
    try:
        service.advance_phase(db, c, actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        c = _owned(db, principal, Consultation, consultation_id)
        return _consultation_form(request, db, principal, c, _consultation_values(c), {"_form": exc.localized()},
                                  exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/consultations/{c.id}?done=advanced", status_code=303)


# --------------------------------------------------------------------------- polls and budgets

#: Reads one kind of box's own fields from a posted form (``_read_poll``, ``_read_budget``).
BoxReader = Callable[[dict[str, str], Collected], dict[str, Any]]
BOX_FIELDS = {"options": "o1_fa", "projects": "p1_fa", "opens_at": "opens_at", "closes_at": "closes_at"}


def _poll_values(p: Poll) -> dict[str, str]:
    values = {"slug": p.slug, "question_fa": p.question_fa, "question_en": p.question_en,
              "opens_at": shown_moment(p.opens_at), "closes_at": shown_moment(p.closes_at),
              "option_count": str(len(p.options)), "eligibility": p.eligibility or "",
              "eligibility_note_fa": p.eligibility_note_fa or "", "eligibility_note_en": p.eligibility_note_en or ""}
    for o in p.options:
        values.update({f"o{o.position}_fa": o.label_fa, f"o{o.position}_en": o.label_en})
    return values


def _read_poll(form: dict[str, str], found: Collected) -> dict[str, Any]:
    options = []
    for i, _row in rows(form, "o", row_count(form, "option_count", 3), ("fa", "en")):
        options.append((found.text(form, f"o{i}_fa"), found.text(form, f"o{i}_en")))
    if len(options) < 2:
        found.add("o1_fa", N_("Give at least two options."))
    eligibility = None
    try:
        eligibility = service.checked_eligibility(form.get("eligibility", ""), form.get("eligibility_note_fa", ""),
                                                  form.get("eligibility_note_en", ""))
    except ValidationFailed as exc:
        found.errors.extend(exc.errors)
    return {"question_fa": found.text(form, "question_fa", max_len=500), "eligibility": eligibility,
            "question_en": found.text(form, "question_en", max_len=500), "options": options,
            "opens_at": found.when(form, "opens_at"), "closes_at": found.when(form, "closes_at")}


def _box_form(request: Request, db: Session, principal: Principal, kind: str, box: Poll | Budget | None,
              values: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    state = box_state(db, box) if box else None
    results: Any = None
    if state == "published":
        results = service.poll_results(db, box) if isinstance(box, Poll) else service.budget_results(db, box)
    return _page(request, f"participation/admin/{kind}.html", principal, db, {
        "box": box, "values": values, "errors": errors or {}, "state": state, "box_states": BOX_STATES,
        "editable": box is None or (state == "upcoming" and not _has_voters(db, box)), "results": results,
        "rows": row_count(values, "option_count" if kind == "poll" else "project_count", 3), "styles": STYLES,
        "done": request.query_params.get("done", ""),
    }, status_code)


def _has_voters(db: Session, box: Poll | Budget) -> bool:
    return bool(db.scalar(select(func.count()).select_from(Voter).where(
        Voter.box_kind == service.kind_of(box), Voter.box_id == box.id)))


def _create_box(request: Request, db: Session, principal: Principal, form: dict[str, str], kind: str,
                read: BoxReader, create: Callable[..., Any]) -> Response:
    require(permissions.is_moderator(principal))
    if "add_row" in form:
        return _box_form(request, db, principal, kind, None, form)
    found = Collected()
    try:
        org = chosen_agency(db, principal, form, found)
        slug = found.text(form, "slug", max_len=80).lower()
        if slug and not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in slug):
            found.add("slug", N_("Use Latin letters, digits and dashes."))
        data = read(form, found)
        found.check()
        assert org is not None
        box = create(db, organization=org, slug=slug, actor_id=principal.id, **data)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        return _box_form(request, db, principal, kind, None, form, renamed(exc, BOX_FIELDS), 422)
    db.commit()
    return RedirectResponse(f"{BASE}/{kind}s/{box.id}?done=created", status_code=303)


def _update_box(request: Request, db: Session, principal: Principal, form: dict[str, str], kind: str,
                box_id: int, read: BoxReader,
                update: Callable[..., Any]) -> Response:
    model = Poll if kind == "poll" else Budget
    box = _owned(db, principal, model, box_id)
    if "add_row" in form:
        return _box_form(request, db, principal, kind, box, form)
    found = Collected()
    try:
        data = read(form, found)
        found.check()
        update(db, box, actor_id=principal.id, **data)
    except DomainError as exc:
        db.rollback()
        box = _owned(db, principal, model, box_id)
        return _box_form(request, db, principal, kind, box, {**form, "slug": box.slug}, renamed(exc, BOX_FIELDS),
                         409 if exc.status == 409 else 422)
    db.commit()
    return RedirectResponse(f"{BASE}/{kind}s/{box.id}?done=saved", status_code=303)


def _close_box(request: Request, db: Session, principal: Principal, kind: str, box_id: int,
               values: Callable[[Any], dict[str, str]]) -> Response:
    model = Poll if kind == "poll" else Budget
    box = _owned(db, principal, model, box_id)
    try:
        service.close_voting(db, box, actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        box = _owned(db, principal, model, box_id)
        return _box_form(request, db, principal, kind, box, values(box), {"_form": exc.localized()}, exc.status)
    db.commit()
    return RedirectResponse(f"{BASE}/{kind}s/{box.id}?done=closed", status_code=303)


@router.get(f"{BASE}/polls/new", response_class=HTMLResponse)
def new_poll(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    require(permissions.is_moderator(principal))
    return _box_form(request, db, principal, "poll", None, {})


@router.post(f"{BASE}/polls/new")
def create_poll(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    return _create_box(request, db, principal, form, "poll", _read_poll, service.create_poll)


@router.get(f"{BASE}/polls/{{poll_id}}", response_class=HTMLResponse)
def poll(poll_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    p = _owned(db, principal, Poll, poll_id)
    return _box_form(request, db, principal, "poll", p, _poll_values(p))


@router.post(f"{BASE}/polls/{{poll_id}}")
def update_poll(poll_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                form: PostedForm) -> Response:
    return _update_box(request, db, principal, form, "poll", poll_id, _read_poll, service.update_poll)


@router.post(f"{BASE}/polls/{{poll_id}}/close")
def close_poll(poll_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    return _close_box(request, db, principal, "poll", poll_id, _poll_values)


PROJECT_FIELDS = ("fa", "en", "cost", "place_fa", "place_en", "lat", "lon")


def _budget_values(b: Budget) -> dict[str, str]:
    values = {"slug": b.slug, "title_fa": b.title_fa, "title_en": b.title_en, "total": str(b.total),
              "style": b.style.value, "max_choices": str(b.max_choices or ""), "opens_at": shown_moment(b.opens_at),
              "closes_at": shown_moment(b.closes_at), "project_count": str(len(b.projects))}
    for p in b.projects:
        values.update({f"p{p.position}_fa": p.title_fa, f"p{p.position}_en": p.title_en,
                       f"p{p.position}_cost": str(p.cost), f"p{p.position}_place_fa": p.place_fa or "",
                       f"p{p.position}_place_en": p.place_en or "",
                       f"p{p.position}_lat": "" if p.latitude is None else f"{p.latitude:g}",
                       f"p{p.position}_lon": "" if p.longitude is None else f"{p.longitude:g}"})
    return values


def _place(form: dict[str, str], i: int, found: Collected) -> service.ProjectPlace | None:
    """A project's place: a name in both languages (or neither) and an optional point, each checked on its field."""
    fa = found.text(form, f"p{i}_place_fa", required=False, max_len=200)
    en = found.text(form, f"p{i}_place_en", required=False, max_len=200)
    point = [found.coordinate(form, f"p{i}_{axis}", limit) for axis, limit in (("lat", 90), ("lon", 180))]
    if bool(fa) != bool(en):
        found.add(f"p{i}_place_{'en' if fa else 'fa'}", N_("Name the place in both languages, or in neither."))
    raw = [form.get(f"p{i}_{axis}", "").strip() for axis in ("lat", "lon")]
    if bool(raw[0]) != bool(raw[1]):
        found.add(f"p{i}_{'lon' if raw[0] else 'lat'}", N_("Give both latitude and longitude, or neither."))
    elif raw[0] and not fa:
        found.add(f"p{i}_place_fa", N_("A point needs the place's name."))
    if not fa:
        return None
    return service.ProjectPlace(fa, en, point[0], point[1])


def _read_budget(form: dict[str, str], found: Collected) -> dict[str, Any]:
    projects = []
    for i, _row in rows(form, "p", row_count(form, "project_count", 3), PROJECT_FIELDS):
        projects.append((found.text(form, f"p{i}_fa"), found.text(form, f"p{i}_en"),
                         found.number(form, f"p{i}_cost", low=1) or 0, _place(form, i, found)))
    if not projects:
        found.add("p1_fa", N_("Give at least one project."))
    style = form.get("style", "")
    if style not in STYLES:
        found.add("style", N_("Choose one of the allowed values."))
    max_choices = found.number(form, "max_choices", required=style == "approval", low=1, high=max(1, len(projects)))
    return {"title_fa": found.text(form, "title_fa"), "title_en": found.text(form, "title_en"),
            "total": found.number(form, "total", low=1) or 0, "style": style,
            "max_choices": max_choices if style == "approval" else None, "projects": projects,
            "opens_at": found.when(form, "opens_at"), "closes_at": found.when(form, "closes_at")}


@router.get(f"{BASE}/budgets/new", response_class=HTMLResponse)
def new_budget(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    require(permissions.is_moderator(principal))
    return _box_form(request, db, principal, "budget", None, {"style": "approval"})


@router.post(f"{BASE}/budgets/new")
def create_budget(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    return _create_box(request, db, principal, form, "budget", _read_budget, service.create_budget)


@router.get(f"{BASE}/budgets/{{budget_id}}", response_class=HTMLResponse)
def budget(budget_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    b = _owned(db, principal, Budget, budget_id)
    return _box_form(request, db, principal, "budget", b, _budget_values(b))


@router.post(f"{BASE}/budgets/{{budget_id}}")
def update_budget(budget_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                  form: PostedForm) -> Response:
    return _update_box(request, db, principal, form, "budget", budget_id, _read_budget, service.update_budget)


@router.post(f"{BASE}/budgets/{{budget_id}}/close")
def close_budget(budget_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                 form: PostedForm) -> Response:
    return _close_box(request, db, principal, "budget", budget_id, _budget_values)


# --------------------------------------------------------------------------- accountability


def _item_form(request: Request, db: Session, principal: Principal, item: AccountabilityItem | None,
               values: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return _page(request, "participation/admin/item.html", principal, db, {
        "item": item, "values": values, "errors": errors or {}, "item_kinds": ITEM_KINDS,
        "item_statuses": ITEM_STATUSES, "rows": row_count(values, "milestone_count", 2),
        "missed": service.milestone_missed, "overdue": service.item_overdue(item) if item else False,
        "done": request.query_params.get("done", ""), "shown_day": shown_day,
    }, status_code)


@router.get(f"{BASE}/accountability/new", response_class=HTMLResponse)
def new_item(request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    require(permissions.is_moderator(principal))
    return _item_form(request, db, principal, None, {"kind": "decision"})


@router.post(f"{BASE}/accountability/new")
def create_item(request: Request, db: DbSession, principal: CurrentPrincipal, form: PostedForm) -> Response:
    require(permissions.is_moderator(principal))
    if "add_row" in form:
        return _item_form(request, db, principal, None, form)
    found = Collected()
    try:
        org = chosen_agency(db, principal, form, found)
        kind = form.get("kind", "")
        if kind not in ITEM_KINDS:
            found.add("kind", N_("Choose one of the allowed values."))
        milestones = []
        for i, _row in rows(form, "m", row_count(form, "milestone_count", 2), ("fa", "en", "due")):
            fa, en = found.text(form, f"m{i}_fa"), found.text(form, f"m{i}_en")
            due = found.day(form, f"m{i}_due", required=True)
            if due is not None:
                milestones.append((fa, en, due))
        data = {"title_fa": found.text(form, "title_fa"), "title_en": found.text(form, "title_en"),
                "description_fa": found.text(form, "description_fa", required=False, max_len=5000),
                "description_en": found.text(form, "description_en", required=False, max_len=5000),
                "deadline": found.day(form, "deadline", required=True)}
        found.check()
        assert org is not None
        item = service.create_item(db, organization=org, kind=kind, milestones=milestones, actor_id=principal.id,
                                   **data)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        return _item_form(request, db, principal, None, form, field_errors(exc), 422)
    db.commit()
    return RedirectResponse(f"{BASE}/accountability/{item.id}?done=created", status_code=303)


@router.get(f"{BASE}/accountability/{{item_id}}", response_class=HTMLResponse)
def item(item_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    row = _owned(db, principal, AccountabilityItem, item_id)
    return _item_form(request, db, principal, row, {"status": row.status.value, "progress": str(row.progress)})


@router.post(f"{BASE}/accountability/{{item_id}}")
def update_item(item_id: Id, request: Request, db: DbSession, principal: CurrentPrincipal,
                form: PostedForm) -> Response:
    row = _owned(db, principal, AccountabilityItem, item_id)
    found = Collected()
    try:
        status = form.get("status", "")
        if status not in ITEM_STATUSES:
            found.add("status", N_("Choose one of the allowed values."))
        progress = found.number(form, "progress", low=0, high=100)
        done = [m.id for m in row.milestones if form.get(f"done_{m.id}") == "1" and m.completed_on is None]
        found.check()
        service.update_item(db, row, status=ItemStatus(status), progress=progress, completed_milestones=done,
                            actor_id=principal.id)
    except DomainError as exc:
        db.rollback()
        row = _owned(db, principal, AccountabilityItem, item_id)
        return _item_form(request, db, principal, row, form, field_errors(exc), 422)
    db.commit()
    return RedirectResponse(f"{BASE}/accountability/{row.id}?done=saved", status_code=303)
