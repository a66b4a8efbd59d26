"""The public ledger page: latest head, history with consistency, checking an entry or a receipt code."""

from __future__ import annotations

import html
import re

from sqlalchemy import text

from smartgov.identity.models import Role
from smartgov.ledger import service
from tests.factories import PASSWORD, create_account

from .conftest import ledger_rows, publish


def filled(database, batches: int = 3) -> None:  # type: ignore[no-untyped-def]
    for _ in range(batches):
        publish(database, 4)
        service.append_pending(database)


def test_empty_ledger_page(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/ledger?lang=en")
    assert r.status_code == 200
    assert "Nothing has been signed yet." in r.text


def test_page_in_persian_and_english(client, database) -> None:  # type: ignore[no-untyped-def]
    filled(database)
    fa = client.get("/ledger")
    assert fa.status_code == 200
    assert '<html lang="fa" dir="rtl">' in fa.text and "دفتر عمومی" in fa.text
    assert "۱۳" in fa.text  # 13 entries, Persian digits
    en = client.get("/ledger?lang=en")
    assert '<html lang="en" dir="ltr">' in en.text and "Latest signed tree head" in en.text
    with database.sessions() as session:
        head = service.latest_head(session)
    assert head is not None and head.head.root_hash.hex() in en.text
    # three heads: the first has nothing before it, the others extend it
    history = en.text.split('id="history-title"', 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", history, re.S)[1:]
    assert len(rows) == 3
    assert "first head" in rows[-1] and all("✓ yes" in row for row in rows[:-1])
    assert en.text.count("✓ valid") == 4  # latest head + three rows
    # accessible form: a label for the field, a search landmark, a caption for the table
    assert '<label for="f-q">' in en.text and 'role="search"' in en.text and "<caption" in en.text


def test_check_an_entry_by_number_and_by_receipt_code(client, database, db) -> None:  # type: ignore[no-untyped-def]
    filled(database)
    r = client.get("/ledger", params={"q": "۵", "lang": "en"})  # Persian digits accepted
    assert r.status_code == 200
    assert "This entry is in the log" in r.text and "✓ verifies" in r.text
    leaf = bytes(ledger_rows(db)[5].leaf_hash).hex()
    assert leaf in r.text
    by_code = client.get("/ledger", params={"q": leaf.upper(), "lang": "en"})
    assert "This entry is in the log" in by_code.text
    assert "only to the person who acted" in by_code.text  # anonymous: no content


def test_auditor_sees_the_content(client, database, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="auditor3", role=Role.AUDITOR)
    db.commit()
    filled(database, 1)
    r = client.post("/login", data={"username": "auditor3", "password": PASSWORD,
                                    "csrf_token": _csrf(client)}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    page = client.get("/ledger", params={"q": "2", "lang": "en"})
    assert '"event": "test.ledger_probe"' in html.unescape(page.text)


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_a_tampered_entry_does_not_verify_on_the_page(client, database, db) -> None:  # type: ignore[no-untyped-def]
    filled(database)
    db.execute(text("UPDATE ledger_entry SET data = :d WHERE leaf_index = 7"), {"d": b'{"forged":true}'})
    db.commit()
    r = client.get("/ledger", params={"q": "7", "lang": "en"})
    assert "This entry does NOT verify" in r.text and "✗ does not verify" in r.text


def test_bad_queries_are_explained_next_to_the_field(client, database) -> None:  # type: ignore[no-untyped-def]
    filled(database, 1)
    for query, message, status in [("12345", "There is no entry #12345 in the ledger.", 404),
                                   ("not-a-hash", "A leaf hash is 64 hexadecimal characters.", 422),
                                   ("ab" * 32, "No entry in the ledger has this leaf hash.", 404)]:
        r = client.get("/ledger", params={"q": query, "lang": "en"})
        assert r.status_code == status
        assert message in r.text and 'aria-invalid="true"' in r.text and 'href="#f-q"' in r.text
