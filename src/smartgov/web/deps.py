"""Typed FastAPI dependencies shared by every module: database session and the caller.

``DbSession`` yields one SQLAlchemy session per request; handlers commit explicitly once
their use case is done, so a 2xx always means committed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.db import unsaved_writes
from smartgov.errors import DomainError, Forbidden
from smartgov.i18n import N_
from smartgov.identity import Principal, Role, require_personal_records

SESSION_COOKIE = "sg_session"
log = logging.getLogger("smartgov.web")


def _session_for(request: Request) -> Session:
    """GET and HEAD get a read session (no transaction until the first write, see ``Database.read_sessions``)."""
    database = request.app.state.db
    return database.read_sessions() if request.method in ("GET", "HEAD") else database.sessions()


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request, opened on the event loop: creating one does no I/O.

    Only closing a session that still holds a connection inside a transaction talks to the
    database (the rollback), so only then does it go to the thread pool.
    """
    session = _session_for(request)
    try:
        yield session
    except BaseException:
        session.info.pop("unsaved", None)  # a failed command's writes are rolled back on purpose
        if _caller_expired(request, session):
            await run_in_threadpool(_reload_caller, request, session)
        raise
    finally:
        lost = unsaved_writes(session)
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()
        if lost:
            _report_unsaved(request)


def _caller_expired(request: Request, session: Session) -> bool:
    """Whether the caller's account was expired in ``session`` (a handler rolled back before refusing)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return False
    state = inspect(principal.account)
    return state.session is session and bool(state.expired_attributes)


def _reload_caller(request: Request, session: Session) -> None:
    """Load the caller's account again before the session closes: the refusal is drawn after that.

    A page's refusal (its 404 or 403 page) shows who is signed in, read from the account after
    this session has closed. A handler that rolled back its failed command before raising had
    expired the account, and drawing the page then failed with ``DetachedInstanceError`` (a bare
    500 instead of the refusal). What the failed command wrote is discarded first, as it would be.
    """
    session.rollback()
    session.refresh(request.state.principal.account)  # its roles (grants) are loaded with it


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """``get_db`` for a handler that opens its session itself (an ``async def`` route's slow path)."""
    session = _session_for(request)
    try:
        yield session
    except BaseException:
        session.info.pop("unsaved", None)
        raise
    finally:
        lost = unsaved_writes(session)
        session.close()
        if lost:
            _report_unsaved(request)


DbSession = Annotated[Session, Depends(get_db)]

#: Requests that answered without committing their writes, kept when ``STRICT_UNSAVED`` is set
#: (the tests set it and fail a test that leaves one here).
UNSAVED_REPORTS: list[str] = []
STRICT_UNSAVED = False


def _report_unsaved(request: Request) -> None:
    """A handler answered without committing what it wrote: its writes are about to be rolled back.

    Reported after the answer has gone out, so it is logged (and kept for the tests), not raised.
    """
    message = f"{request.method} {request.url.path} answered without committing its writes; they are rolled back"
    log.error(message)
    if STRICT_UNSAVED:
        UNSAVED_REPORTS.append(message)


class Unauthenticated(DomainError):
    status = 401

    def __init__(self) -> None:
        super().__init__("unauthenticated", N_("Sign in first."))


class MfaPending(DomainError):
    status = 401

    def __init__(self, setup: bool) -> None:
        super().__init__("mfa_required", N_("Complete two-step verification first."))
        self.setup = setup


def client_ip(request: Request) -> str:
    """The caller's address, for throttling (the proxy's forwarded address behind ``--proxy-headers``)."""
    return request.client.host if request.client else "-"


def bearer_token(request: Request) -> str | None:
    """The raw token of ``Authorization: Bearer …``, if the request carries one."""
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


def resolve_principal(request: Request, db: Session) -> Principal | None:
    """The caller from a Bearer token (API) or the session cookie (pages); ``None`` if anonymous.

    Identity answers who it is and stores the credential's use itself; this only reads the request.
    Asked once per request: every page asks it for its header (``app.py``), and again its handler.
    """
    if hasattr(request.state, "resolved_principal"):
        return request.state.resolved_principal  # type: ignore[no-any-return]
    request.state.resolved_principal = found = _resolve_principal(request, db)
    return found


def _resolve_principal(request: Request, db: Session) -> Principal | None:
    raw_token = bearer_token(request)
    if raw_token is not None:
        principal = identity.principal_for_token(db, raw_token, client_ip(request))
        if principal is None:
            raise Unauthenticated()
        request.state.principal = principal
        return principal
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    caller = identity.caller_for_session(db, raw)
    if caller is None:
        return None
    request.state.login_session = caller.session
    if caller.principal is None:
        request.state.pending_account = caller.account
        return None
    request.state.principal = caller.principal
    return caller.principal


def optional_principal(request: Request, db: DbSession) -> Principal | None:
    return resolve_principal(request, db)


def account_principal(request: Request, db: DbSession) -> Principal:
    """The signed-in caller, whether or not the account has proven its person (``AccountPrincipal``)."""
    principal = resolve_principal(request, db)
    if principal is None:
        pending = getattr(request.state, "pending_account", None)
        if pending is not None:
            raise MfaPending(setup=not pending.mfa_enabled)
        raise Unauthenticated()
    # Cookie sessions may only change things through CSRF-checked forms.
    if not principal.via_token and request.method not in ("GET", "HEAD", "OPTIONS") and \
            request.url.path.startswith("/api/"):
        raise Forbidden(N_("Use a personal API token for changes through the API."))
    return principal


def current_principal(request: Request, db: DbSession) -> Principal:
    """The signed-in caller whose account has proven its person (403 ``person_not_proven`` otherwise).

    Every signed-in route gets this unless it says otherwise: personal records are refused by
    default, and the few routes an account uses before the proof (its own settings, the proof
    itself, drafts, participation's first level) take ``AccountPrincipal``.
    """
    principal = account_principal(request, db)
    require_personal_records(principal.account)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
#: Signed in and proven: the default for every signed-in route.
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
#: Signed in, proven or not: browsing, drafts and the account's own settings and proof only.
AccountPrincipal = Annotated[Principal, Depends(account_principal)]


def require_roles(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency refusing callers without any of ``roles`` (403)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not (principal.roles & set(roles)):
            raise Forbidden()
        return principal

    return Depends(check)
