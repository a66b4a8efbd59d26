"""Who may read and change which figures.

Public KPIs are readable by anyone, anonymous callers included, at any level of detail: they are
aggregates (small cells are suppressed by what publishes them). Internal KPIs are for staff:
platform admins and auditors (national roles) read every agency's; officials and agency admins
read only the agencies and branches in their agencies' subtrees, and must name one. Agency admins
change the target and visibility of the KPIs their agency owns and type their agency's costs;
platform admins do everything.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.errors import NotFound
from smartgov.identity import Principal, Role

from .catalogue import Kpi

STAFF = (Role.OFFICIAL, Role.AGENCY_ADMIN)
NATIONAL = (Role.PLATFORM_ADMIN, Role.AUDITOR)


def is_national(principal: Principal | None) -> bool:
    return principal is not None and any(principal.has_role(r) for r in NATIONAL)


def is_staff(principal: Principal | None) -> bool:
    return principal is not None and (is_national(principal) or bool(principal.org_ids(*STAFF)))


def staff_orgs(db: Session, principal: Principal, *roles: Role) -> set[int]:
    """Every organization in the subtrees of the agencies where ``principal`` holds ``roles``."""
    found: set[int] = set()
    for org_id in principal.org_ids(*(roles or STAFF)):
        found |= identity.agency_subtree(db, org_id)
    return found


def can_see_kpi(principal: Principal | None, kpi: Kpi) -> bool:
    """Whether the KPI exists for the caller (an internal KPI is hidden from the public)."""
    return kpi.public or is_staff(principal)


def can_read_figures(db: Session, principal: Principal | None, kpi: Kpi, agency_id: int | None,
                     branch_id: int | None) -> bool:
    """Whether the caller may read ``kpi``'s values for that agency/branch (``None``: all of them)."""
    if kpi.public or is_national(principal):
        return True
    if principal is None or not is_staff(principal):
        return False
    if agency_id is None and branch_id is None:
        return False  # national totals of an internal KPI: national roles only
    mine = staff_orgs(db, principal)
    return all(org is None or org in mine for org in (agency_id, branch_id))


def can_change_kpi(db: Session, principal: Principal, kpi: Kpi) -> bool:
    if not identity.can_write(principal):
        return False
    if principal.has_role(Role.PLATFORM_ADMIN):
        return True
    if kpi.owner_agency_code is None or not principal.org_ids(Role.AGENCY_ADMIN):
        return False
    mine = staff_orgs(db, principal, Role.AGENCY_ADMIN)
    try:
        owner = identity.organization_by_code(db, kpi.owner_agency_code)
    except NotFound:  # the owner's code no longer names an organization
        return False
    return owner.id in mine


def can_set_cost(db: Session, principal: Principal, agency_id: int) -> bool:
    if not identity.can_write(principal):
        return False
    if principal.has_role(Role.PLATFORM_ADMIN):
        return True
    return agency_id in staff_orgs(db, principal, Role.AGENCY_ADMIN)
