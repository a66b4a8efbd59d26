"""Platform-wide API routes: liveness and readiness."""

from __future__ import annotations

import gc
from typing import Any

from fastapi import Request
from sqlalchemy import text

from smartgov import collector
from smartgov.web.routing import ModuleRouter

router = ModuleRouter(prefix="/api/v1", tags=["platform"])


@router.get("/ping")
def ping() -> dict[str, str]:
    """Liveness: answers without touching the database (the benchmark baseline)."""
    return {"status": "ok"}


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """Readiness: the database answers; how this process collects garbage (``smartgov.collector``)."""
    with request.app.state.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    running = collector.active()
    return {"status": "ok", "database": request.app.state.db.engine.dialect.name,
            "gc": {"automatic": gc.isenabled(), "collector_thread": bool(running and running.alive),
                   "collections": list(running.collections) if running else None}}
