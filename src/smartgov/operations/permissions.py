"""Who may see and change the operations centre's data.

An agency's officials and admins operate the entities, devices, rules, alerts and incidents of
their agency and the agencies below it; platform admins operate every agency's. Citizens and
employers see nothing here. Writes need the token's ``write`` scope.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov.identity import Principal, Role, agency_subtree, can_write, is_platform_admin

OPERATOR_ROLES = (Role.OFFICIAL, Role.AGENCY_ADMIN)


def is_operator(principal: Principal | None) -> bool:
    """Staff of some agency, or a platform admin: may open the operations centre at all."""
    return principal is not None and (is_platform_admin(principal) or bool(principal.org_ids(*OPERATOR_ROLES)))


def operated_orgs(db: Session, principal: Principal | None) -> set[int] | None:
    """Agency ids whose operations ``principal`` sees (``None``: every agency, a platform admin)."""
    if principal is None:
        return set()
    if is_platform_admin(principal):
        return None
    out: set[int] = set()
    for org_id in principal.org_ids(*OPERATOR_ROLES):
        out |= agency_subtree(db, org_id)
    return out


def can_operate(db: Session, principal: Principal | None, org_id: int) -> bool:
    """See the operations of agency ``org_id``."""
    orgs = operated_orgs(db, principal)
    return orgs is None or org_id in orgs


def can_change(db: Session, principal: Principal | None, org_id: int) -> bool:
    """Change entities, devices, rules, alerts and incidents of agency ``org_id``."""
    return principal is not None and can_write(principal) and can_operate(db, principal, org_id)
