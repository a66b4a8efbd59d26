"""``smartgov participation …``: upkeep of the participation module and the trustees' commands."""

from __future__ import annotations

from pathlib import Path

import typer

from smartgov.db import Database
from smartgov.settings import get_settings

app = typer.Typer(help="Participation upkeep (overdue petitions, counting closed ballot boxes) and trustees.",
                  no_args_is_help=True)
trustee = typer.Typer(help="Election trustees: the key ceremony and decrypting closed ballot boxes.",
                      no_args_is_help=True)
app.add_typer(trustee, name="trustee")


@app.command()
def sweep() -> None:
    """Flag petitions past their response deadline and count closed polls and budgets.

    Counting a box adds up its encrypted ballots (after checking every proof) and decrypts that
    total with the trustee share files found under the data folder (the demo's trustees); with
    trustees who keep their shares elsewhere, the result waits for ``trustee decrypt``.
    ``smartgov worker`` does this every minute; the command is for a deployment without a worker
    or to see the counts. Safe to run at any time: each item is handled once.
    """
    from smartgov.participation import service

    overdue, published = service.sweep(Database(get_settings().database_url))
    typer.echo(f"overdue petitions flagged: {overdue}; ballot box results published: {published}")


@trustee.command()
def ceremony(
    trustees: int = typer.Option(3, min=1, max=50, help="How many trustees share the key."),
    threshold: int = typer.Option(2, min=1, help="How many of them must take part to decrypt a result."),
    out: Path = typer.Option(None, help="Folder for the share files (default: DATA_DIR/trustees)."),
) -> None:
    """Make a new election key shared by the trustees; new polls and budgets use it.

    Each trustee deals a random polynomial and checks the shares dealt to it against the public
    commitments (joint Feldman). The public half goes into the database; each trustee's secret
    share is written to its own file (mode 0600), which must be handed to that trustee (e.g. on
    a removable medium) and deleted from this machine. Boxes already open keep their key.
    """
    from smartgov.participation import service

    if threshold > trustees:
        raise typer.BadParameter("the threshold cannot exceed the number of trustees", param_hint="--threshold")
    with Database(get_settings().database_url).unit_of_work() as db:
        key, paths = service.hold_ceremony(db, threshold=threshold, trustees=trustees,
                                           folder=out or service.trustees_dir())
        typer.echo(f"election key {key.id}: {key.public_key} (any {threshold} of {trustees} trustees decrypt)")
    for path in paths:
        typer.echo(f"  share file: {path}")
    typer.echo("Hand each file to its trustee and delete it from this machine.")


@trustee.command()
def decrypt(share_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="This trustee's share file.")
            ) -> None:
    """Decrypt, as this trustee, the total of every closed box under the share's key.

    Every ballot's proofs are checked before anything is decrypted; only the total is decrypted,
    with a proof that this trustee's share was used. When enough trustees have decrypted a box,
    its result is published.
    """
    from smartgov.errors import DomainError
    from smartgov.participation import election, service
    from smartgov.participation.verify_ballots import BoardError

    try:
        share = election.read_share(share_file)
    except (ValueError, KeyError) as exc:
        typer.echo(f"cannot read the share file: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        with Database(get_settings().database_url).unit_of_work() as db:
            done = service.trustee_decrypt(db, share)
    except (DomainError, BoardError) as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"trustee {share.trustee} decrypted {len(done)} box(es)" + (": " + ", ".join(done) if done else ""))
