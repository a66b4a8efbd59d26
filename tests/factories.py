"""Factories with keyword defaults that build test data through the services, like users would."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading
from typing import Any

import pyotp
from sqlalchemy.orm import Session

from smartgov.identity import nationalcode, service
from smartgov.identity.models import Account, Organization, OrgKind, Person, Role


def in_a_loop_of_its_own(run: Any) -> Any:
    """``asyncio.run(run())`` on a thread of its own (the browser tests leave a loop running on this one)."""
    found: list[Any] = []
    thread = threading.Thread(target=lambda: found.append(asyncio.run(run())))
    thread.start()
    thread.join(timeout=60)
    assert found, "the coroutine did not finish"
    return found[0]


PASSWORD = "Strong-pass-2024"
_seq = itertools.count(100)


def national_code() -> str:
    return nationalcode.make(f"{next(_seq):09d}")


def create_agency(db: Session, code: str = "agency-a", parent: str | None = None, **kw: Any) -> Organization:
    return service.create_organization(db, code=code, kind=OrgKind.AGENCY, name_fa=kw.get("name_fa", "سازمان " + code),
                                       name_en=kw.get("name_en", "Agency " + code), parent_code=parent,
                                       province=kw.get("province"))


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
                   mfa: bool = True, proven: bool = True, **person_kw: Any) -> Account:
    """An account with a person; staff that need MFA get it enrolled (``mfa=False`` to skip).

    Proven by default, as an administrator's account is, so tests keep their meaning;
    ``proven=False`` gives one that has yet to prove its person (a fresh self-registration).
    """
    person = create_person(db, email=email or f"{username}@example.ir", **person_kw)
    account = service.create_account(db, username=username, password=password, role=role,
                                     organization_code=organization, person=person,
                                     proof="admin" if proven else None)
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


def population_registry(db: Session) -> None:
    """The exchange set up as in the demo for the proof of a person: the civil registry (nocr) offers
    ``person-mobile``, and the platform's identity subsystem (sso) may ask it for that purpose.
    Adds to members and agencies already there (``tests.insurance.support.arrange``)."""
    from sqlalchemy import select

    from smartgov import exchange
    from smartgov.exchange import service as registry
    from smartgov.identity import PROOF_PURPOSE, PROOF_REGISTRY_SERVICE

    subs = {}
    for code, name, sub in (("sso", "Social Security", "identity"), ("nocr", "Civil registration", "registry")):
        if db.scalar(select(Organization.id).where(Organization.code == code)) is None:
            create_agency(db, code)
        member = registry.find_member(db, "IR", "GOV", code) or exchange.create_member(
            db, instance="IR", member_class="GOV", member_code=code, name_fa=name, name_en=name,
            organization_code=code)
        subs[code] = (exchange.find_subsystem(db, f"IR/GOV/{code}/{sub}")
                      or exchange.create_subsystem(db, member, sub))
    exchange.ensure_purpose(db, PROOF_PURPOSE, "احراز شخص", "Proving a person")
    svc = exchange.create_service(db, subs["nocr"], code=PROOF_REGISTRY_SERVICE, name_fa="شمارهٔ همراه",
                                  name_en="Registered mobile", response_schema=exchange.PERSON_MOBILE_SCHEMA)
    exchange.grant_access(db, subs["sso"], svc, legal_basis_fa="مقررات ثبت‌نام", legal_basis_en="Sign-up rules",
                          purposes=[PROOF_PURPOSE])


def sent_sms(database: Any, data_dir: Any) -> list[tuple[str, str]]:
    """Deliver the outbox, then (to, text) of every SMS the file gateway wrote, oldest first."""
    import json
    from pathlib import Path

    from smartgov import events

    events.drain_outbox(database)
    paths = sorted(Path(data_dir, "sms").glob("*.json"), key=lambda p: int(p.stem.split("-")[1]))
    return [(r["to"], r["text"]) for r in (json.loads(p.read_text()) for p in paths)]


def last_proof_code(database: Any, data_dir: Any, to: str) -> str:
    """The code in the latest SMS sent to ``to`` (what the person reads on their phone)."""
    import re

    from smartgov.digits import to_latin_digits

    texts = [text for number, text in sent_sms(database, data_dir) if number == to]
    assert texts, f"no SMS to {to}"
    match = re.search(r"\d{6}", to_latin_digits(texts[-1]))
    assert match, texts[-1]
    return match.group(0)
