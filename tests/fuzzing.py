"""schemathesis over the whole JSON API, in process: what ``tests/web/test_api_fuzz.py`` and ``bench/fuzz_api.py`` run.

Its engine runs the phases the ``schemathesis`` command does (the schema's examples, the coverage
of each parameter's boundaries, random fuzzing, then call sequences along the links it infers
from the OpenAPI) against the ASGI app, with no network. Only two checks are asked for: no 5xx,
and every answer matches the schema declared for its status. Each failure is reported with a
``curl`` command that reproduces it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.engine import Status, events, from_schema
from sqlalchemy import select

from smartgov import demo
from smartgov.app import create_app
from smartgov.db import Database
from smartgov.identity.models import Account
from smartgov.settings import Settings
from tests.factories import api_token

#: Who the API is fuzzed as: the demo's accounts of these names (the official signs in with TOTP).
ROLES = ("citizen", "employer", "official")
OPENAPI = "/api/v1/openapi.json"
CHECKS = ["not_a_server_error", "response_schema_conformance"]
PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass
class FuzzReport:
    """What one run did and found."""

    operations: set[str] = field(default_factory=set)
    cases: int = 0
    server_errors: int = 0
    #: Links between operations the stateful phase followed (inferred: the OpenAPI declares none).
    links: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def demo_app(settings: Settings, database: Database, *, people: int,
             without: Sequence[str] = ()) -> tuple[FastAPI, dict[str, str]]:
    """The app over the demo loaded into the (empty, migrated) ``database``, and an API token for each of ``ROLES``."""
    demo.load(database, people=people, without=without)
    app = create_app(settings, database)
    with database.sessions() as db:  # closed before the app writes (SQLite has one writer)
        accounts = {role: db.scalar(select(Account).where(Account.username == role)) for role in ROLES}
    with TestClient(app, base_url="http://testserver") as client:
        tokens = {role: api_token(client, account, password=demo.DEMO_PASSWORD) for role, account in accounts.items()}
    return app, tokens


def as_served(app: Any) -> Any:
    """The app as a server runs it: after an unhandled error the 500 has gone out, and the caller sees only that.

    Starlette sends the 500 and then raises the error again for the server to log; in process that
    would end the run at the first one instead of reporting it as a failed request.
    """

    async def served(scope: Any, receive: Any, send: Any) -> None:
        try:
            await app(scope, receive, send)
        except Exception:
            if scope["type"] != "http":
                raise  # (the error itself is logged by the app's handler)

    return served


def fuzz(app: Any, token: str, *, max_examples: int, seed: int, phases: Sequence[str] = PHASES,
         path_regex: str | None = None) -> FuzzReport:
    """Run schemathesis over every operation (or those whose path matches ``path_regex``) as the holder of ``token``."""
    schema = schemathesis.openapi.from_asgi(OPENAPI, as_served(app))
    if path_regex is not None:
        schema = schema.include(path_regex=path_regex)
    schema.config.update(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    schema.config.generation.update(max_examples=max_examples, deterministic=True, database="none")
    schema.config.phases.update(phases=list(phases))
    schema.config.checks.update(included_check_names=CHECKS)
    schema.config.seed = seed
    report = FuzzReport()
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(report, event)
        elif isinstance(event, events.PhaseStarted) and event.payload is not None:
            report.links = event.payload.transitions_selected
        elif isinstance(event, events.NonFatalError | events.FatalError):
            error = event.value if isinstance(event, events.NonFatalError) else event.exception
            report.failures.append(f"{getattr(event, 'label', 'run')}: the run itself failed: {error!r}")
    report.seconds = time.perf_counter() - started
    return report


def _record(report: FuzzReport, event: events.ScenarioFinished) -> None:
    recorder = event.recorder
    if event.phase.name != "STATEFUL_TESTING":
        report.operations.add(recorder.label)
    report.cases += len(recorder.cases)
    for interaction in recorder.interactions.values():
        if interaction.response is not None and interaction.response.status_code >= 500:
            report.server_errors += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE:
                continue
            case = recorder.cases[case_id].value
            interaction = recorder.interactions.get(case_id)
            status = interaction.response.status_code if interaction and interaction.response else None
            info = check.failure_info
            title = info.failure.title if info is not None else check.name
            detail = info.failure.message if info is not None else ""
            report.failures.append(f"{case.operation.label} → {status} [{check.name}] {title}\n    {detail[:600]}\n"
                                   f"    reproduce: {case.as_curl_command()}")
