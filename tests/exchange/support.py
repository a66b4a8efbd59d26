"""Helpers for exchange tests: a small registry, hand-made envelopes, a live server in a thread."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyotp
import uvicorn
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.exchange import envelope as env
from smartgov.exchange import providers, service
from smartgov.exchange.models import ExchangeService, ExchangeSubsystem
from tests.factories import PASSWORD, create_agency, csrf_of

PURPOSES = [("pension-claim", "مستمری", "Pension claim"), ("tax-assessment", "مالیات", "Tax assessment")]


@dataclass
class Registry:
    client: ExchangeSubsystem
    provider: ExchangeSubsystem
    service: ExchangeService


def member(db: Session, code: str, subsystems: list[str], *, instance: str = "IR", agency: bool = True) -> Any:
    if agency:
        create_agency(db, code)
    m = service.create_member(db, instance=instance, member_class="GOV", member_code=code, name_fa="عضو " + code,
                              name_en="Member " + code, organization_code=code if agency else None)
    for sub in subsystems:
        service.create_subsystem(db, m, sub)
    return m


def purposes(db: Session) -> None:
    for code, fa, en in PURPOSES:
        service.ensure_purpose(db, code, fa, en)


def registry(db: Session) -> Registry:
    """SSO's pension subsystem may ask the civil registry's person-status for pension claims."""
    purposes(db)
    member(db, "sso", ["pension"])
    member(db, "nocr", ["registry"])
    client = service.subsystem(db, "IR/GOV/sso/pension")
    provider = service.subsystem(db, "IR/GOV/nocr/registry")
    svc = service.create_service(db, provider, code="person-status", name_fa="وضعیت شخص", name_en="Person status",
                                 response_schema=providers.PERSON_STATUS_SCHEMA)
    service.grant_access(db, client, svc, legal_basis_fa="قانون", legal_basis_en="The law",
                         purposes=["pension-claim"])
    return Registry(client=client, provider=provider, service=svc)


def request(db: Session, client: ExchangeSubsystem, svc: ExchangeService, person: str, *,
            purpose: str = "pension-claim", issued_at: dt.datetime | None = None, ttl: dt.timedelta | None = None,
            message_id: uuid.UUID | None = None, client_address: env.ClientAddress | None = None,
            private: tuple[str, bytes] | None = None) -> dict[str, Any]:
    """A signed request envelope made by hand, so tests can break any part of it."""
    issued = issued_at or clock.now()
    envelope = env.Envelope(kind="request", message_id=message_id or uuid.uuid4(),
                            client=client_address or service.client_address(client),
                            service=service.service_address(svc), purpose=purpose, person=person, issued_at=issued,
                            expires_at=issued + (ttl or dt.timedelta(minutes=2)), body={})
    kid, key = private or service.signing_key(db, client)
    return env.sign(envelope, key, kid)



def login(client: Any, account: Any, next_url: str = "/account") -> None:
    """Sign in through the pages (with TOTP for staff)."""
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": account.username, "password": PASSWORD, "csrf_token": token,
                                    "next": next_url}, follow_redirects=False)
    assert r.status_code == 303, r.text
    if "/mfa/verify" in r.headers["location"]:
        token = csrf_of(client.get(r.headers["location"]).text)
        # the next time step, so a code already used for an API token in this step does not collide
        code = pyotp.TOTP(account.mfa_secret).at(clock.now() + dt.timedelta(seconds=30))
        r = client.post("/mfa/verify", data={"code": code, "csrf_token": token, "next": next_url},
                        follow_redirects=False)
        assert r.status_code == 303, r.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with Uvicorn in a thread on a free loopback port."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:  # waiting for a server thread to bind, not for application time
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
