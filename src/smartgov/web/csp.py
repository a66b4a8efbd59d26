"""The Content-Security-Policy of every response: scripts and styles from this site only.

No ``'unsafe-inline'`` and no ``'unsafe-eval'``: an inline ``<script>`` or ``<style>`` runs only
if it carries this response's nonce (``nonce="{{ csp_nonce() }}"`` in a template), and inline
event handlers and ``style=""`` attributes are refused, so an injected one does nothing. The
charts (plotly.js) need neither; see ``assessment.charts.style_ids`` for how their styles arrive.
"""

from __future__ import annotations

import secrets
from typing import Any

_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'{nonce}; script-src 'self'{nonce}; "
           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADER = b"content-security-policy"
STATIC = _POLICY.format(nonce="").encode()

_NONCE = "csp_nonce"


def nonce(state: dict[str, Any]) -> str:
    """This response's nonce, made at first use (``state`` is the request's ``scope["state"]``)."""
    value = state.get(_NONCE)
    if value is None:
        value = state[_NONCE] = secrets.token_urlsafe(18)
    return str(value)


def header(state: dict[str, Any]) -> bytes:
    """The policy of the response whose request state is ``state``: the static one unless it used a nonce."""
    made = state.get(_NONCE)
    return STATIC if made is None else _POLICY.format(nonce=f" 'nonce-{made}'").encode()
