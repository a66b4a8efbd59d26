"""Dashboards: public (national and per agency) and internal (per agency or branch, with the cases
behind a number), each chart with its table, its CSV and a print view.

Every figure comes from the analytics surface (rollups) through ``read_session``; the cases behind
a number come from the services module's ``cases_behind``, scoped by the inbox's rule. Filters are a
GET form that works without JavaScript. Public pages show public KPIs only and suppress small cells
(``SMARTGOV_SUPPRESS_BELOW``); internal pages show every KPI, unsuppressed, to staff in scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jdatetime
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from smartgov import clock, digits, identity, services
from smartgov.analytics import Kpi, breakdown, kpis, read_session, series
from smartgov.analytics import charts as kchart
from smartgov.analytics.charts import Chart
from smartgov.analytics.scopes import View, can_view_internal, view_of, views_for
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_, get_language, gettext, gregorian_to_jalali, localize_digits
from smartgov.identity import OrganizationView, require
from smartgov.settings import get_settings
from smartgov.web import charts as shared
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.forms import field_errors
from smartgov.web.nav import NavItem, register
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)
register(NavItem("/dashboards", N_("Dashboards"), order=15))

GRAINS = ("month", "week", "day")
#: The longest range each grain draws (points per chart stay readable, pages stay fast).
MAX_DAYS = {"day": 400, "week": 3 * 366, "month": 10 * 366}
#: KPIs also drawn split by agency (national), by service (an agency) or by branch (internal).
BREAKDOWN_KPIS = ("applications_received", "processing_days_p50", "sla_compliance")
CASES_PER_PAGE = 50
BASIS_LABELS = {
    "submitted": N_("Submitted in the period"), "decided": N_("Decided in the period (withdrawals left out)"),
    "open": N_("Still open at the end of the period"), "paid": N_("Paid in the period"),
}
TEMPLATE_HELPERS = {"fmt": kchart.format_value, "target_text": kchart.target_text, "to_json": shared.to_json}


@dataclass
class Filters:
    """A dashboard's filters, read from the query string (``values``: as typed, for the form)."""

    start: dt.date
    end: dt.date
    grain: str
    service: str | None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **extra: str | None) -> str:
        params = {"start": self.start.isoformat(), "end": self.end.isoformat(), "grain": self.grain,
                  "service": self.service or "", **{k: v or "" for k, v in extra.items()}}
        return urlencode({k: v for k, v in params.items() if v})


def _default_start(end: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return end - dt.timedelta(days=29)
    if grain == "week":
        return end - dt.timedelta(weeks=12)
    j = jdatetime.date.fromgregorian(date=end)
    months = j.year * 12 + j.month - 1 - 11  # this Jalali month and the eleven before it
    return jdatetime.date(months // 12, months % 12 + 1, 1).togregorian()


def _shown_date(day: dt.date, lang: str) -> str:
    return localize_digits(gregorian_to_jalali(day), lang) if lang == "fa" else day.isoformat()


def _date(text: str | None, name: str, errors: dict[str, str]) -> dt.date | None:
    if not text or not text.strip():
        return None
    try:
        return digits.date(text, name)
    except ValueError:
        errors[name] = gettext("Enter a real date, such as 1403/01/15 or 2024-04-03.")
        return None


def read_filters(start: str | None, end: str | None, grain: str | None, service: str | None) -> Filters:
    """The filters as asked, checked: a wrong field is named in ``errors`` and the default used instead."""
    errors: dict[str, str] = {}
    lang = get_language()
    chosen = grain if grain in GRAINS else "month"
    if grain and grain not in GRAINS:
        errors["grain"] = gettext("Choose day, week or month.")
    today = clock.today()
    last = _date(end, "end", errors) or today
    first = _date(start, "start", errors) or _default_start(last, chosen)
    if first > last:
        errors["end"] = gettext("The end comes before the start.")
        first = _default_start(last, chosen)
    if (last - first).days > MAX_DAYS[chosen]:
        errors["start"] = gettext("Ask for at most {n} days at this grain.", n=MAX_DAYS[chosen])
        first = _default_start(last, chosen)
    code = (service or "").strip()[:64] or None
    values = {"start": start if "start" in errors else _shown_date(first, lang),
              "end": end if "end" in errors else _shown_date(last, lang), "grain": chosen, "service": code or ""}
    return Filters(first, last, chosen, code, values, errors)


def _service_titles(db: Session, lang: str) -> dict[str, str]:
    return {d.service_id: (d.title_fa if lang == "fa" else d.title_en) for d in services.catalog(db)}


def _org_labels(db: Session, keys: list[str], lang: str) -> dict[str, str]:
    ids = {int(k) for k in keys if k.isascii() and k.isdigit()}
    return {str(i): o.name(lang) for i, o in identity.organization_views(db, ids).items()}


def _breakdown_labels(db: Session, by: str, keys: list[str], lang: str) -> dict[str, str]:
    if by == "service":
        return _service_titles(db, lang)
    if by in ("agency", "branch"):
        return _org_labels(db, keys, lang)
    return {}


def _charts(db: Session, f: Filters, lang: str, *, public: bool, agency_id: int | None, branch_id: int | None,
            by: str | None, only: str | None = None) -> list[Chart]:
    """Every KPI's chart over the filters (``only``: one chart id, for its CSV)."""
    threshold = get_settings().suppress_below if public else None
    out: list[Chart] = []
    chosen: list[Kpi] = [k for k in kpis(db) if k.public or not public]
    for k in chosen:
        if only in (None, k.code):
            points = series(db, k.code, start=f.start, end=f.end, grain=f.grain, service=f.service,
                            agency_id=agency_id, branch_id=branch_id)
            out.append(kchart.series_chart(k, points, lang, grain=f.grain, suppress_below=threshold))
    if by is None or f.service is not None:  # a breakdown cannot also filter by service
        return out
    for k in chosen:
        chart_id = f"{k.code}-by-{by}"
        if k.code in BREAKDOWN_KPIS and only in (None, chart_id):
            rows = breakdown(db, k.code, by=by, start=f.start, end=f.end, agency_id=agency_id, branch_id=branch_id)
            labels = _breakdown_labels(db, by, [key for key, _ in rows], lang)
            out.append(kchart.breakdown_chart(k, rows, labels, lang, by=by, suppress_below=threshold,
                                              chart_id=chart_id))
    return out


def _csv(chart_list: list[Chart], chart_id: str, lang: str, public: bool) -> Response:
    chart = next((c for c in chart_list if c.id == chart_id), None)
    if chart is None:
        raise NotFound("chart")
    threshold = get_settings().suppress_below if public else None
    name = f"{chart.id}.csv"
    return Response(kchart.csv_of(chart, lang, threshold), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --------------------------------------------------------------------------- public


def _public_agency(db: Session, code: str | None) -> OrganizationView | None:
    if not code or not code.strip():
        return None
    try:
        org: OrganizationView | None = identity.organization_by_code(db, digits.to_latin(code.strip()[:64]))
    except (NotFound, ValueError):
        org = None
    if org is None or not org.is_agency or org.parent_id is not None:
        raise NotFound("agency", field="agency")
    return org


def _public_context(db: Session, f: Filters, lang: str, agency: OrganizationView | None,
                    only: str | None = None) -> dict[str, Any]:
    chart_list: list[Chart] = []
    if not f.errors:
        try:
            chart_list = _charts(db, f, lang, public=True, agency_id=agency.id if agency else None, branch_id=None,
                                 by="service" if agency else "agency", only=only)
        except DomainError as exc:
            f.errors.update(field_errors(exc))
    return {
        **TEMPLATE_HELPERS, "filters": f, "charts": chart_list, "agency": agency,
        "query": f.query(agency=agency.code if agency else None),
        "agencies": [o for o in identity.agencies(db) if o.parent_id is None],
        "services": sorted(_service_titles(db, lang).items(), key=lambda kv: kv[1]),
        "threshold": get_settings().suppress_below, "errors": f.errors,
        "values": {**f.values, "agency": agency.code if agency else ""},
        "plotly_styles": shared.style_ids(), "internal": False,
    }


@router.get("/dashboards", response_class=HTMLResponse)
def public_dashboard(request: Request, start: str | None = None, end: str | None = None, grain: str | None = None,
                     service: str | None = None, agency: str | None = None) -> HTMLResponse:
    """The national dashboard (or an agency's, when the form names one): public KPIs only."""
    return _public_page(request, "analytics/dashboard.html", start, end, grain, service, agency)


@router.get("/dashboards/agencies/{code}", response_class=HTMLResponse)
def agency_dashboard(request: Request, code: str, start: str | None = None, end: str | None = None,
                     grain: str | None = None, service: str | None = None) -> HTMLResponse:
    """One agency's public dashboard, split by service."""
    return _public_page(request, "analytics/dashboard.html", start, end, grain, service, code)


@router.get("/dashboards/print", response_class=HTMLResponse)
def public_print(request: Request, start: str | None = None, end: str | None = None, grain: str | None = None,
                 service: str | None = None, agency: str | None = None) -> HTMLResponse:
    """The public dashboard as tables for paper: no scripts, print styles."""
    return _public_page(request, "analytics/print.html", start, end, grain, service, agency)


def _public_page(request: Request, template: str, start: str | None, end: str | None, grain: str | None,
                 service: str | None, agency: str | None) -> HTMLResponse:
    lang = get_language()
    f = read_filters(start, end, grain, service)
    with read_session() as db:
        ctx = _public_context(db, f, lang, _public_agency(db, agency))
    return render(request, template, ctx, status_code=422 if f.errors else 200)


@router.get("/dashboards/csv/{chart_id}")
def public_csv(chart_id: str, start: str | None = None, end: str | None = None, grain: str | None = None,
               service: str | None = None, agency: str | None = None) -> Response:
    """One public chart's numbers as CSV (small cells suppressed as on the page)."""
    lang = get_language()
    f = read_filters(start, end, grain, service)
    if f.errors:
        raise DomainError("filters_invalid", next(iter(f.errors.values())), field=next(iter(f.errors)), status=422)
    with read_session() as db:
        org = _public_agency(db, agency)
        chart_list = _charts(db, f, lang, public=True, agency_id=org.id if org else None, branch_id=None,
                             by="service" if org else "agency", only=chart_id[:100])
        return _csv(chart_list, chart_id, lang, public=True)


# --------------------------------------------------------------------------- internal


def _internal_view(db: Session, principal: Any, code: str | None) -> View:
    """The view asked for, if the caller may open it. The request's session is done with afterwards:
    its transaction ends here, so the figures are read on the read session alone (on SQLite two open
    transactions of one request would wait on each other's lock)."""
    require(can_view_internal(principal))
    chosen = view_of(db, principal, (code or "").strip()[:80] or None)
    db.commit()  # nothing was written: this only ends the transaction
    if chosen is None:
        raise NotFound("dashboard", field="view")  # another branch's dashboard is not revealed
    return chosen


def _by_for(view: View) -> str | None:
    if view.org is None:
        return "agency"
    return "branch" if view.whole_agency else "service"


def _drill_links(chart: Chart, f: Filters, view: View) -> dict[str, str]:
    """Cell key → the list of the cases behind it, for KPIs counted from cases."""
    basis = basis_of(chart.kpi)
    if basis is None or chart.kind != "series":
        return {}
    links: dict[str, str] = {}
    keys = [c.key for c in chart.cells]
    for i, key in enumerate(keys):
        last = (dt.date.fromisoformat(keys[i + 1]) - dt.timedelta(days=1)) if i + 1 < len(keys) else f.end
        first = max(dt.date.fromisoformat(key), f.start)
        links[key] = "/dashboards/internal/cases?" + urlencode({k: v for k, v in {
            "kpi": chart.kpi.code, "start": first.isoformat(), "end": last.isoformat(), "view": view.code,
            "service": f.service or ""}.items() if v})
    return links


def basis_of(kpi: Kpi) -> str | None:
    """Which cases stand behind ``kpi``'s number (``services.CASE_BASES``), or ``None`` when it is not
    counted from cases (comments, votes, exchange messages)."""
    compute = getattr(kpi, "compute", None) or {}
    measure, kind = compute.get("measure"), compute.get("kind")
    if measure == "received":
        return "open" if kind in ("stock", "stock_age") else "submitted"
    if measure in ("decided", "processing", "sla", "first_time_right"):
        return "decided"
    if measure == "payment":
        return "paid"
    return None


def _internal_context(db: Session, principal: Any, f: Filters, lang: str, view: View) -> dict[str, Any]:
    chart_list: list[Chart] = []
    if not f.errors:
        try:
            chart_list = _charts(db, f, lang, public=False, agency_id=view.agency_id, branch_id=view.branch_id,
                                 by=_by_for(view))
        except DomainError as exc:
            f.errors.update(field_errors(exc))
    return {
        **TEMPLATE_HELPERS, "filters": f, "charts": chart_list, "view": view, "views": views_for(db, principal),
        "base": "/dashboards/internal", "query": f.query(view=view.code),
        "drill": {c.id: _drill_links(c, f, view) for c in chart_list},
        "services": sorted(_service_titles(db, lang).items(), key=lambda kv: kv[1]),
        "errors": f.errors, "values": {**f.values, "view": view.code}, "plotly_styles": shared.style_ids(),
        "internal": True, "threshold": None,
    }


@router.get("/dashboards/internal", response_class=HTMLResponse)
def internal_dashboard(request: Request, db: DbSession, principal: CurrentPrincipal, view: str | None = None,
                       start: str | None = None, end: str | None = None, grain: str | None = None,
                       service: str | None = None) -> HTMLResponse:
    """Staff: every KPI of a branch, an agency or the nation (as their role allows), numbers linked to cases."""
    return _internal_page(request, db, principal, "analytics/internal.html", view, start, end, grain, service)


@router.get("/dashboards/internal/print", response_class=HTMLResponse)
def internal_print(request: Request, db: DbSession, principal: CurrentPrincipal, view: str | None = None,
                   start: str | None = None, end: str | None = None, grain: str | None = None,
                   service: str | None = None) -> HTMLResponse:
    """The internal dashboard as tables for paper."""
    return _internal_page(request, db, principal, "analytics/print.html", view, start, end, grain, service)


def _internal_page(request: Request, db: Session, principal: Any, template: str, view: str | None,
                   start: str | None, end: str | None, grain: str | None, service: str | None) -> HTMLResponse:
    lang = get_language()
    chosen = _internal_view(db, principal, view)
    f = read_filters(start, end, grain, service)
    with read_session() as rdb:
        ctx = _internal_context(rdb, principal, f, lang, chosen)
    return render(request, template, ctx, status_code=422 if f.errors else 200)


@router.get("/dashboards/internal/csv/{chart_id}")
def internal_csv(db: DbSession, principal: CurrentPrincipal, chart_id: str, view: str | None = None,
                 start: str | None = None, end: str | None = None, grain: str | None = None,
                 service: str | None = None) -> Response:
    """One internal chart's numbers as CSV (staff in scope; nothing suppressed)."""
    lang = get_language()
    chosen = _internal_view(db, principal, view)
    f = read_filters(start, end, grain, service)
    if f.errors:
        raise DomainError("filters_invalid", next(iter(f.errors.values())), field=next(iter(f.errors)), status=422)
    with read_session() as rdb:
        chart_list = _charts(rdb, f, lang, public=False, agency_id=chosen.agency_id, branch_id=chosen.branch_id,
                             by=_by_for(chosen), only=chart_id[:100])
        return _csv(chart_list, chart_id, lang, public=False)


@router.get("/dashboards/internal/cases", response_class=HTMLResponse)
def cases_behind(request: Request, db: DbSession, principal: CurrentPrincipal, kpi: str, view: str | None = None,
                 start: str | None = None, end: str | None = None, service: str | None = None,
                 page: int = 1) -> HTMLResponse:
    """The cases behind one number of an internal dashboard: only cases the reader may open."""
    lang = get_language()
    chosen = _internal_view(db, principal, view)
    f = read_filters(start, end, "day", service)
    with read_session() as rdb:
        found = next((k for k in kpis(rdb) if k.code == kpi), None)
        basis = basis_of(found) if found is not None else None
        if found is None or basis is None:
            raise NotFound("kpi", field="kpi")
        number = max(1, min(page, 10_000))
        rows, total = services.cases_behind(
            rdb, principal, basis=basis, start=f.start, end=f.end, service_id=f.service, agency_id=chosen.agency_id,
            branch_id=chosen.branch_id, limit=CASES_PER_PAGE, offset=(number - 1) * CASES_PER_PAGE)
        branches = identity.organization_views(rdb, {r.branch_id for r in rows if r.branch_id is not None})
        titles = _service_titles(rdb, lang)
        pages = max(1, -(-total // CASES_PER_PAGE))
    query = {"kpi": kpi, "view": chosen.code, "start": f.start.isoformat(), "end": f.end.isoformat(),
             "service": f.service or ""}
    return render(request, "analytics/cases.html", {
        "kpi": found, "basis": basis, "basis_labels": BASIS_LABELS, "view": chosen, "filters": f, "rows": rows,
        "total": total, "page": number, "pages": pages, "branches": branches, "titles": titles, "errors": f.errors,
        "back": "/dashboards/internal?" + f.query(view=chosen.code),
        "page_url": lambda n: "/dashboards/internal/cases?" + urlencode({**{k: v for k, v in query.items() if v},
                                                                         "page": n}),
    }, status_code=422 if f.errors else 200)
