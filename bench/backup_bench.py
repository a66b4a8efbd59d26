"""``smartgov backup`` on SQLite while writers commit: how long it takes, and what writers wait meanwhile.

Run: ``.venv/bin/python bench/backup_bench.py [--mb 512 --writers 2]``. In process, a scratch folder. A
SQLite database in WAL mode with smartgov's pragmas is filled to ``--mb`` megabytes of 4 KB rows, plus
a data folder of 1,000 small files; ``--writers`` threads then commit one row per transaction with
``BEGIN IMMEDIATE``, as the server does, while ``smartgov.backup.backup`` writes the archive, and
``restore`` puts it into a new database. The table gives the archive's time and rate, the writers'
commit latency (p50/p99/max) and commits per second before and during the backup, and the restore's
time. Nothing is asserted: the drill in ``tests/test_backup_drill.py`` checks correctness.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from smartgov import backup
from smartgov.settings import Settings

ROW = 4096


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def fill(path: Path, megabytes: int) -> None:
    conn = connect(path)
    conn.execute("CREATE TABLE alembic_version (version_num TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
    rows = megabytes * 1024 * 1024 // ROW
    for start in range(0, rows, 10_000):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t (payload) VALUES (?)",
                         ((os.urandom(ROW),) for _ in range(min(10_000, rows - start))))
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


class Writers:
    """Threads committing one row per transaction; latencies kept per phase."""

    def __init__(self, path: Path, n: int) -> None:
        self.phase = "before"
        self.latency: dict[str, list[float]] = {"before": [], "during": [], "after": []}
        self.worst: dict[str, tuple[float, float]] = {}  # phase → (latency, when it began)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(path,)) for _ in range(n)]

    def run(self, path: Path) -> None:
        conn = connect(path)
        while not self.stop.is_set():
            phase = self.phase
            began = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (payload) VALUES (?)", (os.urandom(512),))
            conn.execute("COMMIT")
            took = time.perf_counter() - began
            self.latency[phase].append(took)
            if took > self.worst.get(phase, (0.0, 0.0))[0]:
                self.worst[phase] = (took, began)
        conn.close()


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=512, help="database size in MB")
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of writes measured before the backup")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smartgov-backup-bench-") as scratch:
        root = Path(scratch)
        data = root / "data"
        (data / "uploads").mkdir(parents=True)
        for i in range(1000):
            (data / "uploads" / f"f{i}").write_bytes(os.urandom(2048))
        db = data / "smartgov.db"
        began = time.perf_counter()
        fill(db, args.mb)
        print(f"filled {db.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - began:.1f} s")
        settings = Settings(environment="test", database_url=f"sqlite:///{db}", data_dir=data,
                            secret_key="bench-secret-key-that-is-long-enough-0123456789")  # type: ignore[arg-type]
        writers = Writers(db, args.writers)
        for thread in writers.threads:
            thread.start()
        time.sleep(args.warmup)  # a bench, not a test: the writers' steady state before the backup
        writers.phase = "during"
        began = backup_began = time.perf_counter()
        manifest = backup.backup(settings, root / "b.tar")
        took = time.perf_counter() - began
        writers.phase = "after"
        writers.stop.set()
        for thread in writers.threads:
            thread.join()
        size = (root / "b.tar").stat().st_size
        target = settings.model_copy(update={"database_url": f"sqlite:///{root / 'restored.db'}",
                                             "data_dir": root / "restored"})
        began = time.perf_counter()
        backup.restore(target, root / "b.tar")
        restore_took = time.perf_counter() - began
    load = os.getloadavg()[0]
    print(f"\n{dt.date.today()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"load {load:.1f} · {args.writers} writers\n")
    print("| what | value |\n|---|---|")
    print(f"| archive | {size / 1e6:,.0f} MB, {len(manifest.files)} files, {took:.1f} s "
          f"({size / 1e6 / took:,.0f} MB/s) |")
    for phase, seconds in (("before", args.warmup), ("during", took)):
        values = writers.latency[phase]
        print(f"| writers {phase} the backup | {len(values) / seconds:,.0f} commits/s, p50 {pct(values, .5):.2f} ms, "
              f"p99 {pct(values, .99):.2f} ms, max {max(values) * 1000 if values else float('nan'):.1f} ms |")
    worst, when = writers.worst.get("during", (0.0, backup_began))
    print(f"| worst commit during the backup | {worst * 1000:.0f} ms, begun {when - backup_began:.1f} s into "
          f"the {took:.1f} s |")
    print(f"| restore into a new database (checks included) | {restore_took:.1f} s |")
    print(f"| commits during the backup, median latency | {statistics.median(writers.latency['during']) * 1000:.2f} ms |"
          if writers.latency["during"] else "| no commit during the backup |")


if __name__ == "__main__":
    main()
