"""Backups that restore: one archive holding the database and the data folder's files.

``smartgov backup FILE`` writes a tar archive (gzip when FILE ends in ``.gz``/``.tgz``):

* ``database.sqlite`` — on SQLite, a copy made with SQLite's online backup API
  (:meth:`sqlite3.Connection.backup` in one step). In WAL mode that step reads one snapshot while the
  server and the worker go on writing; the copy is checked with ``PRAGMA integrity_check``.
* ``database.dump`` — on PostgreSQL, ``pg_dump -Fc``: a *logical* snapshot of this one database (one
  transaction's view). It is for copies (a test or staging system, moving to another machine or a new
  PostgreSQL major version, a safety copy before an upgrade), not the disaster-recovery backup of a
  national database: restoring it rebuilds every index (hours at national size) and it cannot reach a
  point in time. That is the base backup with WAL archiving and point-in-time recovery the README's
  "Backups" section describes, PostgreSQL's own tools for it.
* ``files/…`` — every regular file under ``SMARTGOV_DATA_DIR`` (uploads, issued documents, trustees'
  demo shares, the mail and SMS sinks), except the database's own files. They are read *after* the
  database snapshot: a file is written before the transaction that refers to it commits, so every
  file the snapshot knows is complete by then (files newer than the snapshot are harmless extras).
* ``manifest.json`` — format, time, backend, the schema's Alembic revisions and, per member, its
  size and SHA-256; ``manifest.hmac`` — HMAC-SHA-256 of the manifest under ``SMARTGOV_SECRET_KEY``.

``smartgov restore FILE`` checks everything before it changes anything: the HMAC (so an archive edited
and re-hashed is refused too: restore with the secret key the backup was made with), each member's
size and hash, that no member is missing, extra, a link or a path leaving its folder, that the schema
revisions are ones this code knows, and (SQLite) the copy's integrity. It refuses a database that
already has tables unless ``force`` is given. Stop the server and the worker before restoring.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy.engine import URL, make_url

from smartgov.settings import Settings

FORMAT = "smartgov-backup/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.hmac"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.dump"
FILES = "files"
_CHUNK = 1024 * 1024
_HMAC_CONTEXT = b"smartgov-backup-manifest\x00"  # the key is the app's secret; the context keeps uses apart
_SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")

PG_PURPOSE = ("PostgreSQL: this is a logical pg_dump -Fc snapshot of one database, for copies (staging, "
              "another machine, a new PostgreSQL major version, a safety copy before an upgrade). It is "
              "not the disaster-recovery backup: use a base backup with WAL archiving and point-in-time "
              "recovery (README, 'Backups').")


class BackupRefused(Exception):
    """A backup or restore that stopped before changing anything, with the reason for the operator."""


@dataclass(frozen=True)
class Member:
    """One file inside the archive: its path there, size and SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass
class Manifest:
    """What an archive holds; its JSON is ``manifest.json``."""

    backend: str
    database_member: str
    revisions: list[str]
    created_at: str
    members: list[Member] = field(default_factory=list)
    format: str = FORMAT

    def to_json(self) -> bytes:
        body = {"format": self.format, "created_at": self.created_at, "backend": self.backend,
                "database_member": self.database_member, "schema_revisions": sorted(self.revisions),
                "members": [{"path": m.path, "size": m.size, "sha256": m.sha256} for m in self.members]}
        return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            members = [Member(str(m["path"]), int(m["size"]), str(m["sha256"])) for m in body["members"]]
            found = cls(backend=str(body["backend"]), database_member=str(body["database_member"]),
                        revisions=[str(r) for r in body["schema_revisions"]], created_at=str(body["created_at"]),
                        members=members, format=str(body["format"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupRefused("the archive's manifest is not readable") from exc
        if found.format != FORMAT:
            raise BackupRefused(f"unknown archive format {found.format!r} (this smartgov reads {FORMAT})")
        return found

    @property
    def files(self) -> list[Member]:
        return [m for m in self.members if m.path.startswith(FILES + "/")]


# --------------------------------------------------------------------------- backup


def backup(settings: Settings, target: Path) -> Manifest:
    """Write ``target``: the database (online) and every file of the data folder, with a signed manifest."""
    url = make_url(settings.database_url)
    target = target.resolve()
    if target.exists():
        raise BackupRefused(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".smartgov-backup-", dir=target.parent) as work:
        if url.get_backend_name() == "sqlite":
            snapshot, member = _sqlite_snapshot(url, Path(work)), SQLITE_MEMBER
            revisions = _sqlite_revisions(snapshot)
        elif url.get_backend_name() == "postgresql":
            revisions = _pg_revisions(settings.database_url)
            snapshot, member = _pg_dump(url, Path(work)), PG_MEMBER
        else:
            raise BackupRefused(f"no backup for the {url.get_backend_name()} backend")
        manifest = Manifest(backend=url.get_backend_name(), database_member=member, revisions=revisions,
                            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        partial = target.with_name(target.name + ".partial")
        try:
            with tarfile.open(partial, _write_mode(target), format=tarfile.PAX_FORMAT) as archive:
                manifest.members.append(_add(archive, member, snapshot))
                snapshot.unlink()
                skip = {target, partial, *_database_files(url)}
                for path, name in _data_files(Path(settings.data_dir), skip, Path(work)):
                    added = _add_live(archive, name, path)
                    if added is not None:
                        manifest.members.append(added)
                body = manifest.to_json()
                _add_bytes(archive, MANIFEST, body)
                _add_bytes(archive, SIGNATURE, _signature(settings, body).encode())
            _fsync(partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _write_mode(target: Path) -> Any:
    return "w:gz" if target.name.endswith((".gz", ".tgz")) else "w"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupRefused("an in-memory SQLite database has nothing to back up or restore into")
    return Path(url.database).resolve()


def _database_files(url: URL) -> list[Path]:
    if url.get_backend_name() != "sqlite":
        return []
    path = _sqlite_path(url)
    return [path.with_name(path.name + suffix) for suffix in _SQLITE_SIDE_FILES]


def _sqlite_snapshot(url: URL, work: Path) -> Path:
    """One consistent copy of the live database through the online backup API, checked."""
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupRefused(f"no database at {source_path}")
    copy = work / SQLITE_MEMBER
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(copy)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        # One step (pages=-1): the whole copy is read in one read transaction, a single snapshot.
        # In WAL mode writers go on meanwhile; a copy in several steps would start over after each
        # write by another connection, and under steady load might never finish.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = target.execute("PRAGMA integrity_check").fetchall()
    finally:
        target.close()
        source.close()
    if check != [("ok",)]:
        raise BackupRefused(f"the copy failed SQLite's integrity check: {check[:5]}")
    return copy


def _sqlite_revisions(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError:
        return []
    finally:
        conn.close()


def _pg_revisions(database_url: str) -> list[str]:
    from sqlalchemy import text

    from smartgov.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
            return list(conn.scalars(text("SELECT version_num FROM alembic_version"))) if exists else []
    finally:
        engine.dispose()


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The conninfo (without the password) and the environment (``PGPASSWORD``) for PostgreSQL's tools."""
    from psycopg.conninfo import make_conninfo

    params = {k: str(v) for k, v in url.translate_connect_args(username="user", database="dbname").items()}
    params.update({k: str(v) for k, v in url.query.items()})
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env


def pg_tool(name: str) -> str:
    """A PostgreSQL client program: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not candidates:
        raise BackupRefused(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return str(candidates[-1])


def _pg_dump(url: URL, work: Path) -> Path:
    out = work / PG_MEMBER
    conninfo, env = libpq(url)
    done = subprocess.run(  # noqa: S603 - a fixed program, arguments as a list
        [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={out}",
         f"--dbname={conninfo}"], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupRefused(f"pg_dump failed: {done.stderr.strip()}")
    return out


def _data_files(root: Path, skip: set[Path], work: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under ``root`` (links are not followed), with its name in the archive."""
    if not root.is_dir():
        return
    root = root.resolve()
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink() and (here / d) != work
                         and not d.startswith(".smartgov-"))
        for name in sorted(names):
            path = here / name
            if path in skip or name.startswith(".smartgov-") or path.is_symlink() or not path.is_file():
                continue
            yield path, f"{FILES}/{path.relative_to(root).as_posix()}"


class _Hashing:
    """A reader that hashes and counts what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add(archive: tarfile.TarFile, name: str, path: Path) -> Member:
    with path.open("rb") as f:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = os.fstat(f.fileno()).st_size, int(path.stat().st_mtime), 0o600
        reader = _Hashing(f)
        archive.addfile(info, reader)  # type: ignore[arg-type]
    return Member(name, reader.size, reader.digest.hexdigest())


def _add_live(archive: tarfile.TarFile, name: str, path: Path) -> Member | None:
    """Add a file others may be changing: its size is taken once opened; a file gone by then is skipped."""
    try:
        return _add(archive, name, path)
    except FileNotFoundError:
        return None


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(dt.datetime.now(dt.UTC).timestamp()), 0o600
    archive.addfile(info, io.BytesIO(data))


def _signature(settings: Settings, manifest: bytes) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, _HMAC_CONTEXT + manifest, hashlib.sha256).hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


# --------------------------------------------------------------------------- restore


def verify(settings: Settings, source: Path) -> Manifest:
    """Check ``source`` whole (signature, every member's size and hash) without restoring anything."""
    with tempfile.TemporaryDirectory(prefix=".smartgov-restore-") as work:
        return _unpack(settings, source, Path(work))


def restore(settings: Settings, source: Path, *, force: bool = False) -> Manifest:
    """Put the archive's database and files in place of the configured ones, after checking all of it."""
    url = make_url(settings.database_url)
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".smartgov-restore-", dir=data_dir) as work:
        manifest = _unpack(settings, source, Path(work))
        if manifest.backend != url.get_backend_name():
            raise BackupRefused(f"the archive holds a {manifest.backend} database; the configured database is "
                                f"{url.get_backend_name()}")
        _check_revisions(manifest.revisions)
        snapshot = Path(work) / manifest.database_member
        if manifest.backend == "sqlite":
            _check_sqlite_copy(snapshot)
            _restore_sqlite(snapshot, _sqlite_path(url), force=force)
        else:
            _restore_pg(snapshot, url, force=force)
        for member in manifest.files:
            target = data_dir / PurePosixPath(member.path).relative_to(FILES)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(work) / member.path, target)
    return manifest


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (bool(name) and not path.is_absolute() and "\\" not in name and "\x00" not in name
            and all(part not in ("", ".", "..") for part in name.split("/")))


def _unpack(settings: Settings, source: Path, work: Path) -> Manifest:
    """Read the manifest, check its signature, then unpack every member into ``work`` checking each."""
    try:
        archive = tarfile.open(source, "r:*")  # noqa: SIM115 - closed by the with below, once it opened
    except (OSError, tarfile.TarError) as exc:
        raise BackupRefused(f"{source} is not a readable backup archive ({exc})") from exc
    with archive:
        manifest_body = _small_member(archive, MANIFEST)
        signature = _small_member(archive, SIGNATURE).decode(errors="replace").strip()
        if not hmac.compare_digest(signature, _signature(settings, manifest_body)):
            raise BackupRefused("the manifest's signature does not match: the archive was changed after it was "
                                "made, or it was made with another SMARTGOV_SECRET_KEY")
        manifest = Manifest.from_json(manifest_body)
        expected = {m.path: m for m in manifest.members}
        if len(expected) != len(manifest.members) or manifest.database_member not in expected:
            raise BackupRefused("the manifest lists a member twice, or no database")
        seen: set[str] = set()
        for info in archive:
            if info.name in (MANIFEST, SIGNATURE):
                continue
            member = expected.get(info.name)
            if member is None or info.name in seen or not info.isreg() or not _safe_name(info.name):
                raise BackupRefused(f"the archive holds {info.name!r}, which its manifest does not list")
            seen.add(info.name)
            target = work / info.name
            target.parent.mkdir(parents=True, exist_ok=True)
            stream = archive.extractfile(info)
            assert stream is not None  # a regular file
            digest, size = hashlib.sha256(), 0
            with target.open("wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if size != member.size or digest.hexdigest() != member.sha256:
                raise BackupRefused(f"{info.name} does not match its SHA-256 in the manifest: the archive is "
                                    "damaged or was changed")
        missing = sorted(set(expected) - seen)
        if missing:
            raise BackupRefused(f"the archive lacks {len(missing)} member(s) its manifest lists, e.g. {missing[0]}")
    return manifest


def _small_member(archive: tarfile.TarFile, name: str) -> bytes:
    try:
        info = archive.getmember(name)
    except KeyError:
        raise BackupRefused(f"the archive has no {name}: it is not a smartgov backup") from None
    stream = archive.extractfile(info) if info.isreg() and info.size < 64 * _CHUNK else None
    if stream is None:
        raise BackupRefused(f"the archive's {name} is not a plain file of sensible size")
    return stream.read()


def _check_revisions(revisions: list[str]) -> None:
    """Refuse a schema this code does not know (a backup from a newer smartgov)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from smartgov.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    for revision in revisions:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise BackupRefused(f"the archive's schema revision {revision} is unknown to this smartgov (made by a "
                                "newer version?); restore it with that version")


def _check_sqlite_copy(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"the archive's database is not a SQLite database ({exc})") from exc
    finally:
        conn.close()
    if check != [("ok",)]:
        raise BackupRefused(f"the archive's database fails SQLite's integrity check: {check[:5]}")


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def _restore_sqlite(snapshot: Path, target: Path, *, force: bool) -> None:
    """Copy the checked snapshot into ``target`` through the backup API: SQLite itself replaces the
    pages under its locks, so the target's WAL and shared-memory files stay coherent."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        with _sqlite(target) as conn:
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables and not force:
            raise BackupRefused(f"the database at {target} is not empty ({tables} tables); restore over it only "
                                "with --force")
    with _sqlite(snapshot) as source, _sqlite(target) as dest:
        source.backup(dest, pages=-1)
        dest.execute("PRAGMA journal_mode=WAL")


def _restore_pg(dump: Path, url: URL, *, force: bool) -> None:
    """``pg_restore`` into the configured database, which must be empty (or is emptied, with ``force``)."""
    from sqlalchemy import text

    from smartgov.db import make_engine

    engine = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            schemas = list(conn.scalars(text(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                "AND nspname <> 'information_schema'")))
            tables = conn.scalar(text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"))
            if tables and not force:
                raise BackupRefused(f"the database {url.database} is not empty ({tables} tables); restore over it "
                                    "only with --force")
            if tables:
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    conninfo, env = libpq(url)
    done = subprocess.run(  # noqa: S603 - a fixed program, arguments as a list
        [pg_tool("pg_restore"), "--exit-on-error", "--no-owner", "--no-privileges", "--single-transaction",
         f"--dbname={conninfo}", str(dump)], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupRefused(f"pg_restore failed: {done.stderr.strip()}")
