"""Making, signing and keeping performance reports; the worker's quarterly job.

A report is the JSON record of ``content.build``, signed with the Ed25519 document key of the agency
it is about (the national report: the platform's publisher, ``SMARTGOV_PLATFORM_PUBLISHER``) through
``services.sign_record``, and drawn as Persian and English PDFs that carry the signed record. Making
it again stores a new revision only when what it says changed; every revision stays verifiable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import analytics, clock, events, identity, services
from smartgov.db import Database
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import OrganizationView, OrgKind
from smartgov.settings import get_settings

from .. import suppression
from ..figures import Figures
from . import content, pdf
from .events import REPORT_ISSUED
from .models import PerformanceReport
from .quarters import Quarter

log = logging.getLogger(__name__)
NATIONAL = "national"
JOB = "transparency.quarterly_reports"
DELAY = dt.timedelta(days=1)  # a quarter's reports are made the day after it ends (late events counted)


def publisher(db: Session) -> OrganizationView:
    """The agency that signs the national report and owns the platform's datasets."""
    code = get_settings().platform_publisher
    if code:
        return identity.organization_by_code(db, code)
    roots = [a for a in identity.agencies(db) if a.parent_id is None]
    if not roots:
        raise DomainError("no_publisher", N_("There is no agency to publish the platform's data."), status=409)
    return roots[0]


def _agency(db: Session, code: str) -> OrganizationView:
    org = identity.organization_by_code(db, code)
    if org.kind != OrgKind.AGENCY:
        raise DomainError("not_an_agency", N_("“{code}” is not an agency."), field="agency", status=422,
                          code=code[:40])
    return org


def _content_hash(document: dict[str, Any]) -> str:
    """What the report says, without when it was made or signed."""
    said = {k: v for k, v in document.items() if k not in ("generated_at", "key_id", "revision", "report_id")}
    return hashlib.sha256(json.dumps(said, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def latest(db: Session, quarter: Quarter | str, scope: str) -> PerformanceReport | None:
    """The newest revision of a report (``scope``: "national" or an agency code)."""
    return db.scalar(select(PerformanceReport).where(PerformanceReport.quarter == str(quarter),
                                                     PerformanceReport.scope == scope)
                     .order_by(PerformanceReport.revision.desc()).limit(1))


def revisions(db: Session, quarter: Quarter | str, scope: str) -> list[PerformanceReport]:
    """Every revision of a report, oldest first."""
    return list(db.scalars(select(PerformanceReport).where(PerformanceReport.quarter == str(quarter),
                                                           PerformanceReport.scope == scope)
                           .order_by(PerformanceReport.revision)))


def make(db: Session, quarter: Quarter, agency_code: str | None = None) -> PerformanceReport:
    """The report of ``quarter`` for an agency (``None``: national): the latest revision when nothing it
    says changed, otherwise a new signed revision with its two PDFs."""
    agency = _agency(db, agency_code) if agency_code else None
    scope = agency.code if agency else NATIONAL
    below = suppression.threshold()
    with analytics.read_session() as figures_db:  # figures from the read-only URL (a replica); records below
        document = content.build(figures_db, quarter, agency, below=below)
    digest = _content_hash(document)
    current = latest(db, quarter, scope)
    if current is not None and current.content_sha256 == digest:
        return current
    revision = (current.revision + 1) if current else 1
    document["revision"] = revision
    document["report_id"] = f"{quarter}-{scope}-r{revision}"
    signer = agency or publisher(db)
    document["issuer"] = {"code": signer.code, "name_fa": signer.name_fa, "name_en": signer.name_en}
    record = services.sign_record(db, signer, document)
    pdf_fa, pdf_en = pdf.render(record, "fa"), pdf.render(record, "en")
    row = PerformanceReport(quarter=str(quarter), scope=scope, agency_id=agency.id if agency else None,
                            revision=revision, record=record, content_sha256=digest, pdf_fa=pdf_fa, pdf_en=pdf_en,
                            pdf_fa_sha256=hashlib.sha256(pdf_fa).hexdigest(),
                            pdf_en_sha256=hashlib.sha256(pdf_en).hexdigest(), created_at=clock.now())
    db.add(row)
    db.flush()
    events.publish(db, REPORT_ISSUED, report_id=row.id, quarter=row.quarter, scope=scope, revision=revision,
                   key_id=record["key_id"], pdf_fa_sha256=row.pdf_fa_sha256, pdf_en_sha256=row.pdf_en_sha256)
    return row


def make_quarter(db: Session, quarter: Quarter, agency_code: str | None = None) -> list[PerformanceReport]:
    """The national report and one per agency with applications in the quarter (or the one named); the
    agencies are found, like every figure, through the read-only database."""
    if agency_code:
        return [make(db, quarter, agency_code)]
    with analytics.read_session() as figures_db:
        active = content.active_agencies(Figures(figures_db, suppression.threshold()), quarter)
    made = [make(db, quarter)]
    views = identity.organization_views(db, active)
    made.extend(make(db, quarter, view.code) for view in sorted(views.values(), key=lambda v: v.code)
                if view.kind == OrgKind.AGENCY)
    return made


def reports(db: Session, *, quarter: str | None = None, scope: str | None = None) -> list[PerformanceReport]:
    """The newest revision of every report, newest quarter first, national before agencies."""
    newest = (select(PerformanceReport.quarter, PerformanceReport.scope,
                     func.max(PerformanceReport.revision).label("revision"))
              .group_by(PerformanceReport.quarter, PerformanceReport.scope).subquery())
    stmt = select(PerformanceReport).join(newest, (PerformanceReport.quarter == newest.c.quarter)
                                          & (PerformanceReport.scope == newest.c.scope)
                                          & (PerformanceReport.revision == newest.c.revision))
    if quarter:
        stmt = stmt.where(PerformanceReport.quarter == quarter)
    if scope:
        stmt = stmt.where(PerformanceReport.scope == scope)
    found = list(db.scalars(stmt))
    found.sort(key=lambda r: (r.quarter, r.scope == NATIONAL, r.scope), reverse=True)
    found.sort(key=lambda r: r.quarter, reverse=True)
    return found


def report(db: Session, report_id: int) -> PerformanceReport:
    """A report by id (any revision); 404 otherwise."""
    row = db.get(PerformanceReport, report_id)
    if row is None:
        raise DomainError("report_not_found", N_("There is no such report."), field="report", status=404)
    return row


@dataclass
class Check:
    """What the verify page says about a report or an uploaded PDF."""

    valid: bool
    reason: str  # English message id
    signer: str | None = None
    report: PerformanceReport | None = None


def verify(db: Session, row: PerformanceReport, data: bytes | None = None) -> Check:
    """The signature of the stored record (by the agency it names, or the publisher), and, with ``data``,
    that an uploaded PDF is byte for byte one of this report's."""
    signer = services.signer_of(db, row.record)
    named = row.record.get("document", {}).get("issuer", {}).get("code")
    if signer is None or signer != named:
        return Check(False, N_("The signature does not match: the report was changed."), signer, row)
    if data is not None and hashlib.sha256(data).hexdigest() not in (row.pdf_fa_sha256, row.pdf_en_sha256):
        return Check(False, N_("This PDF is not the one issued for this report."), signer, row)
    return Check(True, N_("The signature is valid and the report is unchanged."), signer, row)


def verify_pdf(db: Session, data: bytes) -> Check:
    """An uploaded PDF: the signed record it carries names a stored revision, and the file is that one's."""
    record = pdf.record_of(data)
    document = record.get("document") if record else None
    if not isinstance(document, dict):
        return Check(False, N_("This is not a smartgov performance report."))
    try:
        stored = revisions(db, str(document.get("quarter", ""))[:8], str(document.get("scope", ""))[:64])
        found = next((r for r in stored if r.revision == document.get("revision")), None)
    except (TypeError, ValueError):
        found = None
    if found is None or found.record != record:
        return Check(False, N_("No such report was issued."))
    return verify(db, found, data)


def due(today: dt.date) -> Quarter | None:
    """The quarter whose reports are due on ``today`` (from the day after it ended), if any."""
    quarter = Quarter.last_finished(today)
    return quarter if today >= quarter.end + DELAY else None


def periodic(database: Database) -> int:
    """Worker job: once the last quarter is a day over, make its reports (one check per round otherwise)."""
    quarter = due(clock.today())
    if quarter is None:
        return 0
    with database.unit_of_work() as db:
        if latest(db, quarter, NATIONAL) is not None:
            return 0
        try:
            made = make_quarter(db, quarter)
        except DomainError as exc:
            log.warning("performance reports of %s not made: %s", quarter, exc.code)
            return 0
    log.info("performance reports of %s: %d made", quarter, len(made))
    return len(made)


events.register_periodic(JOB, periodic)
