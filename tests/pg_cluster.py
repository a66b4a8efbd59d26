"""Throwaway PostgreSQL clusters for the physical restore drill, made with the machine's own binaries.

``Cluster.new`` runs ``initdb`` in a temporary folder and starts the server on a free loopback port, its
socket in that folder (the machine's cluster is never touched); with ``archive=True`` it archives its WAL
the way the README's "Backups" section says (``archive_command`` copying each finished segment).
``base_backup`` runs ``pg_basebackup -X stream``; the copy it makes starts as a cluster of its own, either
as it is (consistent as of the backup's end) or recovering from the archive to a point in time. As root
(CI), every PostgreSQL program runs as the ``postgres`` user, since the server refuses to run as root.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg


def binaries() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin that has the server programs."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if (p.parent / "pg_ctl").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _as_server_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)


def _run(*args: str | Path) -> str:
    done = subprocess.run([*_as_server_user(), *map(str, args)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args[0]} failed ({done.returncode}): {done.stdout}\n{done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workspace(name: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=f"smartgov-pg-{name}-"))
    _own(root)
    return root


class Cluster:
    """A running PostgreSQL server on its own port and data folder; stopped and deleted on exit."""

    def __init__(self, root: Path, data: Path, port: int, archive: Path | None = None) -> None:
        self.root, self.data, self.port, self.archive = root, data, port, archive
        self._bin = binaries()
        assert self._bin is not None
        self.running = False

    @classmethod
    def new(cls, name: str, *, archive: bool = False) -> Cluster:
        root = _workspace(name)
        bin_dir = binaries()
        assert bin_dir is not None
        data = root / "data"
        _run(bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        folder = None
        if archive:
            folder = root / "wal-archive"
            folder.mkdir()
            _own(folder)
        cluster = cls(root, data, _free_port(), folder)
        settings = {"wal_level": "replica", "max_wal_senders": "4", "shared_buffers": "32MB",
                    "max_connections": "60", "fsync": "off"}  # fsync: a test cluster; crashes are not tested here
        if folder is not None:
            settings |= {"archive_mode": "on", "archive_timeout": "0",
                         "archive_command": f"test ! -f {folder}/%f && cp %p {folder}/%f"}
        cluster.start(**settings)
        return cluster

    def _configure(self, **settings: str) -> None:
        lines = "".join(f"{key} = '{value}'\n" for key, value in settings.items())
        conf = self.data / "postgresql.conf"
        subprocess.run([*_as_server_user(), "tee", "-a", str(conf)], input=lines, text=True,
                       stdout=subprocess.DEVNULL, check=True)

    def start(self, **settings: str) -> Cluster:
        """Start the server with ``settings`` added to its configuration; waits until it takes connections."""
        self._configure(port=str(self.port), listen_addresses="127.0.0.1", unix_socket_directories=str(self.root),
                        **settings)
        # -t: recovery from an archive may take a while on a busy machine; -w waits until it is done
        _run(self._bin / "pg_ctl", "-D", self.data, "-l", self.root / f"server-{self.port}.log", "-w", "-t", "600",
             "start")
        self.running = True
        return self

    def stop(self, *, switch_wal: bool = False) -> None:
        """Stop the server; ``switch_wal`` first closes the current WAL segment so it is archived too."""
        if not self.running:
            return
        if switch_wal:
            with self.connect() as conn:
                conn.execute("SELECT pg_switch_wal()")
        _run(self._bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "300", "stop")
        self.running = False

    def wait_until_promoted(self, timeout: float = 600) -> None:
        """Wait until recovery is over (the target reached and the server promoted), or fail with its log."""
        deadline = time.monotonic() + timeout
        while True:
            with self.connect() as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            if row is not None and not row[0]:
                return
            logs = "".join(p.read_text(errors="replace")[-2000:] for p in self.root.glob(f"server-{self.port}.log"))
            assert time.monotonic() < deadline, f"still recovering after {timeout} s:\n{logs}"
            time.sleep(0.2)  # the server has no way to tell a client that recovery ended

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True)

    def create_database(self, name: str) -> str:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def now(self) -> float:
        """The server's clock now (seconds since the epoch): a recovery target time."""
        with self.connect() as conn:
            row = conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()
        assert row is not None
        return float(row[0])

    def base_backup(self, name: str) -> BaseBackup:
        """``pg_basebackup -X stream`` of this running server (WAL streamed beside the copy, so it is whole)."""
        target = self.root / name
        _run(self._bin / "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D", target,
             "-X", "stream", "-c", "fast", "--no-sync")
        return BaseBackup(self, target)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(AssertionError):
            if self.running:
                _run(self._bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        self.running = False
        shutil.rmtree(self.root, ignore_errors=True)


class BaseBackup:
    """A base backup's folder, which can be copied and started as a cluster of its own."""

    def __init__(self, origin: Cluster, data: Path) -> None:
        self.origin, self.data = origin, data

    def copy(self, name: str) -> BaseBackup:
        target = self.origin.root / name
        _run("cp", "-a", self.data, target)
        return BaseBackup(self.origin, target)

    @contextlib.contextmanager
    def start(self, *, recover_to: float | None = None, archive: Path | None = None) -> Iterator[Cluster]:
        """Run this copy on a new port; with ``recover_to``, recover from ``archive`` up to that time and promote.

        pg_ctl -w returns once the server takes (read-only) connections; recovery to the target and the
        promotion that ends it may take longer, so this waits for ``pg_is_in_recovery()`` to turn false.
        """
        settings = {"archive_mode": "off"}  # a restored copy must not archive into the origin's archive
        if recover_to is not None:
            assert archive is not None
            moment = dt.datetime.fromtimestamp(recover_to, dt.UTC).isoformat(sep=" ")
            settings |= {"restore_command": f"cp {archive}/%f %p", "recovery_target_time": moment,
                         "recovery_target_action": "promote"}
            _run("touch", self.data / "recovery.signal")
        cluster = Cluster(self.origin.root, self.data, _free_port())
        cluster.start(**settings)
        try:
            cluster.wait_until_promoted()
            yield cluster
        finally:
            cluster.stop()
