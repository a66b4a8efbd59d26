"""``smartgov exchange``: subsystem keys, the member list, and trusting a peer instance."""

from __future__ import annotations

import typer

from smartgov.settings import get_settings

app = typer.Typer(help="G2G data exchange: members, subsystem keys, peers.", no_args_is_help=True)


def _database():  # type: ignore[no-untyped-def]
    from smartgov.db import Database

    return Database(get_settings().database_url)


@app.command()
def keys(
    subsystem: str = typer.Argument(..., help="Subsystem address INSTANCE/CLASS/MEMBER/SUBSYSTEM hosted here."),
    rotate: bool = typer.Option(False, "--rotate", help="Make a new signing key; older keys are retired."),
) -> None:
    """Show a subsystem's keys, or generate/rotate its signing key (old keys stay for verification)."""
    from smartgov.errors import DomainError
    from smartgov.exchange import envelope, service

    try:
        with _database().unit_of_work() as db:
            sub = service.subsystem(db, subsystem)
            if rotate or not sub.keys:
                key = service.rotate_key(db, sub)
                typer.echo(f"new key {key.key_id}")
            for k in sub.keys:
                state = f"retired {k.retired_at:%Y-%m-%d %H:%M}" if k.retired_at else "active"
                typer.echo(f"{k.key_id}  {envelope.b64(k.public_key)}  {state}")
    except DomainError as exc:
        typer.echo(f"error: {exc.localized('en')}", err=True)
        raise typer.Exit(2) from None


@app.command()
def members() -> None:
    """List members, their subsystems and where they are hosted."""
    from smartgov.exchange import service

    with _database().sessions() as db:
        for m in service.members(db):
            where = "here" if m.is_local else m.server_url
            typer.echo(f"{m.address:<28} {m.name_en}  [{where}]")
            for s in m.subsystems:
                active = sum(1 for k in s.keys if k.retired_at is None)
                typer.echo(f"    {s.code:<24} keys: {len(s.keys)} ({active} active)")


@app.command("import-peer")
def import_peer(url: str = typer.Argument(..., help="Base URL of the peer smartgov instance.")) -> None:
    """Trust the members another instance hosts: fetch its configuration (public keys, services)."""
    import httpx

    from smartgov.errors import DomainError
    from smartgov.exchange import service

    try:
        config = httpx.get(url.rstrip("/") + "/api/v1/exchange/configuration", timeout=10).raise_for_status().json()
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot read the peer configuration: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        with _database().unit_of_work() as db:
            imported = service.import_configuration(db, config, url)
            for m in imported:
                typer.echo(f"trusted {m.address} at {m.server_url}")
    except DomainError as exc:
        typer.echo(f"error: {exc.localized('en')}", err=True)
        raise typer.Exit(2) from None
