"""Kernel guarantees: migrations, settings, CLI help, translations, security headers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from smartgov import db as kernel_db
from smartgov.cli import app as cli
from smartgov.settings import Settings
from smartgov.web.deps import DbSession  # module level: the test routes' annotations are strings


def test_migrations_have_a_single_head() -> None:
    assert len(kernel_db.heads()) == 1


def test_migrations_match_the_models(database_url: str) -> None:
    """Autogenerate finds nothing to add: every model change has its migration."""
    import importlib
    from pathlib import Path

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from smartgov.db import Base, make_engine
    from tests.conftest import _empty  # noqa: F401 - imports every module's models

    importlib.import_module("smartgov.health")
    root = Path(kernel_db.__file__).parent
    for models in [*root.glob("*/models.py"), *root.glob("*/*/models.py")]:  # modules and sub-packages
        importlib.import_module("smartgov." + ".".join(models.relative_to(root).with_suffix("").parts))
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_production_refuses_the_default_secret_insecure_cookies_and_a_guessed_address(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SMARTGOV_BASE_URL", raising=False)  # `make` exports one
    url = "https://services.example.ir"
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", session_cookie_secure=True, base_url=url)
    with pytest.raises(ValidationError, match="COOKIE_SECURE"):
        Settings(environment="production", secret_key="x" * 40, base_url=url)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="SMARTGOV_BASE_URL"):
        Settings(environment="production", secret_key="x" * 40, session_cookie_secure=True)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="SMARTGOV_BASE_URL"):
        Settings(environment="production", secret_key="x" * 40, session_cookie_secure=True,  # type: ignore[arg-type]
                 base_url="http://services.example.ir")
    ok = Settings(environment="production", secret_key="x" * 40, session_cookie_secure=True,  # type: ignore[arg-type]
                  base_url=url + "/")
    assert ok.masked()["secret_key"] == "********" and ok.base_url == url
    monkeypatch.setenv("SMARTGOV_BASE_URL", url)
    assert Settings(environment="production", secret_key="x" * 40, session_cookie_secure=True).base_url == url  # type: ignore[arg-type]


def test_an_unknown_time_zone_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="SMARTGOV_TIMEZONE"):
        Settings(timezone="Asia/Atlantis")
    assert Settings(timezone="UTC").timezone == "UTC"


def test_settings_show_masks_secrets(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov import settings as settings_module

    monkeypatch.setattr(settings_module, "_current", Settings(
        secret_key="very-secret-value-0123456789-abcdef",  # type: ignore[arg-type]
        database_url="postgresql+psycopg://app:hunter2@db.example/smartgov"))
    out = CliRunner().invoke(cli, ["settings", "show"]).output
    assert "very-secret" not in out and "hunter2" not in out
    assert "SMARTGOV_SECRET_KEY" in out and "********" in out and "db.example/smartgov" in out


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["demo"], ["worker"], ["user"], ["user", "create"],
                                     ["settings"], ["settings", "show"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output.splitlines()) > 3


def test_cli_user_create_reports_bad_input(database_url: str, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov import settings as settings_module

    monkeypatch.setattr(settings_module, "_current", settings)
    runner = CliRunner()
    bad = runner.invoke(cli, ["user", "create", "newadmin", "--role", "platform_admin", "--password", "short"])
    assert bad.exit_code == 2 and "at least 10" in bad.output
    ok = runner.invoke(cli, ["user", "create", "newadmin", "--role", "platform_admin", "--password", "Long-enough-pass-9"])
    assert ok.exit_code == 0, ok.output
    dup = runner.invoke(cli, ["user", "create", "newadmin", "--role", "auditor", "--password", "Long-enough-pass-9"])
    assert dup.exit_code == 2 and "taken" in dup.output
    assert runner.invoke(cli, ["user", "create", "x1x", "--role", "king", "--password", "Long-enough-pass-9"]).exit_code == 2


def test_a_server_process_works_on_as_many_requests_at_once_as_configured(settings, database) -> None:  # type: ignore[no-untyped-def]
    import anyio.to_thread
    from fastapi.testclient import TestClient

    from smartgov.app import create_app

    def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    for threads in (settings.request_threads, 3):
        with TestClient(create_app(settings.model_copy(update={"request_threads": threads}), database)) as c:
            assert c.portal.call(tokens) == threads  # type: ignore[union-attr]


def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/")
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_demo_is_idempotent(database, db, settings) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from smartgov import demo
    from smartgov.identity.models import Account, Organization, Person

    demo.load(database, people=20)
    first = [db.scalar(select(func.count()).select_from(t)) for t in (Person, Account, Organization)]
    demo.load(database, people=20)
    again = [db.scalar(select(func.count()).select_from(t)) for t in (Person, Account, Organization)]
    # Six staff accounts; module demos may add citizens (participation adds verified residents).
    assert first == again and first[1] >= 6 and first[0] >= 20
    roles = {g.role.value for a in db.scalars(select(Account)) for g in a.grants}
    assert roles == {"citizen", "employer", "official", "agency_admin", "auditor", "platform_admin"}


def test_stylesheet_is_served(client) -> None:  # type: ignore[no-untyped-def]
    assert 'href="/static/web/smartgov.css"' in client.get("/").text
    r = client.get("/static/web/smartgov.css")
    assert r.status_code == 200 and "focus-visible" in r.text


def test_server_errors_are_localized_pages_and_envelopes(app, settings) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    @app.get("/api/v1/boom")
    def api_boom() -> None:
        raise RuntimeError("kaput")

    with TestClient(app, raise_server_exceptions=False) as c:
        page = c.get("/boom")
        assert page.status_code == 500 and "خطای سامانه" in page.text and "kaput" not in page.text
        r = c.get("/api/v1/boom", headers={"Accept-Language": "en"})
        assert r.status_code == 500 and r.json()["error"]["code"] == "server_error" and "kaput" not in r.text


def test_forbidden_page_is_localized(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import create_account, create_agency

    create_agency(db, "agency-z")
    create_account(db, username="plain")
    db.commit()
    from tests.identity.test_identity_pages import login

    login(client, "plain")
    r = client.get("/api/v1/identity/organizations/agency-z/staff")
    assert r.status_code == 403 and r.json()["error"]["message"] == "شما اجازهٔ انجام این کار را ندارید."


def test_route_handlers_do_not_run_on_the_event_loop(app) -> None:  # type: ignore[no-untyped-def]
    """Handlers are plain ``def`` (FastAPI runs them in the thread pool): an ``async def`` handler that
    queries the database or hashes a password stalls every other request of its process. Forms
    arrive through ``PostedForm``/``PostedFiles``, bodies through async dependencies.

    The two exceptions by design are the status read and the submission: on PostgreSQL their
    database work on the loop is a single lock-free statement under a statement timeout
    (``db.HotReads``), cheaper there than the hand-off to a thread; a submission's writes are a
    writer thread's (``services.intake``), and everything else both do goes to the thread pool."""
    import inspect

    from fastapi.routing import APIRoute

    def routes(items):  # type: ignore[no-untyped-def]
        for r in items:
            if isinstance(r, APIRoute):
                yield r
            inner = getattr(r, "original_router", None)
            if inner is not None:
                yield from routes(inner.routes)

    found = list(routes(app.routes))
    assert len(found) > 150  # every module's API and pages
    on_loop = [f"{r.endpoint.__module__}.{r.endpoint.__name__}" for r in found
               if inspect.iscoroutinefunction(r.endpoint) and r.endpoint.__module__.startswith("smartgov")]
    assert on_loop == ["smartgov.services.api.get_application", "smartgov.services.api.submit"]


def test_a_request_that_answers_without_committing_its_writes_is_reported(app, client, caplog) -> None:  # type: ignore[no-untyped-def]
    """A handler that writes (an audit record, say) and forgets ``commit()`` loses the write silently;
    the request's session says so: an error in the log (and, in the tests, a failed test)."""
    from smartgov import events
    from smartgov.web import deps

    events.declare("test.audited", "Published by this test only.")

    @app.get("/test-forgets-to-commit")
    def forgets(db: DbSession) -> dict[str, str]:
        events.publish(db, "test.audited", actor_id=None)
        db.flush()
        return {"status": "ok"}

    @app.get("/test-commits")
    def commits(db: DbSession) -> dict[str, str]:
        events.publish(db, "test.audited", actor_id=None)
        db.commit()
        return {"status": "ok"}

    @app.get("/test-fails")
    def fails(db: DbSession) -> dict[str, str]:
        events.publish(db, "test.audited", actor_id=None)
        db.flush()
        raise kernel_db.exc.IntegrityError("x", {}, ValueError())  # a failed command rolls back on purpose

    message = "GET /test-forgets-to-commit answered without committing its writes; they are rolled back"
    with caplog.at_level("ERROR", logger="smartgov.web"):
        r = client.get("/test-forgets-to-commit")
        assert r.status_code == 200, r.text
        assert client.get("/test-commits").status_code == 200
    with pytest.raises(kernel_db.exc.IntegrityError):
        client.get("/test-fails")
    assert [r.getMessage() for r in caplog.records if "committing" in r.getMessage()] == [message]
    assert [message] == deps.UNSAVED_REPORTS
    deps.UNSAVED_REPORTS.clear()  # reported as it should be: not this test's failure
