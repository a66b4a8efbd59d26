"""The Content-Security-Policy is strict: no inline script, style or handler runs unless the page vouched for it
with this response's nonce (the browser tests check that no page breaks it)."""

from __future__ import annotations

import re
from pathlib import Path

import smartgov

TEMPLATES = sorted(Path(smartgov.__file__).parent.glob("*/templates/**/*.html"))


def test_pages_and_the_api_forbid_inline_code_and_eval(client) -> None:  # type: ignore[no-untyped-def]
    for url in ("/", "/ledger", "/login", "/verify", "/api/v1/health", "/api/v1/ledger/keys"):
        policy = client.get(url).headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "nonce-" not in client.get("/api/v1/health").headers["content-security-policy"]


def test_an_inline_style_carries_the_nonce_of_its_own_response(client) -> None:  # type: ignore[no-untyped-def]
    nonces = []
    for _ in range(2):
        r = client.get("/ledger")
        header = re.search(r"style-src 'self' 'nonce-([^']+)'", r.headers["content-security-policy"])
        assert header is not None
        assert f'<style nonce="{header.group(1)}">' in r.text
        nonces.append(header.group(1))
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 22


def test_no_template_has_an_event_handler_a_style_attribute_or_an_inline_element_without_a_nonce() -> None:
    assert len(TEMPLATES) > 50
    for path in TEMPLATES:
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", html), f"{path}: an inline event handler"
        assert not re.search(r"\sstyle\s*=", html), f"{path}: a style attribute"
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
            assert "src=" in tag or 'nonce="{{ csp_nonce() }}"' in tag, f"{path}: {tag}"
