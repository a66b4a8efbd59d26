"""The ``smartgov`` command: serve, migrate, demo, worker, users, settings."""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from smartgov.cli_settings import settings_or_exit as _settings_or_exit
from smartgov.settings import Settings, get_settings

if TYPE_CHECKING:
    from smartgov.db import Database

app = typer.Typer(help="smartgov — open-source smart-government platform (fa/en).", no_args_is_help=True)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
settings_app = typer.Typer(help="Inspect configuration.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(settings_app, name="settings")

# Modules may offer their own command groups as ``<module>/cli.py`` with a Typer ``app``.
_root = Path(__file__).parent
_GROUPS = {"assessment": "assess", "ledger": "ledger", "exchange": "exchange", "participation": "participation",
           "analytics": "analytics", "transparency": "transparency", "insight": "insight",
           "operations": "operations", "insurance": "insurance"}
for _module, _name in _GROUPS.items():
    if (_root / _module / "cli.py").exists():
        app.add_typer(importlib.import_module(f"smartgov.{_module}.cli").app, name=_name)


@app.command()
def migrate(revision: str = typer.Option("heads", help="Alembic revision to reach (default: the latest).")) -> None:
    """Create or upgrade the database schema (Alembic)."""
    from smartgov import db

    db.migrate(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="Worker processes (use 2+ with PostgreSQL)."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
    healthcheck_timeout: int = typer.Option(
        60, help="Seconds a worker may take to answer the supervisor's health check before it is killed and "
                 "replaced (Uvicorn's --timeout-worker-healthcheck; its default of 5 kills workers that are "
                 "still importing on a busy machine)."),
) -> None:
    """Serve the web pages and the API with Uvicorn; any other Uvicorn option (``uvicorn --help``) is passed on.

    Links sent out (e-mail, SMS, QR codes) start with SMARTGOV_BASE_URL; in development, when it
    is not set, it is this server's own address (--host/--port). Production refuses to start without it.
    Server processes run the cyclic garbage collector from a thread of their own (``smartgov.collector``,
    SMARTGOV_GC_INTERVAL).
    """
    import os
    import sys

    from smartgov.settings import derived_base_url, use_settings

    settings = _settings_or_exit()  # refuse unsafe production settings before forking workers
    if "base_url" not in settings.model_fields_set:
        # Only development gets here (production refused above); the worker processes read the
        # environment again, so the derived address goes there.
        os.environ["SMARTGOV_BASE_URL"] = derived_base_url(host, port)
        settings = use_settings(settings.model_copy(update={"base_url": os.environ["SMARTGOV_BASE_URL"]}))
    typer.echo(f"links in e-mails, SMS and documents start with {settings.base_url}")
    # Uvicorn's own command line: every option it has works here, and one given after ours wins. This
    # process becomes ``python -m uvicorn``: the worker processes Uvicorn spawns import the main module
    # again before they can answer the supervisor's health check, and this one (every command group,
    # numpy, scipy, pandas) took 10-45 s on a busy machine, so workers were killed while starting.
    args = ["smartgov.app:served_app", "--factory", "--proxy-headers", "--no-access-log", "--host", host,
            "--port", str(port), "--workers", str(workers), "--timeout-worker-healthcheck", str(healthcheck_timeout),
            *(["--reload"] if reload else []), *ctx.args]
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "uvicorn", *args])  # noqa: S606 - our own interpreter, no shell


@app.command()
def demo(
    people: int = typer.Option(None, help="Insured people to create (default: SMARTGOV_DEMO_PEOPLE)."),
    seed: int = typer.Option(1405, help="Random seed, so the demo is the same every time."),
    fast: bool = typer.Option(False, help="A national population: the demo at its usual size, then --people "
                              "synthetic people (Iran's age pyramid and provinces, workers, workshops, pensioners) "
                              "written as CSV and loaded by `smartgov insurance import` (COPY on PostgreSQL)."),
    out: Path = typer.Option(None, help="Folder for the --fast files (default: SMARTGOV_DATA_DIR/population)."),
) -> None:
    """Load the bilingual demo organization and one account per role; safe to run twice."""
    from smartgov import demo as demo_data
    from smartgov.db import Database

    settings = get_settings()
    database = Database(settings.database_url)
    size = settings.demo_people if people is None or fast else people
    logins = demo_data.load(database, people=size, seed=seed, without=_bulky_demos(database, size) if fast else ())
    database.dispose()
    if fast:
        from smartgov.insurance.cli import load_population

        load_population(settings.database_url, settings.demo_people if people is None else people, seed=seed,
                        out=out or settings.data_dir / "population")
    typer.echo("Demo logins (username / password):")
    for role, username, password in logins:
        typer.echo(f"  {role:<15} {username:<16} {password}")
    typer.echo("Officials and admins confirm each sign-in with a TOTP code. Add these demo keys to an")
    typer.echo("authenticator app, or print the current code with `smartgov user totp USERNAME`:")
    for username, secret in demo_data.DEMO_TOTP.items():
        typer.echo(f"  {username:<15} {secret}")


def _bulky_demos(database: Database, size: int) -> tuple[str, ...]:
    """Demos to leave out once a national population is loaded: the insurance demo gives every person
    without an insured record a history one by one (the population's people have one already, but
    it would still read them all)."""
    from smartgov import identity

    with database.sessions() as db:
        return ("insurance",) if identity.count_people(db) > 10 * max(size, 100) else ()


@app.command()
def worker(
    once: bool = typer.Option(False, help="Drain what is due and exit."),
    interval: float = typer.Option(1.0, help="Seconds between polls when idle."),
) -> None:
    """Deliver outbox messages (e-mail, SMS, PDFs, CFAs of closed rounds, subscribers) with retries and back-off.

    Also runs the periodic jobs: ledger append, health probe, participation sweep.
    """
    from smartgov import collector, events
    from smartgov.app import create_app
    from smartgov.db import Database

    settings = _settings_or_exit()
    create_app(settings)  # imports every module, so their subscribers are registered
    database = Database(settings.database_url)
    # Garbage is collected from a thread of its own, as in the server processes (smartgov.collector).
    with collector.serving(settings):
        while True:
            n = events.drain_outbox(database, batch=settings.worker_batch,
                                    max_attempts=settings.worker_max_attempts)
            if n:
                typer.echo(f"delivered {n}")
            done = events.run_periodic(database)
            if done:
                typer.echo(f"periodic jobs did {done}")
            if once:
                break
            if not n:
                time.sleep(interval)


@app.command("events")
def events_catalogue() -> None:
    """Print the event catalogue (every declared event, its meaning, owner and listeners) as markdown."""
    from smartgov import events
    from smartgov.app import create_app

    create_app(_settings_or_exit())  # imports every module, so every declaration and subscriber is known
    typer.echo(events.catalogue_markdown(), nl=False)


@user_app.command("create")
def user_create(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., help="citizen, employer, official, agency_admin, auditor or platform_admin."),
    organization: str = typer.Option(None, help="Organization code (officials, agency admins, employers)."),
    national_code: str = typer.Option(None, help="Link to a person already known to the platform."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 help="Password (asked for when not given)."),
) -> None:
    """Create an account with one role; its holder counts as proven (an administrator vouches for them)."""
    from smartgov import identity
    from smartgov.db import Database
    from smartgov.errors import DomainError
    from smartgov.identity import Role

    try:
        chosen = Role(role)
    except ValueError:
        raise typer.BadParameter(f"unknown role {role!r}", param_hint="--role") from None
    database = Database(get_settings().database_url)
    try:
        with database.unit_of_work() as db:
            person = identity.person_by_code(db, national_code) if national_code else None
            account = identity.create_account(db, username=username, password=password, role=chosen,
                                             organization_code=organization, person=person, proof="admin")
            typer.echo(f"created account {account.username} ({chosen.value})")
    except DomainError as exc:
        typer.echo(f"error: {exc.localized('en')}" + (f" [{exc.field}]" if exc.field else ""), err=True)
        raise typer.Exit(2) from None


@user_app.command("totp")
def user_totp(username: str = typer.Argument(..., help="Login name.")) -> None:
    """Print the current TOTP code of an account (demo and support use; needs database access)."""
    from smartgov import identity
    from smartgov.db import Database

    database = Database(get_settings().database_url)
    with database.sessions() as db:
        code = identity.current_totp(db, username)
        if code is None:
            typer.echo("no such account, or two-step verification not started", err=True)
            raise typer.Exit(2)
        typer.echo(code)


@settings_app.command("show")
def settings_show() -> None:
    """Print every setting with its value (secrets masked) and description."""

    settings = get_settings()
    for name, value in settings.masked().items():
        description = Settings.model_fields[name].description or ""
        typer.echo(f"SMARTGOV_{name.upper():<26} = {value:<40} # {description}")


# Kept in a file of their own (smartgov.backup_cli); the work is in smartgov.backup.
from smartgov import backup_cli  # noqa: E402 - the commands are registered after the app exists

app.command("backup")(backup_cli.backup_command)
app.command("restore")(backup_cli.restore_command)


if __name__ == "__main__":
    app()
