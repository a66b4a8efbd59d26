"""Named authorization checks of the social-security domain: who may read which record."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov.identity import OrganizationRef, Principal, Role, can_write
from smartgov.services import Application
from smartgov.services import permissions as engine


def can_view_own_record(principal: Principal) -> bool:
    """A person reads their own insurance record (the record of the person linked to the account)."""
    return principal.account.person_id is not None


def can_act_for_employer(principal: Principal, organization: OrganizationRef) -> bool:
    """Employers see their own organization's workshops and wage reports, nobody else's."""
    return organization.id in principal.org_ids(Role.EMPLOYER)


def can_check_wage_report(principal: Principal) -> bool:
    return bool(principal.org_ids(Role.EMPLOYER)) and can_write(principal)


def can_view_case(db: Session, principal: Principal, app: Application) -> bool:
    """The applicant and the staff of the case's branch (as on the engine's case)."""
    return engine.can_view_application(db, principal, app)


def can_review_claim(db: Session, principal: Principal, app: Application) -> bool:
    """Officials working the case enter approved amounts; never the applicant."""
    return engine.can_work_case(db, principal, app)
