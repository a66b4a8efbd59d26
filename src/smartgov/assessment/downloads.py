"""A round's downloads, the same from the JSON API and the pages: the scores as CSV, the Excel workbook,
the roadmap as CSV and the report as PDF (each built by ``reports`` from what the service reads)."""

from __future__ import annotations

from fastapi.responses import Response
from sqlalchemy.orm import Session

from smartgov.assessment import reports, service
from smartgov.assessment.models import AssessmentRound

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, media: str, name: str) -> Response:
    """``content`` as a file the browser saves under ``name``."""
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def scores_csv(db: Session, rnd: AssessmentRound) -> Response:
    """All scores with alphas (UTF-8 with BOM)."""
    return attachment(reports.scores_csv(service.results_for(db, rnd)), CSV, f"assessment-{rnd.id}-scores.csv")


def scores_xlsx(db: Session, rnd: AssessmentRound) -> Response:
    """Scores, item statistics, roadmap and indicators as a workbook."""
    content = reports.scores_xlsx(service.results_for(db, rnd), service.roadmap_of(db, rnd),
                                  service.live_indicators(db, rnd))
    return attachment(content, XLSX, f"assessment-{rnd.id}.xlsx")


def roadmap_csv(db: Session, rnd: AssessmentRound) -> Response:
    """The roadmap's actions."""
    return attachment(reports.roadmap_csv(service.roadmap_of(db, rnd)), CSV, f"assessment-{rnd.id}-roadmap.csv")


def report_pdf(db: Session, rnd: AssessmentRound, lang: str) -> Response:
    """The report in ``lang`` (Persian right to left, or English)."""
    org = service.organization_of(db, rnd)
    content = reports.report_pdf(rnd, org.name(lang), service.results_for(db, rnd), service.roadmap_of(db, rnd),
                                 service.live_indicators(db, rnd), lang)
    return attachment(content, "application/pdf", f"assessment-{rnd.id}-{lang}.pdf")
