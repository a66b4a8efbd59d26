"""An account proves its person: a one-time code sent by SMS to the mobile number the population
registry holds for the national code, or an official who checks the national card.

A national code and a birth date are easy to learn, so registering with them links an account
to its person without letting it see that person's records (``permissions.can_use_personal_records``).
The registry's number is asked for through the exchange (service :data:`REGISTRY_SERVICE`,
purpose :data:`PURPOSE`, from the subsystem ``settings.proof_registry_client``), so the read is
signed, logged and shown in the person's "who read my data" — a stranger's attempt included.
The code goes out through the outbox (``queue_sms``) with the code itself sealed; only an HMAC
of it is stored, keyed by the platform secret (six digits alone would fall to a table scan).
Wrong codes are throttled with every other secret (``identity.throttle``).

Functions take a Session and never commit (except the throttle's record of a failure).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.digits import to_latin_digits
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import service, throttle
from smartgov.identity.events import PROOF_CODE_SENT
from smartgov.identity.models import OFFICIAL_PROOF_METHODS, Account, ProofCode
from smartgov.identity.service import Principal
from smartgov.notifications import MessageTemplate, queue_sms, register_template
from smartgov.settings import get_settings

#: The exchange service answering ``{"national_code", "mobile"}`` from the population registry.
REGISTRY_SERVICE = "person-mobile"
#: The purpose the registry is asked under (an access right must allow it).
PURPOSE = "identity-proof"
CODE_DIGITS = 6

register_template(MessageTemplate(
    key="identity.proof_code",
    subject_fa="کد تأیید", subject_en="Confirmation code",
    body_fa="کد تأیید دولت هوشمند: {code}\nاین کد را به هیچ‌کس ندهید؛ تا {minutes} دقیقه معتبر است.",
    body_en="smartgov confirmation code: {code}\nDo not give it to anyone; it is valid for {minutes} minutes.",
    title_fa="کد تأیید شخص", title_en="Proof of person code", mandatory=True,
    examples={"code": "123456", "minutes": 10},
))


class ResendLimited(DomainError):
    """Too many codes for this person, or too soon after the last one: 429 with ``Retry-After``."""

    status = 429

    def __init__(self, message: str, retry_after: int, **params: object) -> None:
        super().__init__("proof_code_limit", message, minutes=max(1, math.ceil(retry_after / 60)), **params)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Pending:
    """The code waiting to be typed: where it went, until when it works, when another may be asked for."""

    mobile_masked: str
    expires_at: dt.datetime
    resend_at: dt.datetime


def mask_mobile(mobile: str) -> str:
    """``09121234567`` → ``0912•••••67``: enough for the holder to recognise, too little to use."""
    return mobile[:4] + "•" * max(0, len(mobile) - 6) + mobile[-2:]


def _code_hash(account_id: int, code: str) -> str:
    secret = get_settings().secret_key.get_secret_value().encode()
    key = hmac.new(secret, b"identity.proof-code", hashlib.sha256).digest()
    return hmac.new(key, f"{account_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _live(db: Session, account: Account) -> ProofCode | None:
    return db.scalar(select(ProofCode).where(
        ProofCode.account_id == account.id, ProofCode.used_at.is_(None), ProofCode.replaced_at.is_(None),
        ProofCode.expires_at > clock.now()).order_by(ProofCode.id.desc()).limit(1))


def pending(db: Session, account: Account) -> Pending | None:
    """The live code of ``account``, if one was sent and still works."""
    code = _live(db, account)
    if code is None:
        return None
    resend = dt.timedelta(seconds=get_settings().proof_code_resend_seconds)
    return Pending(code.mobile_masked, code.expires_at, code.created_at + resend)


def _check_resend(db: Session, person_id: int) -> None:
    """At most ``proof_codes_per_day`` codes a day per person, ``proof_code_resend_seconds`` apart.

    Counted per person, not per account: several accounts claiming one person must not flood
    that person's phone.
    """
    s = get_settings()
    now = clock.now()
    day = now - dt.timedelta(hours=24)
    last = db.scalar(select(func.max(ProofCode.created_at)).where(ProofCode.person_id == person_id))
    if last is not None and now < last + dt.timedelta(seconds=s.proof_code_resend_seconds):
        wait = math.ceil((last + dt.timedelta(seconds=s.proof_code_resend_seconds) - now).total_seconds())
        raise ResendLimited(N_("A code was sent a moment ago. You can ask for another in {seconds} seconds."),
                            max(1, wait), seconds=max(1, wait))
    oldest = db.scalar(select(ProofCode.created_at).where(ProofCode.person_id == person_id, ProofCode.created_at > day)
                       .order_by(ProofCode.created_at.desc()).offset(s.proof_codes_per_day - 1).limit(1))
    if oldest is not None:
        wait = math.ceil((oldest + dt.timedelta(hours=24) - now).total_seconds())
        raise ResendLimited(N_("Too many codes were sent for you today. Try again in {minutes} minutes, or "
                               "prove it in person at any office."), max(1, wait))


#: How the population registry is asked: ``(db, client, service, national_code, purpose, actor_account_id=…)``
#: answering with ``ok``, ``data`` and ``reason`` (``exchange.fetch``). The exchange builds on identity,
#: so it installs itself here (``install_registry_reader``) instead of identity importing it.
RegistryReader = Callable[..., Any]
_registry_reader: RegistryReader | None = None


def install_registry_reader(reader: RegistryReader) -> None:
    """Ask the population registry through ``reader`` (the exchange calls this when it is loaded)."""
    global _registry_reader
    _registry_reader = reader


def registry_mobile(db: Session, account: Account) -> str:
    """The mobile number the population registry holds for the account's person, asked through the exchange."""
    assert account.person is not None
    unreachable = DomainError("registry_unavailable", N_(
        "We could not reach the population registry just now. Try again later, or prove it in person at any "
        "office."), status=503)
    if _registry_reader is None:  # no exchange in this deployment
        raise unreachable
    try:
        result = _registry_reader(db, get_settings().proof_registry_client, REGISTRY_SERVICE,
                                  account.person.national_code, PURPOSE, actor_account_id=account.id)
    except DomainError:  # the platform's own subsystem is not configured
        raise unreachable from None
    mobile = result.data.get("mobile") if result.ok and result.data else None
    if result.ok and mobile:
        return str(mobile)
    if result.ok or result.reason == "not_found":
        raise Conflict("no_registry_mobile", N_(
            "The population registry holds no mobile number for your national code, so we cannot send you a "
            "code. Prove it in person: bring your national card to any office."))
    raise unreachable


def send_code(db: Session, account: Account) -> Pending:
    """Send a new code to the registry's mobile number of the account's person; older codes stop working.

    A refusal after the registry was asked leaves only the exchange's record of that read (its
    message log, the person's "who read my data"): callers commit it anyway, the read happened.
    """
    if account.proven_at is not None:
        raise Conflict("already_proven", N_("This account has already proven its person."))
    if account.person is None:
        raise DomainError("no_person", N_("This account is not linked to a person."), status=403)
    _check_resend(db, account.person.id)
    mobile = registry_mobile(db, account)
    s = get_settings()
    now = clock.now()
    db.execute(update(ProofCode).where(ProofCode.account_id == account.id, ProofCode.used_at.is_(None),
                                       ProofCode.replaced_at.is_(None)).values(replaced_at=now))
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    row = ProofCode(account_id=account.id, person_id=account.person.id, code_hash=_code_hash(account.id, code),
                    mobile_masked=mask_mobile(mobile), created_at=now,
                    expires_at=now + dt.timedelta(minutes=s.proof_code_minutes))
    db.add(row)
    queue_sms(db, to=mobile, template="identity.proof_code", lang=account.language, account_id=account.id,
              context={"minutes": s.proof_code_minutes}, secret={"code": code})
    events.publish(db, PROOF_CODE_SENT, actor_id=account.id, account_id=account.id)
    return Pending(row.mobile_masked, row.expires_at, now + dt.timedelta(seconds=s.proof_code_resend_seconds))


def confirm_code(db: Session, account: Account, code: str, ip: str) -> Account:
    """Prove the person with the code typed; a wrong one counts against the account and the IP."""
    if account.proven_at is not None:
        return account
    throttle.refuse_if_throttled(db, "proof_code", account.username, ip)
    live = _live(db, account)
    typed = to_latin_digits(code).strip().replace(" ", "")
    if live is None or not hmac.compare_digest(live.code_hash, _code_hash(account.id, typed)):
        throttle.failed(db, "proof_code", account.username, ip)
        raise DomainError("bad_proof_code", N_("The code is wrong or has expired. Type the latest code we sent, "
                                               "or ask for a new one."), field="code", status=422)
    live.used_at = clock.now()
    throttle.succeeded(db, "proof_code", account.username, ip)
    return service.prove(db, account, "sms", actor_id=None)


def prove_in_person(db: Session, official: Principal, national_code: str, username: str, method: str) -> Account:
    """An official records that they checked the national card of the holder of ``username``."""
    if method not in OFFICIAL_PROOF_METHODS:
        raise DomainError("invalid_method", N_("Choose one of the allowed values."), field="method")
    person = service.person_by_code(db, service.check_national_code(national_code))
    if person is None:
        raise NotFound("person", field="national_code")
    account = db.scalar(select(Account).where(Account.username == username.strip().lower()))
    if account is None or account.person_id != person.id:
        raise DomainError("account_not_of_person", N_("No account with this username belongs to this person."),
                          field="username")
    return service.prove(db, account, method, actor_id=official.id)
