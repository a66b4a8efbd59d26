"""ExchangeClient: signs envelopes with a subsystem key and posts them to a peer over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from smartgov.exchange import envelope as env

MESSAGES_PATH = "/api/v1/exchange/messages"


class ExchangeClient:
    """Signs and sends exchange messages; one pooled HTTP connection set per client."""

    def __init__(self, *, timeout: float = 10.0, http: httpx.Client | None = None) -> None:
        self._http = http or httpx.Client(timeout=timeout, headers={"Accept-Language": "en"})

    @staticmethod
    def sign(envelope: env.Envelope, private_key: bytes, key_id: str) -> dict[str, Any]:
        """The signed wire message for ``envelope``."""
        return env.sign(envelope, private_key, key_id)

    def send(self, base_url: str, signed: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST ``signed`` to the peer; returns (HTTP status, JSON body). Transport failures give status 0."""
        try:
            response = self._http.post(base_url.rstrip("/") + MESSAGES_PATH, json=signed)
        except httpx.HTTPError as exc:
            return 0, {"error": {"code": "unreachable", "message": type(exc).__name__, "field": None}}
        try:
            body = response.json()
        except ValueError:
            body = {"error": {"code": "bad_response", "message": "not JSON", "field": None}}
        return response.status_code, body if isinstance(body, dict) else {}

    def close(self) -> None:
        self._http.close()


_default: ExchangeClient | None = None


def default_client() -> ExchangeClient:
    """The process-wide client (keeps connections to peers alive between calls)."""
    global _default
    if _default is None:
        _default = ExchangeClient()
    return _default
