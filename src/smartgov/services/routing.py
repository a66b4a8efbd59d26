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

from sqlalchemy import ColumnElement, Integer, String, func, literal, select
from sqlalchemy.orm import Session, aliased

from smartgov.identity import Organization, OrgKind

from . import registry
from .definitions import BUILT_IN_ROUTING, ServiceDefinition

AGENCY, APPLICANT_PROVINCE = BUILT_IN_ROUTING
MAX_DEPTH = 8  # levels below the agency searched for a branch (a guard: the tree is shallow)


def province_key(value: Any) -> Any:
    """How provinces compare, in SQL: trimmed and lower-cased on both sides (``Tehran`` is ``tehran``)."""
    return func.lower(func.trim(value))


def province_branch(agency_id: Any, province: Any) -> ColumnElement[Any]:
    """The branch serving ``province`` in the subtree of ``agency_id``, as a scalar subquery.

    ``agency_id`` and ``province`` are SQL expressions: bound values (:func:`route`) or columns of
    an enclosing query (``intake`` reads it in the same statement as the applicant). The nearest
    such agency wins (a provincial office before its sub-offices), then the lowest id; ``NULL``
    when none serves it.
    """
    org = aliased(Organization)
    child = aliased(Organization)
    tree = (select(org.id.label("id"), literal(0, Integer).label("depth"))
            .where(org.id == agency_id).correlate_except(org).cte("branch_tree", recursive=True, nesting=True))
    tree = tree.union_all(select(child.id, tree.c.depth + 1)
                          .where(child.parent_id == tree.c.id, tree.c.depth < MAX_DEPTH))
    branch = aliased(Organization)
    # The kind as stored (the enum's name), as a plain string: ``db.HotReads`` sends a statement's
    # own values as they are, without the column type's conversion (an ``OrgKind`` is its value).
    agency = literal(OrgKind.AGENCY.name, String)
    return (select(branch.id).join(tree, tree.c.id == branch.id)
            .where(branch.kind == agency, province_key(branch.province) == province_key(province))
            .order_by(tree.c.depth, branch.id).limit(1).scalar_subquery())


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
                  organization: Organization | None) -> str | None:
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
          applicant: dict[str, Any], organization: Organization | None = None) -> int:
    """The branch a new case of ``defn`` (owned by ``agency_id``) goes to (the ORM submission path)."""
    province = case_province(db, defn, answers, applicant, organization)
    if not province:
        return agency_id
    found = db.scalar(select(province_branch(literal(agency_id), literal(province))))
    return found if found is not None else agency_id
