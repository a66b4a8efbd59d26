"""Named authorization checks of the identity module: who may do what to which record.

Each check returns ``True``/``False``; the edge turns ``False`` into 403 with
:func:`require`. Other modules import :class:`Principal` and these helpers from
``smartgov.identity``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov.errors import Forbidden
from smartgov.identity.models import Account, Organization, Role
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


#: Roles an agency admin gives and takes within their subtree (the others are the platform's).
STAFF_ROLES = frozenset({Role.OFFICIAL, Role.AGENCY_ADMIN})


def can_manage_staff(db: Session, principal: Principal, org: OrganizationRef) -> bool:
    """Invite into, and give roles in, ``org``: its agency admins and those above it; platform admins."""
    if not can_write(principal):
        return False
    return is_platform_admin(principal) or acts_for_agency(db, principal, org, Role.AGENCY_ADMIN)


def can_see_staff_screen(principal: Principal) -> bool:
    """The people screens: agency admins (their subtree) and platform admins."""
    return bool(principal.roles & {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN})


def can_manage_colleague(db: Session, principal: Principal, account: Account) -> bool:
    """Roles, deactivation and MFA resets of ``account``: never one's own; a platform admin any
    account; an agency admin only staff whose every role lies within their subtree (an official of
    two agencies is managed by someone who is admin of both)."""
    if account.id == principal.id or not can_write(principal):
        return False
    if is_platform_admin(principal):
        return True
    grants = account.grants
    if not grants or principal.org_ids(Role.AGENCY_ADMIN) == set():
        return False
    for grant in grants:
        if grant.role not in STAFF_ROLES or grant.organization is None:
            return False
        if not acts_for_agency(db, principal, grant.organization, Role.AGENCY_ADMIN):
            return False
    return True


def can_manage_agencies(principal: Principal) -> bool:
    """Create, rename, move and deactivate agencies: platform admins only."""
    return can_write(principal) and is_platform_admin(principal)


def can_read_audit(principal: Principal) -> bool:
    """The audit log (who did what to which record): auditors and platform admins only."""
    return bool(principal.roles & {Role.AUDITOR, Role.PLATFORM_ADMIN})
