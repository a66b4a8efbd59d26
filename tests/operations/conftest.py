"""The operations tests' notification receivers listen on loopback, which the SSRF guard refuses
unless allowed: every test here allows it explicitly, as an operator would for a local receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smartgov.operations.config import operations_settings


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SMARTGOV_NGSI_NOTIFY_ALLOW", "127.0.0.1/32")
    operations_settings.cache_clear()
    yield
    operations_settings.cache_clear()
