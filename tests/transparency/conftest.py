"""The datastore makes an index per uploaded column (``ix_tds_…``); the database the whole run shares
must not keep them after a test, or the check that models and migrations agree would see them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text


def drop_datastore_indexes(database: Any) -> None:
    with database.engine.begin() as conn:
        if database.is_postgres:
            names = list(conn.scalars(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix\\_tds\\_%'")))
        else:
            names = list(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_tds_%'")))
        for name in names:
            conn.execute(text(f'DROP INDEX IF EXISTS "{name}"'))


@pytest.fixture(autouse=True)
def _datastore_indexes_dropped(database: Any) -> Iterator[None]:
    yield
    drop_datastore_indexes(database)


from tests.exchange.conftest import peer, peer_database_url  # noqa: E402,F401 - a second instance for ckanapi load
