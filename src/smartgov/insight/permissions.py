"""Named authorization checks of insight: analysts (and agency admins) of the project's agency.

A project belongs to one agency. Its analysts, and the agency admins of that agency or one above
it, read and code it; nobody else sees it — not another agency's analysts, and not platform
admins or auditors either, because transcripts hold what people said in confidence.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.identity import OrganizationRef, Principal, Role, acts_for_agency, can_write

from .models import Project

#: Roles that work on an agency's projects.
ANALYST_ROLES = (Role.ANALYST, Role.AGENCY_ADMIN)


def is_analyst(principal: Principal) -> bool:
    """Has an analyst or agency-admin role somewhere (the menu entry and the project list)."""
    return bool(principal.roles & set(ANALYST_ROLES))


def can_create_project(db: Session, principal: Principal, org: OrganizationRef) -> bool:
    """An analyst starts projects for their agency (or one below it)."""
    return can_write(principal) and acts_for_agency(db, principal, org, *ANALYST_ROLES)


def can_view_project(db: Session, principal: Principal, project: Project) -> bool:
    """Read sources, codes, themes, analyses and exports: the owning agency's analysts."""
    org = identity.organization_view(db, project.organization_id)
    return org is not None and acts_for_agency(db, principal, org, *ANALYST_ROLES)


def can_code_project(db: Session, principal: Principal, project: Project) -> bool:
    """Add sources, code, write memos, group themes: the same analysts, with write scope."""
    return can_write(principal) and can_view_project(db, principal, project)


def visible_organization_ids(db: Session, principal: Principal) -> set[int]:
    """The agencies whose projects ``principal`` may list: theirs and those below them."""
    found: set[int] = set()
    for org_id in principal.org_ids(*ANALYST_ROLES):
        found |= identity.agency_subtree(db, org_id)
    return found
