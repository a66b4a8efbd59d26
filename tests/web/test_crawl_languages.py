"""Every page each demo role can reach, in Persian and in English, reads right (issue #19, item 5).

Persian pages show Latin digits only in isolated identifiers, no raw enumeration value, no middle dot
beside a Persian number and no English table heading; English pages show no Persian digit or ``٪``;
a signed-in person's header says so on every page; the PDFs a role reaches obey the same rules.
The definitions (what an isolated identifier is, which codes are raw) are in ``tests/crawl.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartgov import demo
from tests import crawl


def test_every_page_of_every_demo_role_reads_right_in_persian_and_english(app: Any, database: Any) -> None:
    if database.is_postgres:  # what a page says and how it is written does not depend on the database
        pytest.skip("presentation: crawled once, on SQLite (each module's own page tests run on both databases)")
    demo.load(database, people=12)
    codes = crawl.enumeration_values()
    found: list[str] = []
    visited = pdfs = 0
    patterns: set[str] = set()
    with TestClient(app, base_url="http://testserver") as client:
        for role in crawl.ROLES:
            client.cookies.clear()
            if role is not None:
                crawl.sign_in(client, role)
            fa = crawl.crawl(client, app, "fa", codes, per_pattern=1, signed_in=role is not None)
            en = crawl.crawl(client, app, "en", codes, start=list(fa.pages), per_pattern=99,
                             signed_in=role is not None)
            for seen in (fa, en):
                found += [f"[{role or 'visitor'}] {line}" for line in seen.found]
                visited += len(seen.pages)
                pdfs += len(seen.pdfs)
            patterns |= set(fa.pages.values())
    print(f"crawl: {visited} page visits over {len(patterns)} route patterns, {pdfs} PDFs, {len(crawl.ROLES)} roles")
    assert len(patterns) > 60 and pdfs > 0, (len(patterns), pdfs)
    unique = sorted(set(found))
    assert unique == [], f"{len(unique)} problems:\n" + "\n".join(unique)
