"""The platform's own open datasets, published from the rollups and refreshed by the worker.

One dataset per public KPI (``kpi-<code>``), one row per Jalali month × level: the national figure,
each agency's, and each of an agency's services' — all read through ``smartgov.analytics``' surface
(``value``/``breakdown``, never its tables) and suppressed by ``suppression`` (``figures``). Nothing
personal can reach a row: the columns are a month, a level, an agency's code and name, a service code,
a value, a count and whether it was suppressed. Published with ``publish_platform_dataset``
(idempotent: the dataset keeps its id, its rows are replaced), owned by the platform's publisher.

The performance reports are published too: one dataset ``performance-reports`` (national) and one
``performance-reports-<agency>`` per agency, each with an index table of its reports (quarter,
revision, addresses, signing key) and a link resource per report PDF and page.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import jdatetime
from sqlalchemy.orm import Session

from smartgov import analytics, clock, events, identity
from smartgov.db import Database
from smartgov.errors import DomainError
from smartgov.settings import public_url

from . import suppression
from .figures import Figures
from .reports import service as report_service
from .reports.events import REPORT_ISSUED
from .reports.models import PerformanceReport, PlatformRun
from .reports.quarters import Quarter
from .service import create_resource, get_dataset, publish_platform_dataset, resources_of

log = logging.getLogger(__name__)
JOB = "transparency.platform_datasets"
REFRESH = dt.timedelta(hours=24)
MONTHS = 24
KPI_SCHEMA = [
    {"id": "month", "type": "date", "label": "ماه (نخستین روز، میلادی)"},
    {"id": "month_jalali", "type": "text", "label": "ماه (شمسی)"},
    {"id": "level", "type": "text", "label": "سطح: national, agency, service"},
    {"id": "agency", "type": "text", "label": "کد دستگاه"},
    {"id": "agency_name", "type": "text", "label": "نام دستگاه"},
    {"id": "service", "type": "text", "label": "کد خدمت"},
    {"id": "value", "type": "numeric", "label": "مقدار"},
    {"id": "count", "type": "int", "label": "تعداد موارد"},
    {"id": "suppressed", "type": "bool", "label": "پنهان (کمتر از آستانه)"},
]
REPORT_SCHEMA = [
    {"id": "quarter", "type": "text", "label": "فصل"}, {"id": "scope", "type": "text", "label": "دامنه"},
    {"id": "revision", "type": "int", "label": "ویرایش"}, {"id": "issued", "type": "timestamp", "label": "صدور"},
    {"id": "page", "type": "text", "label": "صفحه"}, {"id": "pdf_fa", "type": "text", "label": "PDF فارسی"},
    {"id": "pdf_en", "type": "text", "label": "PDF English"}, {"id": "key_id", "type": "text", "label": "کلید امضا"},
]


def months(today: dt.date, count: int = MONTHS) -> list[tuple[dt.date, dt.date]]:
    """The last ``count`` whole Jalali months before ``today``'s, as (first day, last day)."""
    first = jdatetime.date.fromgregorian(date=today).replace(day=1)
    out: list[tuple[dt.date, dt.date]] = []
    end = first.togregorian() - dt.timedelta(days=1)
    for _ in range(count):
        start = jdatetime.date.fromgregorian(date=end).replace(day=1).togregorian()
        out.append((start, end))
        end = start - dt.timedelta(days=1)
    return out[::-1]


def _row(start: dt.date, level: str, agency: identity.OrganizationView | None, service: str,
         cell: suppression.Cell) -> dict[str, Any]:
    j = jdatetime.date.fromgregorian(date=start)
    return {"month": start.isoformat(), "month_jalali": f"{j.year}-{j.month:02d}", "level": level,
            "agency": agency.code if agency else "", "agency_name": agency.name_fa if agency else "",
            "service": service, "value": None if cell.value is None else round(float(cell.value), 4),
            "count": cell.count, "suppressed": cell.suppressed}


def kpi_rows(db: Session, code: str, periods: list[tuple[dt.date, dt.date]], below: int) -> list[dict[str, Any]]:
    """A KPI's published rows: per month the national figure, the agencies' and their services'."""
    figures = Figures(db, below)
    rows: list[dict[str, Any]] = []
    for start, end in periods:
        rows.append(_row(start, "national", None, "", figures.national(code, start, end)))
        agencies = figures.by_agency(code, start, end)
        views = identity.organization_views(db, [int(k) for k in agencies])
        for key, cell in sorted(agencies.items(), key=lambda item: views[int(item[0])].code
                                if int(item[0]) in views else item[0]):
            view = views.get(int(key))
            if view is None:
                continue
            rows.append(_row(start, "agency", view, "", cell))
            for service, part in sorted(figures.by_service(code, start, end, view.id).items()):
                rows.append(_row(start, "service", view, service, part))
    return rows


def dataset_name(code: str) -> str:
    return "kpi-" + code.replace("_", "-")


def publish_kpis(db: Session, *, today: dt.date | None = None, count: int = MONTHS) -> list[str]:
    """Publish (or refresh) every public KPI's dataset; returns their names."""
    below = suppression.threshold()
    owner = report_service.publisher(db)
    periods = months(today or clock.today(), count)
    names = []
    for k in analytics.kpis(db):
        if not k.public:
            continue
        name = dataset_name(k.code)
        publish_platform_dataset(
            db, name=name, title=k.title["fa"], title_en=k.title["en"], organization_code=owner.code,
            notes=f"{k.definition['fa']} ارقامی که از کمتر از {below} مورد ساخته شده‌اند منتشر نمی‌شوند.",
            notes_en=f"{k.definition['en']} Figures made from fewer than {below} cases are not published "
                     "(suppressed), nor a second figure that would reveal one by subtraction.",
            tags=["kpi", "performance"], frequency="MONTHLY", schema=KPI_SCHEMA,
            rows=kpi_rows(db, k.code, periods, below), resource_name="monthly")
        names.append(name)
    return names


def _link(db: Session, dataset: str, existing: dict[str, Any], name: str, url: str, fmt: str, mimetype: str) -> None:
    res = existing.get(name)
    if res is None:
        create_resource(db, None, {"package_id": dataset, "name": name, "url": url, "format": fmt,
                                   "mimetype": mimetype})
    elif res.url != url:
        res.url, res.last_modified = url, clock.now()


def publish_reports(db: Session) -> list[str]:
    """Publish the reports' datasets: the national one and one per agency with reports."""
    newest = report_service.reports(db)
    owner = report_service.publisher(db)
    by_scope: dict[str, list[PerformanceReport]] = {}
    for row in newest:
        by_scope.setdefault(row.scope, []).append(row)
    names = []
    for scope, rows in sorted(by_scope.items()):
        national = scope == report_service.NATIONAL
        name = "performance-reports" if national else f"performance-reports-{scope}"
        agency = rows[0].record["document"].get("agency") or {}
        title_fa = "گزارش‌های عملکرد فصلی" + ("" if national else f" — {agency.get('name_fa', scope)}")
        title_en = "Quarterly performance reports" + ("" if national else f" — {agency.get('name_en', scope)}")
        base = [(r, f"/transparency/reports/{r.quarter}/{r.scope}") for r in rows]
        publish_platform_dataset(
            db, name=name, title=title_fa, title_en=title_en, organization_code=owner.code if national else scope,
            notes="گزارش‌های فصلی امضاشده: هدف‌ها در برابر آنچه رخ داد.",
            notes_en="Signed quarterly reports: targets against what happened (Ed25519, checkable on the platform).",
            tags=["report", "performance"], frequency="QUARTERLY", schema=REPORT_SCHEMA, resource_name="index",
            rows=[{"quarter": r.quarter, "scope": r.scope, "revision": r.revision,
                   "issued": r.created_at.isoformat(), "page": public_url(path),
                   "pdf_fa": public_url(f"{path}/report-fa.pdf?revision={r.revision}"),
                   "pdf_en": public_url(f"{path}/report-en.pdf?revision={r.revision}"),
                   "key_id": r.record["key_id"]} for r, path in base])
        dataset = get_dataset(db, name, None)
        existing = {res.name: res for res in resources_of(db, [dataset.id])[dataset.id]}
        for r, path in base:
            label = Quarter.parse(r.quarter)
            _link(db, name, existing, f"{label} (fa, PDF)", public_url(f"{path}/report-fa.pdf"), "PDF",
                  "application/pdf")
            _link(db, name, existing, f"{label} (en, PDF)", public_url(f"{path}/report-en.pdf"), "PDF",
                  "application/pdf")
            _link(db, name, existing, f"{label} (HTML)", public_url(path), "HTML", "text/html")
        names.append(name)
    return names


def refresh(database: Database, *, force: bool = False) -> int:
    """Worker job: at most once a day, republish every platform dataset (one transaction)."""
    with database.unit_of_work() as db:
        run = db.get(PlatformRun, JOB)
        now = clock.now()
        if run is not None and not force and now - run.done_at < REFRESH:
            return 0
        try:
            names = [*publish_kpis(db), *publish_reports(db)]
        except DomainError as exc:
            log.warning("platform datasets not published: %s", exc.code)
            return 0
        if run is None:
            db.add(PlatformRun(name=JOB, done_at=now, detail={"datasets": len(names)}))
        else:
            run.done_at, run.detail = now, {"datasets": len(names)}
    return len(names)


def _periodic(database: Database) -> int:
    return refresh(database)


def _report_issued(db: Session, _evt: events.Event, _outbox_id: int) -> None:
    """A new report (or revision) is published in the portal after commit, not a day later."""
    publish_reports(db)


events.register_periodic(JOB, _periodic)
events.subscribe_async(REPORT_ISSUED, "transparency.publish_reports", _report_issued)
