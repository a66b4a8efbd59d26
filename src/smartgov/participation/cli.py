"""``smartgov participation …``: periodic upkeep of the participation module."""

from __future__ import annotations

import typer

from smartgov.db import Database
from smartgov.settings import get_settings

app = typer.Typer(help="Participation upkeep: overdue flags and sealing closed ballot boxes.", no_args_is_help=True)


@app.command()
def sweep() -> None:
    """Flag petitions past their response deadline and seal the ballots of closed polls and budgets.

    ``smartgov worker`` does this every round; the command is for a deployment without a worker
    or to see the counts. Safe to run at any time: each item is handled once.
    """
    from smartgov.participation import service

    overdue, sealed = service.sweep(Database(get_settings().database_url))
    typer.echo(f"overdue petitions flagged: {overdue}; ballot boxes sealed: {sealed}")
