"""Reading HTML forms: CSRF first, then plain strings; errors go back next to their fields.

Handlers take the form as a dependency (``form: PostedForm`` or ``form: PostedFiles``) and are
plain ``def`` functions: the body is read on the event loop, the handler's database and CPU
work runs in the thread pool. An ``async def`` handler that queried the database blocked every
other request of its process meanwhile (seconds for a 50,000-row wage report), and could wait
forever for a pooled connection that only the blocked loop could give back.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from smartgov.errors import DomainError, ValidationFailed
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
