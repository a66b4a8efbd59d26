"""Use cases of the open-data portal: datasets, resources and their uploads; the platform's own datasets.

Functions take a Session and never commit. Input arrives as CKAN's dictionaries (the API and the
pages both build one), is validated here, and is refused with a localized 422/409 naming the field.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from smartgov import clock, events, files, identity
from smartgov.digits import search_text
from smartgov.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import OrganizationView, Principal
from smartgov.settings import public_url

from . import datastore, permissions
from .events import DATASET_CREATED, DATASET_DELETED, DATASET_UPDATED, RESOURCE_UPLOADED
from .licenses import BY_ID as LICENSES
from .models import CatalogueVersion, Dataset, DatasetTag, Resource, ResourceFile

NAME = re.compile(r"[a-z0-9_\-]{2,100}")
TAG = re.compile(r"[\w \-.]{1,100}")
FREQUENCIES = ("", "DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL", "IRREG", "UNKNOWN")
#: What an upload may hold: bigger than a hand-made sheet, bounded all the same (``smartgov.files``).
UPLOAD_LIMITS = files.Limits(max_rows=300_000, max_cells=3_000_000)
MAX_UPLOAD = 40 * files.MB
FORMATS = {".csv": ("CSV", "text/csv"), ".txt": ("CSV", "text/csv"),
           ".xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           ".xlsm": ("XLSX", "application/vnd.ms-excel.sheet.macroEnabled.12")}


def changed(db: Session, dataset: Dataset) -> None:
    """Mark ``dataset`` modified now, and move the catalogue's version (cached search counts are dropped)."""
    dataset.metadata_modified = clock.now()
    bump = update(CatalogueVersion).where(CatalogueVersion.id == 1).values(version=CatalogueVersion.version + 1)
    if db.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
        # The migration makes the row; a database emptied since (the tests do) starts at a random
        # number, so that counts cached for what it held before can never match again.
        db.add(CatalogueVersion(id=1, version=secrets.randbits(48)))
        db.flush()


def invalid(field: str, message: str, code: str = "invalid", **params: Any) -> DomainError:
    return DomainError(code, message, field=field, status=422, **params)


# --------------------------------------------------------------------------- reading


def get_dataset(db: Session, id_or_name: str, principal: Principal | None = None, *,
                include_deleted: bool = False) -> Dataset:
    """The dataset by id or name; 404 if it is not there or the caller may not see it."""
    row = db.get(Dataset, id_or_name) if len(id_or_name) == 36 else None
    if row is None:
        row = db.scalar(select(Dataset).where(Dataset.name == id_or_name))
    if row is None or (row.state == "deleted" and not include_deleted):
        raise NotFound("dataset", field="id")
    if row.private and not permissions.can_see_private(db, principal, org_of(db, row)):
        raise NotFound("dataset", field="id")
    return row


def get_resource(db: Session, resource_id: str, principal: Principal | None = None) -> Resource:
    row = db.get(Resource, resource_id) if isinstance(resource_id, str) else None
    if row is None:
        raise NotFound("resource", field="id")
    get_dataset(db, row.dataset_id, principal)  # its dataset must be visible
    return row


def resources_of(db: Session, dataset_ids: Sequence[str]) -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {i: [] for i in dataset_ids}
    if dataset_ids:
        for r in db.scalars(select(Resource).where(Resource.dataset_id.in_(dataset_ids))
                            .order_by(Resource.dataset_id, Resource.position)):
            out[r.dataset_id].append(r)
    return out


def tags_of(db: Session, dataset_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in dataset_ids}
    if dataset_ids:
        for t in db.scalars(select(DatasetTag).where(DatasetTag.dataset_id.in_(dataset_ids))
                            .order_by(DatasetTag.name)):
            out[t.dataset_id].append(t.name)
    return out


def org_of(db: Session, dataset: Dataset) -> OrganizationView:
    org = identity.organization_view(db, dataset.organization_id)
    assert org is not None  # a foreign key holds it
    return org


def organization(db: Session, code: str) -> OrganizationView:
    """An agency by code (CKAN's organization id and name); 404 for anything else."""
    try:
        org = identity.organization_by_code(db, code)
    except NotFound:
        raise NotFound("organization", field="id") from None
    if not org.is_agency:
        raise NotFound("organization", field="id")
    return org


def organizations(db: Session) -> list[tuple[OrganizationView, int]]:
    """Every agency with the number of public datasets it has published, by code."""
    counts = dict(db.execute(select(Dataset.organization_id, func.count()).where(
        Dataset.state == "active", Dataset.private.is_(False)).group_by(Dataset.organization_id)).tuples().all())
    return [(org, counts.get(org.id, 0)) for org in identity.agencies(db)]


def tag_names(db: Session, query: str | None = None) -> list[str]:
    stmt = (select(DatasetTag.name).join(Dataset, Dataset.id == DatasetTag.dataset_id)
            .where(Dataset.state == "active", Dataset.private.is_(False)).distinct().order_by(DatasetTag.name))
    names = list(db.scalars(stmt))
    if query:
        wanted = search_text(query)
        names = [n for n in names if wanted in search_text(n)]
    return names


def dataset_names(db: Session, *, limit: int | None = None, offset: int = 0) -> list[str]:
    stmt = (select(Dataset.name).where(Dataset.state == "active", Dataset.private.is_(False))
            .order_by(Dataset.name).offset(offset))
    return list(db.scalars(stmt.limit(limit) if limit is not None else stmt))


# --------------------------------------------------------------------------- writing datasets


def _text(data: dict[str, Any], key: str, limit: int, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise invalid(key, N_("Enter text."))
    value = str(value).strip()
    if len(value) > limit:
        raise invalid(key, N_("At most {max} characters."), "too_long", max=limit)
    return value


def _owner(db: Session, principal: Principal | None, data: dict[str, Any], current: Dataset | None) -> OrganizationView:
    ref = data.get("owner_org")
    if ref is None and isinstance(data.get("organization"), dict):
        ref = data["organization"].get("name") or data["organization"].get("id")
    if ref is None and current is not None:
        org = org_of(db, current)
    elif not isinstance(ref, str) or not ref:
        raise invalid("owner_org", N_("Choose the organization that publishes the dataset."), "missing")
    else:
        try:
            org = organization(db, ref)
        except NotFound:
            raise invalid("owner_org", N_("There is no organization {code}."), "unknown", code=ref[:60]) from None
    if principal is not None and not permissions.can_publish_for(db, principal, org):
        raise Forbidden(N_("You may only publish datasets for your own agency."))
    return org


def _tags(data: dict[str, Any]) -> list[str]:
    raw = data.get("tags")
    if raw is None and isinstance(data.get("tag_string"), str):
        raw = [t for t in data["tag_string"].split(",") if t.strip()]
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 50:
        raise invalid("tags", N_("Tags are a list of at most 50 names."))
    out = []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not TAG.fullmatch(name.strip()):
            raise invalid("tags", N_("A tag is 1–100 letters, digits, spaces, - _ or ."))
        out.append(name.strip())
    return sorted(set(out))


def _extras(data: dict[str, Any]) -> list[dict[str, str]]:
    raw = data.get("extras") or []
    if not isinstance(raw, list) or len(raw) > 50:
        raise invalid("extras", N_("Extras are a list of at most 50 key and value pairs."))
    out = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"].strip():
            raise invalid("extras", N_("Each extra needs a key and a value."))
        out.append({"key": item["key"].strip()[:100], "value": str(item.get("value", ""))[:2000]})
    return out


def _flag(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0", ""):
            raise invalid(key, N_("Enter true or false."))
        return value.lower() in ("true", "1")
    return bool(value)


def _apply(db: Session, row: Dataset, data: dict[str, Any], *, patch: bool) -> None:
    """Copy the dictionary's fields onto ``row`` (a patch keeps what it does not name)."""
    def take(key: str, limit: int) -> None:
        if not patch or key in data:
            setattr(row, key, _text(data, key, limit))

    errors: list[DomainError] = []
    for key, limit in (("title", 300), ("title_en", 300), ("notes", 20_000), ("notes_en", 20_000),
                       ("version", 100), ("url", 500), ("author", 200), ("author_email", 200),
                       ("maintainer", 200), ("maintainer_email", 200)):
        try:
            take(key, limit)
        except DomainError as exc:
            errors.append(exc)
    if not row.title:
        row.title = row.name
    if not patch or "license_id" in data:
        lic = data.get("license_id") or "notspecified"
        if lic not in LICENSES:
            errors.append(invalid("license_id", N_("Unknown licence {code}."), "unknown", code=str(lic)[:50]))
        else:
            row.license_id = lic
    if not patch or "frequency" in data:
        freq = str(data.get("frequency") or "").upper()
        if freq not in FREQUENCIES:
            errors.append(invalid("frequency", N_("Unknown update frequency.")))
        else:
            row.frequency = freq
    if not patch or "private" in data:
        try:
            row.private = _flag(data, "private", False)
        except DomainError as exc:
            errors.append(exc)
    if not patch or "extras" in data:
        try:
            row.extras = _extras(data)
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)


def _refresh_search(db: Session, row: Dataset) -> None:
    org = org_of(db, row)
    tags = tags_of(db, [row.id])[row.id]
    parts = [row.name, row.title, row.title_en, row.notes[:2000], row.notes_en[:2000], org.name_fa, org.name_en,
             org.code, *tags]
    row.search_text = search_text(" ".join(parts))


def _set_tags(db: Session, row: Dataset, tags: list[str]) -> None:
    db.execute(delete(DatasetTag).where(DatasetTag.dataset_id == row.id))
    db.add_all(DatasetTag(dataset_id=row.id, name=t) for t in tags)
    db.flush()


def _new_id(data: dict[str, Any], field: str, model: type[Dataset] | type[Resource], db: Session) -> str:
    given = data.get("id")
    if not given:
        return str(uuid.uuid4())
    try:
        value = str(uuid.UUID(str(given)))
    except ValueError:
        raise invalid(field, N_("An id is a UUID.")) from None
    if db.get(model, value) is not None:
        raise DomainError("id_in_use", N_("That id is already in use."), field=field, status=409)
    return value


def create_dataset(db: Session, principal: Principal | None, data: dict[str, Any]) -> Dataset:
    """A new dataset (with its resources, if the dictionary has them); ``principal`` None: the platform."""
    name = data.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise invalid("name", N_("A name is 2–100 lower-case letters, digits, - or _."))
    if db.scalar(select(Dataset.id).where(Dataset.name == name)) is not None:
        raise Conflict("name_in_use", N_("That URL is already in use."), field="name")
    org = _owner(db, principal, data, None)
    now = clock.now()
    row = Dataset(id=_new_id(data, "id", Dataset, db), name=name, organization_id=org.id, state="active",
                  creator_id=principal.id if principal else None, platform=principal is None,
                  metadata_created=now, metadata_modified=now)
    _apply(db, row, data, patch=False)
    tags = _tags(data)
    db.add(row)
    db.flush()
    _set_tags(db, row, tags)
    for position, res in enumerate(data.get("resources") or []):
        _resource_from(db, row, res, position, principal, field=f"resources.{position}")
    _refresh_search(db, row)
    changed(db, row)
    events.publish(db, DATASET_CREATED, actor_id=principal.id if principal else None, dataset_id=row.id,
                   dataset_name=row.name, organization=org.code)
    return row


def update_dataset(db: Session, principal: Principal | None, data: dict[str, Any], *, patch: bool) -> Dataset:
    """``package_update`` (everything the dictionary does not name is cleared) or ``package_patch``."""
    ref = data.get("id") or data.get("name")
    if not isinstance(ref, str) or not ref:
        raise invalid("id", N_("Name the dataset (id or name)."), "missing")
    row = get_dataset(db, ref, principal)
    old_org = org_of(db, row)
    if principal is not None and not permissions.can_publish_for(db, principal, old_org):
        raise Forbidden(N_("You may only publish datasets for your own agency."))
    if row.platform and principal is not None and not identity.is_platform_admin(principal):
        raise Forbidden(N_("The platform's own datasets are refreshed by the platform."))
    if "owner_org" in data or not patch:
        row.organization_id = _owner(db, principal, data, row).id
    new_name = data.get("name", row.name)
    if new_name != row.name:
        if not isinstance(new_name, str) or not NAME.fullmatch(new_name):
            raise invalid("name", N_("A name is 2–100 lower-case letters, digits, - or _."))
        if db.scalar(select(Dataset.id).where(Dataset.name == new_name)) is not None:
            raise Conflict("name_in_use", N_("That URL is already in use."), field="name")
        row.name = new_name
    _apply(db, row, data, patch=patch)
    if not patch or "tags" in data or "tag_string" in data:
        _set_tags(db, row, _tags(data))
    if not patch or "resources" in data:
        _replace_resources(db, row, data.get("resources") or [], principal)
    changed(db, row)
    _refresh_search(db, row)
    events.publish(db, DATASET_UPDATED, actor_id=principal.id if principal else None, dataset_id=row.id,
                   dataset_name=row.name)
    return row


def _replace_resources(db: Session, row: Dataset, items: list[Any], principal: Principal | None) -> None:
    """Resources named by id are updated, new ones created, the rest removed (CKAN's update)."""
    if not isinstance(items, list):
        raise invalid("resources", N_("Resources are a list."))
    current = {r.id: r for r in resources_of(db, [row.id])[row.id]}
    kept: set[str] = set()
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"resources.{position}", N_("Each resource is an object."))
        existing = current.get(str(item.get("id") or ""))
        if existing is not None:
            _resource_fields(existing, item, patch=False, field=f"resources.{position}")
            existing.position = position
            kept.add(existing.id)
        else:
            kept.add(_resource_from(db, row, item, position, principal, field=f"resources.{position}").id)
    for rid, res in current.items():
        if rid not in kept:
            datastore.drop(db, res)
            db.delete(res)
    db.flush()


def delete_dataset(db: Session, principal: Principal, ref: str) -> Dataset:
    """``package_delete``: the dataset is withdrawn (state ``deleted``), its datastore emptied."""
    row = get_dataset(db, ref, principal)
    if not permissions.can_publish_for(db, principal, org_of(db, row)):
        raise Forbidden(N_("You may only publish datasets for your own agency."))
    row.state = "deleted"
    changed(db, row)
    for res in resources_of(db, [row.id])[row.id]:
        datastore.drop(db, res)
    events.publish(db, DATASET_DELETED, actor_id=principal.id, dataset_id=row.id, dataset_name=row.name)
    return row


# --------------------------------------------------------------------------- resources


def _resource_fields(res: Resource, data: dict[str, Any], *, patch: bool, field: str) -> None:
    for key, limit in (("name", 300), ("description", 5000), ("format", 30), ("mimetype", 100)):
        if not patch or key in data:
            try:
                setattr(res, key, _text(data, key, limit))
            except DomainError as exc:
                raise invalid(f"{field}.{key}" if field else key, exc.message, exc.code, **exc.params) from None
    if res.url_type != "upload" and (not patch or "url" in data):
        url = _text(data, "url", 1000)
        if url and not url.lower().startswith(("http://", "https://")):
            raise invalid(f"{field}.url" if field else "url", N_("A link starts with http:// or https://."))
        res.url = url
    res.last_modified = clock.now()


def _resource_from(db: Session, dataset: Dataset, data: Any, position: int, principal: Principal | None, *,
                   field: str) -> Resource:
    if not isinstance(data, dict):
        raise invalid(field, N_("Each resource is an object."))
    now = clock.now()
    res = Resource(id=_new_id(data, f"{field}.id" if field else "id", Resource, db), dataset_id=dataset.id,
                   position=position, url_type="", created=now, last_modified=now, fields=[], row_count=0,
                   datastore_active=False)
    _resource_fields(res, data, patch=False, field=field)
    db.add(res)
    db.flush()
    return res


def create_resource(db: Session, principal: Principal | None, data: dict[str, Any],
                    upload: tuple[str, bytes] | None = None) -> Resource:
    """``resource_create``: a link, or an uploaded CSV/XLSX whose rows go into the datastore."""
    ref = data.get("package_id")
    if not isinstance(ref, str) or not ref:
        raise invalid("package_id", N_("Name the dataset (id or name)."), "missing")
    dataset = get_dataset(db, ref, principal)
    if principal is not None and not permissions.can_publish_for(db, principal, org_of(db, dataset)):
        raise Forbidden(N_("You may only publish datasets for your own agency."))
    position = len(resources_of(db, [dataset.id])[dataset.id])
    res = _resource_from(db, dataset, {k: v for k, v in data.items() if k != "url" or upload is None}, position,
                         principal, field="")
    if upload is not None:
        store_upload(db, principal, res, *upload)
    changed(db, dataset)
    events.publish(db, DATASET_UPDATED, actor_id=principal.id if principal else None, dataset_id=dataset.id,
                   dataset_name=dataset.name)
    return res


def store_upload(db: Session, principal: Principal | None, res: Resource, filename: str, data: bytes, *,
                 field: str = "upload") -> None:
    """Keep the file and load its table into the datastore (hostile or malformed files: 4xx naming ``field``)."""
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload.csv"
    if len(data) > MAX_UPLOAD:
        raise DomainError("file_too_big", N_("The file is bigger than {max} MB."), field=field, status=413,
                          max=MAX_UPLOAD // files.MB)
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    table = files.read_table(filename, data, field=field, limits=UPLOAD_LIMITS)
    table = [row for row in table if any(c not in (None, "") for c in row)]
    if not table:
        raise invalid(field, N_("The file has no rows."), "empty_file")
    fields = datastore.table_fields(table[0], table[1:], field=field)
    records = datastore.typed_rows(fields, table[1:], field=field)
    fmt, mime = FORMATS.get(suffix, ("CSV", "text/csv"))
    if not res.name:
        res.name = filename
    _keep_file(db, res, filename, data, fmt, mime, fields, records)
    events.publish(db, RESOURCE_UPLOADED, actor_id=principal.id if principal else None, resource_id=res.id,
                   dataset_id=res.dataset_id, rows=len(records), format=fmt)


def _keep_file(db: Session, res: Resource, filename: str, data: bytes, fmt: str, mime: str,
               fields: Sequence[datastore.Field], records: Sequence[dict[str, Any]]) -> None:
    """Make ``data`` the resource's downloadable file and ``records`` its datastore rows, replacing both
    (an upload and a dataset the platform publishes itself are kept alike)."""
    res.format, res.mimetype, res.size, res.url_type = fmt, mime, len(data), "upload"
    res.url = public_url(f"/dataset/{res.dataset_id}/resource/{res.id}/download/{filename}")
    stored = db.get(ResourceFile, res.id)
    if stored is None:
        db.add(ResourceFile(resource_id=res.id, filename=filename, data=data))
    else:
        stored.filename, stored.data = filename, data
    datastore.replace_rows(db, res, fields, records)
    res.last_modified = clock.now()


def edit_schema(db: Session, principal: Principal, resource_id: str, changes: dict[str, dict[str, str]]) -> Resource:
    """The owner retypes or relabels columns; every row is typed again (422 if a cell does not fit)."""
    res = get_resource(db, resource_id, principal)
    dataset = get_dataset(db, res.dataset_id, principal)
    if not permissions.can_publish_for(db, principal, org_of(db, dataset)):
        raise Forbidden(N_("You may only publish datasets for your own agency."))
    datastore.retype(db, res, changes)
    res.last_modified = clock.now()
    changed(db, dataset)
    events.publish(db, DATASET_UPDATED, actor_id=principal.id, dataset_id=dataset.id, dataset_name=dataset.name)
    return res


def download(db: Session, dataset_id: str, resource_id: str, principal: Principal | None) -> ResourceFile:
    res = get_resource(db, resource_id, principal)
    stored = db.get(ResourceFile, res.id)
    if res.dataset_id != dataset_id or stored is None:
        raise NotFound("resource")
    return stored


# --------------------------------------------------------------------------- the platform's own datasets


def publish_platform_dataset(db: Session, *, name: str, title: str, title_en: str, organization_code: str,
                             schema: Sequence[dict[str, Any]], rows: Sequence[Sequence[Any] | dict[str, Any]],
                             notes: str = "", notes_en: str = "", tags: Sequence[str] = (),
                             frequency: str = "DAILY", license_id: str = "cc-by",
                             resource_name: str = "data") -> Dataset:
    """Create or refresh a dataset the platform publishes itself (from its rollups), idempotently.

    ``schema`` is ``[{"id", "type", "label"?}]`` (types of ``datastore.TYPES``); ``rows`` are lists in
    that order or dicts by id. The dataset keeps its id; its one resource ``resource_name`` has its
    rows and its CSV file replaced. The caller is responsible for what the rows hold (aggregates
    with small cells suppressed, never personal data): this function publishes what it is given.
    """
    data = {"name": name, "title": title, "title_en": title_en, "notes": notes, "notes_en": notes_en,
            "owner_org": organization_code, "tags": list(tags), "frequency": frequency, "license_id": license_id}
    row = db.scalar(select(Dataset).where(Dataset.name == name))
    if row is None:
        row = create_dataset(db, None, data)
    else:
        row.state = "active"
        update_dataset(db, None, {**data, "id": row.id}, patch=True)
    row.platform = True
    fields = []
    for i, col in enumerate(schema):
        if col.get("type") not in datastore.TYPES:
            raise ValueError(f"unknown type {col.get('type')!r} for {col.get('id')!r}")
        fields.append(datastore.Field(id=str(col["id"]), type=col["type"], key=datastore.key_for(i, col["type"]),
                                      label=str(col.get("label", ""))))
    table = [[r.get(f.id) for f in fields] if isinstance(r, dict) else list(r) for r in rows]
    records = datastore.typed_rows(fields, table, field="rows")
    res = next((r for r in resources_of(db, [row.id])[row.id] if r.name == resource_name), None)
    if res is None:
        res = _resource_from(db, row, {"name": resource_name}, 0, None, field="")
    csv_bytes = files.csv_text([f.id for f in fields], table, bom=True).encode("utf-8")
    _keep_file(db, res, f"{name}.csv", csv_bytes, "CSV", "text/csv", fields, records)
    changed(db, row)
    return row
