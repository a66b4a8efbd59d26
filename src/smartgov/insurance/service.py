"""Use cases of the social-security domain: records, wage reports, contributions, pensions, claims.

Functions take a Session and never commit. The services on the e-services engine call them
through the actions and fee providers registered in :mod:`smartgov.insurance.hooks`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, cast, func, insert, literal, select
from sqlalchemy.orm import Session

from smartgov import clock, digits, events, identity
from smartgov.db import scalar_or_not_found
from smartgov.errors import Conflict, DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import OrganizationRef, PersonProfile, person_by_code

from .calculations import (
    ClaimItem,
    Eligibility,
    Pension,
    PremiumInvoice,
    contribution_split,
    medical_reimbursement,
    pension_amount,
    premium_invoice,
    retirement_eligibility,
)
from .events import CONTRIBUTIONS_CREDITED, MEDICAL_CLAIM_PAID, PENSION_DECIDED, WAGE_REPORT_FILED
from .models import (
    Contribution,
    DecisionStatus,
    InsuredPerson,
    InsuredStatus,
    MedicalClaim,
    MedicalClaimItem,
    WageReport,
    WageReportRow,
    WageReportStatus,
    Workshop,
)
from .models import Pension as PensionRow
from .parameters import DEFAULT_PARAMETERS, InsuranceParameters, Sex
from .wagereport import WageReport as ParsedReport
from .wagereport import month_length, parse_wage_report

PARAMETERS: InsuranceParameters = DEFAULT_PARAMETERS
"""The parameters in force; a deployment replaces them with its own (see ``parameters.py``)."""


def parameters() -> InsuranceParameters:
    return PARAMETERS


# --------------------------------------------------------------------------- insured people


def insurance_number_for(national_code: str) -> str:
    """A stable 10-digit insurance number derived one-to-one from the national code."""
    return f"{(int(national_code) * 7919 + 1_234_567) % 10**10:010d}"


def insured_by_code(db: Session, national_code: str) -> InsuredPerson | None:
    return db.scalar(select(InsuredPerson).where(InsuredPerson.national_code == national_code))


def ensure_insured(db: Session, person: PersonProfile, *,
                   status: InsuredStatus = InsuredStatus.ACTIVE) -> InsuredPerson:
    """The person's insured record, linking it to the identity person; created if missing."""
    row = insured_by_code(db, person.national_code)
    if row is None:
        row = InsuredPerson(person_id=person.id, national_code=person.national_code,
                            insurance_number=insurance_number_for(person.national_code), status=status,
                            registered_at=clock.now())
        db.add(row)
        db.flush()
    elif row.person_id is None:
        row.person_id = person.id
    return row


@dataclass(frozen=True)
class MonthRecord:
    """One Jalali month of a person's record, summed over workshops (days capped at the month's length)."""

    year: int
    month: int
    days: int
    wage: int
    insurable_wage: int
    employer_share: int
    insured_share: int
    government_share: int
    workshops: tuple[str, ...]


def monthly_record(db: Session, national_code: str) -> list[MonthRecord]:
    """The person's contribution history by month, oldest first.

    Reads plain columns, not Contribution rows: decades of months are hundreds of rows, and
    building ORM objects for them was most of the record page's time.
    """
    c = Contribution
    stmt = (select(c.year, c.month, c.days, c.wage, c.insurable_wage, c.employer_share, c.insured_share,
                   c.government_share, Workshop.code)
            .outerjoin(Workshop, Workshop.id == c.workshop_id)
            .where(c.national_code == national_code)
            .order_by(c.year, c.month, c.id))
    months: dict[tuple[int, int], list[Any]] = {}
    for row in db.execute(stmt):
        months.setdefault((row.year, row.month), []).append(row)
    return [MonthRecord(year, month, min(sum(r.days for r in rows), month_length(year, month)),
                        sum(r.wage for r in rows), sum(r.insurable_wage for r in rows),
                        sum(r.employer_share for r in rows), sum(r.insured_share for r in rows),
                        sum(r.government_share for r in rows), tuple(dict.fromkeys(r.code or "" for r in rows)))
            for (year, month), rows in months.items()]


@dataclass(frozen=True)
class EmployerPeriod:
    workshop_code: str
    name_fa: str
    name_en: str
    first: tuple[int, int]
    last: tuple[int, int]
    days: int


@dataclass(frozen=True)
class RecordSummary:
    """What a record certificate states: totals, years and employers."""

    national_code: str
    insurance_number: str
    status: str
    total_days: int
    years: int
    remaining_days: int
    by_year: list[tuple[int, int]]
    employers: list[EmployerPeriod]

    def as_dict(self) -> dict[str, Any]:
        return {
            "national_code": self.national_code, "insurance_number": self.insurance_number, "status": self.status,
            "total_days": self.total_days, "years": self.years, "remaining_days": self.remaining_days,
            "by_year": [{"year": y, "days": d} for y, d in self.by_year],
            "employers": [{"workshop_code": e.workshop_code, "name_fa": e.name_fa, "name_en": e.name_en,
                           "first": f"{e.first[0]}/{e.first[1]:02d}", "last": f"{e.last[0]}/{e.last[1]:02d}",
                           "days": e.days} for e in self.employers],
        }


def record_summary(db: Session, national_code: str, months: list[MonthRecord] | None = None) -> RecordSummary:
    """Totals by year and by employer of an insured person's record (404 if not insured).

    ``months``: the person's ``monthly_record``, when the caller has it already.
    """
    insured = insured_by_code(db, national_code)
    if insured is None:
        raise NotFound("insured_person")
    months = monthly_record(db, national_code) if months is None else months
    total = sum(m.days for m in months)
    by_year: dict[int, int] = {}
    for m in months:
        by_year[m.year] = by_year.get(m.year, 0) + m.days
    period = cast(Contribution.year, Integer) * 100 + Contribution.month
    stmt = (select(Workshop.code, Workshop.name_fa, Workshop.name_en, func.min(period), func.max(period),
                   func.sum(Contribution.days))
            .join(Workshop, Workshop.id == Contribution.workshop_id)
            .where(Contribution.national_code == national_code)
            .group_by(Workshop.code, Workshop.name_fa, Workshop.name_en)
            .order_by(func.min(period)))
    employers = [EmployerPeriod(code, fa, en, divmod(int(lo), 100), divmod(int(hi), 100), int(days))
                 for code, fa, en, lo, hi, days in db.execute(stmt).all()]
    years, rest = divmod(total, PARAMETERS.days_per_contribution_year)
    return RecordSummary(national_code, insured.insurance_number, insured.status.value, total, years, rest,
                         sorted(by_year.items()), employers)


def contribution_history_body(db: Session, national_code: str) -> dict[str, Any]:
    """The ``contribution-history`` exchange answer: months with days and insurable wage, by employer."""
    if insured_by_code(db, national_code) is None:
        raise NotFound("person", field="person")
    stmt = (select(Contribution.year, Contribution.month, Workshop.organization_id, func.sum(Contribution.days),
                   func.sum(Contribution.insurable_wage))
            .outerjoin(Workshop, Workshop.id == Contribution.workshop_id)
            .where(Contribution.national_code == national_code)
            .group_by(Contribution.year, Contribution.month, Workshop.organization_id))
    rows = db.execute(stmt).all()
    codes = {i: o.code for i, o in identity.organization_views(db, {r[2] for r in rows if r[2] is not None}).items()}
    # an employer's months are one record whatever the workshop, ordered by employer code as before
    merged: dict[tuple[int, int, str | None], list[int]] = {}
    for y, m, org_id, d, w in rows:
        sums = merged.setdefault((int(y), int(m), codes.get(org_id)), [0, 0])
        sums[0] += int(d)
        sums[1] += int(w)
    records = [{"employer_code": org, "year": y, "month": m, "days": min(d, 31), "wage_rial": w}
               for (y, m, org), (d, w) in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or ""))]
    return {"national_code": national_code, "total_days": _total_days(records), "records": records}


def _total_days(records: list[dict[str, Any]]) -> int:
    """Days over the records, a month never counting more than its length (two jobs at once are one month)."""
    months: dict[tuple[int, int], int] = {}
    for r in records:
        key = (r["year"], r["month"])
        months[key] = months.get(key, 0) + r["days"]
    return sum(min(d, month_length(y, m)) for (y, m), d in months.items())


def workshops_of(db: Session, organization_id: int) -> list[Workshop]:
    return list(db.scalars(select(Workshop).where(Workshop.organization_id == organization_id).order_by(Workshop.code)))


def create_workshop(db: Session, organization: OrganizationRef, *, code: str, name_fa: str, name_en: str,
                    province: str | None = None) -> Workshop:
    """Register a workshop of an employer organization."""
    row = Workshop(organization_id=organization.id, code=code, name_fa=name_fa, name_en=name_en, province=province,
                   created_at=clock.now())
    db.add(row)
    db.flush()
    return row


def workshop_by_code(db: Session, code: str) -> Workshop | None:
    """A workshop by its code as typed (any accepted digits; foreign digits: 422 on ``workshop_code``)."""
    return db.scalar(select(Workshop).where(Workshop.code == digits.code(code, "workshop_code")))


# --------------------------------------------------------------------------- wage reports


@dataclass(frozen=True)
class PreparedReport:
    workshop: Workshop
    year: int
    month: int
    report: ParsedReport
    invoice: PremiumInvoice
    sha256: str


_parsed: OrderedDict[tuple[str, int, int], tuple[ParsedReport, PremiumInvoice]] = OrderedDict()


def _parse_cached(data: bytes, year: int, month: int) -> tuple[ParsedReport, PremiumInvoice, str]:
    """Parse once per file and period: the fee provider and the import action see the same upload."""
    digest = hashlib.sha256(data).hexdigest()
    key = (digest, year, month)
    found = _parsed.get(key)
    if found is None:
        report = parse_wage_report(data, year=year, month=month, params=PARAMETERS)
        found = (report, premium_invoice(report, PARAMETERS))
        _parsed[key] = found
        while len(_parsed) > 4:
            _parsed.popitem(last=False)
    return found[0], found[1], digest


def _period(answers: dict[str, Any]) -> tuple[int, int]:
    try:
        return int(answers["year"]), int(answers["month"])
    except (KeyError, TypeError, ValueError):
        raise DomainError("period_invalid", N_("Choose the year and month of the report."), field="month") from None


def prefixed(exc: ValidationFailed, prefix: str) -> ValidationFailed:
    """The CSV's errors, with fields naming the form field they came from (``file: row 3, column …``)."""
    return ValidationFailed([DomainError(e.code, e.message, field=f"{prefix}: {e.field}" if e.field else prefix,
                                         **e.params) for e in exc.errors])


def check_wage_csv(data: bytes, year: int, month: int) -> tuple[ParsedReport, PremiumInvoice]:
    """Validate a wage report file for a period; :class:`ValidationFailed` lists every bad cell."""
    if not (1300 <= year <= 1500 and 1 <= month <= 12):
        raise DomainError("period_invalid", N_("Choose the year and month of the report."), field="month")
    report, invoice, _ = _parse_cached(data, year, month)
    return report, invoice


def prepare_wage_report(db: Session, answers: dict[str, Any], organization_id: int | None,
                        data: bytes) -> PreparedReport:
    """Check the workshop belongs to the employer, the period is not filed yet and every row is valid."""
    code = str(answers.get("workshop_code") or "").strip()
    workshop = workshop_by_code(db, code) if code else None
    if workshop is None or workshop.organization_id != organization_id:
        raise DomainError("workshop_unknown", N_("This is not a workshop of your business."), field="workshop_code")
    year, month = _period(answers)
    existing = db.scalar(select(WageReport).where(WageReport.workshop_id == workshop.id, WageReport.year == year,
                                                  WageReport.month == month,
                                                  WageReport.status != WageReportStatus.CANCELLED))
    if existing is not None:
        raise Conflict("wage_report_exists",
                       N_("A wage report for this workshop and month was filed already ({reference})."),
                       field="month", reference=existing.application_reference or "")
    try:
        report, invoice = check_wage_csv(data, year, month)
    except ValidationFailed as exc:
        raise prefixed(exc, "report_file") from None
    return PreparedReport(workshop, year, month, report, invoice, hashlib.sha256(data).hexdigest())


def store_wage_report(db: Session, prepared: PreparedReport, reference: str) -> WageReport:
    """Keep the validated report and all its rows (bulk insert: one statement batch, same transaction)."""
    inv = prepared.invoice
    report = WageReport(
        organization_id=prepared.workshop.organization_id, workshop_id=prepared.workshop.id, year=prepared.year,
        month=prepared.month, status=WageReportStatus.INVOICED, rows=len(inv.lines), total_wages=inv.total_wages,
        total_insurable_wages=inv.total_insurable_wages, employer_share=inv.employer_share,
        insured_share=inv.insured_share, government_share=inv.government_share, amount_due=inv.amount_due,
        application_reference=reference, file_sha256=prepared.sha256, created_at=clock.now(),
    )
    db.add(report)
    db.flush()
    rows = [
        {"report_id": report.id, "row": r.row, "national_code": r.national_code, "first_name": r.first_name[:60],
         "last_name": r.last_name[:60], "start_date": r.start_date, "days_worked": r.days_worked,
         "daily_wage": r.daily_wage, "monthly_wage": r.monthly_wage, "insurable_wage": line.split.insurable_wage,
         "employer_share": line.split.employer, "insured_share": line.split.insured,
         "government_share": line.split.government}
        for r, line in zip(prepared.report.rows, inv.lines, strict=True)
    ]
    if rows:
        db.execute(insert(WageReportRow), rows)
    events.publish(db, WAGE_REPORT_FILED, report_id=report.id, reference=reference,
                   organization_id=report.organization_id, workshop_id=report.workshop_id, year=report.year,
                   month=report.month, rows=report.rows, amount_due=report.amount_due)
    return report


def report_by_reference(db: Session, reference: str, *, lock: bool = False) -> WageReport | None:
    stmt = select(WageReport).where(WageReport.application_reference == reference)
    if lock:
        stmt = stmt.with_for_update()
    return db.scalar(stmt)


def credit_wage_report(db: Session, report: WageReport) -> int:
    """Credit every row to its insured person once; a second call (a repeated callback) credits nothing.

    Contributions are copied with one ``INSERT … SELECT``; workers not yet insured are registered.
    """
    if report.status != WageReportStatus.INVOICED:
        return 0
    cols = ("national_code", "year", "month", "days", "wage", "insurable_wage", "employer_share", "insured_share",
            "government_share", "workshop_id", "report_id")
    source = select(WageReportRow.national_code, literal(report.year, Integer), literal(report.month, Integer),
                    WageReportRow.days_worked,
                    WageReportRow.monthly_wage, WageReportRow.insurable_wage, WageReportRow.employer_share,
                    WageReportRow.insured_share, WageReportRow.government_share,
                    literal(report.workshop_id, BigInteger), literal(report.id, BigInteger)
                    ).where(WageReportRow.report_id == report.id)
    result = db.execute(insert(Contribution).from_select(cols, source))
    new_codes = list(db.scalars(
        select(WageReportRow.national_code).outerjoin(
            InsuredPerson, InsuredPerson.national_code == WageReportRow.national_code)
        .where(WageReportRow.report_id == report.id, InsuredPerson.id.is_(None))))
    now = clock.now()
    if new_codes:
        db.execute(insert(InsuredPerson), [
            {"person_id": None, "national_code": c, "insurance_number": insurance_number_for(c),
             "status": InsuredStatus.ACTIVE, "registered_at": now} for c in new_codes])
    report.status = WageReportStatus.CREDITED
    report.credited_at = now
    credited = int(result.rowcount or 0)
    events.publish(db, CONTRIBUTIONS_CREDITED, report_id=report.id,
                   reference=report.application_reference, rows=credited, organization_id=report.organization_id,
                   new_insured=len(new_codes))
    return credited


def cancel_wage_report(db: Session, reference: str) -> None:
    report = report_by_reference(db, reference)
    if report is not None and report.status == WageReportStatus.INVOICED:
        report.status = WageReportStatus.CANCELLED


def wage_reports_query(organization_id: int) -> Select[Any]:
    return (select(WageReport).where(WageReport.organization_id == organization_id)
            .order_by(WageReport.year.desc(), WageReport.month.desc(), WageReport.id.desc()))


# --------------------------------------------------------------------------- pensions


@dataclass(frozen=True)
class PensionAssessment:
    eligibility: Eligibility
    pension: Pension | None
    contribution_days: int
    months: int


def sex_of(gender: str | None) -> Sex:
    """Unknown sex is judged by the men's (higher) ages, so nobody is told they qualify by mistake."""
    return Sex.FEMALE if gender == "f" else Sex.MALE


def assess_pension(*, gender: str | None, birth_date: dt.date, records: list[dict[str, Any]], on: dt.date
                   ) -> PensionAssessment:
    """Eligibility and the pension by the configured formula, from contribution-history records."""
    days = _total_days(records)
    eligibility = retirement_eligibility(sex=sex_of(gender), birth_date=birth_date, contribution_days=days, on=on,
                                         params=PARAMETERS)
    wages: dict[tuple[int, int], int] = {}
    for r in records:
        key = (int(r["year"]), int(r["month"]))
        wages[key] = wages.get(key, 0) + int(r["wage_rial"])
    monthly = [wages[k] for k in sorted(wages)]
    pension = pension_amount(monthly, days, PARAMETERS) if monthly and days > 0 else None
    return PensionAssessment(eligibility, pension, days, len(monthly))


def refuse_unless_eligible(assessment: PensionAssessment) -> None:
    """Raise :class:`ValidationFailed` with every unmet condition when no retirement rule is met."""
    if assessment.eligibility.eligible and assessment.pension is not None:
        return
    errors = [DomainError("not_eligible", r.message, field="eligibility", **r.params)
              for r in assessment.eligibility.reasons if not r.met]
    if not errors:
        errors = [DomainError("no_record", N_("No contributions are recorded for you."), field="eligibility")]
    raise ValidationFailed(errors)


def pension_computed(assessment: PensionAssessment) -> dict[str, Any]:
    """What the application stores and pages show: the amount, the rule and every step of the working."""
    assert assessment.pension is not None
    rule = next((r for r in PARAMETERS.retirement_rules if r.code == assessment.eligibility.rule), None)
    average = next((s.value for s in assessment.pension.steps if s.code == "average"), 0)
    return {
        "eligible": assessment.eligibility.eligible, "rule": assessment.eligibility.rule,
        "rule_fa": rule.title_fa if rule else "", "rule_en": rule.title_en if rule else "",
        "age": assessment.eligibility.age, "contribution_days": assessment.contribution_days,
        "contribution_years": assessment.contribution_days // PARAMETERS.days_per_contribution_year,
        "months": assessment.months, "average_wage": average, "amount": assessment.pension.amount,
        "steps": [s.as_dict() for s in assessment.pension.steps],
        "reasons": [{"met": r.met, "label_en": r.localized("en"), "label_fa": r.localized("fa")}
                    for r in assessment.eligibility.reasons],
    }


def record_pension(db: Session, national_code: str, reference: str, computed: dict[str, Any]) -> PensionRow:
    row = PensionRow(national_code=national_code, application_reference=reference, rule=computed["rule"] or "",
                     contribution_days=computed["contribution_days"], average_wage=computed["average_wage"],
                     amount=computed["amount"], steps=computed["steps"], status=DecisionStatus.PROPOSED,
                     created_at=clock.now())
    db.add(row)
    db.flush()
    return row


def pension_by_reference(db: Session, reference: str) -> PensionRow | None:
    return db.scalar(select(PensionRow).where(PensionRow.application_reference == reference))


def decide_pension(db: Session, reference: str, status: DecisionStatus, actor_id: int | None) -> PensionRow:
    row = pension_by_reference(db, reference)
    if row is None:
        raise NotFound("pension")
    row.status = status
    row.decided_by = actor_id
    row.decided_at = clock.now()
    if status == DecisionStatus.APPROVED:
        insured = insured_by_code(db, row.national_code)
        if insured is not None:
            insured.status = InsuredStatus.RETIRED
    events.publish(db, PENSION_DECIDED, actor_id=actor_id, reference=reference, status=status.value,
                   amount=row.amount)
    return row


def pension_estimate(db: Session, person: PersonProfile, on: dt.date | None = None) -> PensionAssessment:
    """The person's own estimate from the fund's record (no exchange: the person reads their own data)."""
    body = contribution_history_body(db, person.national_code)
    return assess_pension(gender=person.gender, birth_date=person.birth_date, records=body["records"],
                          on=on or clock.today())


# --------------------------------------------------------------------------- medical claims

MAX_CLAIM_ITEMS = 20


def register_claim(db: Session, national_code: str, reference: str, answers: dict[str, Any]) -> MedicalClaim:
    """Store a submitted claim and its items; the provisional reimbursement assumes every expense is accepted."""
    items = answers.get("items") or []
    proposal = medical_reimbursement([ClaimItem(str(i.get("category")), int(i.get("amount") or 0)) for i in items],
                                     PARAMETERS, reimbursed_this_year=reimbursed_this_year(db, national_code))
    claim = MedicalClaim(national_code=national_code, application_reference=reference, claimed=proposal.claimed,
                         approved=None, reimbursed=None, steps=[s.as_dict() for s in proposal.steps],
                         status=DecisionStatus.PROPOSED, bank_account=str(answers.get("bank_account") or ""),
                         created_at=clock.now())
    db.add(claim)
    db.flush()
    for n, item in enumerate(items, start=1):
        receipt = item.get("receipt")
        db.add(MedicalClaimItem(claim_id=claim.id, position=n, category=str(item.get("category")),
                                description=str(item.get("description") or "")[:300], amount=int(item["amount"]),
                                approved_amount=None, reimbursed=None,
                                receipt_ref=receipt.get("ref") if isinstance(receipt, dict) else None))
    db.flush()
    return claim


def claim_by_reference(db: Session, reference: str) -> MedicalClaim:
    return scalar_or_not_found(db, select(MedicalClaim).where(MedicalClaim.application_reference == reference), "claim")


def claim_items(db: Session, claim: MedicalClaim) -> list[MedicalClaimItem]:
    return list(db.scalars(select(MedicalClaimItem).where(MedicalClaimItem.claim_id == claim.id)
                           .order_by(MedicalClaimItem.position)))


def reimbursed_this_year(db: Session, national_code: str, exclude_id: int | None = None) -> int:
    """Reimbursed to the person on claims approved since the start of this Jalali year."""
    import jdatetime

    today = jdatetime.date.fromgregorian(date=clock.today())
    start = jdatetime.date(today.year, 1, 1).togregorian()
    since = clock.day_start(start)
    stmt = select(func.coalesce(func.sum(MedicalClaim.reimbursed), 0)).where(
        MedicalClaim.national_code == national_code, MedicalClaim.created_at >= since,
        MedicalClaim.status.in_([DecisionStatus.APPROVED, DecisionStatus.PAID]))
    if exclude_id is not None:
        stmt = stmt.where(MedicalClaim.id != exclude_id)
    return int(db.scalar(stmt) or 0)


def set_approved_amounts(db: Session, claim: MedicalClaim, amounts: dict[int, int]) -> list[MedicalClaimItem]:
    """The official's accepted amount per expense (0 to the amount claimed); others keep their value."""
    if claim.status != DecisionStatus.PROPOSED:
        raise Conflict("claim_decided", N_("This claim has been decided already."))
    items = {i.position: i for i in claim_items(db, claim)}
    errors = []
    for position, amount in amounts.items():
        item = items.get(position)
        if item is None:
            errors.append(DomainError("item_unknown", N_("There is no such expense on this claim."),
                                      field=f"items[{position}]"))
        elif not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= item.amount:
            errors.append(DomainError("approved_invalid",
                                      N_("The approved amount must be between 0 and the {amount} rials claimed."),
                                      field=f"items[{position}].approved_amount", amount=item.amount))
    if errors:
        raise ValidationFailed(errors)
    for position, amount in amounts.items():
        items[position].approved_amount = amount
    db.flush()
    return list(items.values())


def decide_claim(db: Session, claim: MedicalClaim) -> dict[str, Any]:
    """Approve with the accepted amounts (default: as claimed); the reimbursement follows the coverage rules."""
    items = claim_items(db, claim)
    accepted = [(i, i.amount if i.approved_amount is None else i.approved_amount) for i in items]
    kept = [(i, a) for i, a in accepted if a > 0]
    if not kept:
        raise DomainError("nothing_approved", N_("No expense is approved; reject the claim instead."),
                          field="items")
    result = medical_reimbursement([ClaimItem(i.category, a) for i, a in kept], PARAMETERS,
                                   reimbursed_this_year=reimbursed_this_year(db, claim.national_code, claim.id))
    for i, _ in accepted:
        i.reimbursed = 0
        if i.approved_amount is None:
            i.approved_amount = i.amount
    for (i, _), line in zip(kept, result.items, strict=True):
        i.reimbursed = line.reimbursed
    claim.approved = sum(a for _, a in kept)
    claim.reimbursed = result.amount
    claim.steps = [s.as_dict() for s in result.steps]
    claim.status = DecisionStatus.APPROVED
    return {"claimed": claim.claimed, "approved": claim.approved, "reimbursed": claim.reimbursed,
            "partial": claim.approved < claim.claimed, "steps": claim.steps}


def reject_claim(db: Session, claim: MedicalClaim, status: DecisionStatus = DecisionStatus.REJECTED) -> None:
    claim.status = status


def pay_claim(db: Session, claim: MedicalClaim, actor_id: int | None) -> dict[str, Any]:
    """Record the transfer of the reimbursement to the insured's account (once)."""
    if claim.status == DecisionStatus.PAID:
        return {"payment_reference": claim.payment_reference, "amount": claim.reimbursed}
    if claim.status != DecisionStatus.APPROVED:
        raise Conflict("claim_not_approved", N_("Only an approved claim can be paid."))
    claim.status = DecisionStatus.PAID
    claim.paid_at = clock.now()
    claim.payment_reference = f"SSO-MED-{claim.id:08d}"
    events.publish(db, MEDICAL_CLAIM_PAID, actor_id=actor_id, reference=claim.application_reference,
                   amount=claim.reimbursed, payment_reference=claim.payment_reference)
    return {"payment_reference": claim.payment_reference, "amount": claim.reimbursed,
            "paid_at": claim.paid_at.isoformat()}


def split_for(wage: int, days: int) -> dict[str, int]:
    """Contribution shares of one month's wage, for demo data and estimates."""
    s = contribution_split(wage, days, PARAMETERS)
    return {"insurable_wage": s.insurable_wage, "employer_share": s.employer, "insured_share": s.insured,
            "government_share": s.government}


def person_of(db: Session, national_code: str) -> PersonProfile | None:
    return person_by_code(db, national_code)

