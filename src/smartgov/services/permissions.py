"""Named authorization checks of the e-services engine: who may do what to which case.

Checks return ``True``/``False``; the edge turns ``False`` into 403 with
``smartgov.identity.require``, except that a case the caller may not see answers 404 (its
existence is not revealed). Workflow roles are checked by the engine itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from smartgov.identity import (
    Organization,
    Principal,
    Role,
    acts_for_agency,
    can_use_personal_records,
    can_write,
    is_platform_admin,
)
from smartgov.identity.service import token_live

from . import service
from .models import Application, IssuedDocument, StoredFile


def token_allows(row: Any, now: dt.datetime, *, scope: str | None = None) -> bool:
    """The one token check of the hot paths (``status.own_case``, ``intake.read``), for a token read as
    plain columns (``revoked_at``, ``expires_at``, ``is_active``, ``proven_at`` and, with ``scope``,
    ``scopes``): live, its account has proven its person, and it holds ``scope``. ``False`` sends
    the request to the session's path, which answers the 401 or 403."""
    return (token_live(row.revoked_at, row.expires_at, row.is_active, now) and can_use_personal_records(row)
            and (scope is None or scope in (row.scopes or ())))


def can_view_application(db: Session, principal: Principal, app: Application) -> bool:
    """The applicant, officials of the case's agencies, platform admins and auditors."""
    return (app.applicant_id == principal.id or service.can_see_all(principal)
            or service.works_on(db, principal, app))


def can_act_as_applicant(principal: Principal, app: Application) -> bool:
    """Withdraw, answer, pay, rate: only the applicant, with a token that may write."""
    return app.applicant_id == principal.id and can_write(principal)


def can_work_case(db: Session, principal: Principal, app: Application) -> bool:
    """Decide, request information, assign: officials of the case's agencies, never on their own case."""
    return (can_write(principal) and app.applicant_id != principal.id
            and bool(principal.roles & set(service.STAFF_ROLES)) and service.works_on(db, principal, app))


def can_use_inbox(principal: Principal) -> bool:
    return bool(principal.roles & {Role.OFFICIAL, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN, Role.AUDITOR})


def can_publish_definition(db: Session, principal: Principal, agency: Organization) -> bool:
    """Agency admins publish their agency's services (or a sub-agency's); platform admins any."""
    if not can_write(principal):
        return False
    return is_platform_admin(principal) or acts_for_agency(db, principal, agency, Role.AGENCY_ADMIN)


def can_manage_keys(db: Session, principal: Principal, agency: Organization) -> bool:
    return can_publish_definition(db, principal, agency)


def can_download_file(db: Session, principal: Principal, file: StoredFile, app: Application | None) -> bool:
    """The uploader, and officials of the agency that owns the case the file belongs to."""
    if file.owner_id == principal.id:
        return True
    return app is not None and (service.works_on(db, principal, app) or service.can_see_all(principal))


def can_read_document(db: Session, principal: Principal | None, doc: IssuedDocument) -> bool:
    """The whole content of a signed document, on the public verify page without its code: who may see the case."""
    app = db.get(Application, doc.application_id)
    return principal is not None and app is not None and can_view_application(db, principal, app)


def can_view_reconciliation(principal: Principal) -> bool:
    return bool(principal.roles & {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN, Role.AUDITOR})
