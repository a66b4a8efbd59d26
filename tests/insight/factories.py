"""Keyword factories for insight tests: an agency with an analyst, a project, a coded source."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.errors import NotFound
from smartgov.identity import Role
from smartgov.insight import service
from smartgov.insight.models import Project
from tests.factories import create_account, create_agency

TRANSCRIPT = ("مصاحبه‌شونده: به نظر من حکمرانی داده مهم‌ترین شرط است. "
              "بدون حریم خصوصی اعتماد مردم از بین می‌رود. "
              "زیرساخت اینترنت پرسرعت هنوز در استان‌ها ضعیف است.")


def analyst(db: Session, username: str = "analyst1", agency: str = "agency-a") -> identity.Principal:
    if identity.account_view_by_username(db, username) is None:
        try:
            identity.organization_by_code(db, agency)
        except NotFound:
            create_agency(db, agency)
        create_account(db, username, Role.ANALYST, organization=agency)
    view = identity.account_view_by_username(db, username)
    assert view is not None
    principal = identity.principal_of(db, view.id)
    assert principal is not None
    return principal


def project(db: Session, principal: identity.Principal, name: str = "CSF interviews", agency: str = "agency-a",
            **kw: Any) -> Project:
    return service.create_project(db, principal, identity.organization_by_code(db, agency), name, **kw)
