"""The application factory: one FastAPI app with every module's API and pages."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartgov import collector, health, i18n  # noqa: F401 - health registers the worker's availability probe
from smartgov.db import Database
from smartgov.settings import Settings, get_settings, use_settings
from smartgov.web import csp, csrf, deps, fields

#: Modules in the order their routes are mounted; each may have ``api.router`` and ``pages.router``.
MODULES: tuple[str, ...] = (
    "web", "identity", "ledger", "services", "exchange", "assessment", "insurance", "participation", "analytics",
    "analytics.forecast", "transparency", "transparency.reports", "insight", "notifications", "operations", "home",
)

API_DESCRIPTION = """\
JSON API of smartgov. Authenticate with a personal API token: `Authorization: Bearer sgp_...`
(create one on *My account* or with `POST /api/v1/identity/tokens`).

**Errors** always have one shape: `{"error": {"code", "message", "field"}}`; `message` is in the
language of `Accept-Language` (`fa` by default, or `en`); validation errors add `details`. Ids and
amounts past their column's range, and text holding a NUL byte, are refused with 422 naming the field.

**Pagination**: list routes take `?page=1&per_page=20` (`per_page` at most 100) and answer
`{"items": [...], "page", "per_page", "total", "pages"}`.
"""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}  # and the Content-Security-Policy of ``smartgov.web.csp``, which may carry a nonce per response


def pick_language(scope: Scope, default: str) -> str:
    """Explicit choice (``?lang=``, cookie) first; the APIs (and NGSI-LD) also honour Accept-Language; else ``default``.

    Read from the raw scope: parsing the query string, the cookies and the URL for every
    request was a tenth of a status read.
    """
    query = scope.get("query_string", b"")
    chosen = parse_qs(query.decode("latin-1")).get("lang", [None])[-1] if b"lang=" in query else None
    cookie = accept = None
    for name, value in scope["headers"]:
        if name == b"cookie" and cookie is None:
            cookie = value
        elif name == b"accept-language" and accept is None:
            accept = value
    if not chosen and cookie is not None and b"sg_lang" in cookie:
        chosen = cookie_parser(cookie.decode("latin-1")).get("sg_lang")
    if chosen in i18n.LANGUAGES:
        return chosen
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    if accept and path.startswith(("/api/", "/ngsi-ld/")):
        return i18n.normalize_language(accept.decode("latin-1"))
    return default


class PlatformMiddleware:
    """Per request: pick the language, then add security headers and the CSRF cookie.

    Plain ASGI rather than ``BaseHTTPMiddleware``, which costs a task and a copy per request.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        if settings.session_cookie_secure:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = i18n.set_language(pick_language(scope, self.settings.default_language))
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                if csp.HEADER not in present:
                    extra.append((csp.HEADER, csp.header(state)))
                new_cookie = state.get("new_csrf_cookie")
                if new_cookie and csrf.COOKIE not in Request(scope).cookies:
                    cookie = f"{csrf.COOKIE}={new_cookie}; HttpOnly; Path=/; SameSite=lax"
                    if self.settings.session_cookie_secure:
                        cookie += "; Secure"
                    extra.append((b"set-cookie", cookie.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            i18n._current.reset(token)


def served_app() -> FastAPI:
    """The app of a server process (``smartgov serve``): ``create_app`` with start-up's objects frozen."""
    return create_app(served=True)


def create_app(settings: Settings | None = None, database: Database | None = None, *,
               served: bool = False) -> FastAPI:
    """Build the app; tests pass their own settings and database."""
    settings = use_settings(settings or get_settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        if served:
            # Server processes collect garbage from a thread of their own, never inside an
            # allocation (smartgov.collector: the cause of the workers' SIGSEGV), and keep what
            # start-up made frozen out of collections. Tests start and stop many apps in one
            # process and keep the interpreter's own collector.
            with collector.serving(settings):
                yield
            return
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="smartgov API",
        version="1.0",
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        # Unstorable text (a NUL byte) in any part of any request is refused here, for every route.
        dependencies=[Depends(fields.storable_text)],
    )
    app.state.settings = settings
    app.state.db = database or Database(settings.database_url)

    app.add_middleware(PlatformMiddleware, settings=settings)

    from smartgov.web import errors

    errors.install(app)
    root = Path(__file__).parent
    # Every request is matched against the routes in order, a few microseconds each: the API's
    # routes (machines polling, the heaviest traffic) come before the pages, static files last.
    for part in ("api", "pages"):
        for name in MODULES:
            if (root.joinpath(*name.split(".")) / f"{part}.py").exists():  # a sub-package: "analytics.forecast"
                module = importlib.import_module(f"smartgov.{name}.{part}")
                if part == "api":
                    app.include_router(module.router, responses=errors.API_ERROR_RESPONSES)
                else:  # every page's header says who is signed in, whether or not its handler asks
                    app.include_router(module.router, dependencies=[Depends(deps.optional_principal)])
                    if hasattr(module, "streams"):  # streamed answers check their caller themselves: a
                        app.include_router(module.streams)  # dependency's session would live as long as they do
    for name in MODULES:
        static = root.joinpath(*name.split(".")) / "static"
        if static.is_dir():
            app.mount(f"/static/{name}", StaticFiles(directory=static), name=f"static-{name}")
    return app
