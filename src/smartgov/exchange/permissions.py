"""Named authorization checks of the exchange module."""

from __future__ import annotations

from smartgov.identity import Principal, Role, can_write, is_platform_admin


def can_view_registry(principal: Principal) -> bool:
    """Members, services and access rights: platform admins and auditors."""
    return is_platform_admin(principal) or principal.has_role(Role.AUDITOR)


def can_manage_registry(principal: Principal) -> bool:
    """Grant or revoke access rights: platform admins, with a write-capable credential."""
    return is_platform_admin(principal) and can_write(principal)


def can_view_monitoring(principal: Principal) -> bool:
    """Operational monitoring and the message log: platform admins and auditors."""
    return is_platform_admin(principal) or principal.has_role(Role.AUDITOR)


def can_view_own_data_access(principal: Principal) -> bool:
    """Anyone with a person record sees who read that person's data (only their own)."""
    return principal.account.person_id is not None


def can_flag_access(principal: Principal) -> bool:
    return principal.account.person_id is not None and can_write(principal)


def can_view_data_protection(principal: Principal) -> bool:
    """The data-protection queue, person access logs and hidden accesses: platform admins and auditors."""
    return is_platform_admin(principal) or principal.has_role(Role.AUDITOR)


def can_resolve_flag(principal: Principal) -> bool:
    """The platform administrator acts as data-protection officer; auditors only watch."""
    return is_platform_admin(principal) and can_write(principal)


def can_hide_access(principal: Principal) -> bool:
    return is_platform_admin(principal) and can_write(principal)


def can_administer_exchange(principal: Principal) -> bool:
    """The exchange admin screens (members, subsystems, keys, services, rights, purposes): platform
    admins acting as the exchange's central-server operator, with a write-capable credential."""
    return is_platform_admin(principal) and can_write(principal)
