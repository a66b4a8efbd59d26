"""One throttle for every check of a secret: password, TOTP, reset link, proof code, API token,
a document's verification code.

Each entry point calls the same three functions around its check::

    throttle.refuse_if_throttled(db, "totp", username, ip)  # 429 before the secret is even looked at
    ... check the secret ...
    throttle.failed(db, "totp", username, ip)           # recorded and committed, then refuse
    throttle.succeeded(db, "totp", username, ip)        # only once every factor has passed

Failures are counted per account (by username, known or not, so that a name that does not exist
is throttled exactly like one that does) and per IP, over ``login_window_minutes``; at
``login_max_failures`` either count refuses. A success starts its own account's count again and
nothing else: never another account's, never the IP's (signing in to one's own account between
guesses must not buy more guesses at someone else's). A secret that names no account (a bad
token, a bad reset link) counts against the IP only.

API tokens are 256 random bits, so guessing one is hopeless; what the throttle stops there is a
flood. A token is therefore looked up first and only a miss consults the throttle (429 instead of
401 past the limit, then the miss is recorded): a throttle query before every lookup would add a
statement to every API request, the status read and the submission included.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity.events import (
    DOCUMENT_CODE_FAILED,
    LOGIN_FAILED,
    LOGIN_THROTTLED,
    MFA_FAILED,
    PROOF_CODE_FAILED,
    RESET_LINK_FAILED,
    TOKEN_FAILED,
)
from smartgov.identity.models import LoginAttempt
from smartgov.settings import get_settings

#: Which secret an attempt checked, and the event a failure of it is published as.
KINDS: dict[str, str] = {
    "password": LOGIN_FAILED,
    "totp": MFA_FAILED,
    "reset": RESET_LINK_FAILED,
    "proof_code": PROOF_CODE_FAILED,
    "token": TOKEN_FAILED,
    "document_code": DOCUMENT_CODE_FAILED,  # the code printed on a signed document (services)
}


class Throttled(DomainError):
    """Too many failures for this account or this IP: 429 with ``Retry-After`` (seconds)."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("throttled", N_("Too many failed attempts. Wait {minutes} minutes and try again."),
                         minutes=max(1, math.ceil(retry_after / 60)))
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


def _limit_reached(db: Session, where: ColumnElement[bool], since: dt.datetime) -> dt.datetime | None:
    """The failure whose expiry lifts the refusal (the limit-th newest since ``since``), if the limit is reached."""
    limit = get_settings().login_max_failures
    return db.scalar(select(LoginAttempt.at).where(where, LoginAttempt.success.is_(False), LoginAttempt.at > since)
                     .order_by(LoginAttempt.at.desc()).offset(limit - 1).limit(1))


def retry_after(db: Session, username: str | None, ip: str) -> int | None:
    """Seconds until this account and IP may try again; ``None`` if they may now."""
    now = clock.now()
    window = dt.timedelta(minutes=get_settings().login_window_minutes)
    since = now - window
    blocking = [_limit_reached(db, LoginAttempt.ip == ip, since)]
    if username:
        last_success = db.scalar(select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.success.is_(True)))
        floor = max(since, last_success) if last_success else since
        blocking.append(_limit_reached(db, LoginAttempt.username == username, floor))
    found = [at for at in blocking if at is not None]
    if not found:
        return None
    return max(1, math.ceil(max((at + window - now).total_seconds() for at in found)))


def refuse_if_throttled(db: Session, kind: str, username: str | None, ip: str) -> None:
    """Raise :class:`Throttled` while this account or this IP has too many recent failures.

    The refusal is published and committed (the request itself is then rolled back).
    """
    wait = retry_after(db, username, ip)
    if wait is not None:
        events.publish(db, LOGIN_THROTTLED, username=username, ip=ip, kind=kind)
        db.commit()
        raise Throttled(wait)


def failed(db: Session, kind: str, username: str | None, ip: str) -> None:
    """Record a failed check and commit it at once: the refusal that follows rolls the request back,
    and the failure must count all the same. The one commit outside a handler, for that reason."""
    db.add(LoginAttempt(username=username, ip=ip, kind=kind, success=False, at=clock.now()))
    events.publish(db, KINDS[kind], username=username, ip=ip)
    db.commit()


def succeeded(db: Session, kind: str, username: str, ip: str) -> None:
    """Record a passed check (in the caller's transaction); its account's count starts again."""
    db.add(LoginAttempt(username=username, ip=ip, kind=kind, success=True, at=clock.now()))
