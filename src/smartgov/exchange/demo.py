"""Demo exchange: the social-security organization, the civil registry and the tax office as
members hosted on this one instance, their services and access rights, and a few logged reads
of the demo citizen's data (made through the real signed exchange path)."""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import demo, identity
from smartgov.exchange import privacy, providers, service
from smartgov.exchange.envelope import ClientAddress
from smartgov.exchange.models import ExchangeService, PersonDataAccess
from smartgov.identity import PROOF_PURPOSE, PROOF_REGISTRY_SERVICE, nationalcode

INSTANCE = "IR"

PURPOSES = [
    ("pension-claim", "رسیدگی به درخواست مستمری بازنشستگی", "Deciding a retirement pension claim"),
    ("eligibility-check", "بررسی شرایط برخورداری از خدمت", "Checking eligibility for a service"),
    ("tax-assessment", "تشخیص مالیات", "Tax assessment"),
    ("medical-claim", "رسیدگی به هزینهٔ درمان", "Deciding a medical reimbursement"),
    (PROOF_PURPOSE, "احراز این‌که دارندهٔ حساب همان شخص است", "Proving that an account's holder is its person"),
]

# member code (= agency code), names, subsystems
MEMBERS = [
    ("sso", "سازمان تأمین اجتماعی", "Social Security Organization", ["pension", "contributions", "identity"]),
    ("nocr", "سازمان ثبت احوال کشور", "National Organization for Civil Registration", ["registry"]),
    ("inta", "سازمان امور مالیاتی کشور", "Iranian National Tax Administration", ["tax-records"]),
]

# provider subsystem, service code, names, schema
SERVICES = [
    ("IR/GOV/nocr/registry", "person-status", "وضعیت ثبت احوالی شخص", "Person status",
     providers.PERSON_STATUS_SCHEMA),
    ("IR/GOV/nocr/registry", PROOF_REGISTRY_SERVICE, "شمارهٔ همراه ثبت‌شده برای شخص", "Person's registered mobile",
     providers.PERSON_MOBILE_SCHEMA),
    ("IR/GOV/sso/contributions", "contribution-history", "سابقهٔ پرداخت حق بیمه", "Contribution history",
     providers.CONTRIBUTION_HISTORY_SCHEMA),
    ("IR/GOV/inta/tax-records", "income-record", "سابقهٔ درآمد مشمول مالیات", "Income record",
     providers.INCOME_RECORD_SCHEMA),
]

# client, service, purposes, legal basis fa/en
RIGHTS = [
    ("IR/GOV/sso/pension", "person-status", ["pension-claim", "eligibility-check"],
     "قانون تأمین اجتماعی، مقررات مستمری بازنشستگی: احراز هویت و وضعیت متقاضی",
     "Social Security Law, retirement pension provisions: verifying the applicant's identity and status"),
    ("IR/GOV/sso/pension", "contribution-history", ["pension-claim"],
     "قانون تأمین اجتماعی، مقررات مستمری بازنشستگی: احراز سابقهٔ بیمه",
     "Social Security Law, retirement pension provisions: establishing the insurance record"),
    ("IR/GOV/sso/pension", "income-record", ["pension-claim"],
     "قانون تأمین اجتماعی: بررسی اشتغال هم‌زمان با دریافت مستمری",
     "Social Security Law: checking for work while receiving a pension"),
    ("IR/GOV/sso/identity", PROOF_REGISTRY_SERVICE, [PROOF_PURPOSE],
     "مقررات ثبت‌نام در درگاه: احراز این‌که دارندهٔ حساب همان شخص است، پیش از نمایش اطلاعات شخصی",
     "Portal sign-up rules: proving that an account's holder is its person before showing personal data"),
    ("IR/GOV/inta/tax-records", "contribution-history", ["tax-assessment"],
     "قانون مالیات‌های مستقیم: تطبیق دستمزد اعلام‌شده",
     "Direct Taxation Act: reconciling declared wages"),
]


def load(db: Session, rng: random.Random, people: int) -> None:
    """Idempotent: members, services and rights by natural key; the demo reads only once."""
    for code, fa, en in PURPOSES:
        service.ensure_purpose(db, code, fa, en)
    for code, fa, en, subs in MEMBERS:
        member = service.find_member(db, INSTANCE, "GOV", code) or service.create_member(
            db, instance=INSTANCE, member_class="GOV", member_code=code, name_fa=fa, name_en=en,
            organization_code=code)
        for sub in subs:
            if service.find_subsystem(db, ClientAddress(instance=INSTANCE, member_class="GOV", member_code=code,
                                                        subsystem_code=sub)) is None:
                service.create_subsystem(db, member, sub)
    for provider, code, fa, en, schema in SERVICES:
        sub = service.subsystem(db, provider)
        if db.scalar(select(ExchangeService.id).where(ExchangeService.subsystem_id == sub.id,
                                                      ExchangeService.code == code)) is None:
            service.create_service(db, sub, code=code, name_fa=fa, name_en=en, response_schema=schema)
    existing = {(r.client.address, r.service.code) for r in service.access_rights(db)}
    for client, code, purposes, basis_fa, basis_en in RIGHTS:
        if (client, code) not in existing:
            svc = service.services_by_code(db, code)[0]
            service.grant_access(db, service.subsystem(db, client), svc, legal_basis_fa=basis_fa,
                                 legal_basis_en=basis_en, purposes=purposes)
    citizen = nationalcode.make(next(p for r, u, *_, p in demo.STAFF if u == "citizen"))
    if db.scalar(select(func.count()).select_from(PersonDataAccess)
                 .where(PersonDataAccess.national_code == citizen)):
        return
    service.fetch(db, "IR/GOV/sso/pension", "person-status", citizen, "pension-claim")
    service.fetch(db, "IR/GOV/sso/pension", "person-status", citizen, "eligibility-check")
    found = identity.account_view_by_username(db, "official")
    official = found.id if found else None
    privacy.record_access(db, citizen, official, "sso-thr", "insurance.contribution_record", "pension-claim",
                          actor_label="official", what_fa="سابقهٔ پرداخت حق بیمه", what_en="Contribution record")


demo.register("exchange", load, order=60)
