"""Identity and access: people, organizations, accounts, roles, sessions, tokens, MFA, the one
throttle for every secret, and the proof that an account's holder is its person (``README.md``).

Other modules use only this surface.
"""

from smartgov.identity.models import MFA_ROLES, PROOF_METHODS, Account, Organization, OrgKind, Person, Role
from smartgov.identity.nationalcode import NationalCode
from smartgov.identity.permissions import (
    PersonNotProven,
    acts_for_agency,
    can_use_personal_records,
    can_write,
    is_platform_admin,
    require,
    require_personal_records,
)
from smartgov.identity.proof import PURPOSE as PROOF_PURPOSE
from smartgov.identity.proof import REGISTRY_SERVICE as PROOF_REGISTRY_SERVICE
from smartgov.identity.service import (
    Principal,
    create_account,
    create_organization,
    create_person,
    organization_by_code,
    person_by_code,
    prove,
)

__all__ = [
    "MFA_ROLES",
    "PROOF_METHODS",
    "PROOF_PURPOSE",
    "PROOF_REGISTRY_SERVICE",
    "Account",
    "NationalCode",
    "OrgKind",
    "Organization",
    "Person",
    "PersonNotProven",
    "Principal",
    "Role",
    "acts_for_agency",
    "can_use_personal_records",
    "can_write",
    "create_account",
    "create_organization",
    "create_person",
    "is_platform_admin",
    "organization_by_code",
    "person_by_code",
    "prove",
    "require",
    "require_personal_records",
]
