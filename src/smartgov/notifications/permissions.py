"""Named checks of the notifications module: who may edit wording, see deliveries, see addresses.

A person's own notification centre needs no check here: every read and change of it is scoped to
the caller's account in ``inbox`` (another's message is simply not found).
"""

from __future__ import annotations

from smartgov.identity import Principal, Role, can_write, is_platform_admin


def can_edit_templates(principal: Principal) -> bool:
    """Message wording is the platform's, shared by every agency: platform admins only."""
    return can_write(principal) and is_platform_admin(principal)


def can_view_templates(principal: Principal) -> bool:
    """The wording in force and its history: platform admins and auditors."""
    return bool(principal.roles & {Role.PLATFORM_ADMIN, Role.AUDITOR})


def can_view_deliveries(principal: Principal) -> bool:
    """Delivery status of every message: platform admins, agency admins and auditors."""
    return bool(principal.roles & {Role.PLATFORM_ADMIN, Role.AGENCY_ADMIN, Role.AUDITOR})


def can_see_recipients(principal: Principal) -> bool:
    """Whole addresses, phone numbers and error texts: platform admins only; others see them masked."""
    return is_platform_admin(principal)
