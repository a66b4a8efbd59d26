"""``smartgov insight import FILE.qdpx [--project NAME] [--agency CODE]`` and
``smartgov insight export PROJECT FILE.qdpx``: REFI-QDA exchange from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from smartgov.settings import get_settings

app = typer.Typer(help="Thematic analysis: REFI-QDA (.qdpx) import and export.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .qdpx file."),
    project: str = typer.Option(None, "--project", help="Name of the new project (default: the file's)."),
    agency: str = typer.Option(None, "--agency", help="Code of the owning agency (needed when there are several)."),
) -> None:
    """Import a project from MAXQDA, ATLAS.ti, NVivo, QualCoder or smartgov, GUIDs kept; print what was skipped."""
    from smartgov import identity
    from smartgov.db import Database
    from smartgov.errors import DomainError

    from . import refi_import

    database = Database(get_settings().database_url)
    try:
        with database.unit_of_work() as db:
            if agency:
                org = identity.organization_by_code(db, agency)
            else:
                found = identity.agencies(db)
                if len(found) != 1:
                    typer.echo("Name the owning agency with --agency CODE.", err=True)
                    raise typer.Exit(2)
                org = found[0]
            report = refi_import.import_qdpx(db, file.read_bytes(), org, None, name=project)
            assert report.project is not None
            typer.echo(f"Imported project {report.project.name!r} (id {report.project.id}): "
                       + ", ".join(f"{v} {k}" for k, v in sorted(report.counts.items())))
            for what, count in sorted(report.skipped.items()):
                typer.echo(f"  not imported: {what} ×{count}")
    except DomainError as exc:
        typer.echo(exc.localized("en"), err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()


@app.command("export")
def export(
    project: str = typer.Argument(..., help="Project name (or id)."),
    file: Path = typer.Argument(..., dir_okay=False, help="Where to write the .qdpx."),
) -> None:
    """Export a project as .qdpx (project.qde valid against the REFI-QDA XSD, sources as text files)."""
    from smartgov.db import Database
    from smartgov.errors import DomainError

    from . import refi_export, service

    database = Database(get_settings().database_url)
    try:
        with database.sessions() as db:
            found = service.get_project(db, int(project)) if project.isdigit() else service.project_by_name(db, project)
            file.write_bytes(refi_export.export_qdpx(db, found))
        typer.echo(f"Wrote {file}")
    except DomainError as exc:
        typer.echo(exc.localized("en"), err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
