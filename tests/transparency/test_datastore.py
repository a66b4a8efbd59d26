"""datastore_search's semantics on both databases: typed filters (any of several values, empty cells),
sorting by numbers, text and dates both ways, with filters, paging, fields; private datasets stay private."""

from __future__ import annotations

import json

from tests.transparency.helpers import agencies_and_officials

CSV = ("شهر,جمعیت,تاریخ,بندر\n"
       "تهران,9000000,1402/01/01,خیر\n"
       "بندرعباس,700000,1401/06/01,بله\n"
       "شیراز,1800000,,خیر\n"
       "بوشهر,250000,1400/01/01,بله\n"
       "اصفهان,2200000,1399/12/29,خیر\n"
       "کرج,,1402/02/02,خیر\n").encode()


def _upload(client, token, private=False):  # type: ignore[no-untyped-def]
    h = {"Authorization": token}
    r = client.post("/api/3/action/package_create", headers=h, json={
        "name": "cities", "title": "شهرها", "owner_org": "stats", "private": private})
    assert r.status_code == 200, r.text
    r = client.post("/api/3/action/resource_create", headers=h, data={"package_id": "cities"},
                    files={"upload": ("cities.csv", CSV)})
    assert r.status_code == 200, r.text
    return r.json()["result"]["id"]


def _search(client, **params):  # type: ignore[no-untyped-def]
    body = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    r = client.get("/api/3/action/datastore_search", params=body)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def test_filters_sorts_and_pages(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    rid = _upload(client, t["stats"])
    names = lambda result: [r["شهر"] for r in result["records"]]  # noqa: E731
    assert _search(client, resource_id=rid)["fields"][1:] == [
        {"id": "شهر", "type": "text", "info": {"label": "", "notes": ""}},
        {"id": "جمعیت", "type": "int", "info": {"label": "", "notes": ""}},
        {"id": "تاریخ", "type": "date", "info": {"label": "", "notes": ""}},
        {"id": "بندر", "type": "bool", "info": {"label": "", "notes": ""}}]
    r = _search(client, resource_id=rid, filters={"بندر": "بله"})
    assert r["total"] == 2 and names(r) == ["بندرعباس", "بوشهر"]
    r = _search(client, resource_id=rid, filters={"شهر": ["تهران", "شیراز", "نیست"]})
    assert r["total"] == 2 and names(r) == ["تهران", "شیراز"]
    r = _search(client, resource_id=rid, filters={"بندر": False, "تاریخ": "1402/01/01"})  # Jalali as typed
    assert names(r) == ["تهران"]
    r = _search(client, resource_id=rid, sort="جمعیت desc")  # an empty cell first going down, as PostgreSQL does
    assert names(r)[:4] == ["کرج", "تهران", "اصفهان", "شیراز"] and r["total"] == 6
    r = _search(client, resource_id=rid, sort="جمعیت asc", filters={"بندر": False})
    assert names(r) == ["شیراز", "اصفهان", "تهران", "کرج"]  # the empty population sorts last going up
    r = _search(client, resource_id=rid, sort="تاریخ asc", limit=2)
    assert names(r) == ["اصفهان", "بوشهر"] and r["total"] == 6
    up, down = _search(client, resource_id=rid, sort="شهر asc"), _search(client, resource_id=rid, sort="شهر desc")
    assert names(down) == names(up)[::-1] and len(names(up)) == 6  # (the collation is the database's)
    r = _search(client, resource_id=rid, sort="شهر asc", limit=2, offset=1)
    assert names(r) == names(up)[1:3]
    r = _search(client, resource_id=rid, sort="_id desc", limit=1, fields=["_id", "شهر"])
    assert r["records"] == [{"_id": 6, "شهر": "کرج"}]
    r = _search(client, resource_id=rid, filters={"جمعیت": "۹٬۰۰۰٬۰۰۰"})  # Persian digits and separators
    assert names(r) == ["تهران"]
    r = _search(client, resource_id=rid, q={"شهر": "بند"})
    assert names(r) == ["بندرعباس"]
    r = _search(client, resource_id=rid, include_total="false")
    assert "total" not in r and len(r["records"]) == 6


def test_private_dataset_is_seen_by_its_agency_only(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    rid = _upload(client, t["stats"], private=True)
    for headers in ({}, {"Authorization": t["health"]}):
        assert client.get("/api/3/action/package_show", params={"id": "cities"}, headers=headers).status_code == 404
        assert client.get("/api/3/action/datastore_search", params={"resource_id": rid},
                          headers=headers).status_code == 404
        found = client.get("/api/3/action/package_search", params={"include_private": "true"}, headers=headers)
        assert found.json()["result"]["count"] == 0
    own = {"Authorization": t["stats"]}
    assert client.get("/api/3/action/package_show", params={"id": "cities"}, headers=own).status_code == 200
    found = client.get("/api/3/action/package_search", params={"include_private": "true"}, headers=own)
    assert found.json()["result"]["count"] == 1
    assert client.get("/api/3/action/package_list").json()["result"] == []
    assert "شهرها" not in client.get("/catalog.ttl").text and client.get("/dataset/cities").status_code == 404
