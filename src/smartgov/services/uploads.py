"""Uploaded files: checked, stored and bound to the case that answers with them."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import (
    AccountRef,
)
from smartgov.settings import get_settings

from .config import services_settings
from .definitions import (
    FileField,
    GroupField,
    ServiceDefinition,
)
from .models import (
    StoredFile,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- files

_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def upload_dir() -> Path:
    return Path(get_settings().data_dir) / "uploads"


def store_upload(db: Session, account: AccountRef, *, name: str, mime: str, data: bytes,
                 mime_types: tuple[str, ...] | None = None, max_size: int | None = None,
                 field: str = "file") -> StoredFile:
    """Keep an uploaded file after checking its size, declared type and that its content matches the type."""
    limit = min(services_settings().upload_max_bytes, max_size or services_settings().upload_max_bytes)
    mime = (mime or "application/octet-stream").split(";")[0].strip().lower()
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()[:255]
    if not name:
        raise DomainError("file_invalid", N_("Upload a file."), field=field)
    if not data:
        raise DomainError("file_empty", N_("The selected file is empty."), field=field)
    if len(data) > limit:
        raise DomainError("file_too_large", N_("The file must be no larger than {limit} KB."), field=field,
                          limit=limit // 1024)
    if mime_types and mime not in mime_types:
        raise DomainError("file_type", N_("The file must be one of these types: {types}."), field=field,
                          types=", ".join(mime_types))
    magic = _MAGIC.get(mime)
    if magic is not None and not data.startswith(magic):
        raise DomainError("file_content", N_("The file's content does not match its type."), field=field)
    file_id = uuid.uuid4().hex
    now = clock.now()
    rel = Path(f"{now:%Y/%m}") / file_id
    target = upload_dir() / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    row = StoredFile(id=file_id, owner_id=account.id, name=name, mime=mime, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), path=str(rel), created_at=now)
    db.add(row)
    db.flush()
    return row


def file_meta(row: StoredFile) -> dict[str, Any]:
    """How an answer refers to an uploaded file."""
    return {"ref": row.id, "name": row.name, "mime": row.mime, "size": row.size}


def file_row(db: Session, file_id: str) -> StoredFile:
    row = db.get(StoredFile, file_id) if re.fullmatch(r"[0-9a-f]{32}", file_id or "") else None
    if row is None:
        raise NotFound("file")
    return row


def file_bytes(row: StoredFile) -> bytes:
    return (upload_dir() / row.path).read_bytes()


def upload_limits(defn: ServiceDefinition, field: str | None) -> tuple[tuple[str, ...] | None, int | None]:
    """The allowed types and size of a file question (``field``: ``name``, ``group.sub`` or ``documents.id``)."""
    if not field:
        return None, None
    if field.startswith("documents."):
        doc = next((d for d in defn.documents if d.id == field.removeprefix("documents.")), None)
        if doc is None:
            raise DomainError("file_field_unknown", N_("This question does not take a file."), field="field")
        return doc.mime_types, doc.max_size_bytes
    head, _, sub = re.sub(r"\[\d+\]", "", field).partition(".")
    found: Any = defn.fields_by_name.get(head)
    if isinstance(found, GroupField):
        found = next((f for f in found.fields if f.name == sub), None)
    if not isinstance(found, FileField):
        raise DomainError("file_field_unknown", N_("This question does not take a file."), field="field")
    return found.mime_types, found.max_size_bytes
