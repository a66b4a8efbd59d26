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


class Load:
    """Citizens submitting through the HTTP API from several threads, and a worker thread delivering the
    outbox and running the periodic jobs (ledger append…), until :meth:`stop`.

    Each submission is recorded with the wall-clock time it was sent and, when answered 2xx, the time it
    was acknowledged: what a restore must hold is judged by those times.
    """

    def __init__(self, client: Any, citizen: dict[str, Any], database: Any, *, threads: int = 3) -> None:
        import threading

        self._client, self._citizen, self._database = client, citizen, database
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self.sent: dict[str, float] = {}  # key → time sent
        self.acked: dict[str, tuple[str, float]] = {}  # key → (reference, time acknowledged)
        self.refused: list[tuple[str, int, str]] = []
        self.worker_rounds = 0
        self.errors: list[BaseException] = []
        self._threads = [threading.Thread(target=self._submit, args=(i,), daemon=True) for i in range(threads)]
        self._threads.append(threading.Thread(target=self._work, daemon=True))

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def _submit(self, n: int) -> None:
        import time

        i = 0
        while not self._stop.is_set():
            key = f"load-{n}-{i}"
            i += 1
            self.sent[key] = time.time()
            try:
                status, reference = try_submit(self._client, self._citizen, key)
            except BaseException as exc:  # a failing thread must fail the test, not vanish
                self.errors.append(exc)
                return
            with self._changed:
                if status in (200, 201):
                    self.acked[key] = (reference, time.time())
                else:
                    self.refused.append((key, status, reference))
                self._changed.notify_all()

    def _work(self) -> None:
        from smartgov import events

        while not self._stop.is_set():
            try:
                events.drain_outbox(self._database)
                events.run_periodic(self._database)
            except BaseException as exc:
                self.errors.append(exc)
                return
            with self._changed:
                self.worker_rounds += 1
                self._changed.notify_all()

    def wait_for(self, acked: int, worker_rounds: int = 0, timeout: float = 300) -> None:
        """Block until ``acked`` submissions in all were acknowledged (and the worker did its rounds)."""
        with self._changed:
            done = self._changed.wait_for(lambda: (len(self.acked) >= acked and self.worker_rounds >= worker_rounds)
                                          or bool(self.errors), timeout)
        assert not self.errors, self.errors
        assert done, f"only {len(self.acked)} acknowledged in {timeout} s; refused: {self.refused[:3]}"

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)
        assert not self.errors, self.errors

    def acknowledged_before(self, moment: float) -> set[str]:
        """References of the submissions acknowledged before ``moment`` (wall clock)."""
        with self._changed:
            return {ref for ref, at in self.acked.values() if at < moment}

    def sent_after(self, moment: float) -> set[str]:
        """Idempotency keys of the submissions sent after ``moment``: none can have committed before it."""
        with self._changed:
            return {key for key, at in self.sent.items() if at > moment}
