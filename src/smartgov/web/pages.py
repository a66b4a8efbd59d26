"""Platform-wide pages: home, language switch, API documentation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from smartgov import clock, identity
from smartgov.i18n import LANGUAGES
from smartgov.web import charts
from smartgov.web.deps import DbSession, OptionalPrincipal
from smartgov.web.forms import safe_next
from smartgov.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    agencies = identity.agencies(db)
    children: dict[int | None, list[Any]] = {}
    for org in agencies:
        children.setdefault(org.parent_id, []).append(org)
    return render(request, "web/home.html", {"today": clock.now(), "tree": children})


@router.get(charts.PLOTLY_URL)
def plotly_js() -> FileResponse:
    """Plotly's JavaScript straight from the installed Python package (nothing vendored), for every chart page."""
    return FileResponse(charts.PLOTLY_JS, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str | None = None) -> RedirectResponse:
    """Works without JavaScript: a plain link sets the language cookie and returns to the page."""
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if code in LANGUAGES:
        response.set_cookie("sg_lang", code, max_age=365 * 86400, samesite="lax", httponly=True,
                            secure=request.app.state.settings.session_cookie_secure)
    return response


@router.get("/api/v1/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The API reference, rendered on the server from the OpenAPI document (works offline)."""
    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            operations.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                               "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                               "parameters": op.get("parameters", [])})
    operations.sort(key=lambda o: (o["tag"], o["path"], o["method"]))
    return render(request, "web/api_docs.html", {"spec": spec, "operations": operations})
