"""Optional theme summaries by an OpenAI-compatible endpoint: the real client against a fake server
started here on the loopback; off by default; a slow or absent endpoint gives a clear refusal in time;
every summary is a pending suggestion with its provenance until a person approves it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from smartgov.errors import Conflict
from smartgov.insight import assist_service, service, summaries
from smartgov.settings import Settings, use_settings
from tests.factories import api_token, csrf_of, page_login

from .factories import analyst, project

SEGMENTS = ["صف‌های طولانی وقت مردم را هدر می‌دهد.", "هفته‌ها در صف ماندم."]


class FakeLlm:
    """A loopback HTTP server speaking the chat-completions protocol, recording what it was sent."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.hold = False
        self.status = 200
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if fake.hold:  # answer only once the test lets go: the client's timeout must fire first
                    fake.release.wait(10)
                answer = json.dumps({"id": "chatcmpl-1", "model": body["model"], "usage": {"total_tokens": 42},
                                     "choices": [{"message": {"role": "assistant",
                                                              "content": "مردم از صف‌های طولانی گله دارند."}}]})
                data = answer.encode() if fake.status == 200 else b"{}"
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_llm() -> Iterator[FakeLlm]:
    fake = FakeLlm()
    yield fake
    fake.close()


def _llm(settings: Settings, url: str | None, **kw: Any) -> None:
    use_settings(settings.model_copy(update={"insight_llm_url": url, **kw}))


def _theme(db):  # type: ignore[no-untyped-def]
    who = analyst(db)
    p = project(db, who)
    code = service.create_code(db, p, who, "صف")
    for i, text in enumerate(SEGMENTS):
        s = service.add_source(db, p, who, f"نظر {i}", text)
        service.code_span(db, p, who, s, 0, len(text), [code.id])
    theme = service.create_theme(db, p, who, "انتظار", "basic", code_ids=[code.id])
    db.commit()
    return who, p, theme


def test_a_summary_is_asked_kept_with_provenance_and_approved_by_a_person(db, settings, fake_llm) -> None:  # type: ignore[no-untyped-def]
    who, p, theme = _theme(db)
    _llm(settings, fake_llm.url + "/v1", insight_llm_model="local-model", insight_llm_api_key=SecretStr("k-123"))
    s = summaries.summarize_theme(db, p, who, theme)
    sent = fake_llm.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer k-123"
    assert sent["body"]["model"] == "local-model" and all(t in sent["body"]["messages"][1]["content"] for t in SEGMENTS)
    assert s.kind == "summary" and s.status == "pending" and s.payload["summary"] == "مردم از صف‌های طولانی گله دارند."
    assert s.parameters["endpoint"] == fake_llm.url.removeprefix("http://") and s.parameters["model"] == "local-model"
    assert s.parameters["response_id"] == "chatcmpl-1" and s.parameters["usage"] == {"total_tokens": 42}
    assert len(s.payload["segments"]) == 2 and "k-123" not in json.dumps(s.parameters)
    assert theme.description == ""  # nothing changes before a person decides
    assist_service.decide(db, p, who, s, True, name="مردم از صف‌ها گله دارند (ویرایش تحلیلگر).")
    assert theme.description == "مردم از صف‌ها گله دارند (ویرایش تحلیلگر)." and s.result == f"theme:{theme.id}"
    assert s.decided_by == who.id and s.status == "approved"


def test_off_by_default_and_a_clear_refusal_when_unreachable_or_slow(db, settings, fake_llm) -> None:  # type: ignore[no-untyped-def]
    who, p, theme = _theme(db)
    assert settings.insight_llm_url is None and not summaries.enabled()
    with pytest.raises(Conflict) as off:
        summaries.summarize_theme(db, p, who, theme)
    assert off.value.code == "llm_off"
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    _llm(settings, f"http://127.0.0.1:{closed}")
    with pytest.raises(summaries.LlmUnavailable) as down:
        summaries.summarize_theme(db, p, who, theme)
    assert down.value.code == "llm_unreachable" and down.value.status == 502
    fake_llm.hold = True
    _llm(settings, fake_llm.url, insight_llm_timeout=0.3)
    with pytest.raises(summaries.LlmUnavailable) as slow:
        summaries.summarize_theme(db, p, who, theme)
    assert slow.value.code == "llm_timeout" and "0.3" in slow.value.localized("en")
    fake_llm.release.set()
    fake_llm.hold, fake_llm.status = False, 500
    _llm(settings, fake_llm.url)
    with pytest.raises(summaries.LlmUnavailable) as refused:
        summaries.summarize_theme(db, p, who, theme)
    assert refused.value.code == "llm_refused"
    assert assist_service.suggestions(db, p, kind="summary") == []  # nothing half-made was kept


def test_the_api_asks_for_a_summary(client, db, settings, fake_llm) -> None:  # type: ignore[no-untyped-def]
    who, p, theme = _theme(db)
    _llm(settings, fake_llm.url)
    h = {"Authorization": f"Bearer {api_token(client, who.account)}"}
    r = client.post(f"/api/v1/insight/projects/{p.id}/themes/{theme.id}/summary", json={"max_segments": 1}, headers=h)
    assert r.status_code == 201 and r.json()["kind"] == "summary" and len(r.json()["payload"]["segments"]) == 1
    _llm(settings, None)
    off = client.post(f"/api/v1/insight/projects/{p.id}/themes/{theme.id}/summary", json={}, headers=h)
    assert off.status_code == 409 and off.json()["error"]["code"] == "llm_off" and "خاموش" in off.json()["error"]["message"]


def test_the_assist_page_asks_shows_and_approves_a_summary(client, db, settings, fake_llm) -> None:  # type: ignore[no-untyped-def]
    who, p, theme = _theme(db)
    page_login(client, who.account, f"/insight/projects/{p.id}/assist")
    assert "/assist/summary" not in client.get(f"/insight/projects/{p.id}/assist").text  # off: not offered
    _llm(settings, fake_llm.url)
    page = client.get(f"/insight/projects/{p.id}/assist").text
    r = client.post(f"/insight/projects/{p.id}/assist/summary", data={"csrf_token": csrf_of(page),
                                                                      "theme": str(theme.id)}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/insight/projects/{p.id}/assist").text
    assert "مردم از صف‌های طولانی گله دارند." in page and "local" not in page
    s = assist_service.suggestions(db, p, kind="summary")[0]
    r = client.post(f"/insight/projects/{p.id}/assist/{s.id}", data={
        "csrf_token": csrf_of(page), "decision": "approve", "name": "خلاصهٔ ویرایش‌شده"}, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert service.get_theme(db, p, theme.id).description == "خلاصهٔ ویرایش‌شده"
