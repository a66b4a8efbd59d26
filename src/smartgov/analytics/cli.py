"""``smartgov analytics``: count new events into the rollups, or rebuild them from the whole event store."""

from __future__ import annotations

import time

import typer

from smartgov.settings import get_settings

app = typer.Typer(help="Analytics: KPI rollups from the event store.", no_args_is_help=True)


def _database():  # type: ignore[no-untyped-def]
    from smartgov.db import Database

    return Database(get_settings().database_url)


@app.command()
def rebuild(batch: int = typer.Option(2000, min=1, max=100_000, help="Events per transaction.")) -> None:
    """Forget every rollup and count the whole event store again, in batches (never all in memory)."""
    from smartgov.analytics import rollups

    database = _database()
    started = time.perf_counter()
    try:
        n = rollups.rebuild(database, batch=batch)
    finally:
        database.dispose()
    typer.echo(f"rebuilt from {n} events in {time.perf_counter() - started:.1f} s")


@app.command()
def roll(batch: int = typer.Option(2000, min=1, max=100_000, help="Events per transaction.")) -> None:
    """Count the events committed since the last round (what the worker does every round)."""
    from smartgov.analytics import rollups

    database = _database()
    try:
        n = rollups.roll_pending(database, batch=batch)
    finally:
        database.dispose()
    typer.echo(f"counted {n} events")


# The forecasts' commands (forecast, fund, holidays) live with them, in analytics/forecast/cli.py.
from smartgov.analytics.forecast import cli as _forecast_cli  # noqa: E402

_forecast_cli.install(app)
