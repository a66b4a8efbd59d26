"""Platform admins manage the agency tree: create, rename, move, deactivate.

A tree never gets a loop (an agency cannot move under itself or a branch of its own), and an
agency is deactivated only once nobody works there and no active branch hangs below it, so a
deactivation never strands staff. Every change publishes an event.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.errors import Conflict, DomainError, NotFound, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import permissions
from smartgov.identity.events import (
    ORGANIZATION_CREATED,
    ORGANIZATION_DEACTIVATED,
    ORGANIZATION_MOVED,
    ORGANIZATION_RENAMED,
)
from smartgov.identity.models import Account, Organization, OrgKind, RoleGrant
from smartgov.identity.service import Principal, create_organization, descendants

_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")


def _require(principal: Principal) -> None:
    permissions.require(permissions.can_manage_agencies(principal))


def agency(db: Session, org_id: int) -> Organization:
    row = db.get(Organization, org_id)
    if row is None or row.kind != OrgKind.AGENCY:
        raise NotFound("organization")
    return row


def tree(db: Session) -> list[tuple[Organization, int]]:
    """Every agency with its depth, parents before their branches, siblings by code."""
    rows = list(db.scalars(select(Organization).where(Organization.kind == OrgKind.AGENCY)
                           .order_by(Organization.code)))
    children: dict[int | None, list[Organization]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    out: list[tuple[Organization, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in children.get(parent, []):
            out.append((row, depth))
            walk(row.id, depth + 1)

    walk(None, 0)
    return out


def _names(name_fa: str, name_en: str) -> tuple[str, str]:
    errors = [DomainError("required", N_("This field is required."), field=f)
              for f, v in (("name_fa", name_fa), ("name_en", name_en)) if not v.strip()]
    errors += [DomainError("too_long", N_("At most {n} characters."), field=f, n=200)
               for f, v in (("name_fa", name_fa), ("name_en", name_en)) if len(v.strip()) > 200]
    if errors:
        raise ValidationFailed(errors)
    return name_fa.strip(), name_en.strip()


def _parent(db: Session, parent_id: int | None) -> Organization | None:
    if parent_id is None:
        return None
    row = db.get(Organization, parent_id)
    if row is None or row.kind != OrgKind.AGENCY or not row.active:
        raise NotFound("organization", field="parent")
    return row


def create(db: Session, principal: Principal, *, code: str, name_fa: str, name_en: str,
           parent_id: int | None) -> Organization:
    """A new agency, at the top or as a branch of an active agency."""
    _require(principal)
    errors: list[DomainError] = []
    clean = code.strip().lower()
    if not _CODE.fullmatch(clean):
        errors.append(DomainError("invalid_code", N_("Codes are 2–40 Latin lower-case letters, digits or dashes."),
                                  field="code"))
    try:
        name_fa, name_en = _names(name_fa, name_en)
    except ValidationFailed as exc:
        errors += exc.errors
    parent: Organization | None = None
    try:
        parent = _parent(db, parent_id)
    except DomainError as exc:
        errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    org = create_organization(db, code=clean, kind=OrgKind.AGENCY, name_fa=name_fa, name_en=name_en,
                              parent_code=parent.code if parent else None)
    events.publish(db, ORGANIZATION_CREATED, actor_id=principal.id, organization=org.code,
                   parent=parent.code if parent else None)
    return org


def rename(db: Session, principal: Principal, org_id: int, *, name_fa: str, name_en: str) -> Organization:
    _require(principal)
    org = agency(db, org_id)
    name_fa, name_en = _names(name_fa, name_en)
    if (org.name_fa, org.name_en) != (name_fa, name_en):
        old = {"name_fa": org.name_fa, "name_en": org.name_en}
        org.name_fa, org.name_en = name_fa, name_en
        events.publish(db, ORGANIZATION_RENAMED, actor_id=principal.id, organization=org.code, before=old,
                       after={"name_fa": name_fa, "name_en": name_en})
    return org


def move(db: Session, principal: Principal, org_id: int, *, parent_id: int | None) -> Organization:
    """Put an agency under another (or at the top); never under itself or its own branches."""
    _require(principal)
    org = agency(db, org_id)
    parent = _parent(db, parent_id)
    if parent is not None and parent.id in descendants(db, org):
        raise DomainError("tree_loop", N_("An agency cannot move under itself or one of its own branches."),
                          field="parent")
    if org.parent_id != (parent.id if parent else None):
        before = org.parent.code if org.parent is not None else None
        org.parent_id = parent.id if parent else None
        db.flush()
        events.publish(db, ORGANIZATION_MOVED, actor_id=principal.id, organization=org.code, before=before,
                       after=parent.code if parent else None)
    return org


def deactivate(db: Session, principal: Principal, org_id: int) -> Organization:
    """Close an agency: refused while an active branch or an active account still works there."""
    _require(principal)
    org = agency(db, org_id)
    if not org.active:
        raise Conflict("already_inactive", N_("This agency is already deactivated."))
    if db.scalar(select(Organization.id).where(Organization.parent_id == org.id, Organization.active.is_(True))):
        raise Conflict("active_branches", N_("Deactivate or move its branches first."))
    if db.scalar(select(Account.id).join(RoleGrant).where(RoleGrant.organization_id == org.id,
                                                           Account.is_active.is_(True))):
        raise Conflict("active_staff", N_("Deactivate its staff or give them roles elsewhere first."))
    org.active = False
    events.publish(db, ORGANIZATION_DEACTIVATED, actor_id=principal.id, organization=org.code)
    return org
