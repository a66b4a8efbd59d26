"""``smartgov ledger``: verify the whole log, append now, print proofs, rotate the signing key."""

from __future__ import annotations

import json

import typer

from smartgov.settings import get_settings

app = typer.Typer(help="The tamper-evident ledger: verify, append, proofs, key rotation.", no_args_is_help=True)


def _database():  # type: ignore[no-untyped-def]
    from smartgov.db import Database

    return Database(get_settings().database_url)


@app.command()
def verify(
    lang: str = typer.Option("en", help="Language of the report: en or fa."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Recompute every hash from the database; name each entry changed, removed or reordered.

    Exits 0 when the entries, the stored tree and every signed tree head agree, 1 otherwise.
    """
    from smartgov.ledger import service

    database = _database()
    with database.sessions() as db:
        report = service.verify(db)
    database.dispose()
    if as_json:
        typer.echo(json.dumps({
            "ok": report.ok, "entries": report.entries, "tree_size": report.tree_size,
            "heads_checked": report.heads_checked,
            "findings": [{"code": f.code, "entry": f.entry, "message": f.localized(lang)} for f in report.findings],
        }, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"entries: {report.entries}  tree size: {report.tree_size}  signed heads: {report.heads_checked}")
        for finding in report.findings:
            typer.echo(f"{finding.code}: {finding.localized(lang)}", err=True)
        typer.echo("ledger verifies" if report.ok else f"ledger does NOT verify ({len(report.findings)} problems)")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def append(
    max_batch: int = typer.Option(10_000, min=1, help="Events per transaction (one signed head per batch)."),
) -> None:
    """Append every committed event not yet in the log now, and sign a new tree head."""
    from smartgov.ledger import service

    database = _database()
    n = service.append_pending(database, max_batch)
    with database.sessions() as db:
        head = service.latest_head(db)
    database.dispose()
    size = head.head.tree_size if head else 0
    typer.echo(f"appended {n}; tree size {size}" + (f"; root {head.head.root_hash.hex()}" if head else ""))


@app.command()
def proof(
    index: int = typer.Argument(None, help="Entry number (0-based) to prove inclusion of."),
    leaf_hash: str = typer.Option(None, help="Or the entry's leaf hash (receipt code), hex."),
    tree_size: int = typer.Option(None, help="Tree size to prove against (default: the latest signed head)."),
    from_size: int = typer.Option(None, help="Instead: prove the tree of --tree-size extends this older size."),
) -> None:
    """Print an inclusion proof (or a consistency proof with --from-size) as JSON and check it."""
    from smartgov.errors import DomainError
    from smartgov.ledger import merkle, service

    database = _database()
    try:
        with database.sessions() as db:
            if from_size is not None:
                c = service.prove_consistency(db, from_size, tree_size)
                ok = merkle.verify_consistency(c.first, c.second, c.first_root, c.second_root, c.proof)
                out = {"first": c.first, "second": c.second, "first_root": c.first_root.hex(),
                       "second_root": c.second_root.hex(), "proof": [h.hex() for h in c.proof], "verifies": ok}
            else:
                if index is None:
                    if not leaf_hash:
                        raise typer.BadParameter("give an entry number or --leaf-hash", param_hint="INDEX")
                    index = service.entry_by_leaf(db, service.parse_leaf_hash(leaf_hash)).leaf_index
                p = service.prove_inclusion(db, index, tree_size)
                ok = merkle.verify_inclusion(p.index, p.tree_size, p.leaf_hash, p.audit_path, p.root_hash)
                out = {"index": p.index, "tree_size": p.tree_size, "leaf_hash": p.leaf_hash.hex(),
                       "audit_path": [h.hex() for h in p.audit_path], "root_hash": p.root_hash.hex(), "verifies": ok}
    except DomainError as exc:
        typer.echo(f"error: {exc.localized('en')}" + (f" [{exc.field}]" if exc.field else ""), err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    typer.echo(json.dumps(out, indent=2))
    if not out["verifies"]:
        raise typer.Exit(1)


@app.command("rotate-key")
def rotate_key() -> None:
    """Retire the tree-head signing key and start a new one; old heads keep verifying.

    The retired private key is destroyed; the rotation is itself appended to the log.
    """
    from smartgov.ledger import service

    database = _database()
    with database.unit_of_work() as db:
        key = service.rotate_key(db)
        new_id = key.key_id.hex()
    service.append_pending(database)
    database.dispose()
    typer.echo(f"new signing key {new_id}")
