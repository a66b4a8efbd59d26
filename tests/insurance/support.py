"""Arrangements for the insurance DB tests: SSO and its exchange registry, people with records, employers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jdatetime
from sqlalchemy import insert
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.exchange import providers
from smartgov.exchange import service as exchange
from smartgov.identity import Role, nationalcode
from smartgov.identity.models import Account
from smartgov.insurance import service
from smartgov.insurance.models import Contribution, Workshop
from smartgov.insurance.wagereport import month_length
from smartgov.services import sync_bundled_definitions
from tests.factories import create_account, create_agency, create_employer

API = "/api/v1"
PDF = b"%PDF-1.4\n% a receipt\n%%EOF\n"
WAGE = 90_000_000  # rial a month, above the 1403 minimum


def exchange_registry(db: Session) -> None:
    """SSO's pension office may ask SSO's contribution record and the civil registry for pension claims."""
    exchange.ensure_purpose(db, "pension-claim", "رسیدگی به درخواست مستمری بازنشستگی", "Deciding a pension claim")
    sso = exchange.create_member(db, instance="IR", member_class="GOV", member_code="sso", name_fa="تأمین اجتماعی",
                                 name_en="Social Security", organization_code="sso")
    nocr = exchange.create_member(db, instance="IR", member_class="GOV", member_code="nocr", name_fa="ثبت احوال",
                                  name_en="Civil registry", organization_code="nocr")
    pension = exchange.create_subsystem(db, sso, "pension")
    contributions = exchange.create_subsystem(db, sso, "contributions")
    registry = exchange.create_subsystem(db, nocr, "registry")
    history = exchange.create_service(db, contributions, code="contribution-history", name_fa="سابقه",
                                      name_en="Contribution history",
                                      response_schema=providers.CONTRIBUTION_HISTORY_SCHEMA)
    status = exchange.create_service(db, registry, code="person-status", name_fa="وضعیت", name_en="Person status",
                                     response_schema=providers.PERSON_STATUS_SCHEMA)
    for svc in (history, status):
        exchange.grant_access(db, pension, svc, legal_basis_fa="قانون تأمین اجتماعی", legal_basis_en="Social Security Law",
                              purposes=["pension-claim"])


def give_record(db: Session, account: Account, workshop: Workshop, years: int, wage: int = WAGE) -> None:
    """``years`` of full months at ``workshop``, ending last month."""
    person = account.person
    assert person is not None
    service.ensure_insured(db, person)
    j = jdatetime.date.fromgregorian(date=clock.today())
    year, month = (j.year, j.month - 1) if j.month > 1 else (j.year - 1, 12)
    rows: list[dict[str, Any]] = []
    for _ in range(years * 12):
        days = month_length(year, month)
        rows.append({"national_code": person.national_code, "workshop_id": workshop.id, "report_id": None,
                     "year": year, "month": month, "days": days, "wage": wage, **service.split_for(wage, days)})
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    db.execute(insert(Contribution), rows)


def arrange(db: Session) -> dict[str, Any]:
    """SSO (with a Tehran office), the civil registry, two employers with a workshop each and these people:

    ``retiree`` (man, 62, 25 years), ``young`` (woman, 35, 10 years), ``outsider`` (not insured),
    an SSO ``official`` of the Tehran office, a civil-registry official ``stranger``, and employers
    ``boss`` (workshop in Tehran) and ``rival`` (in Fars). The people live in Tehran: their cases,
    and the Tehran workshop's wage reports, go to the Tehran office (``services/routing.py``).
    """
    create_agency(db, "sso")
    create_agency(db, "sso-thr", parent="sso", province="Tehran")
    create_agency(db, "nocr")
    exchange_registry(db)
    emp_a, emp_b = create_employer(db, "emp-a"), create_employer(db, "emp-b")
    shop_a = service.create_workshop(db, emp_a, code="2000001", name_fa="کارگاه الف", name_en="Workshop A",
                                     province="Tehran")
    shop_b = service.create_workshop(db, emp_b, code="2000002", name_fa="کارگاه ب", name_en="Workshop B",
                                     province="Fars")
    today = clock.today()
    accounts = {
        "retiree": create_account(db, "retiree", birth_date=today.replace(year=today.year - 62) - dt.timedelta(days=40),
                                  gender="m", first_name_fa="حسین", first_name_en="Hossein", province="Tehran"),
        "young": create_account(db, "young", birth_date=today.replace(year=today.year - 35), gender="f",
                                province="Tehran"),
        "outsider": create_account(db, "outsider", province="Tehran"),
        "official": create_account(db, "official1", Role.OFFICIAL, organization="sso-thr"),
        "stranger": create_account(db, "official2", Role.OFFICIAL, organization="nocr"),
        "boss": create_account(db, "boss", Role.EMPLOYER, organization="emp-a"),
        "rival": create_account(db, "rival", Role.EMPLOYER, organization="emp-b"),
    }
    give_record(db, accounts["retiree"], shop_a, 25)
    give_record(db, accounts["young"], shop_b, 10)
    sync_bundled_definitions(db)
    db.flush()
    return {**accounts, "shop_a": shop_a, "shop_b": shop_b}


def wage_csv(codes: list[str], *, wage: int = WAGE, days: int = 30, extra: str = "") -> bytes:
    lines = ["national_code,first_name,last_name,start_date,days_worked,monthly_wage"]
    lines += [f"{c},علی,رضایی,1400/01/01,{days},{wage}" for c in codes]
    return ("\n".join(lines) + "\n" + extra).encode()


def codes(n: int, start: int = 300_000_000) -> list[str]:
    return [nationalcode.make(f"{start + i:09d}") for i in range(n)]


def last_month() -> tuple[int, int]:
    j = jdatetime.date.fromgregorian(date=clock.today())
    return (j.year, j.month - 1) if j.month > 1 else (j.year - 1, 12)
