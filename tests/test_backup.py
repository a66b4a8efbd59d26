"""``smartgov backup`` / ``smartgov restore``: a backup restores into a new database with its files, and a
restore refuses a changed archive, and a database that has tables unless ``--force`` — on both backends."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartgov import backup
from smartgov.cli import app as cli
from smartgov.db import Database
from smartgov.services.models import Application, StoredFile
from smartgov.settings import Settings, use_settings
from tests.backup_helpers import new_database_url, submit_with_upload, tokens_for

runner = CliRunner()


@pytest.mark.parametrize("command", [["backup", "--help"], ["restore", "--help"]])
def test_backup_and_restore_explain_themselves(command: list[str]) -> None:
    result = runner.invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert "SMARTGOV_DATA_DIR" in result.output and "SMARTGOV_SECRET_KEY" in result.output


@pytest.fixture
def fresh(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a new, empty database of the same backend and a new data folder (``settings`` stays)."""
    with new_database_url(settings.database_url, tmp_path / "restored.sqlite") as url:
        yield settings.model_copy(update={"database_url": url, "data_dir": tmp_path / "restored-data"})
    use_settings(settings)


@pytest.fixture
def archive(client, db, settings: Settings, tmp_path: Path) -> tuple[Path, list[str]]:  # type: ignore[no-untyped-def]
    """A backup of three acknowledged applications with an uploaded file each, the ledger appended."""
    headers = tokens_for(client, db)
    references = [submit_with_upload(client, headers, f"key-{i}") for i in range(3)]
    assert runner.invoke(cli, ["ledger", "append"]).exit_code == 0
    target = tmp_path / "backup.tar.gz"
    result = runner.invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "and 6 files" in result.output  # two uploads per application
    return target, references


def _restore(settings: Settings, *args: str) -> object:
    use_settings(settings)
    return runner.invoke(cli, ["restore", *args])


def test_a_backup_restores_into_a_new_database_with_its_files(archive, fresh: Settings) -> None:  # type: ignore[no-untyped-def]
    target, references = archive
    result = _restore(fresh, str(target))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    verified = runner.invoke(cli, ["ledger", "verify"])
    assert verified.exit_code == 0 and "ledger verifies" in verified.output, verified.output
    restored = Database(fresh.database_url)
    try:
        with restored.sessions() as db:
            found = set(db.scalars(select(Application.reference)))
            files = list(db.scalars(select(StoredFile)))
    finally:
        restored.dispose()
    assert found == set(references)
    assert len(files) == 6
    for row in files:  # every file the database knows is back, byte for byte
        data = (Path(fresh.data_dir) / "uploads" / row.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256


def test_a_database_with_tables_is_replaced_only_with_force(archive, fresh: Settings, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    target, references = archive
    assert _restore(fresh, str(target)).exit_code == 0  # type: ignore[attr-defined]
    again = _restore(fresh, str(target))
    assert again.exit_code == 2 and "is not empty" in again.output and "--force" in again.output  # type: ignore[attr-defined]
    # the same refusal for the running platform's own database
    use_settings(settings)
    assert runner.invoke(cli, ["restore", str(target)]).exit_code == 2
    forced = _restore(fresh, str(target), "--force")
    assert forced.exit_code == 0, forced.output  # type: ignore[attr-defined]
    restored = Database(fresh.database_url)
    try:
        with restored.sessions() as db:
            assert db.scalar(select(func.count()).select_from(Application)) == len(references)
    finally:
        restored.dispose()


def _rewrite(source: Path, target: Path, change: dict[str, bytes], *, rehash: bool = False,
             add: dict[str, bytes] | None = None) -> None:
    """Copy an archive with some members' bytes changed (and, with ``rehash``, the manifest made to agree)."""
    with tarfile.open(source, "r:*") as old:
        members = {info.name: old.extractfile(info).read() for info in old}  # type: ignore[union-attr]
    members.update(change)
    if rehash:
        manifest = json.loads(members[backup.MANIFEST])
        for entry in manifest["members"]:
            if entry["path"] in change:
                entry["sha256"] = hashlib.sha256(change[entry["path"]]).hexdigest()
                entry["size"] = len(change[entry["path"]])
        members[backup.MANIFEST] = json.dumps(manifest).encode()
    members.update(add or {})
    with tarfile.open(target, "w") as new:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def _an_upload(source: Path) -> str:
    with tarfile.open(source, "r:*") as archive:
        return next(name for name in archive.getnames() if name.startswith("files/uploads/"))


@pytest.mark.parametrize("how", ["file changed", "manifest re-hashed", "member added", "path escapes"])
def test_a_changed_archive_is_refused_and_nothing_is_restored(archive, fresh: Settings, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              how: str) -> None:
    target, _ = archive
    upload = _an_upload(target)
    changed = tmp_path / "changed.tar"
    if how == "file changed":
        _rewrite(target, changed, {upload: b"%PDF-1.4 forged"})
        expected = "does not match its SHA-256"
    elif how == "manifest re-hashed":
        _rewrite(target, changed, {upload: b"%PDF-1.4 forged"}, rehash=True)
        expected = "signature does not match"
    elif how == "member added":
        _rewrite(target, changed, {}, add={"files/uploads/extra": b"x"})
        expected = "which its manifest does not list"
    else:
        _rewrite(target, changed, {}, add={"files/../../escaped": b"x"})
        expected = "which its manifest does not list"
    result = _restore(fresh, str(changed))
    assert result.exit_code == 2 and expected in result.output, result.output  # type: ignore[attr-defined]
    assert not (Path(fresh.data_dir) / "uploads").exists()
    assert not (tmp_path / "escaped").exists()
    probe = Database(fresh.database_url)
    try:
        with probe.engine.connect() as conn:
            assert not probe.engine.dialect.get_table_names(conn)  # the new database is still empty
    finally:
        probe.dispose()


def test_check_only_reads_the_whole_archive_and_restores_nothing(archive, fresh: Settings) -> None:  # type: ignore[no-untyped-def]
    target, _ = archive
    result = _restore(fresh, "--check", str(target))
    assert result.exit_code == 0 and "checked the" in result.output, result.output  # type: ignore[attr-defined]
    assert not (Path(fresh.data_dir) / "uploads").exists()


def test_another_secret_key_cannot_restore(archive, fresh: Settings) -> None:  # type: ignore[no-untyped-def]
    target, _ = archive
    other = fresh.model_copy(update={"secret_key": SecretStr("another-secret-key-that-is-long-enough-01234")})
    result = _restore(other, str(target))
    assert result.exit_code == 2 and "another SMARTGOV_SECRET_KEY" in result.output  # type: ignore[attr-defined]


def test_a_backup_never_overwrites_a_file(archive) -> None:  # type: ignore[no-untyped-def]
    target, _ = archive
    before = target.read_bytes()
    result = runner.invoke(cli, ["backup", str(target)])
    assert result.exit_code == 2 and "exists" in result.output
    assert target.read_bytes() == before
