"""axe-core finds no serious problem on any page of the language crawl (``tests/crawl.py``), fa and en.

The TestClient crawl finds, role by role, the pages each demo role reaches; the browser then opens
one page per route pattern (the first role that reached it, signed in with that role's session),
in Persian and in English, with its charts drawn, and runs axe-core on it.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartgov import demo
from tests import crawl
from tests.browser.conftest import serious_violations


def _one_page_per_pattern(app: Any) -> list[tuple[str | None, str, dict[str, str]]]:
    """(role, url, session cookies) for one URL of every route pattern some demo role reaches."""
    codes = crawl.enumeration_values()
    chosen: dict[str, tuple[str | None, str, dict[str, str]]] = {}
    with TestClient(app, base_url="http://testserver") as client:
        for role in crawl.ROLES:
            client.cookies.clear()
            if role is not None:
                crawl.sign_in(client, role)
            seen = crawl.crawl(client, app, "fa", codes, per_pattern=1, signed_in=role is not None)
            cookies = {k: v for k, v in client.cookies.items() if k != "sg_lang"}
            for url, pattern in seen.pages.items():
                chosen.setdefault(pattern, (role, url, cookies))
    return list(chosen.values())


def test_every_crawled_page_has_no_serious_axe_violation_in_both_languages(
        browser: Any, live_server: str, app: Any, database: Any) -> None:
    if database.is_postgres:  # markup and contrast do not depend on the database
        pytest.skip("presentation: crawled once, on SQLite (each module's own browser journeys run on both)")
    demo.load(database, people=12)
    pages = _one_page_per_pattern(app)
    assert len(pages) > 60, len(pages)
    found: list[str] = []
    host = live_server.split("//")[1].split(":")[0]
    for lang in ("fa", "en"):
        for role, url, cookies in pages:
            context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": k, "value": v, "domain": host, "path": "/"}
                                 for k, v in {**cookies, "sg_lang": lang}.items()])
            page = context.new_page()
            page.set_default_timeout(90000)  # a loaded CI box renders the statistics pages slowly
            page.goto(url)
            page.wait_for_load_state("load")
            if page.locator("script.plotly-figure").count():
                page.wait_for_selector("[data-drawn=true]", timeout=90000)
            for violation in serious_violations(page):
                found.append(f"{url} ({lang}, {role or 'visitor'}): {violation}")
            context.close()
    assert found == [], f"{len(found)} serious violations:\n" + "\n".join(found)
