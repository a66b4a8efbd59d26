"""The restore drill (slow; CI runs it): back up while citizens submit and the worker works, restore into a
new database, then ``smartgov ledger verify`` passes and every acknowledged submission is there.

* SQLite: ``smartgov backup`` (the online backup API) under load, ``smartgov restore`` into a new file.
* PostgreSQL, logical: ``smartgov backup`` (``pg_dump -Fc``) under load, restored into a new database.
* PostgreSQL, physical (``tests/pg_cluster.py``): a primary cluster of the test's own with WAL archiving,
  ``pg_basebackup -X stream`` under load into a second cluster that is started and checked; then the same
  base backup recovered to a point in time from the WAL archive — what the README's "Backups" says to do.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartgov import db as kernel_db
from smartgov.app import create_app
from smartgov.cli import app as cli
from smartgov.db import Database
from smartgov.services.models import Application, StoredFile
from smartgov.settings import Settings, use_settings
from tests.backup_helpers import Load, new_database_url, tokens_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("SMARTGOV_SLOW_TESTS") != "1",
                                                   reason="set SMARTGOV_SLOW_TESTS=1 (CI does)")]
runner = CliRunner()


def restored_state(settings: Settings) -> tuple[dict[str, str], list[StoredFile]]:
    """What a restored database holds: reference by idempotency key, and the uploaded files' rows."""
    database = Database(settings.database_url)
    try:
        with database.sessions() as db:
            cases = {a.idempotency_key: a.reference for a in db.scalars(select(Application))}
            return cases, list(db.scalars(select(StoredFile)))
    finally:
        database.dispose()


def ledger_verifies(settings: Settings) -> str:
    use_settings(settings)
    result = runner.invoke(cli, ["ledger", "verify"])
    assert result.exit_code == 0 and "ledger verifies" in result.output, result.output
    return result.output


def test_restore_drill_backup_under_load(client, db, database, settings: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    citizen = tokens_for(client, db)
    load = Load(client, citizen, database).start()
    try:
        load.wait_for(acked=15, worker_rounds=2)
        started = time.time()
        must_hold = load.acknowledged_before(started)
        archive = tmp_path / "drill.tar.gz"
        result = runner.invoke(cli, ["backup", str(archive)])  # the server's threads and the worker go on writing
        assert result.exit_code == 0, result.output
        load.wait_for(acked=len(load.acked) + 6)  # and they are still going after it
    finally:
        load.stop()

    with new_database_url(settings.database_url, tmp_path / "restored.sqlite") as url:
        fresh = settings.model_copy(update={"database_url": url, "data_dir": tmp_path / "restored-data"})
        use_settings(fresh)
        result = runner.invoke(cli, ["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert "entries: 0 " not in ledger_verifies(fresh)
        cases, files = restored_state(fresh)
        use_settings(settings)
    assert must_hold and must_hold <= set(cases.values())  # every acknowledged submission is there
    assert set(cases) <= set(load.sent)  # and nothing else
    for row in files:  # each file the restored database knows, byte for byte
        assert hashlib.sha256((Path(fresh.data_dir) / "uploads" / row.path).read_bytes()).hexdigest() == row.sha256
    assert len(files) >= 2 * len(must_hold)


def test_physical_restore_drill_with_pg_basebackup_and_point_in_time_recovery(tmp_path: Path) -> None:
    from tests.pg_cluster import Cluster, binaries

    if binaries() is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    with Cluster.new("primary", archive=True) as primary:
        url = primary.create_database("smartgov")
        kernel_db.migrate(url)
        settings = Settings(
            environment="test", database_url=url, data_dir=tmp_path / "data", base_url="http://testserver",
            secret_key="test-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
            argon2_time_cost=1, argon2_memory_kib=1024)
        use_settings(settings)
        database = Database(url)
        app = create_app(settings, database)
        with TestClient(app, base_url="http://testserver") as client:
            with database.sessions() as db:
                citizen = tokens_for(client, db)
            load = Load(client, citizen, database).start()
            try:
                load.wait_for(acked=15, worker_rounds=2)
                started = time.time()
                base_holds = load.acknowledged_before(started)
                base = primary.base_backup("base")  # pg_basebackup -X stream, while the load goes on
                load.wait_for(acked=len(load.acked) + 8)
                target_time = primary.now()  # the point in time to recover to
                pitr_holds = load.acknowledged_before(target_time)
                load.wait_for(acked=len(load.acked) + 8)  # commits after the target, in the archive too
            finally:
                load.stop()
        database.dispose()
        later = load.sent_after(target_time)
        assert later
        primary.stop(switch_wal=True)  # the archiver sends every finished WAL segment before it stops

        pitr_copy = base.copy("pitr")
        with base.start() as restored:  # the base backup alone, consistent as of its end
            fresh = settings.model_copy(update={"database_url": restored.url("smartgov")})
            ledger_verifies(fresh)
            cases, _ = restored_state(fresh)
            assert base_holds and base_holds <= set(cases.values())
        with pitr_copy.start(recover_to=target_time, archive=primary.archive) as recovered:
            fresh = settings.model_copy(update={"database_url": recovered.url("smartgov")})
            ledger_verifies(fresh)
            cases, _ = restored_state(fresh)
            assert pitr_holds and pitr_holds <= set(cases.values())  # acknowledged by then: there
            assert not later & set(cases)  # sent after it: not there
    use_settings(settings)
