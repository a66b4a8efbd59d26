"""``package_search``: words (Persian normalized), CKAN's ``field:value`` filters, sorting and facets.

Words match the dataset's normalized ``search_text`` (``digits.search_text`` on both sides: ی/ي, ک/ك,
ZWNJ, digits and diacritics never stop a match); on PostgreSQL a trigram index serves the ``LIKE``.
Filters are the subset of Solr's syntax CKAN clients send: ``organization:x tags:y res_format:CSV
license_id:z name:n`` (quoted values allowed), all of which must hold.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.digits import search_text
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import OrganizationView

from .models import Dataset, DatasetTag, Resource

FILTER_FIELDS = ("organization", "owner_org", "tags", "res_format", "license_id", "name", "id", "frequency")
FACET_FIELDS = ("organization", "tags", "res_format", "license_id")
SORTS = {"name": Dataset.name, "title_string": Dataset.title, "metadata_modified": Dataset.metadata_modified,
         "metadata_created": Dataset.metadata_created}
MAX_ROWS = 1000
_TERM = re.compile(r"^[+]?([a-z_]+):(.+)$")


class SearchQueryError(DomainError):
    """A query CKAN would refuse as a "Search Query Error" (409)."""

    status = 409


@dataclass
class Search:
    q: str = ""
    fq: str = ""
    rows: int = 10
    start: int = 0
    sort: str = ""
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50
    visible_orgs: set[int] | None = field(default_factory=set)  # private datasets of these agencies too (None: all)


@dataclass
class Found:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[tuple[str, int]]]
    sort: str
    organizations: dict[str, OrganizationView] = field(default_factory=dict)  # the organization facet's, by code


def _terms(text: str, param: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``field:value`` terms and plain words of a q or fq string."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise SearchQueryError("search_query", N_("The search could not be read: {reason}."), field=param,
                               reason=str(exc)) from exc
    filters, words = [], []
    for token in tokens:
        if token in ("*:*", "*", "AND", "+"):
            continue
        match = _TERM.match(token)
        if match:
            name, value = match.group(1), match.group(2).strip('"')
            if name not in FILTER_FIELDS:
                raise SearchQueryError("search_field", N_("Datasets cannot be searched by {name}."), field=param,
                                       name=name)
            filters.append((name, value))
        else:
            words.append(token)
    return filters, words


def _where(db: Session, stmt: Select[Any], name: str, value: str) -> Select[Any]:
    if name in ("organization", "owner_org"):
        org_id = _org_id(db, value)
        return stmt.where(Dataset.organization_id == org_id)
    if name == "tags":
        return stmt.where(exists().where(DatasetTag.dataset_id == Dataset.id, DatasetTag.name == value))
    if name == "res_format":
        return stmt.where(exists().where(Resource.dataset_id == Dataset.id,
                                         func.upper(Resource.format) == value.upper()))
    column = {"license_id": Dataset.license_id, "name": Dataset.name, "id": Dataset.id,
              "frequency": Dataset.frequency}[name]
    return stmt.where(column == value)


def _org_id(db: Session, code: str) -> int:
    try:
        org = identity.organization_by_code(db, code)
    except DomainError:
        return -1  # an unknown organization matches nothing, as in CKAN
    return org.id


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching(db: Session, search: Search) -> Select[Any]:
    """Ids of the datasets a search matches (the statement facets and pages are drawn from)."""
    stmt = select(Dataset.id).where(Dataset.state == "active")
    if search.visible_orgs is None:
        pass
    elif search.visible_orgs:
        stmt = stmt.where(or_(Dataset.private.is_(False), Dataset.organization_id.in_(search.visible_orgs)))
    else:
        stmt = stmt.where(Dataset.private.is_(False))
    q_filters, words = _terms(search.q, "q")
    fq_filters, fq_words = _terms(search.fq, "fq")
    for name, value in q_filters + fq_filters:
        stmt = _where(db, stmt, name, value)
    for word in search_text(" ".join(words + fq_words)).split()[:10]:
        stmt = stmt.where(Dataset.search_text.like(f"%{_escape(word)}%", escape="\\"))
    return stmt


def _order(sort: str) -> list[Any]:
    order: list[Any] = []
    for part in [p.strip() for p in sort.split(",") if p.strip()]:
        bits = part.split()
        name, direction = bits[0], (bits[1].lower() if len(bits) > 1 else "asc")
        if name == "score":
            continue
        if name not in SORTS or direction not in ("asc", "desc") or len(bits) > 2:
            raise SearchQueryError("search_sort", N_("Datasets cannot be sorted by {sort}."), field="sort",
                                   sort=part[:60])
        order.append(SORTS[name].desc() if direction == "desc" else SORTS[name].asc())
    return [*order, Dataset.metadata_modified.desc(), Dataset.id]


def run(db: Session, search: Search) -> Found:
    ids = matching(db, search).subquery()
    order = _order(search.sort)
    count = db.scalar(select(func.count()).select_from(ids)) or 0
    datasets = list(db.scalars(select(Dataset).where(Dataset.id.in_(select(ids.c.id))).order_by(*order)
                               .limit(search.rows).offset(search.start))) if search.rows else []
    facets: dict[str, list[tuple[str, int]]] = {}
    orgs: dict[str, OrganizationView] = {}
    for name in search.facet_fields:
        if name not in FACET_FIELDS:
            continue
        facets[name] = _facet(db, name, select(ids.c.id), search.facet_limit, orgs)
    return Found(count=count, datasets=datasets, facets=facets,
                 sort=search.sort or "score desc, metadata_modified desc", organizations=orgs)


def _facet(db: Session, name: str, ids: Select[Any], limit: int,
           orgs_seen: dict[str, OrganizationView]) -> list[tuple[str, int]]:
    n = func.count().label("n")
    if name == "organization":
        raw = db.execute(select(Dataset.organization_id, n).where(Dataset.id.in_(ids))
                         .group_by(Dataset.organization_id).order_by(n.desc()).limit(limit)).all()
        orgs = identity.organization_views(db, [r[0] for r in raw])
        orgs_seen.update({o.code: o for o in orgs.values()})
        return [(orgs[org_id].code, count) for org_id, count in raw if org_id in orgs]
    if name == "tags":
        stmt = select(DatasetTag.name, n).where(DatasetTag.dataset_id.in_(ids)).group_by(DatasetTag.name)
    elif name == "res_format":
        fmt = func.upper(Resource.format)
        stmt = (select(fmt, func.count(func.distinct(Resource.dataset_id)).label("n"))
                .where(Resource.dataset_id.in_(ids), Resource.format != "").group_by(fmt))
        return [(str(k), int(v)) for k, v in db.execute(stmt.order_by(func.count(func.distinct(
            Resource.dataset_id)).desc(), fmt).limit(limit)).all()]
    else:
        stmt = select(Dataset.license_id, n).where(Dataset.id.in_(ids)).group_by(Dataset.license_id)
    first = stmt.selected_columns[0]
    return [(str(k), int(v)) for k, v in db.execute(stmt.order_by(n.desc(), first).limit(limit)).all()]
