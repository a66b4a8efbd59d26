"""Arrangements shared by the engine's DB tests: the agency tree, accounts and answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from smartgov.identity import Principal, Role
from smartgov.identity.models import Account
from smartgov.services import sync_bundled_definitions
from tests.factories import create_account, create_agency


def arrange(db: Session) -> dict[str, Account]:
    """SSO with two provincial branches (Tehran, Isfahan), an unrelated agency, citizens of both
    provinces, the officials of each branch and of the other agency, and SSO's agency admin (the
    supervisor of both branches). Address changes are routed by the applicant's province."""
    create_agency(db, "sso")
    create_agency(db, "sso-thr", parent="sso", province="Tehran")
    create_agency(db, "sso-isf", parent="sso", province="Isfahan")
    create_agency(db, "nocr")
    accounts = {
        "citizen": create_account(db, "citizen1", birth_date=dt.date(1985, 3, 21), province="Tehran"),
        "other": create_account(db, "citizen2", birth_date=dt.date(1990, 1, 1), province="Tehran"),
        "official": create_account(db, "official1", Role.OFFICIAL, organization="sso-thr"),
        "stranger": create_account(db, "official2", Role.OFFICIAL, organization="nocr"),
        "admin": create_account(db, "ssoadmin", Role.AGENCY_ADMIN, organization="sso"),
        "citizen_isf": create_account(db, "citizen-isf", birth_date=dt.date(1988, 6, 1), province="Isfahan"),
        "official_isf": create_account(db, "official-isf", Role.OFFICIAL, organization="sso-isf"),
    }
    sync_bundled_definitions(db)
    db.flush()
    return accounts


def principal(account: Account) -> Principal:
    return Principal(account=account)


def address_answers(account: Account, *, owns_home: bool = True, **kw: Any) -> dict[str, Any]:
    assert account.person is not None
    answers: dict[str, Any] = {
        "national_code": account.person.national_code, "province": "tehran", "city": "تهران",
        "address": "خیابان آزادی، کوچهٔ یکم، پلاک ۱۲", "postal_code": "۱۲۳۴۵۶۷۸۹۰", "moved_on": "1403/05/12",
        "owns_home": owns_home, "household_moved": False,
    }
    answers.update(kw)
    return answers


PDF = b"%PDF-1.4\n% a tiny test file\n%%EOF\n"


def upload(db: Session, account: Account, name: str = "bill.pdf", data: bytes = PDF,
           mime: str = "application/pdf") -> dict[str, Any]:
    from smartgov.services import service

    return service.file_meta(service.store_upload(db, account, name=name, mime=mime, data=data))
