"""The one way pages reach a project: another agency's project answers 404, as if it did not exist."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartgov.errors import NotFound
from smartgov.identity import Principal, require

from . import permissions, service
from .models import Project

BASE = "/insight"


def project_for(db: Session, principal: Principal, project_id: int, *, write: bool = False) -> Project:
    """The project ``principal`` may read (and code, with ``write``), else 404 (403 without write scope)."""
    project = service.get_project(db, project_id)
    if not permissions.can_view_project(db, principal, project):
        raise NotFound("project")
    if write:
        require(permissions.can_code_project(db, principal, project))
    return project
