"""What a caller may send, bounded to what the database can hold: refused at the edge with a 422 naming the field.

A number past a column's range or a character PostgreSQL text cannot hold used to reach the
database and come back as a 500 (``NumericValueOutOfRange``, "cannot contain NUL bytes"); SQLite
refused numbers past 64 bits the same way. Every id, index and amount a route takes uses one of
the types below, and :func:`storable_text` (an app-wide dependency) refuses unstorable text in
any part of any request, so no route can forget either rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Annotated, Any

import annotated_types
from fastapi import Request

from smartgov import clock, digits
from smartgov.db import INT4_MAX, INT8_MAX
from smartgov.errors import DomainError
from smartgov.i18n import N_, get_language

#: A row id (every table's ``id`` is INTEGER).
Id = Annotated[int, annotated_types.Interval(ge=1, le=INT4_MAX)]
#: A small count or number kept in an INTEGER column (a section, an option, a position).
Int4 = Annotated[int, annotated_types.Interval(ge=-INT4_MAX - 1, le=INT4_MAX)]
#: An amount of money in rial (BIGINT columns).
Rial = Annotated[int, annotated_types.Interval(ge=0, le=INT8_MAX)]
#: A 0-based position or size in an append-only log (BIGINT columns).
Position = Annotated[int, annotated_types.Interval(ge=0, le=INT8_MAX)]


def posted_number(text: str, field: str | None = None) -> int | None:
    """A whole number typed in a page's form (an id, a section or an option) that fits an ``Id``, or ``None``.

    Digits are read by :func:`smartgov.digits.integer` (Persian and Arabic-Indic ones too; other
    scripts' digits are refused with a 422 naming ``field``). ``None`` for anything else (letters,
    0, past INTEGER), which each page refuses as it refuses a missing value.
    """
    number = digits.integer(text, field)
    return number if number is not None and 1 <= number <= INT4_MAX else None


def day_bounds(values: dict[str, str], errors: list[DomainError]) -> dict[str, dt.datetime | None]:
    """A filter's ``since`` and ``until`` days as typed (Jalali or ISO, any digits) as instants.

    ``since`` is the start of its day and ``until`` the start of the next, so a list filters on
    ``since <= t < until`` in the platform's time zone. An unreal date adds an error naming its
    field to ``errors``, so the page reports it with the filter's other fields at once.
    """
    bounds: dict[str, dt.datetime | None] = {"since": None, "until": None}
    for name in ("since", "until"):
        if values[name]:
            try:
                day = digits.parse_date(values[name])
                bounds[name] = clock.day_start(day if name == "since" else day + dt.timedelta(days=1))
            except (ValueError, DomainError):
                errors.append(DomainError("invalid_date", N_("Enter a real date, for example {example}."),
                                          field=name, example="۱۴۰۵/۰۹/۰۱" if get_language() == "fa" else "2026-11-22"))
    return bounds


#: NUL, which PostgreSQL text cannot hold, and lone UTF-16 surrogates, which are not text at all
#: (JSON's ``"\ud800"`` decodes to one; no database or UTF-8 encoder takes it).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: How either can appear in raw JSON: NUL and surrogates only as ``\\u`` escapes (a raw control
#: character is invalid JSON, refused by the parser). Paired surrogates (emoji) match too and pass
#: the real check below; this only decides whether the parsed body must be walked.
_JSON_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class UnstorableText(DomainError):
    status = 422

    def __init__(self, field: str | None) -> None:
        super().__init__("unstorable_character",
                         N_("This value contains a character that cannot be stored (such as a NUL byte)."),
                         field=field)


def _first_unstorable(items: Iterable[tuple[str, Any]]) -> str | None:
    """The name of the first item whose key or (text) value holds an unstorable character."""
    for name, value in items:
        if _UNSTORABLE.search(name) or (isinstance(value, str) and _UNSTORABLE.search(value)):
            return name
    return None


def _walk_json(value: Any, path: str = "") -> str | None:
    """The dotted path (as validation errors name fields) of the first unstorable string in ``value``."""
    if isinstance(value, str):
        return (path or "body") if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _UNSTORABLE.search(key):
                return here
            found = _walk_json(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _walk_json(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


async def storable_text(request: Request) -> None:
    """Refuse (422, naming the field) a request whose path, query, headers or body holds unstorable text.

    Each part is looked at closely only when a cheap test on its raw form says it might hold
    such a character, so the hot reads pay a few byte searches. The body is the one FastAPI reads
    anyway (``request.body()``, ``.json()`` and ``.form()`` are cached on the request).
    """
    scope = request.scope
    if "\x00" in scope["path"]:  # a server decodes the path with replacement: no surrogates there
        raise UnstorableText(_first_unstorable(request.path_params.items()) or "path")
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        raise UnstorableText(_first_unstorable(request.query_params.multi_items()) or "query")
    for name, value in scope["headers"]:
        if b"\x00" in value:
            raise UnstorableText(name.decode("latin-1"))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        form = await request.form()
        found = _first_unstorable(form.multi_items())  # files are bytes, and may hold any byte
        if found is not None:
            raise UnstorableText(found)
    elif "json" in content_type:
        body = await request.body()
        if _JSON_SUSPECT.search(body) is None:
            return
        try:
            parsed = await request.json()
        except ValueError:
            return  # not JSON: the route's own validation says so
        found = _walk_json(parsed)
        if found is not None:
            raise UnstorableText(found)
