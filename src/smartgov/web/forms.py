"""Reading HTML forms: CSRF first, then plain strings; errors go back next to their fields.

Handlers take the form as a dependency (``form: PostedForm`` or ``form: PostedFiles``) and are
plain ``def`` functions: the body is read on the event loop, the handler's database and CPU
work runs in the thread pool. An ``async def`` handler that queried the database blocked every
other request of its process meanwhile (seconds for a 50,000-row wage report), and could wait
forever for a pooled connection that only the blocked loop could give back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from smartgov import clock, digits
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, get_language
from smartgov.web import csrf


async def read_form(request: Request) -> dict[str, str]:
    """The submitted fields as strings, after the CSRF check (403 without a valid token)."""
    form = await request.form()
    csrf.verify(request, str(form.get(csrf.FIELD) or ""))
    return {k: v for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}


async def _posted_form(request: Request) -> dict[str, str]:
    return await read_form(request)


async def _posted_files(request: Request) -> FormData:
    form = await request.form()
    csrf.verify(request, str(form.get(csrf.FIELD) or ""))
    return form


#: The submitted text fields, CSRF-checked (403 otherwise).
PostedForm = Annotated[dict[str, str], Depends(_posted_form)]
#: The submitted form with its files (``UploadFile``; read them with ``.file.read()``), CSRF-checked.
PostedFiles = Annotated[FormData, Depends(_posted_files)]


def field_errors(exc: DomainError) -> dict[str, str]:
    """``{field: message}`` for a template; errors without a field go under ``_form``."""
    items = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    out: dict[str, str] = {}
    for err in items:
        out.setdefault(err.field or "_form", err.localized())
    return out


def safe_next(target: str | None, default: str = "/account") -> str:
    """Only same-site paths, so a login link cannot bounce people to another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def example_day() -> str:
    """A date as a form asks for it, in the page's language and digits (for hints and errors)."""
    return "۱۴۰۵/۰۱/۱۵" if get_language() == "fa" else "2026-04-04"


class Collected:
    """Field errors gathered over a whole form, so the page names every problem at once.

    Each reader returns what it could read (``None`` when it could not) and keeps its refusal;
    :meth:`check` raises them together as one 422 once the whole form has been read.
    """

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def add(self, field: str, message: str, **params: Any) -> None:
        self.errors.append(DomainError("invalid", message, field=field, status=422, **params))

    def take(self, check: Callable[..., Any], *args: Any) -> Any:
        """``check(*args)``, or ``None`` with its refusals kept (a 403 still stops the request)."""
        try:
            return check(*args)
        except ValidationFailed as exc:
            self.errors += exc.errors
        except DomainError as exc:
            if exc.status == 403:
                raise
            self.errors.append(exc)
        return None

    def text(self, form: dict[str, str], name: str, *, required: bool = True, max_len: int = 300) -> str:
        value = form.get(name, "").strip()
        if required and not value:
            self.add(name, N_("This field is required."))
        elif len(value) > max_len:
            self.add(name, N_("Use at most {n} characters."), n=max_len)
        return value

    def day(self, form: dict[str, str], name: str, *, required: bool = False) -> dt.date | None:
        """A typed date: Jalali (``۱۴۰۵/۰۱/۱۵``) or ISO, in Persian or Latin digits."""
        raw = form.get(name, "").strip()
        if not raw:
            if required:
                self.add(name, N_("This field is required."))
            return None
        try:
            return digits.date(raw, name)
        except ValueError:
            self.add(name, N_("Enter a real date, like {example}."), example=example_day())
            return None

    def when(self, form: dict[str, str], name: str) -> dt.datetime | None:
        """A typed moment: a date (Jalali ``1405/01/15`` or ISO), optionally ``HH:MM``, in the platform's zone."""
        raw = digits.to_latin_digits(form.get(name, "")).strip()
        if not raw:
            self.add(name, N_("This field is required."))
            return None
        day_text, _, time_text = raw.partition(" ")
        try:
            day = digits.parse_date(day_text)
            hour, minute = (int(x) for x in time_text.strip().split(":")) if time_text.strip() else (0, 0)
            moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.zone())
        except (ValueError, TypeError):
            self.add(name, N_("Enter a date and time, like {example}."),
                     example="۱۴۰۵/۰۱/۱۵ ۰۹:۰۰" if get_language() == "fa" else "2026-04-04 09:00")
            return None
        return moment.astimezone(dt.UTC)

    def number(self, form: dict[str, str], name: str, *, required: bool = True, low: int = 0,
               high: int = 10**15) -> int | None:
        raw = form.get(name, "").strip()
        if not raw:
            if required:
                self.add(name, N_("This field is required."))
            return None
        value = digits.whole_number(raw, name)
        if value is None or not low <= value <= high:
            self.add(name, N_("Enter a whole number from {low} to {high}."), low=low, high=high)
            return None
        return value

    def coordinate(self, form: dict[str, str], name: str, limit: int) -> float | None:
        """A latitude or longitude in decimal degrees (any digits, ``.`` or ``٫``), within ±``limit``."""
        raw = digits.to_latin_digits(form.get(name, "")).strip().replace("٫", ".")
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not -limit <= value <= limit:  # NaN fails too
            self.add(name, N_("Enter a number of degrees from {low} to {high}, like {example}."), low=-limit,
                     high=limit, example=35.6892)
            return None
        return value

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
