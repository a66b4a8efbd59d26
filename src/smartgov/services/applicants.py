"""What the platform knows about an applicant (prefill), their drafts, and what they are told."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.errors import DomainError, Forbidden
from smartgov.i18n import N_
from smartgov.identity import (
    AccountRef,
    AccountView,
    OrganizationRef,
    Principal,
    Role,
    can_use_personal_records,
    organization_by_code,
)
from smartgov.notifications import (
    MessageTemplate,
    register_template,
)

from . import registry
from .catalog import published
from .definitions import (
    ServiceDefinition,
)
from .eligibility import failed_rules
from .models import (
    Application,
    Draft,
)
from .pipeline import applicant_messages, case_event_data

log = logging.getLogger(__name__)

MAX_DRAFT_BYTES = 256 * 1024


# --------------------------------------------------------------------------- notifications

register_template(MessageTemplate(
    key="services.submitted",
    subject_fa="درخواست {reference} ثبت شد",
    subject_en="Application {reference} received",
    body_fa="درخواست «{service_fa}» شما با شمارهٔ پیگیری {reference} ثبت شد.\nپیگیری: {link}",
    body_en="We received your application for “{service_en}”. Reference: {reference}.\nTrack it: {link}",
    title_fa="ثبت درخواست", title_en="Application received",
    examples={"reference": "SSO-1405-000123", "service_fa": "مستمری بازنشستگی", "service_en": "Retirement pension",
              "link": "https://smartgov.example/services/applications/SSO-1405-000123"},
))
register_template(MessageTemplate(
    key="services.info_requested",
    subject_fa="برای درخواست {reference} اطلاعات بیشتری لازم است",
    subject_en="More information needed for {reference}",
    body_fa="کارشناس برای بررسی درخواست {reference} پرسیده است:\n{question}\nپاسخ دهید: {link}",
    body_en="To continue with application {reference}, the official asks:\n{question}\nReply here: {link}",
    title_fa="درخواست اطلاعات بیشتر", title_en="More information requested",
    examples={"reference": "SSO-1405-000123", "question": "لطفاً فیش حقوقی آخر را بفرستید.",
              "link": "https://smartgov.example/services/applications/SSO-1405-000123"},
))
register_template(MessageTemplate(
    key="services.decided",
    subject_fa="دربارهٔ درخواست {reference} تصمیم گرفته شد",
    subject_en="A decision on application {reference}",
    body_fa="وضعیت درخواست {reference}: {state_fa}\n{reason}\nجزئیات: {link}",
    body_en="Application {reference} is now: {state_en}\n{reason}\nDetails: {link}",
    title_fa="تصمیم دربارهٔ درخواست", title_en="Decision on an application",
    examples={"reference": "SSO-1405-000123", "state_fa": "پذیرفته شد", "state_en": "Approved", "reason": "",
              "link": "https://smartgov.example/services/applications/SSO-1405-000123"},
))
register_template(MessageTemplate(
    key="services.document_issued",
    subject_fa="سند درخواست {reference} صادر شد",
    subject_en="Your document for {reference} is ready",
    body_fa="«{title_fa}» صادر و امضا شد. دریافت: {link}\nاستعلام اصالت: {verify}",
    body_en="“{title_en}” has been issued and signed. Download: {link}\nCheck it: {verify}",
    title_fa="صدور سند", title_en="Document issued",
    examples={"reference": "SSO-1405-000123", "title_fa": "حکم مستمری", "title_en": "Pension award",
              "link": "https://smartgov.example/services/applications/SSO-1405-000123",
              "verify": "https://smartgov.example/verify/42"},
))


def notify_applicant(db: Session, app: Application, template: str, **context: Any) -> None:
    """E-mail and SMS to the applicant in their language, through the outbox."""
    account = identity.account_view(db, app.applicant_id)
    person = identity.person_profile(db, account.person_id) if account else None
    if account is None or person is None:
        return
    for name, data in applicant_messages(account.language, person.email, person.phone, app.reference, template,
                                         context, account_id=account.id):
        events.publish(db, name, **data)


# --------------------------------------------------------------------------- applicant data


def _identity_prefill(ctx: registry.ApplicantContext) -> registry.Prefill:
    person = ctx.person
    facts: dict[str, Any] = {"account_id": ctx.account.id, "username": ctx.account.username}
    answers: dict[str, Any] = {}
    if person is not None:
        facts.update(
            national_code=person.national_code, first_name_fa=person.first_name_fa,
            last_name_fa=person.last_name_fa, first_name_en=person.first_name_en, last_name_en=person.last_name_en,
            birth_date=person.birth_date.isoformat(), gender=person.gender, province=person.province,
            phone=person.phone, email=person.email,
        )
        fields = ctx.definition.fields_by_name
        for name in ("national_code", "phone", "email"):
            if name in fields and getattr(person, name):
                answers[name] = getattr(person, name)
    if ctx.organization is not None:
        facts["organization"] = {"code": ctx.organization.code, "name_fa": ctx.organization.name_fa,
                                 "name_en": ctx.organization.name_en,
                                 "registration_number": ctx.organization.registration_number}
    return registry.Prefill(applicant=facts, answers=answers)


registry.register_prefill_provider("identity", _identity_prefill, reads_database=False)


def applicant_context(
    db: Session, account: AccountRef, defn: ServiceDefinition, organization: OrganizationRef | None = None
) -> registry.Prefill:
    """What the platform knows about the applicant, from every registered prefill provider.

    Nothing of the person until the account has proven it is theirs (a draft starts empty).
    """
    person = identity.person_profile(db, account.person_id) if can_use_personal_records(account) else None
    ctx = registry.ApplicantContext(db=db, account=account, person=person, organization=organization,
                                    definition=defn)
    return merged_prefill(ctx)


def merged_prefill(ctx: registry.ApplicantContext) -> registry.Prefill:
    """What every registered provider that applies to ``ctx.definition`` knows, merged."""
    defn = ctx.definition
    merged = registry.Prefill()
    for name, provider in registry.prefill_providers(defn):
        try:
            found = provider(ctx)
        except DomainError:
            raise
        except Exception:  # one broken provider must not block every service
            log.exception("prefill provider %s failed", name)
            continue
        if found is not None:
            merged.applicant.update(found.applicant)
            merged.answers.update({k: v for k, v in found.answers.items() if k in defn.fields_by_name})
    return merged


def applicant_organization(principal: Principal, defn: ServiceDefinition, code: str | None,
                           db: Session) -> OrganizationRef | None:
    """The business a G2B application is made for: one the caller is an employer of."""
    if defn.relationship != "G2B":
        return None
    allowed = principal.org_ids(Role.EMPLOYER)
    if code:
        org = organization_by_code(db, code)
        if org.id not in allowed:
            raise Forbidden(N_("You do not act for this business."))
        return org
    if len(allowed) == 1:
        return identity.organization_view(db, next(iter(allowed)))
    if not allowed:
        raise Forbidden(N_("This service is for businesses; sign in with an employer account."))
    raise DomainError("organization_required", N_("Choose the business you apply for."), field="organization")


def eligibility_problems(db: Session, account: AccountRef, defn: ServiceDefinition,
                         answers: dict[str, Any] | None = None,
                         organization: OrganizationRef | None = None) -> list[DomainError]:
    """Rules that fail for this applicant (rules over answers are checked again at submit)."""
    facts = applicant_context(db, account, defn, organization).applicant
    if answers is None:
        # before any answer, only rules that read nothing but the applicant can be judged
        rules_about_applicant = [r for r in defn.eligibility if "answers" not in r.rule.roots()]
        found: list[DomainError] = [f for f in failed_rules(defn, {}, today=clock.today(), applicant=facts)
                                    if f.rule in rules_about_applicant]
        check = registry.eligibility_check(defn.id)
        return found + (check(defn, facts, clock.today()) if check is not None else [])
    return list(failed_rules(defn, answers, today=clock.today(), applicant=facts))


# --------------------------------------------------------------------------- drafts


def get_draft(db: Session, account: AccountRef, service_id: str) -> Draft | None:
    return db.scalar(select(Draft).where(Draft.account_id == account.id, Draft.service_id == service_id))


def save_draft(db: Session, account: AccountRef, service_id: str, answers: dict[str, Any],
               documents: dict[str, Any] | None = None, *, replace: bool = False) -> Draft:
    """Keep answers given so far (unchecked) so the applicant can come back; merges unless ``replace``."""
    row = published(db, service_id)
    if not isinstance(answers, dict) or not isinstance(documents or {}, dict):
        raise DomainError("answers_invalid", N_("The answers must be a set of fields."), field="answers")
    draft = get_draft(db, account, service_id)
    now = clock.now()
    if draft is None:
        draft = Draft(account_id=account.id, service_id=service_id, definition_id=row.id, answers={},
                      documents={}, created_at=now, updated_at=now)
        db.add(draft)
    merged_answers = dict(answers) if replace else {**draft.answers, **answers}
    merged_docs = dict(documents or {}) if replace else {**draft.documents, **(documents or {})}
    if len(json.dumps([merged_answers, merged_docs], default=str)) > MAX_DRAFT_BYTES:
        raise DomainError("draft_too_large", N_("The saved answers are too large."), field="answers")
    draft.answers = merged_answers
    draft.documents = merged_docs
    draft.definition_id = row.id
    draft.updated_at = now
    db.flush()
    return draft


def delete_draft(db: Session, account: AccountRef, service_id: str) -> None:
    """Forget the draft a submission came from (one DELETE, whether or not there was one)."""
    db.execute(delete(Draft).where(Draft.account_id == account.id, Draft.service_id == service_id))


def agency_code(db: Session, agency_id: int) -> str | None:
    """The code of a case's or a version's agency (``None`` if it is gone)."""
    return identity.organization_code(db, agency_id)


def event_data(db: Session, app: Application) -> dict[str, Any]:
    """The common part of every application event: enough for ledger and analytics subscribers."""
    return case_event_data(app, agency_code(db, app.agency_id))


def facts_for(db: Session, app: Application, defn: ServiceDefinition) -> dict[str, Any]:
    account = identity.account_view(db, app.applicant_id)
    org = identity.organization_view(db, app.organization_id)
    assert account is not None
    return applicant_context(db, account, defn, org).applicant


def drafts_of(db: Session, account_id: int) -> list[Draft]:
    """An applicant's drafts, oldest change first."""
    return list(db.scalars(select(Draft).where(Draft.account_id == account_id).order_by(Draft.updated_at)))


def account(db: Session, account_id: int | None) -> AccountView | None:
    """An applicant's or official's account as a case names it (``None`` for none)."""
    return identity.account_view(db, account_id) if account_id is not None else None


def accounts_by_id(db: Session, account_ids: set[int]) -> dict[int, AccountView]:
    """Accounts a page of cases names (assignees), in one query."""
    return identity.account_views(db, account_ids) if account_ids else {}
