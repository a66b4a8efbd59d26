"""One error type for every refusal the platform gives an outside caller.

Service functions raise :class:`DomainError` with an English message id; the HTTP edge
translates it into the caller's language and renders the one envelope
``{"error": {"code", "message", "field"}}`` (API) or a field error (pages).
"""

from __future__ import annotations

from typing import Any

from smartgov.i18n import N_, gettext


class DomainError(Exception):
    """A refusal that the caller can fix; ``status`` is the HTTP status the edge uses."""

    status: int = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.params = params
        if status is not None:
            self.status = status

    def localized(self, lang: str | None = None) -> str:
        return gettext(self.message, lang, **self.params)

    def envelope(self, lang: str | None = None) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.localized(lang), "field": self.field}}


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str = "record", field: str | None = None) -> None:
        super().__init__("not_found", N_("Not found."), field=field, what=what)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str | None = None) -> None:
        super().__init__("forbidden", message or N_("You are not allowed to do this."))


class Conflict(DomainError):
    status = 409


class ValidationFailed(DomainError):
    """Several field errors at once (forms, CSV rows); ``errors`` keeps each one."""

    status = 422

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, field=first.field, **first.params)
        self.errors = errors
