"""How the social-security services plug into the e-services engine and the exchange.

Registered at import (before any definition is stored): the definition folder, the actions
and fee provider the YAML names, the signed fields of each output document, the applicant
facts the rules read (``applicant.insurance.*``), the ``contribution-history`` data service
and the exchange prefill sources of the pension application (once only).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from smartgov import clock, exchange, services
from smartgov.errors import DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_, format_number, localize_digits
from smartgov.services import ActionContext, ApplicantContext, DocumentField, FeeContext, Prefill, RoutingContext

from . import service
from .models import DecisionStatus

DEFINITIONS = Path(__file__).parent / "definitions"
RECORD_SERVICE = "insurance-record"
WAGE_SERVICE = "employer-wage-report"
PENSION_SERVICE = "pension-retirement"
MEDICAL_SERVICE = "medical-reimbursement"

PENSION_PURPOSE = "pension-claim"
PENSION_CLIENT = "IR/GOV/sso/pension"
"""The SSO subsystem that asks for a pension applicant's data, with the legal purpose above."""

FA_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
EN_MONTHS = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar", "Dey",
             "Bahman", "Esfand")


def month_name(year: int, month: int, lang: str) -> str:
    """``مهر ۱۴۰۳`` / ``Mehr 1403``."""
    if lang == "fa":
        return f"{FA_MONTHS[month - 1]} {localize_digits(str(year), 'fa')}"
    return f"{EN_MONTHS[month - 1]} {year}"


# --------------------------------------------------------------------------- file answers


def _file_bytes(ctx_db: Any, answer: Any, field: str) -> bytes:
    from smartgov.services import service as engine

    ref = answer.get("ref") if isinstance(answer, dict) else None
    if not isinstance(ref, str):
        raise DomainError("required", N_("Upload the wage report file."), field=field)
    return engine.file_bytes(engine.file_row(ctx_db, ref))


def _organization_id(ctx_db: Any, applicant: dict[str, Any]) -> int | None:
    from smartgov.identity import organization_by_code

    org = applicant.get("organization") or {}
    try:
        return organization_by_code(ctx_db, org["code"]).id if org.get("code") else None
    except NotFound:
        return None


# --------------------------------------------------------------------------- prefill


def _insurance_prefill(ctx: ApplicantContext) -> Prefill | None:
    """``applicant.insurance`` for G2C services of this module; the employer's workshops for G2B ones."""
    if ctx.definition.id in (RECORD_SERVICE, PENSION_SERVICE, MEDICAL_SERVICE) and ctx.person is not None:
        insured = service.insured_by_code(ctx.db, ctx.person.national_code)
        return Prefill(applicant={"insurance": {
            "insured": insured is not None, "insurance_number": insured.insurance_number if insured else None,
            "status": insured.status.value if insured else None}})
    if ctx.definition.id == WAGE_SERVICE and ctx.organization is not None:
        codes = [w.code for w in service.workshops_of(ctx.db, ctx.organization.id)]
        return Prefill(applicant={"workshops": codes}, answers={"workshop_code": codes[0]} if len(codes) == 1 else {})
    return None


# --------------------------------------------------------------------------- routing


def _workshop_province(ctx: RoutingContext) -> str | None:
    """``routing: workshop_branch``: a wage report is served by the branch of its workshop's province
    (a workshop of the business that applies; any other: none known, the agency serves it)."""
    code = ctx.answers.get("workshop_code")
    if not isinstance(code, str) or ctx.organization is None:
        return None
    workshop = service.workshop_by_code(ctx.db, code)
    if workshop is None or workshop.organization_id != ctx.organization.id:
        return None
    return workshop.province


# --------------------------------------------------------------------------- record certificate


def _record(ctx: ActionContext) -> dict[str, Any]:
    code = ctx.applicant.get("national_code")
    if not code:
        raise DomainError("not_insured", N_("The Social Security Organization has no insurance record for you."))
    try:
        return service.record_summary(ctx.db, code).as_dict()
    except NotFound:
        raise DomainError("not_insured",
                          N_("The Social Security Organization has no insurance record for you.")) from None


def _period_text(text: str, lang: str) -> str:
    year, month = (int(p) for p in text.split("/"))
    return month_name(year, month, lang)


def _record_fields(ctx: ActionContext) -> list[DocumentField]:
    rec = ctx.computed.get("insurance_record") or {}
    fields = [
        DocumentField("شمارهٔ بیمه", "Insurance number", rec.get("insurance_number", "")),
        DocumentField("کل سابقه", "Total record",
                      f"{rec.get('years', 0)} years and {rec.get('remaining_days', 0)} days "
                      f"({format_number(rec.get('total_days', 0), 'en')} days)",
                      localize_digits(f"{rec.get('years', 0)} سال و {rec.get('remaining_days', 0)} روز "
                                      f"({format_number(rec.get('total_days', 0), 'fa')} روز)", "fa")),
    ]
    for e in rec.get("employers", []):
        fields.append(DocumentField(
            f"کارفرما: {e['name_fa']}", f"Employer: {e['name_en']}",
            f"{_period_text(e['first'], 'en')} – {_period_text(e['last'], 'en')}, "
            f"{format_number(e['days'], 'en')} days",
            f"{_period_text(e['first'], 'fa')} تا {_period_text(e['last'], 'fa')}، "
            f"{format_number(e['days'], 'fa')} روز"))
    years = rec.get("by_year", [])
    if years:
        fields.append(DocumentField(
            "روزهای سابقه به تفکیک سال", "Days by year",
            ", ".join(f"{y['year']}: {y['days']}" for y in years),
            localize_digits("، ".join(f"{y['year']}: {y['days']}" for y in years), "fa")))
    return fields


# --------------------------------------------------------------------------- wage report


def _wage_premium(ctx: FeeContext) -> int:
    data = _file_bytes(ctx.db, ctx.answers.get("report_file"), "report_file")
    prepared = service.prepare_wage_report(ctx.db, ctx.answers, _organization_id(ctx.db, ctx.applicant), data)
    return prepared.invoice.amount_due


def _wage_import(ctx: ActionContext) -> dict[str, Any]:
    data = _file_bytes(ctx.db, ctx.answers.get("report_file"), "report_file")
    prepared = service.prepare_wage_report(ctx.db, ctx.answers, ctx.application.organization_id, data)
    report = service.store_wage_report(ctx.db, prepared, ctx.application.reference)
    return {"report_id": report.id, "workshop_code": prepared.workshop.code, "year": report.year,
            "month": report.month, "rows": report.rows, "total_wages": report.total_wages,
            "total_insurable_wages": report.total_insurable_wages, "employer_share": report.employer_share,
            "insured_share": report.insured_share, "government_share": report.government_share,
            "amount_due": report.amount_due}


def _wage_credit(ctx: ActionContext) -> dict[str, Any]:
    report = service.report_by_reference(ctx.db, ctx.application.reference, lock=True)
    if report is None:
        raise NotFound("wage_report")
    credited = service.credit_wage_report(ctx.db, report)
    return {"credited_rows": credited or report.rows, "credited_at": ctx.now.isoformat()}


def _wage_cancel(ctx: ActionContext) -> None:
    service.cancel_wage_report(ctx.db, ctx.application.reference)


def _wage_fields(ctx: ActionContext) -> list[DocumentField]:
    imp = ctx.computed.get("wage_report_import") or {}
    if not imp:
        return []
    return [
        DocumentField("کد کارگاه", "Workshop code", imp["workshop_code"]),
        DocumentField("دوره", "Period", month_name(imp["year"], imp["month"], "en"),
                      month_name(imp["year"], imp["month"], "fa")),
        DocumentField("تعداد بیمه‌شدگان", "Insured workers", imp["rows"]),
        DocumentField("جمع دستمزد (ریال)", "Total wages (rial)", imp["total_wages"]),
        DocumentField("جمع دستمزد مشمول (ریال)", "Total insurable wages (rial)", imp["total_insurable_wages"]),
        DocumentField("سهم کارفرما (ریال)", "Employer's share (rial)", imp["employer_share"]),
        DocumentField("سهم بیمه‌شده (ریال)", "Insured's share (rial)", imp["insured_share"]),
        DocumentField("سهم دولت (ریال)", "Government's share (rial)", imp["government_share"]),
        DocumentField("مبلغ پرداخت‌شده (ریال)", "Amount paid (rial)", imp["amount_due"]),
    ]


# --------------------------------------------------------------------------- pension


def _person_facts(applicant: dict[str, Any]) -> tuple[str | None, dt.date]:
    """Sex and birth date from the civil registry's answer (exchange), else from the account."""
    status = applicant.get("person_status") or {}
    birth = status.get("birth_date") or applicant.get("birth_date")
    if not birth:
        raise DomainError("person_unknown", N_("Your civil-registry record could not be read; try again later."))
    return status.get("gender", applicant.get("gender")), dt.date.fromisoformat(birth)


def _pension_assess(ctx: ActionContext) -> dict[str, Any]:
    history = ctx.applicant.get("contribution_history")
    if not isinstance(history, dict):
        raise DomainError("history_unavailable",
                          N_("Your contribution record could not be fetched from the organization; try again later."))
    gender, birth = _person_facts(ctx.applicant)
    assessment = service.assess_pension(gender=gender, birth_date=birth, records=history["records"],
                                        on=clock.local(ctx.now).date())
    service.refuse_unless_eligible(assessment)
    computed = service.pension_computed(assessment)
    service.record_pension(ctx.db, ctx.applicant["national_code"], ctx.application.reference, computed)
    return computed


def _pension_check(_definition: Any, applicant: dict[str, Any], today: dt.date) -> list[DomainError]:
    """Before the form: the rule ``_pension_assess`` applies at submission, on the facts already fetched.

    Facts that could not be read (an agency down) give no reason here: submission decides then.
    """
    history = applicant.get("contribution_history")
    if not isinstance(history, dict):
        return []
    try:
        gender, birth = _person_facts(applicant)
        service.refuse_unless_eligible(service.assess_pension(gender=gender, birth_date=birth,
                                                              records=history["records"], on=today))
    except ValidationFailed as exc:
        return list(exc.errors)
    except DomainError:
        return []
    return []


def _pension_grant(ctx: ActionContext) -> dict[str, Any]:
    row = service.decide_pension(ctx.db, ctx.application.reference, DecisionStatus.APPROVED, ctx.actor_id)
    return {"status": row.status.value, "amount": row.amount, "decided_at": ctx.now.isoformat()}


def _pension_refuse(ctx: ActionContext) -> dict[str, Any]:
    row = service.decide_pension(ctx.db, ctx.application.reference, DecisionStatus.REJECTED, ctx.actor_id)
    return {"status": row.status.value, "decided_at": ctx.now.isoformat()}


def _pension_withdraw(ctx: ActionContext) -> None:
    row = service.pension_by_reference(ctx.db, ctx.application.reference)
    if row is not None:
        row.status = DecisionStatus.WITHDRAWN


def _pension_fields(ctx: ActionContext) -> list[DocumentField]:
    p = ctx.computed.get("pension_assess") or {}
    if not p:
        return []
    granted = (ctx.computed.get("pension_grant") or {}).get("status") == "approved"
    fields = [
        DocumentField("شرط بازنشستگی", "Retirement rule", p["rule_en"], p["rule_fa"]),
        DocumentField("سن", "Age", p["age"]),
        DocumentField("سابقهٔ پرداخت حق بیمه (روز)", "Contribution record (days)", p["contribution_days"]),
        DocumentField("میانگین دستمزد ماهانه (ریال)", "Average monthly wage (rial)", p["average_wage"]),
    ]
    fields += [DocumentField(s["label_fa"], s["label_en"], format_number(s["value"], "en"),
                             format_number(s["value"], "fa")) for s in p["steps"]]
    if granted:
        fields.append(DocumentField("مستمری ماهانهٔ برقرارشده (ریال)", "Monthly pension granted (rial)", p["amount"]))
    return fields


# --------------------------------------------------------------------------- medical claims


def _claim_register(ctx: ActionContext) -> dict[str, Any]:
    claim = service.register_claim(ctx.db, ctx.applicant["national_code"], ctx.application.reference, ctx.answers)
    return {"claimed": claim.claimed, "proposed_steps": claim.steps}


def _claim_decide(ctx: ActionContext) -> dict[str, Any]:
    return service.decide_claim(ctx.db, service.claim_by_reference(ctx.db, ctx.application.reference))


def _claim_reject(ctx: ActionContext) -> None:
    service.reject_claim(ctx.db, service.claim_by_reference(ctx.db, ctx.application.reference))


def _claim_withdraw(ctx: ActionContext) -> None:
    service.reject_claim(ctx.db, service.claim_by_reference(ctx.db, ctx.application.reference),
                         DecisionStatus.WITHDRAWN)


def _claim_pay(ctx: ActionContext) -> dict[str, Any]:
    return service.pay_claim(ctx.db, service.claim_by_reference(ctx.db, ctx.application.reference), ctx.actor_id)


def _claim_fields(ctx: ActionContext) -> list[DocumentField]:
    d = ctx.computed.get("medical_claim_decide") or {}
    claimed = (ctx.computed.get("medical_claim_register") or {}).get("claimed", 0)
    fields = [DocumentField("مبلغ درخواستی (ریال)", "Amount claimed (rial)", claimed)]
    if d:
        fields += [DocumentField("مبلغ پذیرفته‌شده (ریال)", "Amount accepted (rial)", d["approved"]),
                   DocumentField("مبلغ بازپرداخت (ریال)", "Amount reimbursed (rial)", d["reimbursed"])]
    pay = ctx.computed.get("medical_claim_pay") or {}
    if pay:
        fields.append(DocumentField("شمارهٔ واریز", "Payment reference", pay["payment_reference"]))
    return fields


# --------------------------------------------------------------------------- exchange


def contribution_history_provider(db: Any, national_code: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``contribution-history`` data service SSO offers other agencies (and its own pension office)."""
    return service.contribution_history_body(db, national_code)


def _on_document_issued(ctx: ActionContext, document: Any) -> None:
    """The signed decision letter's id is the pension's decision reference."""
    row = service.pension_by_reference(ctx.db, ctx.application.reference)
    if row is not None:
        row.decision_ref = str(document.id)[:40]


def install() -> None:
    services.register_definition_folder(DEFINITIONS)
    services.register_prefill_provider(
        "insurance", _insurance_prefill,
        applies=lambda d: d.id in (RECORD_SERVICE, PENSION_SERVICE, MEDICAL_SERVICE, WAGE_SERVICE))
    for name, fn in {
        "insurance_record": _record, "wage_report_import": _wage_import, "wage_report_credit": _wage_credit,
        "wage_report_cancel": _wage_cancel, "pension_assess": _pension_assess, "pension_grant": _pension_grant,
        "pension_refuse": _pension_refuse, "pension_withdraw": _pension_withdraw,
        "medical_claim_register": _claim_register, "medical_claim_decide": _claim_decide,
        "medical_claim_reject": _claim_reject, "medical_claim_withdraw": _claim_withdraw,
        "medical_claim_pay": _claim_pay,
    }.items():
        services.register_action(name, fn)
    services.register_fee_provider("wage_report_premium", _wage_premium)
    services.register_routing_rule("workshop_branch", _workshop_province)
    services.register_document_fields("insurance-record-certificate", _record_fields)
    services.register_document_fields("wage-report-receipt", _wage_fields)
    services.register_document_fields("pension-decision", _pension_fields)
    services.register_document_fields("medical-reimbursement-decision", _claim_fields)
    exchange.register_provider("contribution-history", contribution_history_provider)
    exchange.register_prefill_source(PENSION_SERVICE, exchange.PrefillSource(
        service_code="contribution-history", purpose=PENSION_PURPOSE, fact="contribution_history",
        client_subsystem=PENSION_CLIENT))
    exchange.register_prefill_source(PENSION_SERVICE, exchange.PrefillSource(
        service_code="person-status", purpose=PENSION_PURPOSE, fact="person_status", client_subsystem=PENSION_CLIENT))
    services.register_document_issued("pension-decision", _on_document_issued)
    services.register_eligibility_check(PENSION_SERVICE, _pension_check)
