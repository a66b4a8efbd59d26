"""Which branch of the owning agency serves a case: the one place that decides it.

Agencies form a tree in identity (``Organization.parent_id``); a branch is an agency in the
service's agency's subtree that serves a province (``Organization.province``). A definition
says how its cases are routed (``routing:``):

* ``agency`` (the default): to the agency that owns the service;
* ``applicant_province``: to the branch serving the province the population registry holds
  for the applicant (``Person.province``);
* any other name: a rule a domain module registered (``registry.register_routing_rule``) that
  names the province from the application, e.g. insurance's ``workshop_branch`` (the province of
  the workshop a wage report is for).

Whenever no branch of the subtree serves the province (or none is known), the case goes to the
agency itself, where its supervisors see it and may transfer it. Both submission paths call
this module once: the ORM path with :func:`route`, the group-commit fast path (``intake``) with
:func:`decide` on the branch its one read found with :func:`province_branch`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, literal, select
from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.identity import OrganizationRef

from . import registry
from .definitions import BUILT_IN_ROUTING, ServiceDefinition

AGENCY, APPLICANT_PROVINCE = BUILT_IN_ROUTING


def province_branch(agency_id: Any, province: Any) -> ColumnElement[Any]:
    """The branch serving ``province`` in the subtree of ``agency_id`` (identity keeps the tree:
    :func:`smartgov.identity.branch_serving`), as a scalar subquery of SQL expressions."""
    return identity.branch_serving(agency_id, province)


def built_in(defn: ServiceDefinition) -> bool:
    """Whether the rule needs nothing but the applicant's person: a submission without an ORM session
    (``intake``) can route it with :func:`province_branch` of the person's province and :func:`decide`."""
    return defn.routing in BUILT_IN_ROUTING


def decide(defn: ServiceDefinition, agency_id: int, person_branch: int | None) -> int:
    """The case's branch for a built-in rule: the one serving the applicant's province, else the agency."""
    if defn.routing == APPLICANT_PROVINCE and person_branch is not None:
        return person_branch
    return agency_id


def case_province(db: Session, defn: ServiceDefinition, answers: dict[str, Any], applicant: dict[str, Any],
                  organization: OrganizationRef | None) -> str | None:
    """The province the definition's rule routes by: the applicant's, or what a registered rule names."""
    if defn.routing == AGENCY:
        return None
    if defn.routing == APPLICANT_PROVINCE:
        value = applicant.get("province")
        return value if isinstance(value, str) else None
    rule = registry.routing_rule(defn.routing)
    if rule is None:  # checked when the version was stored; a module removed since: the agency serves it
        return None
    return rule(registry.RoutingContext(db=db, definition=defn, answers=answers, applicant=applicant,
                                        organization=organization))


def route(db: Session, defn: ServiceDefinition, agency_id: int, answers: dict[str, Any],
          applicant: dict[str, Any], organization: OrganizationRef | None = None) -> int:
    """The branch a new case of ``defn`` (owned by ``agency_id``) goes to (the ORM submission path)."""
    province = case_province(db, defn, answers, applicant, organization)
    if not province:
        return agency_id
    found = db.scalar(select(province_branch(literal(agency_id), literal(province))))
    return found if found is not None else agency_id
