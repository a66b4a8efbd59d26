"""``smartgov backup FILE`` and ``smartgov restore FILE`` (the work is in ``smartgov.backup``)."""

from __future__ import annotations

from pathlib import Path

import typer

from smartgov.cli_settings import settings_or_exit


def backup_command(
    file: Path = typer.Argument(..., help="Archive to write (a new file; .tar, or .tar.gz / .tgz for gzip)."),
) -> None:
    """Back up the database and every file of SMARTGOV_DATA_DIR into one archive, while the platform runs.

    SQLite: a consistent copy through SQLite's online backup API; the server and the worker go on writing
    (WAL mode). PostgreSQL: a logical `pg_dump -Fc` snapshot of the database, for copies and moves between
    machines or PostgreSQL versions; disaster recovery there is a base backup with WAL archiving and
    point-in-time recovery (README, "Backups"). Each member's SHA-256 is in a manifest signed with
    SMARTGOV_SECRET_KEY; `smartgov restore` needs the same key.
    """
    from smartgov import backup
    settings = settings_or_exit()
    try:
        manifest = backup.backup(settings, file)
    except backup.BackupRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    size = sum(m.size for m in manifest.members)
    typer.echo(f"backed up the {manifest.backend} database and {len(manifest.files)} files ({size:,} bytes) "
               f"to {file}")
    if manifest.backend == "postgresql":
        typer.echo(backup.PG_PURPOSE)


def restore_command(
    file: Path = typer.Argument(..., help="Archive made by `smartgov backup`."),
    force: bool = typer.Option(False, "--force", help="Replace a database that already has tables (its "
                                                       "content is lost)."),
    check_only: bool = typer.Option(False, "--check", help="Only check the archive (signature, every member's "
                                                            "SHA-256); restore nothing."),
) -> None:
    """Restore an archive into the configured database and SMARTGOV_DATA_DIR (stop the server and worker first).

    Nothing is changed unless the whole archive checks out: the manifest's signature (the same
    SMARTGOV_SECRET_KEY as the backup), each member's size and SHA-256, no member missing or unlisted, a
    schema this version knows. A database that already has tables is refused without --force. Files of the
    archive overwrite files of the same name; other files in the data folder are left as they are.
    Afterwards: `smartgov migrate` (if the backup is of an older version), then `smartgov ledger verify`.
    """
    from smartgov import backup
    settings = settings_or_exit()
    try:
        manifest = backup.verify(settings, file) if check_only else backup.restore(settings, file, force=force)
    except backup.BackupRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    what = "checked" if check_only else "restored"
    typer.echo(f"{what} the {manifest.backend} database of {manifest.created_at} and {len(manifest.files)} files "
               f"from {file}")
