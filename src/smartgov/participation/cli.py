"""``smartgov participation …``: periodic upkeep of the participation module."""

from __future__ import annotations

import typer

from smartgov.db import Database
from smartgov.settings import get_settings

app = typer.Typer(help="Participation upkeep: overdue flags and sealing closed ballot boxes.", no_args_is_help=True)


@app.command()
def sweep() -> None:
    """Flag petitions past their response deadline and seal the ballots of closed polls and budgets.

    Safe to run as often as you like (cron every few minutes); each item is handled once.
    """
    from smartgov.participation import service

    with Database(get_settings().database_url).unit_of_work() as db:
        overdue = service.flag_overdue(db)
        sealed = service.seal_closed_boxes(db)
    typer.echo(f"overdue petitions flagged: {overdue}; ballot boxes sealed: {sealed}")
