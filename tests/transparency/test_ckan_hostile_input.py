"""No input makes the CKAN API answer 5xx: every action, odd parameters, broken bodies, with and
without a token; a refusal is always CKAN's envelope."""

from __future__ import annotations

import itertools

from smartgov.transparency.ckan import ACTIONS
from tests.transparency.helpers import agencies_and_officials

ODD = ["", "x", "-1", "99999999999999999999", "۱۲", "²", "null", "[]", "{}", '{"a": [1, {"b": null}]}', "[1, 2",
       "*:*", 'organization:"', "tags:", "name asc, title_string desc, nope", "🙂" * 50, "a" * 6000, "true",
       "'; DROP TABLE transparency_dataset; --", "00000000-0000-0000-0000-000000000000"]
KEYS = ["id", "q", "fq", "rows", "start", "sort", "facet.field", "facet.limit", "limit", "offset", "filters",
        "fields", "resource_id", "package_id", "name", "owner_org", "tags", "resources", "extras", "private",
        "all_fields", "include_total", "page", "url", "license_id", "frequency"]


def _ok(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code < 500, r.text
    body = r.json()
    assert "help" in body and isinstance(body["success"], bool)
    if not body["success"]:
        assert "__type" in body["error"], body


def test_no_action_answers_5xx(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    client.post("/api/3/action/package_create", headers={"Authorization": t["stats"]},
                json={"name": "prices", "owner_org": "stats"})
    values = itertools.cycle(ODD)
    for name in ACTIONS:
        for key in KEYS:
            value = next(values)
            _ok(client.get(f"/api/3/action/{name}", params={key: value}))
            _ok(client.post(f"/api/3/action/{name}", headers={"Authorization": t["stats"]},
                            json={key: value, "id": "prices", "package_id": "prices", "resource_id": value}))
        for body in (b"not json", b"[1,2]", b'{"id": ', "\u0000".encode(), b'{"resources": [1, "x"]}',
                     b'{"tags": {"a": 1}, "name": "x2", "owner_org": "stats"}', b'{"extras": [{"key": ""}]}',
                     b'{"name": ["x"], "owner_org": {"id": 1}}', b'{"filters": {"a": [[1]]}}'):
            r = client.post(f"/api/3/action/{name}", content=body, headers={
                "Authorization": t["stats"], "Content-Type": "application/json"})
            assert r.status_code < 500, (name, body, r.text)
