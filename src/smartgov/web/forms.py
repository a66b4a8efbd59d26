"""Reading HTML forms: CSRF first, then plain strings; errors go back next to their fields."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from smartgov.errors import DomainError, ValidationFailed
from smartgov.web import csrf


async def read_form(request: Request) -> dict[str, str]:
    """The submitted fields as strings, after the CSRF check (403 without a valid token)."""
    form = await request.form()
    csrf.verify(request, str(form.get(csrf.FIELD) or ""))
    return {k: v for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}


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
