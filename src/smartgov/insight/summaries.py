"""Optional summaries of a theme by a language model behind an OpenAI-compatible endpoint.

Off by default and never needed: with ``insight_llm_url`` unset every call answers "summaries are
off" (409) and nothing else in insight changes. When set, the theme's coded segments (their words,
nothing about who said them) are sent to ``<url>/v1/chat/completions``; the answer is kept as a
pending suggestion of kind ``summary`` with its provenance (endpoint host, model, prompt version,
the segments sent, the response's id and token usage, who asked) and a person approves it like
any other suggestion — approval makes it the theme's description. An unreachable or slow endpoint
gives a clear 502 within ``insight_llm_timeout`` seconds, never a hang.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError
from smartgov.i18n import N_
from smartgov.identity import Principal
from smartgov.settings import get_settings

from . import service
from .events import SUGGESTIONS_MADE
from .models import Project, Suggestion, Theme

PROMPT_VERSION = "theme-summary-1"
SYSTEM = ("You help a policy analyst doing thematic analysis. Summarize, in the language of the segments "
          "(Persian if they are Persian), what the quoted segments of one theme say, in at most five sentences. "
          "Do not invent facts; do not name or describe any person.")
MAX_CHARS = 24_000  # characters of segments sent at most: a prompt that fits small local models too
SUMMARY_MAX = 8_000


class LlmUnavailable(DomainError):
    status = 502


def enabled() -> bool:
    """Whether an endpoint is configured (the pages offer the button only then)."""
    return bool(get_settings().insight_llm_url)


def _endpoint(base: str) -> str:
    base = base.rstrip("/")
    return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


def chat(messages: list[dict[str, str]], *, temperature: float = 0.2) -> dict[str, Any]:
    """One chat completion from the configured endpoint: ``{"text", "id", "model", "usage"}``."""
    settings = get_settings()
    if not settings.insight_llm_url:
        raise Conflict("llm_off", N_("Summaries by a language model are off: no endpoint is configured."))
    headers = {"Content-Type": "application/json"}
    if settings.insight_llm_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.insight_llm_api_key.get_secret_value()}"
    body = {"model": settings.insight_llm_model, "messages": messages, "temperature": temperature, "stream": False}
    timeout = httpx.Timeout(settings.insight_llm_timeout, connect=min(5.0, settings.insight_llm_timeout))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            answer = client.post(_endpoint(settings.insight_llm_url), json=body, headers=headers)
    except httpx.TimeoutException:
        raise LlmUnavailable("llm_timeout", N_("The summary service did not answer within {seconds} seconds."),
                             seconds=settings.insight_llm_timeout) from None
    except httpx.HTTPError:
        raise LlmUnavailable("llm_unreachable", N_("The summary service cannot be reached.")) from None
    if answer.status_code != 200:
        raise LlmUnavailable("llm_refused", N_("The summary service refused the request (status {answer})."),
                             answer=answer.status_code)
    try:
        data = answer.json()
        text = data["choices"][0]["message"]["content"]
        if not isinstance(text, str) or not text.strip():
            raise ValueError("empty")
    except (ValueError, KeyError, IndexError, TypeError):
        raise LlmUnavailable("llm_malformed", N_("The summary service gave an answer that is not a summary.")) from None
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return {"text": text.strip()[:SUMMARY_MAX], "id": str(data.get("id", ""))[:200],
            "model": str(data.get("model", settings.insight_llm_model))[:200],
            "usage": {k: v for k, v in usage.items() if isinstance(v, int)}}


def theme_segments(db: Session, project: Project, theme: Theme, max_segments: int) -> list[dict[str, Any]]:
    """The coded segments of a basic theme's codes (or of the basic themes under an organizing/global one)."""
    grouped = service.theme_codes(db, project)
    all_themes = service.themes(db, project)
    wanted = {theme.id}
    for _ in range(2):  # organizing → basic, global → organizing → basic
        wanted |= {t.id for t in all_themes if t.parent_id in wanted}
    code_ids = {c for t in wanted for c in grouped.get(t, [])}
    texts = {s.id: s.text for s in service.sources(db, project)}
    out, used = [], 0
    for seg in service.segments(db, project, code_ids=code_ids):
        words = texts[seg.source_id][seg.start:seg.end].strip()
        if not words or used + len(words) > MAX_CHARS:
            continue
        out.append({"source": seg.source_id, "start": seg.start, "end": seg.end, "text": words})
        used += len(words)
        if len(out) == max_segments:
            break
    return out


def summarize_theme(db: Session, project: Project, principal: Principal, theme: Theme, *,
                    max_segments: int = 40) -> Suggestion:
    """Ask the endpoint for a summary of ``theme`` and keep it as a pending suggestion with its provenance."""
    if not enabled():
        raise Conflict("llm_off", N_("Summaries by a language model are off: no endpoint is configured."))
    segments = theme_segments(db, project, theme, max_segments)
    if not segments:
        raise DomainError("theme_empty", N_("This theme has no coded segments to summarize."), field="theme",
                          status=422)
    quoted = "\n".join(f"- {s['text']}" for s in segments)
    answer = chat([{"role": "system", "content": SYSTEM},
                   {"role": "user", "content": f"Theme: {theme.name}\nSegments:\n{quoted}"}])
    settings = get_settings()
    parameters = {"endpoint": urlsplit(settings.insight_llm_url or "").netloc, "model": answer["model"],
                  "prompt": PROMPT_VERSION, "temperature": 0.2, "max_segments": max_segments,
                  "response_id": answer["id"], "usage": answer["usage"]}
    payload = {"theme": theme.id, "summary": answer["text"],
               "segments": [{k: s[k] for k in ("source", "start", "end")} for s in segments]}
    row = Suggestion(project_id=project.id, run=str(uuid.uuid4()), kind="summary", method="llm-chat", score=0.0,
                     parameters=parameters, payload=payload, status="pending", created_by=principal.id,
                     created_at=clock.now(), note="")
    db.add(row)
    db.flush()
    events.publish(db, SUGGESTIONS_MADE, actor_id=principal.id, project=project.id, run=row.run, kind="summary",
                   method="llm-chat", count=1)
    return row
