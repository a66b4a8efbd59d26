"""Named authorization checks of the assessment module: who may do what to which round.

Agency admins manage their own agency's rounds (and those of agencies below it); auditors
and platform admins read every round; a respondent reaches only their own response, through
their link or their invitation.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.assessment.models import AssessmentRound, Invitation
from smartgov.assessment.service import get_round
from smartgov.identity import (
    OrganizationRef,
    OrganizationView,
    Principal,
    Role,
    acts_for_agency,
    can_write,
    is_platform_admin,
    require,
)


def _org(db: Session, rnd: AssessmentRound) -> OrganizationView | None:
    return identity.organization_view(db, rnd.organization_id)


def can_create_round(db: Session, principal: Principal, org: OrganizationRef) -> bool:
    """Agency admins start rounds for their agency (or one below it)."""
    return can_write(principal) and acts_for_agency(db, principal, org, Role.AGENCY_ADMIN)


def can_manage_round(db: Session, principal: Principal, rnd: AssessmentRound) -> bool:
    """Edit items, invite, import, open/close, stage answers, roadmap: the owning agency's admins."""
    org = _org(db, rnd)
    return org is not None and can_write(principal) and acts_for_agency(db, principal, org, Role.AGENCY_ADMIN)


def can_view_round(db: Session, principal: Principal, rnd: AssessmentRound) -> bool:
    """Results, reports and exports: the owning agency's admins, auditors and platform admins."""
    if is_platform_admin(principal) or principal.has_role(Role.AUDITOR):
        return True
    org = _org(db, rnd)
    return org is not None and acts_for_agency(db, principal, org, Role.AGENCY_ADMIN)


def can_list_all_rounds(principal: Principal) -> bool:
    return is_platform_admin(principal) or principal.has_role(Role.AUDITOR)


def administered_org_ids(db: Session, principal: Principal) -> set[int]:
    """The agencies ``principal`` is an agency admin of, and every agency below them."""
    ids: set[int] = set()
    for org_id in principal.org_ids(Role.AGENCY_ADMIN):
        ids |= identity.agency_subtree(db, org_id)
    return ids


def listed_org_ids(db: Session, principal: Principal) -> set[int] | None:
    """Whose rounds ``principal`` may list: ``None`` for every agency (auditors, platform admins)."""
    return None if can_list_all_rounds(principal) else administered_org_ids(db, principal)


def round_to_view(db: Session, principal: Principal, round_id: int) -> AssessmentRound:
    """The round ``round_id`` if ``principal`` may read its results (404 if none, 403 if not theirs)."""
    rnd = get_round(db, round_id)
    require(can_view_round(db, principal, rnd))
    return rnd


def round_to_manage(db: Session, principal: Principal, round_id: int) -> AssessmentRound:
    """The round ``round_id`` if ``principal`` may change it (404 if none, 403 if not theirs)."""
    rnd = get_round(db, round_id)
    require(can_manage_round(db, principal, rnd))
    return rnd


def can_answer(principal: Principal | None, invitation: Invitation) -> bool:
    """A link answers for whoever holds it; an account invitation only for that account."""
    if invitation.account_id is None:
        return invitation.token_hash is not None
    return principal is not None and principal.id == invitation.account_id and can_write(principal)
