"""What a module shows on a person's home page (``/home``): one panel, built by the module itself.

Each module offers ``home_panel(db, principal) -> list[Panel]`` on its public surface, reading
only its own tables; the home page (``smartgov.home``) asks each and lays the panels out. The
shell owns only these shapes, so no module imports another's to contribute. Texts are already in
the request's language; identifiers (references, codes) travel apart so the page isolates them
(``<bdi>``) and keeps their Latin digits copyable; times stay datetimes so the page writes them
in the viewer's calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    """One line of a panel: what it is, where to open it, and its state or date."""

    text: str
    href: str | None = None
    identifier: str | None = None  # a reference or code, shown isolated and as typed
    status: str | None = None  # the state in words
    when: dt.datetime | dt.date | None = None
    when_label: str | None = None  # "Due", "Received" … (words, in the page's language)
    tone: str = ""  # "" | "warn" (late, unread, due) | "ok"


@dataclass(frozen=True)
class Figure:
    """A count with its meaning and where its cases are listed (an official's inbox, unread messages)."""

    label: str
    value: int
    href: str | None = None
    tone: str = ""


@dataclass(frozen=True)
class Panel:
    """A module's part of the home page; ``todo`` rows go to the top, under "needs your action"."""

    key: str  # stable id (tests and anchors): "applications", "inbox", "notifications" …
    title: str
    rows: list[Row] = field(default_factory=list)
    todo: list[Row] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    empty: str = ""  # said when there are no rows
    more_href: str | None = None
    more_text: str | None = None
    order: int = 50
