"""A theme promoted to a success factor or indicator of an assessment framework, keeping the link.

The addition lives in ``assessment`` (through its surface: ``add_to_framework``) with the theme as its
origin (``insight.theme:<guid>``) and a link back to the project's network; insight asks
``assessment.additions_from`` which of its themes went where. Promoting needs rights on both sides:
coding the project here, and extending the agency's frameworks there (its agency admins).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov import assessment, identity
from smartgov.errors import Forbidden
from smartgov.identity import Principal

from . import permissions, service
from .models import Project, Theme


def origin_of(theme: Theme) -> str:
    return f"insight.theme:{theme.guid}"


def may_promote(db: Session, principal: Principal, project: Project) -> bool:
    """Rights on both sides: code this project, and extend its agency's frameworks."""
    org = identity.organization_view(db, project.organization_id)
    return (org is not None and permissions.can_code_project(db, principal, project)
            and assessment.can_extend_framework(db, principal, org))


def promote_theme(db: Session, project: Project, principal: Principal, theme: Theme, framework_id: str,
                  parent_code: str, *, label: str = "") -> assessment.AdditionView:
    """Add ``theme`` under ``parent_code`` of ``framework_id`` for the project's agency (403 without both rights)."""
    if not may_promote(db, principal, project):
        raise Forbidden()
    org = identity.organization_view(db, project.organization_id)
    assert org is not None
    return assessment.add_to_framework(
        db, org, framework_id, parent_code, label.strip() or theme.name, description=theme.description,
        origin=origin_of(theme), origin_label=f"{project.name} › {theme.name}",
        origin_url=f"/insight/projects/{project.id}/themes/{theme.id}/promote", actor_id=principal.id)


def promotions(db: Session, project: Project) -> dict[int, list[assessment.AdditionView]]:
    """theme id → where it was promoted (framework additions made from it)."""
    by_origin = {origin_of(t): t.id for t in service.themes(db, project)}
    out: dict[int, list[assessment.AdditionView]] = {}
    for added in assessment.additions_from(db, by_origin):
        if added.organization_id == project.organization_id:
            out.setdefault(by_origin[added.origin], []).append(added)
    return out
