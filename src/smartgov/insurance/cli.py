"""``smartgov insurance``: the fund's population import (``bulkimport.py``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer

app = typer.Typer(help="The social-security fund: population import.", no_args_is_help=True)


@app.command("import")
def import_command(
    kind: str = typer.Argument(..., help="persons, workshops or employment (in that order: spells name both)."),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CSV file, or CSV compressed as .csv.gz."),
    rejects: Path = typer.Option(None, help="Where rejected rows go (default: FILE.rejects.csv beside the file)."),
    chunk: int = typer.Option(50_000, min=1, help="Rows per transaction (and per checkpoint)."),
    again: bool = typer.Option(False, help="Read a file already imported once more (adds only what is missing)."),
    lang: str = typer.Option("en", help="Language of the reasons in the rejects file (en or fa)."),
    jobs: int = typer.Option(max(1, (os.cpu_count() or 2) - 1), min=1,
                             help="Processes checking rows (default: the cores but one; 1 checks on a thread)."),
    quiet: bool = typer.Option(False, help="No progress bar (logs, scripts)."),
) -> None:
    """Import persons, workshops or employment spells; every row checked, rejects written with line and
    reason; resumes after an interruption; running it twice adds nothing twice."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from smartgov.db import Database
    from smartgov.errors import DomainError
    from smartgov.settings import get_settings

    from . import bulkimport

    database = Database(get_settings().database_url)
    started = time.perf_counter()
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TextColumn("{task.fields[rows]:>12,} rows  {task.fields[rate]:>9,.0f} rows/s"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, disable=quiet, transient=False) as bar:
        task = bar.add_task(kind, total=path.stat().st_size, rows=0, rate=0.0)

        def progress(line: int, position: int, _accepted: int) -> None:
            bar.update(task, completed=position, rows=line - 1,
                       rate=(line - 1) / max(time.perf_counter() - started, 1e-9))

        try:
            report = bulkimport.import_file(database, kind, path, rejects_path=rejects, chunk_rows=chunk,
                                            again=again, lang=lang, jobs=jobs,
                                            progress=progress)
        except DomainError as exc:
            typer.echo(f"error: {exc.localized(lang)}", err=True)
            raise typer.Exit(2) from None
        finally:
            database.dispose()
    if report.already_done:
        typer.echo(f"{path} was imported already ({report.accepted:,} rows, {report.rejected:,} rejected); "
                   "--again reads it once more")
        return
    seconds = time.perf_counter() - started
    resumed = f", resumed after line {report.resumed_from:,}" if report.resumed_from else ""
    typer.echo(f"{kind}: {report.accepted:,} accepted, {report.inserted:,} new, {report.rejected:,} rejected "
               f"({report.rejects_path}) in {seconds:,.1f} s{resumed}")


def load_population(database_url: str, people: int, *, seed: int, out: Path, quiet: bool = False) -> None:
    """``smartgov demo --people N --fast``: write the synthetic population's files (``synthetic.py``)
    and import them, workshops first (spells name both), each with its progress bar."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from smartgov.db import Database

    from . import bulkimport, synthetic

    started = time.perf_counter()
    with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                  disable=quiet) as bar:
        task = bar.add_task("people written", total=people)
        files = synthetic.write_files(out, people, seed=seed, progress=lambda n: bar.update(task, completed=n))
    typer.echo(f"wrote {files.people:,} people, {files.workshop_count:,} workshops, {files.spells:,} spells "
               f"to {out} in {time.perf_counter() - started:,.1f} s")
    database = Database(database_url)
    try:
        for kind, path in (("workshops", files.workshops), ("persons", files.persons),
                           ("employment", files.employment)):
            began = time.perf_counter()
            with Progress(BarColumn(), TimeElapsedColumn(), TimeRemainingColumn(), disable=quiet) as bar:
                task = bar.add_task(kind, total=path.stat().st_size)

                def moved(_line: int, position: int, _accepted: int, bar: Progress = bar, task: TaskID = task) -> None:
                    bar.update(task, completed=position)

                # the files are the same bytes for the same size and seed: an interrupted load resumes,
                # a finished one is skipped
                report = bulkimport.import_file(database, kind, path, progress=moved,
                                                jobs=max(1, (os.cpu_count() or 2) - 1))
            done = " (imported already)" if report.already_done else ""
            typer.echo(f"{kind}{done}: {report.accepted:,} accepted, {report.inserted:,} new, {report.rejected:,} "
                       f"rejected in {time.perf_counter() - began:,.1f} s")
    finally:
        database.dispose()
