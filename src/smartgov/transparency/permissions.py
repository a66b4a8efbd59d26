"""Who may change what on the open-data portal.

Officials and agency admins publish for their agency and the agencies below it (an organization
on the portal is an agency of identity's tree); platform admins for every agency. Everyone may
read public datasets; a private one is seen only by those who may change it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov.identity import OrganizationView, Principal, Role, acts_for_agency, can_write, is_platform_admin


def can_publish_for(db: Session, principal: Principal | None, org: OrganizationView) -> bool:
    """Create, change or withdraw datasets of ``org`` (a token needs the ``write`` scope)."""
    if principal is None or not can_write(principal) or not org.is_agency:
        return False
    return is_platform_admin(principal) or acts_for_agency(db, principal, org, Role.OFFICIAL, Role.AGENCY_ADMIN)


def can_see_private(db: Session, principal: Principal | None, org: OrganizationView) -> bool:
    """Private datasets of ``org`` are for its own staff (and platform admins)."""
    if principal is None:
        return False
    return is_platform_admin(principal) or acts_for_agency(db, principal, org, Role.OFFICIAL, Role.AGENCY_ADMIN)


def publishing_orgs(db: Session, principal: Principal | None) -> set[int] | None:
    """Agency ids ``principal`` may publish for (``None``: every agency, a platform admin)."""
    if principal is None:
        return set()
    if is_platform_admin(principal):
        return None
    from smartgov.identity import agency_subtree

    out: set[int] = set()
    for org_id in principal.org_ids(Role.OFFICIAL, Role.AGENCY_ADMIN):
        out |= agency_subtree(db, org_id)
    return out
