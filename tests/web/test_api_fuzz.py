"""schemathesis over every operation of ``/api/v1/openapi.json``, as a citizen, an employer and an official.

Whatever a caller sends, the API answers without a 5xx, and every answer matches the schema the
OpenAPI declares for it (refusals included: the one error envelope). Generation is seeded and
bounded, so a run is the same on every machine; a failure prints the request that reproduces it
(``tests/fuzzing.py``). A longer run outside the suite: ``bench/fuzz_api.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from smartgov.db import Database
from smartgov.settings import Settings, use_settings
from tests.conftest import _empty
from tests.fuzzing import ROLES, demo_app, fuzz

#: Random requests per operation and role in the fuzzing phase; the other phases add the schema's
#: examples, each parameter's boundaries (the largest id and one past it, NUL, empty...) and call sequences.
MAX_EXAMPLES = 4
SEED = 1405


@pytest.fixture(scope="module")
def fuzz_world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The demo (less the assessment's simulated survey, slow to fit) and a token for each role, made once."""
    settings = Settings(
        environment="test", database_url=database_url, data_dir=tmp_path_factory.mktemp("fuzz-data"),
        secret_key="test-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        argon2_time_cost=1, argon2_memory_kib=1024, base_url="http://testserver",
    )
    use_settings(settings)
    database = Database(database_url)
    _empty(database)
    yield demo_app(settings, database, people=10, without=("assessment",))
    database.dispose()
    _empty(database)


@pytest.mark.parametrize("role", ROLES)
def test_no_input_gets_a_5xx_or_an_answer_off_its_schema(fuzz_world: tuple[FastAPI, dict[str, str]],
                                                         role: str) -> None:
    app, tokens = fuzz_world
    report = fuzz(app, tokens[role], max_examples=MAX_EXAMPLES, seed=SEED)
    declared = {f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items() for method in item}
    assert report.operations == declared, declared ^ report.operations  # every operation, none left out
    assert report.server_errors == 0 and not report.failures, (
        f"{role}: {report.server_errors} answers were 5xx; {len(report.failures)} failures:\n"
        + "\n".join(report.failures[:30]))
