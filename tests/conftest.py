"""Shared fixtures: every database test runs on SQLite and, when
``SMARTGOV_TEST_DATABASE_URL`` is set, on PostgreSQL too — always through Alembic."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smartgov import clock
from smartgov import db as kernel_db
from smartgov.app import create_app
from smartgov.db import Base, Database
from smartgov.settings import Settings, use_settings
from smartgov.web import deps

deps.STRICT_UNSAVED = True  # a request that answers without committing its writes fails its test (below)

PG_URL = os.environ.get("SMARTGOV_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database per backend for the whole run (a fresh PostgreSQL database)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        kernel_db.migrate(url)
        yield url
        return
    assert PG_URL
    base = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"sgtest_{uuid.uuid4().hex[:12]}"
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


def _empty(database: Database) -> None:
    import importlib

    import smartgov.health  # noqa: F401 - kernel tables outside modules

    root = Path(kernel_db.__file__).parent
    for models in [*root.glob("*/models.py"), *root.glob("*/*/models.py")]:  # modules and sub-packages
        importlib.import_module("smartgov." + ".".join(models.relative_to(root).with_suffix("").parts))
    from sqlalchemy import inspect

    existing = set(inspect(database.engine).get_table_names())
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in existing]
    with database.engine.begin() as conn:
        if database.is_postgres:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Iterator[Settings]:
    s = Settings(
        environment="test", database_url=database_url, data_dir=tmp_path / "data",
        secret_key="test-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        argon2_time_cost=1, argon2_memory_kib=1024, login_max_failures=5, base_url="http://testserver",
    )
    use_settings(s)
    yield s


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    _empty(database)
    yield database
    database.dispose()


@pytest.fixture
def db(database: Database) -> Iterator:
    """A session for arranging and asserting; tests commit what they arrange.

    On SQLite it runs statement by statement (no held lock, always the latest data), so a
    test can look at the database between requests without blocking the app.
    """
    inspector = Database(database.url, sqlite_begin=None) if not database.is_postgres else database
    with inspector.sessions() as session:
        yield session
    if inspector is not database:
        inspector.dispose()


@pytest.fixture
def app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, database)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture(autouse=True)
def _every_request_commits_what_it_wrote() -> Iterator[None]:
    """Fail a test whose requests answered without committing their writes (see ``deps.get_db``)."""
    deps.UNSAVED_REPORTS.clear()
    yield
    found, deps.UNSAVED_REPORTS[:] = list(deps.UNSAVED_REPORTS), []
    assert not found, found


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()
