"""Identity and access: people, organizations, accounts, roles, sessions, tokens, MFA.

Other modules use only this surface.
"""

from smartgov.identity.models import MFA_ROLES, Account, Organization, OrgKind, Person, Role
from smartgov.identity.nationalcode import NationalCode
from smartgov.identity.permissions import acts_for_agency, can_write, is_platform_admin, require
from smartgov.identity.service import (
    Principal,
    create_account,
    create_organization,
    create_person,
    organization_by_code,
    person_by_code,
)

__all__ = [
    "MFA_ROLES",
    "Account",
    "NationalCode",
    "OrgKind",
    "Organization",
    "Person",
    "Principal",
    "Role",
    "acts_for_agency",
    "can_write",
    "create_account",
    "create_organization",
    "create_person",
    "is_platform_admin",
    "organization_by_code",
    "person_by_code",
    "require",
]
