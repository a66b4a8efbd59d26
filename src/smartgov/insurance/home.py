"""Social security's part of an employer's home page: the wage reports due and the premium invoices
waiting for payment, for the employer organisations the caller acts for (no other's workshops)."""

from __future__ import annotations

import jdatetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.i18n import format_number, get_language, gettext
from smartgov.identity import Principal, Role
from smartgov.web.panels import Panel, Row

from .hooks import WAGE_SERVICE, month_name
from .models import WageReport, WageReportStatus, Workshop


def due_period() -> tuple[int, int]:
    """The Jalali month whose wage report is due now: last month's is filed during this one."""
    j = jdatetime.date.fromgregorian(date=clock.today())
    return (j.year, j.month - 1) if j.month > 1 else (j.year - 1, 12)


def home_panel(db: Session, principal: Principal) -> list[Panel]:
    """Workshops without last month's report (to do) and the latest reports with their premium and whether paid."""
    org_ids = principal.org_ids(Role.EMPLOYER)
    if not org_ids:
        return []
    lang = get_language()
    year, month = due_period()
    shops = list(db.scalars(select(Workshop).where(Workshop.organization_id.in_(org_ids)).order_by(Workshop.code)))
    filed = set(db.scalars(select(WageReport.workshop_id).where(
        WageReport.organization_id.in_(org_ids), WageReport.year == year, WageReport.month == month,
        WageReport.status != WageReportStatus.CANCELLED)))
    period = month_name(year, month, lang)
    todo = [Row(gettext("File the wage report of {period} for {workshop}", period=period, workshop=s.name(lang)),
                f"/services/{WAGE_SERVICE}", identifier=s.code, tone="warn") for s in shops if s.id not in filed]
    names = {s.id: s.name(lang) for s in shops}
    # An unpaid premium is the wage-report application's open invoice: the engine's panel lists it
    # under "needs your action" with its payment link; here it is a row "waiting for payment".
    recent = list(db.scalars(select(WageReport).where(WageReport.organization_id.in_(org_ids))
                             .order_by(WageReport.year.desc(), WageReport.month.desc(), WageReport.id.desc()).limit(5)))
    status = {WageReportStatus.INVOICED: gettext("Waiting for payment"), WageReportStatus.CREDITED: gettext("Paid"),
              WageReportStatus.CANCELLED: gettext("Cancelled")}
    rows = [Row(gettext("{period}, {workshop}: {amount} rial", period=month_name(r.year, r.month, lang),
                        workshop=names.get(r.workshop_id, ""), amount=format_number(r.amount_due)),
                f"/services/applications/{r.application_reference}" if r.application_reference else None,
                identifier=r.application_reference, status=status[r.status],
                tone="ok" if r.status == WageReportStatus.CREDITED else "") for r in recent]
    return [Panel("wage-reports", gettext("Wage reports and invoices"), rows, todo,
                  empty=gettext("No wage report filed yet."), more_href="/insurance/employer",
                  more_text=gettext("All wage reports"), order=15)]
