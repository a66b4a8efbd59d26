"""Datasets, resources and organizations as CKAN's dictionaries (``package_show`` and friends).

The shapes follow CKAN 2.10's API so that clients written for CKAN (``ckanapi``, harvesters) read
them unchanged; smartgov's bilingual fields (``title_en``, ``notes_en``) and ``frequency`` are extra
top-level keys, which CKAN's scheming extension allows and clients ignore.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from smartgov import identity
from smartgov.identity import OrganizationView

from . import service
from .licenses import BY_ID as LICENSES
from .models import Dataset, Resource


def when(value: dt.datetime | None) -> str | None:
    """CKAN writes times as naive UTC ISO strings."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() if value else None


def organization_dict(org: OrganizationView, *, package_count: int | None = None, lang: str = "fa") -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": org.code, "name": org.code, "title": org.name(lang), "title_fa": org.name_fa, "title_en": org.name_en,
        "display_name": org.name(lang), "type": "organization", "is_organization": True, "state": "active",
        "approval_status": "approved", "description": "", "image_url": "", "image_display_url": "",
        "created": None,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def resource_dict(res: Resource) -> dict[str, Any]:
    return {
        "id": res.id, "package_id": res.dataset_id, "name": res.name, "description": res.description,
        "format": res.format, "mimetype": res.mimetype, "url": res.url, "url_type": res.url_type or None,
        "size": res.size, "position": res.position, "created": when(res.created),
        "last_modified": when(res.last_modified), "metadata_modified": when(res.last_modified),
        "datastore_active": res.datastore_active, "state": "active", "hash": "", "resource_type": None,
        "cache_url": None, "cache_last_updated": None, "mimetype_inner": None,
    }


def package_dicts(db: Session, rows: list[Dataset], lang: str = "fa") -> list[dict[str, Any]]:
    """Several datasets at once: tags, resources and organizations read in one query each."""
    ids = [r.id for r in rows]
    tags = service.tags_of(db, ids)
    resources = service.resources_of(db, ids)
    orgs = identity.organization_views(db, {r.organization_id for r in rows})
    out = []
    for row in rows:
        lic = LICENSES.get(row.license_id)
        org = orgs[row.organization_id]
        res = resources[row.id]
        out.append({
            "id": row.id, "name": row.name, "title": row.title, "title_en": row.title_en, "notes": row.notes,
            "notes_en": row.notes_en, "type": "dataset", "state": row.state, "private": row.private,
            "license_id": row.license_id, "license_title": lic.title if lic else row.license_id,
            "license_url": lic.url if lic else "", "isopen": bool(lic and lic.open),
            "author": row.author, "author_email": row.author_email, "maintainer": row.maintainer,
            "maintainer_email": row.maintainer_email, "url": row.url, "version": row.version,
            "frequency": row.frequency, "metadata_created": when(row.metadata_created),
            "metadata_modified": when(row.metadata_modified),
            "creator_user_id": str(row.creator_id) if row.creator_id else None,
            "owner_org": org.code, "organization": organization_dict(org, lang=lang),
            "num_tags": len(tags[row.id]),
            "tags": [{"id": t, "name": t, "display_name": t, "state": "active", "vocabulary_id": None}
                     for t in tags[row.id]],
            "groups": [], "extras": list(row.extras or []), "relationships_as_object": [],
            "relationships_as_subject": [], "num_resources": len(res),
            "resources": [resource_dict(r) for r in res],
        })
    return out


def package_dict(db: Session, row: Dataset, lang: str = "fa") -> dict[str, Any]:
    return package_dicts(db, [row], lang)[0]
