"""Arrangements shared by the backup tests: a new empty database, and submissions with uploaded files."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.factories import api_token, auth
from tests.services.helpers import PDF, address_answers, arrange

API = "/api/v1/services"


@contextmanager
def new_database_url(like: str, sqlite_path: Path) -> Iterator[str]:
    """The URL of a new, empty database on ``like``'s backend (PostgreSQL: created here, dropped after)."""
    url = make_url(like)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    name = f"sgrestore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def tokens_for(client: Any, db: Session) -> dict[str, Any]:
    """The engine's arrangement (agencies, accounts, bundled services) and the citizen's API headers."""
    accounts = arrange(db)
    db.commit()
    headers = auth(api_token(client, accounts["citizen"]))
    return {"headers": headers, "answers": address_answers(accounts["citizen"], owns_home=False)}


def _upload(client: Any, headers: dict[str, str], field: str, data: bytes) -> dict[str, Any]:
    r = client.post(f"{API}/files", headers=headers, data={"service_id": "address-change", "field": field},
                    files={"file": ("scan.pdf", data, "application/pdf")})
    assert r.status_code == 201, r.text
    return r.json()


def submit_with_upload(client: Any, citizen: dict[str, Any], key: str) -> str:
    """Submit an address change with two uploaded files through the JSON API; the acknowledged reference."""
    status, reference = try_submit(client, citizen, key)
    assert status in (200, 201), reference
    return reference


def try_submit(client: Any, citizen: dict[str, Any], key: str) -> tuple[int, str]:
    """Submit as :func:`submit_with_upload` does; the answer's status and the reference (or the body)."""
    headers = citizen["headers"]
    unique = PDF + key.encode()  # every file's content differs, so a restored file is known by its hash
    answers = {**citizen["answers"], "lease_contract": _upload(client, headers, "lease_contract", unique)}
    body = {"service_id": "address-change", "answers": answers,
            "documents": {"proof_of_address": _upload(client, headers, "documents.proof_of_address", unique)}}
    r = client.post(f"{API}/applications", headers={**headers, "Idempotency-Key": key}, json=body)
    return r.status_code, (r.json()["reference"] if r.status_code in (200, 201) else r.text)
