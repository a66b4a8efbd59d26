"""Named authorization checks of the identity module: who may do what to which record.

Each check returns ``True``/``False``; the edge turns ``False`` into 403 with
:func:`require`. Other modules import :class:`Principal` and these helpers from
``smartgov.identity``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov.errors import Forbidden
from smartgov.identity.models import Organization, Role
from smartgov.identity.personal import (  # noqa: F401 - the proof rule belongs with the other checks
    PersonNotProven,
    Proof,
    can_use_personal_records,
    require_personal_records,
)
from smartgov.identity.service import Principal, descendants
from smartgov.identity.views import OrganizationRef


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def can_write(principal: Principal) -> bool:
    """Tokens without the write scope may only read."""
    return "write" in principal.scopes


def is_platform_admin(principal: Principal) -> bool:
    return principal.has_role(Role.PLATFORM_ADMIN)


def acts_for_agency(db: Session, principal: Principal, org: OrganizationRef, *roles: Role) -> bool:
    """True if ``principal`` holds one of ``roles`` in ``org`` or in an agency above it."""
    for org_id in principal.org_ids(*roles):
        if org.id == org_id:
            return True
        parent = db.get(Organization, org_id)
        if parent is not None and org.id in descendants(db, parent):
            return True
    return False


def can_view_agency_staff(db: Session, principal: Principal, org: OrganizationRef) -> bool:
    """Officials and agency admins see their own agency's staff; platform admins and auditors see all."""
    if is_platform_admin(principal) or principal.has_role(Role.AUDITOR):
        return True
    return acts_for_agency(db, principal, org, Role.OFFICIAL, Role.AGENCY_ADMIN)


def can_create_account(db: Session, principal: Principal, role: Role, org: OrganizationRef | None) -> bool:
    """Platform admins create any account; agency admins create officials and admins in their subtree."""
    if not can_write(principal):
        return False
    if is_platform_admin(principal):
        return True
    if role in (Role.OFFICIAL, Role.AGENCY_ADMIN) and org is not None:
        return acts_for_agency(db, principal, org, Role.AGENCY_ADMIN)
    return False


def can_prove_people(principal: Principal) -> bool:
    """Officials, agency admins and platform admins record that they checked a person's national card."""
    return can_write(principal) and bool(principal.roles & {Role.OFFICIAL, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN})


def can_manage_own_account(principal: Principal) -> bool:
    """Profile, tokens and sessions: only the account itself, and tokens need write for changes."""
    return can_write(principal)
