"""A second smartgov instance (its own database, app and keys) for exchange tests over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smartgov import db as kernel_db
from smartgov.app import create_app
from smartgov.db import Database
from smartgov.settings import Settings, use_settings
from tests.conftest import PG_URL, _empty


@pytest.fixture(scope="session")
def peer_database_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second migrated database on the same backend as the first."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('peer') / 'peer.sqlite'}"
        kernel_db.migrate(url)
        yield url
        return
    assert PG_URL
    base = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"sgpeer_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        kernel_db.migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Instance:
    database: Database
    app: Any


@pytest.fixture
def peer(peer_database_url: str, settings: Settings, app: Any, tmp_path: Path) -> Iterator[Instance]:
    """Instance B: its own database and app (the test's ``app`` is instance A)."""
    peer_settings = settings.model_copy(update={"database_url": peer_database_url, "data_dir": tmp_path / "peer"})
    database = Database(peer_database_url)
    _empty(database)
    peer_app = create_app(peer_settings, database)
    use_settings(settings)  # create_app put B's settings in force; A's stay the default
    yield Instance(database=database, app=peer_app)
    database.dispose()
