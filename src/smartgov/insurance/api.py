"""JSON API of the social-security domain under ``/api/v1/insurance``.

Filing, paying and deciding go through the engine (``/api/v1/services``); these routes read
the fund's records and take the two inputs the engine has no form for (a wage file check,
an official's approved amounts on a medical claim).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import File, Form, UploadFile
from sqlalchemy import select

from smartgov import identity
from smartgov.errors import DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_, gettext, localize_digits
from smartgov.identity import OrganizationView, Role, organization_by_code, require
from smartgov.services import Application, application_by_reference
from smartgov.web.deps import CurrentPrincipal, DbSession
from smartgov.web.pagination import Page, Pagination, page_of, paginate
from smartgov.web.routing import ModuleRouter

from . import permissions, service
from .models import Contribution, WageReport, Workshop
from .schemas import (
    ApprovedAmountsIn,
    CellError,
    ContributionPublic,
    InsuredRecordPublic,
    MedicalClaimPublic,
    PensionEstimatePublic,
    PensionPublic,
    WageCheckPublic,
    WageReportPublic,
    WorkshopPublic,
)

router = ModuleRouter(prefix="/api/v1/insurance", tags=["insurance"])

_CELL = re.compile(r"row (\d+)(?:, column (\w+))?")


def cell_errors(exc: DomainError) -> list[CellError]:
    """Each CSV error with its row and column pulled out of the field name (``row 3, column national_code``)."""
    items = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    out = []
    for e in items:
        match = _CELL.search(e.field or "")
        out.append(CellError(row=int(match.group(1)) if match else None,
                             column=match.group(2) if match else None, code=e.code, message=e.localized()))
    return out


def _person(db: DbSession, principal: Any) -> identity.PersonProfile:
    require(permissions.can_view_own_record(principal))
    person = identity.person_profile(db, principal.account.person_id)
    assert person is not None  # the account's person (a foreign key)
    return person


def _employer(db: DbSession, principal: Any, code: str) -> OrganizationView:
    """The business if the caller acts for it; 404 otherwise, so other businesses are not revealed."""
    try:
        org = organization_by_code(db, code)
    except NotFound:
        raise NotFound("organization") from None
    if not permissions.can_act_for_employer(principal, org):
        raise NotFound("organization")
    return org


def _case(db: DbSession, principal: Any, reference: str) -> Application:
    try:
        app = application_by_reference(db, reference)
    except NotFound:
        raise NotFound("application") from None
    if not permissions.can_view_case(db, principal, app):
        raise NotFound("application")
    return app


def report_public(db: DbSession, r: WageReport) -> WageReportPublic:
    shop = db.get(Workshop, r.workshop_id)
    return WageReportPublic(id=r.id, workshop_code=shop.code if shop else "", year=r.year, month=r.month,
                            status=r.status.value, rows=r.rows, total_wages=r.total_wages,
                            total_insurable_wages=r.total_insurable_wages, employer_share=r.employer_share,
                            insured_share=r.insured_share, government_share=r.government_share,
                            amount_due=r.amount_due, application_reference=r.application_reference,
                            created_at=r.created_at, credited_at=r.credited_at)


# --------------------------------------------------------------------------- citizens


@router.get("/me", response_model=InsuredRecordPublic)
def my_record(principal: CurrentPrincipal, db: DbSession) -> InsuredRecordPublic:
    """Your insurance record: totals, days by year and employers (404 if you are not insured)."""
    person = _person(db, principal)
    return InsuredRecordPublic(**service.record_summary(db, person.national_code).as_dict())


@router.get("/me/contributions", response_model=Page[ContributionPublic])
def my_contributions(principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Your contribution history, month by month (newest first)."""
    person = _person(db, principal)
    stmt = (select(Contribution).where(Contribution.national_code == person.national_code)
            .order_by(Contribution.year.desc(), Contribution.month.desc(), Contribution.id.desc()))
    rows, total = paginate(db, stmt, pagination)
    codes = {w.id: w.code for w in db.scalars(select(Workshop).where(
        Workshop.id.in_({r.workshop_id for r in rows if r.workshop_id})))}
    return page_of([ContributionPublic(year=r.year, month=r.month, days=r.days, wage=r.wage,
                                       insurable_wage=r.insurable_wage, employer_share=r.employer_share,
                                       insured_share=r.insured_share, government_share=r.government_share,
                                       workshop_code=codes.get(r.workshop_id or 0)) for r in rows],
                   total, pagination)


@router.get("/me/pension-estimate", response_model=PensionEstimatePublic)
def my_pension_estimate(principal: CurrentPrincipal, db: DbSession) -> PensionEstimatePublic:
    """Whether you could retire today and the pension the configured formula gives, with its working."""
    person = _person(db, principal)
    a = service.pension_estimate(db, person)
    return PensionEstimatePublic(
        eligible=a.eligibility.eligible, rule=a.eligibility.rule, age=a.eligibility.age,
        contribution_days=a.contribution_days, amount=a.pension.amount if a.pension else None,
        steps=[s.as_dict() for s in a.pension.steps] if a.pension else [],  # type: ignore[misc]
        reasons=[{"met": r.met, "label_en": r.localized("en"), "label_fa": r.localized("fa")}  # type: ignore[misc]
                 for r in a.eligibility.reasons])


# --------------------------------------------------------------------------- employers


@router.get("/employers/{code}/workshops", response_model=list[WorkshopPublic])
def workshops(code: str, principal: CurrentPrincipal, db: DbSession) -> list[WorkshopPublic]:
    """Workshops of a business you act for."""
    org = _employer(db, principal, code)
    return [WorkshopPublic(code=w.code, name_fa=w.name_fa, name_en=w.name_en, province=w.province)
            for w in service.workshops_of(db, org.id)]


@router.get("/employers/{code}/wage-reports", response_model=Page[WageReportPublic])
def wage_reports(code: str, principal: CurrentPrincipal, db: DbSession, pagination: Pagination) -> dict[str, Any]:
    """Monthly wage reports of a business you act for, newest period first."""
    org = _employer(db, principal, code)
    rows, total = paginate(db, service.wage_reports_query(org.id), pagination)
    return page_of([report_public(db, r) for r in rows], total, pagination)


@router.get("/wage-reports/{reference}", response_model=WageReportPublic)
def wage_report(reference: str, principal: CurrentPrincipal, db: DbSession) -> WageReportPublic:
    """One wage report by its application reference: for the filing business and SSO officials."""
    app = _case(db, principal, reference)
    report = service.report_by_reference(db, app.reference)
    if report is None:
        raise NotFound("wage_report")
    return report_public(db, report)


@router.post("/wage-reports/check", response_model=WageCheckPublic)
def check_wage_report(principal: CurrentPrincipal, file: Annotated[UploadFile, File()],
                      year: Annotated[int, Form(ge=1300, le=1500)],
                      month: Annotated[int, Form(ge=1, le=12)]) -> WageCheckPublic:
    """Check a wage report file before filing it: every error with its row and column; nothing is stored."""
    require(permissions.can_check_wage_report(principal))
    data = file.file.read(10 * 1024 * 1024 + 1)
    if len(data) > 10 * 1024 * 1024:
        raise DomainError("file_too_large", N_("The file must be no larger than {limit} KB."), field="file",
                          limit=10 * 1024)
    try:
        report, invoice = service.check_wage_csv(data, year, month)
    except ValidationFailed as exc:
        return WageCheckPublic(valid=False, rows=0, errors=cell_errors(exc))
    return WageCheckPublic(valid=True, rows=len(report.rows), total_wages=invoice.total_wages,
                           amount_due=invoice.amount_due, errors=[])


# --------------------------------------------------------------------------- cases


# What an official may open, and why, in the words the person reads in "who read my data".
VIEWS = {
    "insurance.pension": (N_("Pension application {reference}"), "pension-claim",
                          "رسیدگی به درخواست مستمری بازنشستگی", "Deciding a retirement pension claim"),
    "insurance.medical_claim": (N_("Medical expense claim {reference}"), "medical-claim",
                                "رسیدگی به هزینهٔ درمان", "Deciding a medical reimbursement"),
}


def _record_official_view(db: DbSession, principal: Any, app: Application, national_code: str, what: str) -> None:
    """Who read my data: an official opening a person's pension or claim is recorded in the same transaction."""
    if app.applicant_id == principal.id:
        return
    from smartgov import exchange

    label, purpose, purpose_fa, purpose_en = VIEWS[what]
    exchange.ensure_purpose(db, purpose, purpose_fa, purpose_en)
    agency = identity.organization_code(db, min(principal.org_ids(*Role), default=None))
    exchange.record_access(db, national_code, principal.id, agency, what, purpose,
                           actor_label=principal.account.username,
                           what_fa=gettext(label, "fa", reference=localize_digits(app.reference, "fa")),
                           what_en=gettext(label, "en", reference=app.reference))
    db.commit()


@router.get("/pensions/{reference}", response_model=PensionPublic)
def pension(reference: str, principal: CurrentPrincipal, db: DbSession) -> PensionPublic:
    """The pension worked out for an application, with every step (applicant and SSO officials)."""
    app = _case(db, principal, reference)
    row = service.pension_by_reference(db, app.reference)
    if row is None:
        raise NotFound("pension")
    _record_official_view(db, principal, app, row.national_code, "insurance.pension")
    return PensionPublic(reference=row.application_reference, national_code=row.national_code, rule=row.rule,
                         contribution_days=row.contribution_days, average_wage=row.average_wage, amount=row.amount,
                         status=row.status.value, steps=row.steps, decided_at=row.decided_at,  # type: ignore[arg-type]
                         decision_ref=row.decision_ref)


def claim_public(db: DbSession, reference: str) -> MedicalClaimPublic:
    claim = service.claim_by_reference(db, reference)
    return MedicalClaimPublic(
        reference=claim.application_reference, national_code=claim.national_code, claimed=claim.claimed,
        approved=claim.approved, reimbursed=claim.reimbursed, status=claim.status.value,
        steps=claim.steps, payment_reference=claim.payment_reference, paid_at=claim.paid_at,  # type: ignore[arg-type]
        items=[{"position": i.position, "category": i.category, "description": i.description,  # type: ignore[misc]
                "amount": i.amount, "approved_amount": i.approved_amount, "reimbursed": i.reimbursed,
                "receipt_ref": i.receipt_ref} for i in service.claim_items(db, claim)])


@router.get("/medical-claims/{reference}", response_model=MedicalClaimPublic)
def medical_claim(reference: str, principal: CurrentPrincipal, db: DbSession) -> MedicalClaimPublic:
    """A medical claim with its expenses and the amounts accepted (applicant and SSO officials)."""
    app = _case(db, principal, reference)
    shown = claim_public(db, app.reference)
    _record_official_view(db, principal, app, shown.national_code, "insurance.medical_claim")
    return shown


@router.put("/medical-claims/{reference}/approved-amounts", response_model=MedicalClaimPublic)
def approve_amounts(reference: str, body: ApprovedAmountsIn, principal: CurrentPrincipal,
                    db: DbSession) -> MedicalClaimPublic:
    """The reviewing official's accepted amount per expense (partial approval); then take the `approve` action."""
    app = _case(db, principal, reference)
    require(permissions.can_review_claim(db, principal, app))
    service.set_approved_amounts(db, service.claim_by_reference(db, app.reference),
                                 {i.position: i.approved_amount for i in body.items})
    db.commit()
    return claim_public(db, app.reference)
