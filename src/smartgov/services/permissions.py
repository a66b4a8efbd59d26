"""Named authorization checks of the e-services engine: who may do what to which case.

Checks return ``True``/``False``; the edge turns ``False`` into 403 with
``smartgov.identity.require``, except that a case the caller may not see answers 404 (its
existence is not revealed). Workflow roles are checked by the engine itself.

Least privilege for staff, one rule everywhere (queues, case lists, case pages, claims,
decisions, files, documents, statistics): a case is worked in the branch it was routed to
(``Application.branch_id``, see ``routing.py``). An official works the cases of the branch they
hold the role in, and no other; a supervisor (an agency admin) the cases of every branch in the
subtree of theirs. Platform admins and auditors read every case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.identity import (
    OrganizationRef,
    OrganizationView,
    OrgKind,
    Principal,
    Role,
    acts_for_agency,
    can_use_personal_records,
    can_write,
    is_platform_admin,
    token_live,
)

from .models import Application, IssuedDocument, StoredFile

#: Staff who work cases: officials in their branch, supervisors in their subtree.
STAFF_ROLES = (Role.OFFICIAL, Role.AGENCY_ADMIN)
#: Staff who see and act on the cases of every branch below theirs, and transfer cases between them.
SUPERVISOR_ROLES = (Role.AGENCY_ADMIN,)


def can_see_all(principal: Principal) -> bool:
    """Platform admins and auditors read every case (they do not work cases)."""
    return principal.has_role(Role.PLATFORM_ADMIN) or principal.has_role(Role.AUDITOR)


def _agencies(db: Session, principal: Principal, *roles: Role) -> list[OrganizationView]:
    found = identity.organization_views(db, principal.org_ids(*roles)).values()
    return [org for org in found if org.kind == OrgKind.AGENCY]


def case_branch_ids(db: Session, principal: Principal) -> set[int]:
    """The branches whose cases the caller works: an official's own, every one below a supervisor's."""
    return {org.id for org in _agencies(db, principal, Role.OFFICIAL)} | supervised_branch_ids(db, principal)


def branch_scope(db: Session, principal: Principal) -> set[int] | None:
    """What lists and statistics show the caller: ``None`` (every case) for platform admins and
    auditors, else the cases of :func:`case_branch_ids`."""
    return None if can_see_all(principal) else case_branch_ids(db, principal)


def supervised_branch_ids(db: Session, principal: Principal) -> set[int]:
    """The branches a supervisor oversees (their own and every one below): where they may transfer cases."""
    ids: set[int] = set()
    for org in _agencies(db, principal, *SUPERVISOR_ROLES):
        ids |= identity.agency_subtree(db, org.id)
    return ids


def works_on(db: Session, principal: Principal, app: Application) -> bool:
    """Whether the caller works this case: an official of its branch, or a supervisor above it."""
    return app.branch_id is not None and app.branch_id in case_branch_ids(db, principal)


def token_allows(row: Any, now: dt.datetime, *, scope: str | None = None) -> bool:
    """The one token check of the hot paths (``status.own_case``, ``intake.read``), for a token read as
    plain columns (``revoked_at``, ``expires_at``, ``is_active``, ``proven_at`` and, with ``scope``,
    ``scopes``): live, its account has proven its person, and it holds ``scope``. ``False`` sends
    the request to the session's path, which answers the 401 or 403."""
    return (token_live(row.revoked_at, row.expires_at, row.is_active, now) and can_use_personal_records(row)
            and (scope is None or scope in (row.scopes or ())))


def can_view_application(db: Session, principal: Principal, app: Application) -> bool:
    """The applicant, the staff who work the case's branch, platform admins and auditors."""
    return app.applicant_id == principal.id or can_see_all(principal) or works_on(db, principal, app)


def can_act_as_applicant(principal: Principal, app: Application) -> bool:
    """Withdraw, answer, pay, rate: only the applicant, with a token that may write."""
    return app.applicant_id == principal.id and can_write(principal)


def can_work_case(db: Session, principal: Principal, app: Application) -> bool:
    """Decide, request information, claim, assign: staff of the case's branch, never on their own case."""
    return (can_write(principal) and app.applicant_id != principal.id
            and bool(principal.roles & set(STAFF_ROLES)) and works_on(db, principal, app))


def can_transfer_case(db: Session, principal: Principal, app: Application, branch: OrganizationRef) -> bool:
    """Move a case to another branch: a supervisor over both branches, never on their own case."""
    supervised = supervised_branch_ids(db, principal)
    return (can_write(principal) and app.applicant_id != principal.id and app.branch_id in supervised
            and branch.id in supervised)


def can_use_inbox(principal: Principal) -> bool:
    return bool(principal.roles & {Role.OFFICIAL, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN, Role.AUDITOR})


def can_publish_definition(db: Session, principal: Principal, agency: OrganizationRef) -> bool:
    """Agency admins publish their agency's services (or a sub-agency's); platform admins any."""
    if not can_write(principal):
        return False
    return is_platform_admin(principal) or acts_for_agency(db, principal, agency, Role.AGENCY_ADMIN)


def can_manage_keys(db: Session, principal: Principal, agency: OrganizationRef) -> bool:
    return can_publish_definition(db, principal, agency)


def can_download_file(db: Session, principal: Principal, file: StoredFile, app: Application | None) -> bool:
    """The uploader, and the staff of the case's branch (platform admins and auditors: every case's)."""
    if file.owner_id == principal.id:
        return True
    return app is not None and (works_on(db, principal, app) or can_see_all(principal))


def can_read_document(db: Session, principal: Principal | None, doc: IssuedDocument) -> bool:
    """The whole content of a signed document, on the public verify page without its code: who may see the case."""
    app = db.get(Application, doc.application_id)
    return principal is not None and app is not None and can_view_application(db, principal, app)


def can_view_reconciliation(principal: Principal) -> bool:
    return bool(principal.roles & {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN, Role.AUDITOR})


def can_design_definition(db: Session, principal: Principal, agency: OrganizationRef) -> bool:
    """The service designer: agency admins of the owning agency (or an agency above it), platform admins."""
    return can_publish_definition(db, principal, agency)
