"""Named authorization checks of the ledger.

Tree heads, hashes and proofs are public: anyone may check the log. The content of an
entry can carry personal data (a login's address, an applicant's id), so only the person
who acted, auditors and platform admins read it.
"""

from __future__ import annotations

from smartgov.identity import Principal, Role, is_platform_admin


def can_read_entry_data(principal: Principal | None, actor_id: int | None) -> bool:
    """Auditors and platform admins read every entry; others only the entries of their own actions."""
    if principal is None:
        return False
    if is_platform_admin(principal) or principal.has_role(Role.AUDITOR):
        return True
    return actor_id is not None and principal.id == actor_id

