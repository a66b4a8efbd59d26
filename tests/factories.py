"""Factories with keyword defaults that build test data through the services, like users would."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pyotp
from sqlalchemy.orm import Session

from smartgov.identity import nationalcode, service
from smartgov.identity.models import Account, Organization, OrgKind, Person, Role

PASSWORD = "Strong-pass-2024"
_seq = itertools.count(100)


def national_code() -> str:
    return nationalcode.make(f"{next(_seq):09d}")


def create_agency(db: Session, code: str = "agency-a", parent: str | None = None, **kw: Any) -> Organization:
    return service.create_organization(db, code=code, kind=OrgKind.AGENCY, name_fa=kw.get("name_fa", "سازمان " + code),
                                       name_en=kw.get("name_en", "Agency " + code), parent_code=parent)


def create_employer(db: Session, code: str = "employer-a", registration_number: str | None = None) -> Organization:
    return service.create_organization(db, code=code, kind=OrgKind.EMPLOYER, name_fa="کارفرما " + code,
                                       name_en="Employer " + code,
                                       registration_number=registration_number or str(next(_seq)).zfill(11))


def create_person(db: Session, **kw: Any) -> Person:
    defaults: dict[str, Any] = dict(
        national_code=national_code(), first_name_fa="مریم", last_name_fa="احمدی", first_name_en="Maryam",
        last_name_en="Ahmadi", birth_date=dt.date(1985, 3, 21), phone="09121234567", email=None,
    )
    defaults.update(kw)
    return service.create_person(db, **defaults)


def create_account(db: Session, username: str = "citizen1", role: Role = Role.CITIZEN,
                   organization: str | None = None, password: str = PASSWORD, email: str | None = None,
                   mfa: bool = True, **person_kw: Any) -> Account:
    """An account with a person; staff that need MFA get it enrolled (``mfa=False`` to skip)."""
    person = create_person(db, email=email or f"{username}@example.ir", **person_kw)
    account = service.create_account(db, username=username, password=password, role=role,
                                     organization_code=organization, person=person)
    if mfa and account.needs_mfa:
        account.mfa_secret = pyotp.random_base32()
        account.mfa_enabled = True
    db.flush()
    return account


def page_login(client: Any, account: Account, next_url: str = "/") -> None:
    """Sign in through the login page, with the TOTP step for staff (at the test clock's time)."""
    from smartgov import clock

    r = client.post("/login", data={"username": account.username, "password": PASSWORD, "next": next_url,
                                    "csrf_token": csrf_of(client.get("/login").text)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    if "/mfa/verify" in r.headers["location"]:
        page = client.get(r.headers["location"]).text
        r = client.post("/mfa/verify", data={"code": pyotp.TOTP(account.mfa_secret).at(clock.now()), "next": next_url,
                                             "csrf_token": csrf_of(page)}, follow_redirects=False)
        assert r.status_code == 303, r.text


def totp(account: Account) -> str:
    assert account.mfa_secret
    return pyotp.TOTP(account.mfa_secret).now()


def api_token(client: Any, account: Account, scopes: list[str] | None = None, password: str = PASSWORD) -> str:
    """Log in through the API and return a bearer token."""
    body: dict[str, Any] = {"username": account.username, "password": password, "scopes": scopes or ["read", "write"]}
    if account.mfa_enabled:
        body["otp"] = totp(account)
    r = client.post("/api/v1/identity/tokens", json=body)
    assert r.status_code == 201, r.text
    return r.json()["token"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sent_mail(data_dir: Any) -> list[tuple[str, str, str]]:
    """(to, subject, body) of every e-mail the folder sink wrote, oldest first."""
    from email import message_from_bytes
    from email.policy import default
    from pathlib import Path

    out = []
    for path in sorted(Path(data_dir, "mail").glob("*.eml"), key=lambda p: int(p.stem.split("-")[1])):
        msg = message_from_bytes(path.read_bytes(), policy=default)
        out.append((str(msg["To"]), str(msg["Subject"]), msg.get_content()))  # type: ignore[union-attr]
    return out


def csrf_of(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without CSRF token"
    return match.group(1)
