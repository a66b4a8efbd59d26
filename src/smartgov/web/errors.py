"""Every failure rendered the same way: the API's one envelope, or a localized page."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, gettext
from smartgov.identity.permissions import PersonNotProven
from smartgov.web.deps import MfaPending, Unauthenticated

log = logging.getLogger("smartgov.web")

_PYDANTIC_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This value is too short."),
    "string_too_long": N_("This value is too long."),
    "value_error": N_("This value is not valid."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "date_from_datetime_parsing": N_("Enter a valid date."),
    "date_parsing": N_("Enter a valid date."),
    "literal_error": N_("Choose one of the allowed values."),
    "enum": N_("Choose one of the allowed values."),
    "greater_than_equal": N_("This value is too small."),
    "less_than_equal": N_("This value is too large."),
    "json_invalid": N_("The request body is not valid JSON."),
    "model_attributes_type": N_("The request body must be a JSON object."),
    "bool_parsing": N_("Enter true or false."),
    "list_type": N_("Enter a list."),
}

_STATUS_MESSAGES = {
    400: N_("The request is not valid."),
    401: N_("Sign in first."),
    403: N_("You are not allowed to do this."),
    404: N_("The page or record was not found."),
    405: N_("This method is not allowed here."),
    409: N_("This conflicts with the current state."),
    413: N_("The upload is too large."),
    429: N_("Too many requests. Wait a little and try again."),
    500: N_("Something went wrong on our side. The team has been told; please try again later."),
}


class ErrorItem(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`, `invalid_input`.")
    message: str = Field(description="What went wrong, in the caller's language.")
    field: str | None = Field(description="The field at fault (`a.b.0` inside a body), or null.")


class ErrorDetail(ErrorItem):
    details: list[ErrorItem] | None = Field(None, description="Every field error, when there are several.")


class ErrorEnvelope(BaseModel):
    """The one shape of every refusal; some routes add keys of their own to ``error``."""

    error: ErrorDetail


#: Declared on every API route: what a 4xx answer looks like (instead of FastAPI's ``detail`` list).
API_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorEnvelope, "description": "Refused: `{\"error\": {\"code\", \"message\", \"field\"}}`."},
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def envelope(code: str, message: str, field: str | None, status: int, headers: dict[str, str] | None = None,
             **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "field": field}}
    body["error"].update(extra)
    return JSONResponse(body, status_code=status, headers=headers)


def error_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None,
               link: dict[str, str] | None = None) -> Response:
    from smartgov.web.templating import render

    titles = {403: N_("Access denied"), 404: N_("Page not found"), 500: N_("Server error"),
              429: N_("Too many requests")}
    return render(request, "web/error.html", {"status": status, "title": gettext(titles.get(status, N_("Error"))),
                                              "message": message, "link": link}, status_code=status,
                  headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Unauthenticated)
    async def _unauth(request: Request, exc: Unauthenticated) -> Response:
        if is_api(request):
            return envelope(exc.code, exc.localized(), None, 401)
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(MfaPending)
    async def _mfa(request: Request, exc: MfaPending) -> Response:
        if is_api(request):
            return envelope(exc.code, exc.localized(), None, 401)
        return RedirectResponse("/mfa/setup" if exc.setup else "/mfa/verify", status_code=303)

    @app.exception_handler(PersonNotProven)
    async def _not_proven(request: Request, exc: PersonNotProven) -> Response:
        if is_api(request):
            return envelope(exc.code, exc.localized(), None, 403)
        target = quote(request.url.path) if request.method == "GET" else ""
        return error_page(request, 403, exc.localized(), link={
            "href": f"/account/prove?next={target}" if target else "/account/prove",
            "label": gettext(N_("Prove you are this person"))})

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        # a throttled or rate-limited refusal says when to come back (``Retry-After``)
        headers = getattr(exc, "headers", None)
        if is_api(request):
            extra: dict[str, Any] = {}
            if isinstance(exc, ValidationFailed):
                extra["details"] = [
                    {"code": e.code, "message": e.localized(), "field": e.field} for e in exc.errors
                ]
            return envelope(exc.code, exc.localized(), exc.field, exc.status, headers, **extra)
        return error_page(request, exc.status, exc.localized(), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            refusal = (err.get("ctx") or {}).get("error")
            if isinstance(refusal, DomainError):  # a validator of ours (smartgov.digits): its own code and words
                code, message = refusal.code, refusal.localized()
            else:
                code = err.get("type", "invalid")
                message = gettext(_PYDANTIC_MESSAGES.get(code, N_("This value is not valid.")))
            details.append({"code": code, "message": message, "field": ".".join(loc) or None})
        first = details[0] if details else {
            "code": "invalid", "message": gettext(_STATUS_MESSAGES[400]), "field": None,
        }
        if is_api(request):
            return envelope("invalid_input", first["message"], first["field"], 422, details=details)
        return error_page(request, 400, first["message"])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = gettext(_STATUS_MESSAGES.get(exc.status_code, N_("The request is not valid.")))
        if is_api(request):
            return envelope(f"http_{exc.status_code}", message, None, exc.status_code)
        return error_page(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = gettext(_STATUS_MESSAGES[500])
        if is_api(request):
            return envelope("server_error", message, None, 500)
        return error_page(request, 500, message)
