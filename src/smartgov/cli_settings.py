"""The settings for a command line: what is wrong with them said plainly, exit code 2, no traceback.

Apart from ``cli`` so command groups that ``cli`` registers (``backup_cli``) share it without importing ``cli``.
"""

from __future__ import annotations

import typer

from smartgov.settings import Settings, get_settings


def settings_or_exit() -> Settings:
    """The settings, or a plain message naming what is wrong and exit code 2 (not a traceback)."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"error: {error['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None
