"""``smartgov transparency``: make a quarter's performance reports, refresh the platform's datasets."""

from __future__ import annotations

import typer

app = typer.Typer(help="Open data and performance reports.", no_args_is_help=True)


@app.command("report")
def report(quarter: str = typer.Option(..., help="Jalali quarter, e.g. 1405-Q2."),
           agency: str | None = typer.Option(None, help="Agency code; default: national and every active agency.")
           ) -> None:
    """Make (or bring up to date) a quarter's signed performance reports, in one transaction."""
    from smartgov.app import create_app
    from smartgov.db import Database
    from smartgov.errors import DomainError
    from smartgov.settings import get_settings
    from smartgov.transparency import reports

    settings = get_settings()
    create_app(settings)  # every module imported: events declared, subscribers known
    try:
        q = reports.Quarter.parse(quarter)
        with Database(settings.database_url).unit_of_work() as db:
            made = reports.make_quarter(db, q, agency)
            lines = [f"{r.quarter} {r.scope}: revision {r.revision} (key {r.record['key_id']})" for r in made]
    except DomainError as exc:
        typer.echo(exc.localized("en"), err=True)
        raise typer.Exit(2) from None
    for line in lines:
        typer.echo(line)
