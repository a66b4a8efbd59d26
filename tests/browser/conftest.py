"""Browser tests: Playwright driving Debian's Chromium against a live server on loopback.

They run when /usr/bin/chromium exists and are skipped with the reason otherwise; CI sets
``SMARTGOV_BROWSER_TESTS=1``, which turns a missing browser into a failure instead.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

CHROMIUM = "/usr/bin/chromium"
REQUIRED = os.environ.get("SMARTGOV_BROWSER_TESTS") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"{CHROMIUM} is missing but SMARTGOV_BROWSER_TESTS=1 (apt-get install -y chromium)")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: Any, settings: Any) -> Iterator[str]:
    """The app served by Uvicorn in a thread, on a free loopback port, which its links name."""
    port = _free_port()
    settings.base_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# The browser reports a refused script, style or handler on the console; the event catches any it does not.
_CSP_WATCH = ("document.addEventListener('securitypolicyviolation', e => console.error("
              "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));")


def csp_violations(context: Any) -> list[str]:
    """Record every Content-Security-Policy violation on the pages of ``context``; the list fills as they happen."""
    found: list[str] = []
    context.add_init_script(_CSP_WATCH)

    def seen(message: Any) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("CSP violation"):
            found.append(f"{message.text} ({message.location.get('url', '')})")

    context.on("console", seen)
    return found


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh page on the live server; the test fails if any page it opened broke the CSP."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    violations = csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
    assert violations == [], "the Content-Security-Policy refused what a page needs:\n" + "\n".join(violations)


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core (installed with axe-playwright-python) violations of serious or critical impact."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def sign_in(page: Any, account: Any) -> None:
    """Sign in through the Persian login page, with the TOTP step for staff (at the test clock's time)."""
    import pyotp

    from smartgov import clock
    from tests.factories import PASSWORD

    page.context.clear_cookies()
    page.goto("/login")
    page.locator("#f-username").fill(account.username)
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="ورود").click()
    page.wait_for_load_state()
    if "/mfa/verify" in page.url:
        page.locator("#f-code").fill(pyotp.TOTP(account.mfa_secret).at(clock.now()))
        page.get_by_role("button", name="ادامه").click()
        page.wait_for_load_state()
    assert "/login" not in page.url and "/mfa" not in page.url, page.url
