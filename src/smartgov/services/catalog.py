"""Service definitions: validating, storing, publishing and retiring versions, and the catalog."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.db import get_or_not_found, keep
from smartgov.digits import to_latin_digits
from smartgov.errors import Conflict, Forbidden, NotFound
from smartgov.i18n import N_
from smartgov.identity import (
    OrganizationRef,
    OrganizationView,
    OrgKind,
    organization_by_code,
)

from . import registry
from .definitions import (
    ServiceDefinition,
    invalid_at,
    load_definition,
    named_hooks,
    parse_definition,
)
from .events import DEFINITION_PUBLISHED, DEFINITION_RETIRED
from .models import (
    Definition,
    DefinitionStatus,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- definitions

_parsed: dict[str, ServiceDefinition] = {}


def definition_of(row: Definition) -> ServiceDefinition:
    """The parsed definition of a stored version (parsed once per process).

    Keyed by the source text itself: Python hashes a string once and keeps the hash, so repeated
    lookups for the same loaded row are free (a SHA-256 of the YAML per call was 8 % of a status read).
    """
    return parsed_definition(row.source, row.source_name)


def parsed_definition(source: str, source_name: str) -> ServiceDefinition:
    """``definition_of`` for a source read as plain columns."""
    found = _parsed.get(source)
    if found is None:
        found = parse_definition(source, source_name)
        _parsed[source] = found
    return found


def resolve_agency(db: Session, code: str) -> OrganizationRef | None:
    """The agency a definition names (codes compare case-insensitively: ``SSO`` is ``sso``)."""
    for candidate in dict.fromkeys((code, code.lower())):
        try:
            org = organization_by_code(db, candidate)
        except NotFound:
            continue
        if org.kind == OrgKind.AGENCY:
            return org
    return None


def prepare_definition(db: Session, text: str, source: str) -> tuple[ServiceDefinition, OrganizationRef]:
    """Validate YAML ``text``: the loader's checks, then registered hooks and the owning agency."""
    defn = parse_definition(text, source)
    problems = [
        (loc, f"no {kind} called {name!r} is registered")
        for loc, kind, name in named_hooks(defn)
        if not registry.known(kind, name)
    ]
    agency = resolve_agency(db, defn.agency)
    if agency is None:
        problems.append((("agency",), f"no agency with code {defn.agency!r}"))
    if problems:
        raise invalid_at(text, source, problems)
    assert agency is not None
    return defn, agency


def _search_text(defn: ServiceDefinition) -> str:
    parts = (defn.id, defn.title_fa, defn.title_en, defn.description_fa, defn.description_en)
    return normalize_query(" ".join(parts))


def store_definition(
    db: Session, defn: ServiceDefinition, agency: OrganizationRef, text: str, source: str, *,
    actor_id: int | None = None, publish: bool = True,
) -> Definition:
    """Store a validated version as a draft or published; publishing retires the previous version."""
    existing = db.scalar(select(Definition).where(Definition.service_id == defn.id, Definition.version == defn.version))
    if existing is not None:
        if existing.source == text:
            return existing
        raise Conflict("definition_version_exists",
                       N_("Version {version} of this service exists already; raise the version number."),
                       field="version", version=defn.version)
    latest = db.scalar(select(func.max(Definition.version)).where(Definition.service_id == defn.id))
    if latest is not None and defn.version < latest:
        raise Conflict("definition_version_old", N_("A newer version ({version}) exists already."),
                       field="version", version=latest)
    first = db.scalar(select(Definition).where(Definition.service_id == defn.id).limit(1))
    if first is not None and first.agency_id != agency.id:
        raise Forbidden(N_("This service belongs to another agency."))
    now = clock.now()
    row = Definition(
        service_id=defn.id, version=defn.version, status=DefinitionStatus.DRAFT, agency_id=agency.id,
        relationship=defn.relationship, title_fa=defn.title_fa, title_en=defn.title_en,
        search_text=_search_text(defn), source=text, source_name=source[:300], created_by=actor_id, created_at=now,
    )
    db.add(row)
    db.flush()
    if publish:
        publish_definition(db, row, actor_id=actor_id)
    return row


def publish_definition(db: Session, row: Definition, *, actor_id: int | None = None) -> Definition:
    """Make a draft version live; the version published before it is retired (its cases keep their rules)."""
    if row.status == DefinitionStatus.RETIRED:
        raise Conflict("definition_retired", N_("A retired version cannot be published again."))
    now = clock.now()
    for old in db.scalars(select(Definition).where(Definition.service_id == row.service_id,
                                                   Definition.status == DefinitionStatus.PUBLISHED,
                                                   Definition.id != row.id)):
        old.status = DefinitionStatus.RETIRED
        old.retired_at = now
    if row.status != DefinitionStatus.PUBLISHED:
        row.status = DefinitionStatus.PUBLISHED
        row.published_at = now
        events.publish(db, DEFINITION_PUBLISHED, actor_id=actor_id, service_id=row.service_id,
                       version=row.version, agency_id=row.agency_id)
    db.flush()
    return row


def retire_definition(db: Session, row: Definition, *, actor_id: int | None = None) -> Definition:
    """Take a version off the catalog; open cases continue under it."""
    if row.status != DefinitionStatus.RETIRED:
        row.status = DefinitionStatus.RETIRED
        row.retired_at = clock.now()
        events.publish(db, DEFINITION_RETIRED, actor_id=actor_id, service_id=row.service_id,
                       version=row.version)
    return row


def sync_bundled_definitions(db: Session) -> list[Definition]:
    """Load every bundled definition file not yet stored (agencies must exist); returns what was added."""
    added = []
    for folder in registry.definition_folders():
        for path in sorted(Path(folder).glob("*.yaml")):
            defn = load_definition(path)
            if db.scalar(select(Definition.id).where(Definition.service_id == defn.id,
                                                     Definition.version == defn.version)):
                continue
            text = path.read_text(encoding="utf-8")
            agency = resolve_agency(db, defn.agency)
            if agency is None:
                log.warning("bundled definition %s skipped: no agency %r", defn.key, defn.agency)
                continue
            _, agency = prepare_definition(db, text, str(path.name))
            added.append(store_definition(db, defn, agency, text, path.name))
    return added


def definition_row(db: Session, definition_id: int) -> Definition:
    return get_or_not_found(db, Definition, definition_id, "definition")


def published(db: Session, service_id: str) -> Definition:
    """The live version of a service (404 if none)."""
    row = db.scalar(select(Definition).where(Definition.service_id == service_id,
                                             Definition.status == DefinitionStatus.PUBLISHED))
    if row is None:
        raise NotFound("service")
    keep(db, row)  # a submission looks both up by key again: served from the identity map
    identity.organization_views(db, {row.agency_id})  # (identity keeps the agency's row the same way)
    return row


_ARABIC = str.maketrans({"ي": "ی", "ك": "ک", "ة": "ه", "\u200c": " "})


def normalize_query(text: str) -> str:
    """Lower case, Persian letters for Arabic look-alikes, Latin digits: so searches match as people type."""
    return " ".join(to_latin_digits(text).translate(_ARABIC).lower().split())


def catalog_query(q: str | None = None, relationship: str | None = None) -> Select[Any]:
    """Published services, filtered by words (every word must match, fa or en) and relationship."""
    stmt = select(Definition).where(Definition.status == DefinitionStatus.PUBLISHED)
    for word in normalize_query(q or "").split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Definition.search_text.like(f"%{escaped}%", escape="\\"))
    if relationship:
        stmt = stmt.where(Definition.relationship == relationship)
    return stmt.order_by(Definition.service_id)


def catalog(db: Session, q: str | None = None, relationship: str | None = None) -> list[Definition]:
    """The catalog as a list (pages); the API paginates :func:`catalog_query`."""
    return list(db.scalars(catalog_query(q, relationship)))


def agency(db: Session, agency_id: int) -> OrganizationView | None:
    """The agency a version or a case belongs to (``None`` if it is gone)."""
    return identity.organization_view(db, agency_id)


def all_versions(db: Session) -> list[Definition]:
    """Every stored version, by service and newest first (the definitions page)."""
    return list(db.scalars(select(Definition).order_by(Definition.service_id, Definition.version.desc())))
