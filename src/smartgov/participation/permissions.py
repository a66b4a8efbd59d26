"""Named authorization checks of the participation module: who may do what to which record.

Each returns ``True``/``False``; handlers wrap them in ``smartgov.identity.require``.
Rules of the processes themselves (phases, verification level, one vote) live in ``service``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.identity import OrganizationView, Principal, Role, acts_for_agency, can_write, is_platform_admin
from smartgov.participation.models import Comment, ContentStatus

STAFF = (Role.OFFICIAL, Role.AGENCY_ADMIN)


def _org(db: Session, org_id: int) -> OrganizationView | None:
    return identity.organization_view(db, org_id)


def can_participate(principal: Principal) -> bool:
    """Comment, propose, support, sign, vote, report, follow: any signed-in account with write access."""
    return can_write(principal)


def can_run_processes(db: Session, principal: Principal, org_id: int) -> bool:
    """Open consultations, polls, budgets and accountability items, publish responses and answers:
    officials and agency admins of the owning agency (or an agency above it), and platform admins."""
    if not can_write(principal):
        return False
    if is_platform_admin(principal):
        return True
    org = _org(db, org_id)
    return org is not None and acts_for_agency(db, principal, org, *STAFF)


def can_moderate(db: Session, principal: Principal, org_id: int) -> bool:
    """Moderate content addressed to an agency: the same people who run its processes."""
    return can_run_processes(db, principal, org_id)


def moderator_org_ids(db: Session, principal: Principal) -> set[int] | None:
    """Agencies whose content the principal moderates (``None``: all of them)."""
    if is_platform_admin(principal):
        return None
    ids: set[int] = set()
    for org_id in principal.org_ids(*STAFF):
        if _org(db, org_id) is not None:
            ids |= identity.agency_subtree(db, org_id)
    return ids


def is_moderator(principal: Principal) -> bool:
    return is_platform_admin(principal) or bool(principal.roles & set(STAFF))


def can_block(principal: Principal) -> bool:
    """Barring an account from all participation is for agency and platform admins."""
    return can_write(principal) and (is_platform_admin(principal) or principal.has_role(Role.AGENCY_ADMIN))


def can_edit_comment(principal: Principal, comment: Comment) -> bool:
    """Only the author edits or withdraws a comment, and not once a moderator hid it."""
    return (can_write(principal) and comment.author_id == principal.id
            and comment.status in (ContentStatus.VISIBLE, ContentStatus.PENDING))


def can_view_moderation_log(principal: Principal) -> bool:
    return is_moderator(principal) or principal.has_role(Role.AUDITOR)
