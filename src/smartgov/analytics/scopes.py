"""Who sees which internal dashboard: the services module's rule for cases, applied to their numbers.

An official sees their branch, an agency admin (supervisor) every branch below theirs and, when
the whole agency is theirs, the agency as a whole; platform admins and auditors see the national
figures and every agency and branch (``services.branch_scope``). A view is a filter the analytics
surface takes: ``agency_id`` (every case of an agency, whichever branch) or ``branch_id`` (the cases
routed to that one branch).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from smartgov import identity, services
from smartgov.identity import OrganizationView, Principal, Role

#: Roles that read internal dashboards: the staff who work or oversee cases.
STAFF = frozenset({Role.OFFICIAL, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN, Role.AUDITOR})


@dataclass(frozen=True)
class View:
    """One internal dashboard the caller may open: national (no org), an agency as a whole, or one branch."""

    org: OrganizationView | None
    whole_agency: bool

    @property
    def code(self) -> str:
        """The view's name in a URL: the organization's code, ``national``, or ``<code>:branch``."""
        if self.org is None:
            return "national"
        return self.org.code if self.whole_agency else f"{self.org.code}:branch"

    @property
    def agency_id(self) -> int | None:
        return self.org.id if self.org is not None and self.whole_agency else None

    @property
    def branch_id(self) -> int | None:
        return self.org.id if self.org is not None and not self.whole_agency else None


def can_view_internal(principal: Principal) -> bool:
    """Internal dashboards are for staff (anyone else gets 403)."""
    return bool(principal.roles & STAFF)


def views_for(db: Session, principal: Principal) -> list[View]:
    """The internal dashboards ``principal`` may open, the widest first."""
    scope = services.branch_scope(db, principal)
    every = identity.agencies(db)
    if scope is None:
        tops = [View(o, True) for o in every if o.parent_id is None]
        branches = [View(o, False) for o in every if o.parent_id is not None]
        return [View(None, True), *tops, *branches]
    found = identity.organization_views(db, scope)
    out: list[View] = []
    for org in sorted(found.values(), key=lambda o: (o.parent_id is not None, o.code)):
        # a top agency seen whole only when every branch below it is the caller's
        if org.parent_id is None and identity.agency_subtree(db, org.id) <= scope:
            out.append(View(org, True))
        out.append(View(org, False))
    return out


def view_of(db: Session, principal: Principal, code: str | None) -> View | None:
    """The view named ``code`` if the caller may open it (``None`` otherwise); no code: their widest."""
    views = views_for(db, principal)
    if not code:
        return views[0] if views else None
    return next((v for v in views if v.code == code), None)
