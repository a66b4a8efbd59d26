"""The font every PDF is drawn with: DejaVu Sans, which covers Persian and Latin.

Looked for in the system's font folders (Debian's ``fonts-dejavu-core``, Fedora, Arch, macOS),
then in matplotlib's copy where matplotlib happens to be installed. No Python package we depend on
ships the font, so a machine without it answers PDF requests with a clear 503 (``FontMissing``)
until it is installed. A configured path (``SMARTGOV_SERVICES_FONT_PATH``) replaces the search.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from smartgov.errors import DomainError
from smartgov.i18n import N_

SYSTEM_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian/Ubuntu fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Fedora
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
    "/Library/Fonts",
)


class FontMissing(DomainError):
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "pdf_font_missing",
            N_("PDFs cannot be made: no font with Persian letters was found. Install fonts-dejavu-core "
               "or set SMARTGOV_SERVICES_FONT_PATH."),
        )


def _search_dirs() -> list[Path]:
    dirs = [Path(d) for d in SYSTEM_DIRS]
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    return dirs


def dejavu(*, bold: bool = False, configured: str | None = None) -> Path:
    """DejaVu Sans (or its bold face); with ``configured``, that file (its ``-Bold`` sibling if any)."""
    if configured:
        regular = Path(configured)
        if not regular.is_file():
            raise FontMissing()
        sibling = regular.with_name(f"{regular.stem}-Bold{regular.suffix}")
        return sibling if bold and sibling.is_file() else regular
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _search_dirs():
        if (folder / name).is_file():
            return folder / name
    raise FontMissing()
