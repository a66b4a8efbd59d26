"""CKAN's Action API through HTTP: envelope, status codes, read and write actions, who may write."""

from __future__ import annotations

import json

from tests.transparency.helpers import PRICES, agencies_and_officials, xlsx_bytes


def _create(client, token, **extra):  # type: ignore[no-untyped-def]
    body = {"name": "prices", "title": "قیمت‌ها", "title_en": "Prices", "owner_org": "stats",
            "notes": "قیمت کالاها در استان‌ها", "tags": [{"name": "اقتصاد"}, {"name": "prices"}],
            "license_id": "cc-by", **extra}
    return client.post("/api/3/action/package_create", json=body, headers={"Authorization": token})


def test_envelope_and_read_actions(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    r = _create(client, t["stats"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["help"].endswith("help_show?name=package_create")
    pkg = body["result"]
    assert pkg["name"] == "prices" and pkg["organization"]["name"] == "stats" and pkg["num_tags"] == 2
    for path in ("/api/3/action/package_list", "/api/action/package_list"):
        assert client.get(path).json()["result"] == ["prices"]
    shown = client.get("/api/3/action/package_show", params={"id": "prices"}).json()["result"]
    assert shown["id"] == pkg["id"] and shown["license_title"].startswith("Creative Commons")
    assert client.get("/api/3/action/status_show").json()["result"]["ckan_version"].startswith("2.")
    assert client.get("/api/3/action/organization_list").json()["result"] == ["health", "stats"]
    org = client.get("/api/3/action/organization_show", params={"id": "stats"}).json()["result"]
    assert org["package_count"] == 1 and org["is_organization"] is True
    assert set(client.get("/api/3/action/tag_list").json()["result"]) == {"اقتصاد", "prices"}
    assert any(lic["id"] == "cc-by" for lic in client.get("/api/3/action/license_list").json()["result"])
    missing = client.get("/api/3/action/package_show", params={"id": "nothing"})
    assert missing.status_code == 404
    assert missing.json()["success"] is False and missing.json()["error"]["__type"] == "Not Found Error"
    unknown = client.get("/api/3/action/no_such_action")
    assert unknown.status_code == 400 and unknown.json()["success"] is False


def test_package_search_persian_normalization_filters_facets(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    _create(client, t["stats"])
    client.post("/api/3/action/package_create", headers={"Authorization": t["health"]}, json={
        "name": "clinics", "title": "درمانگاه‌ها ۱۴۰۳", "owner_org": "health", "tags": ["سلامت"], "license_id": "odc-odbl"})
    # Arabic ye/kaf, no ZWNJ and Persian digits find what was typed with Persian letters, ZWNJ and Latin digits
    for q in ("درمانگاه ها", "درمانگاهها 1403", "درمانگاه‌ها", "۱۴۰۳"):
        found = client.get("/api/3/action/package_search", params={"q": q}).json()["result"]
        assert [p["name"] for p in found["results"]] == ["clinics"], q
    found = client.get("/api/3/action/package_search", params={"q": "قيمت"}).json()["result"]  # Arabic ye
    assert [p["name"] for p in found["results"]] == ["prices"]
    found = client.get("/api/3/action/package_search", params={
        "fq": "organization:health", "facet.field": json.dumps(["organization", "tags", "license_id"])}).json()["result"]
    assert found["count"] == 1 and found["facets"]["organization"] == {"health": 1}
    assert found["search_facets"]["organization"]["items"][0]["display_name"] == "وزارت بهداشت"
    every = client.get("/api/3/action/package_search", params={"rows": 1, "start": 1, "sort": "name asc"}).json()
    assert every["result"]["count"] == 2 and [p["name"] for p in every["result"]["results"]] == ["prices"]
    bad = client.get("/api/3/action/package_search", params={"fq": "secret:x"})
    assert bad.status_code == 409 and bad.json()["error"]["__type"] == "Search Query Error"
    bad = client.get("/api/3/action/package_search", params={"rows": "many"})
    assert bad.status_code == 409 and "rows" in bad.json()["error"]


def test_writes_need_a_token_and_stay_within_the_agency(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    anonymous = client.post("/api/3/action/package_create", json={"name": "x1", "owner_org": "stats"})
    assert anonymous.status_code == 403 and anonymous.json()["error"]["__type"] == "Authorization Error"
    wrong = client.post("/api/3/action/package_create", json={"name": "x1", "owner_org": "stats"},
                        headers={"Authorization": "not-a-token"})
    assert wrong.status_code == 403
    assert _create(client, t["citizen"]).status_code == 403
    # the health official may not publish for, change or delete the statistics centre's datasets
    assert _create(client, t["health"]).status_code == 403
    assert _create(client, t["stats"]).status_code == 200
    h = {"Authorization": t["health"]}
    assert client.post("/api/3/action/package_patch", json={"id": "prices", "title": "x"}, headers=h).status_code == 403
    assert client.post("/api/3/action/package_delete", json={"id": "prices"}, headers=h).status_code == 403
    assert client.post("/api/3/action/resource_create", json={"package_id": "prices", "url": "https://x.ir/a.csv"},
                       headers=h).status_code == 403
    assert client.get("/api/3/action/package_show", params={"id": "prices"}).json()["result"]["title"] == "قیمت‌ها"
    # "Bearer" is accepted too; the owner patches, updates and deletes
    s = {"Authorization": f"Bearer {t['stats']}"}
    r = client.post("/api/3/action/package_patch", json={"id": "prices", "title": "قیمت کالاها"}, headers=s)
    assert r.status_code == 200 and r.json()["result"]["title"] == "قیمت کالاها"
    assert r.json()["result"]["num_tags"] == 2  # a patch keeps what it does not name
    r = client.post("/api/3/action/package_update", json={"id": "prices", "title": "قیمت", "owner_org": "stats"},
                    headers=s)
    assert r.status_code == 200 and r.json()["result"]["num_tags"] == 0  # an update replaces
    dup = _create(client, t["stats"])
    assert dup.status_code == 409 and dup.json()["error"]["__type"] == "Validation Error" and "name" in dup.json()["error"]
    bad = client.post("/api/3/action/package_create", json={"name": "Bad Name!", "owner_org": "stats"}, headers=s)
    assert bad.status_code == 409 and "name" in bad.json()["error"]
    assert client.post("/api/3/action/package_delete", json={"id": "prices"}, headers=s).json()["success"] is True
    assert client.get("/api/3/action/package_show", params={"id": "prices"}).status_code == 404
    assert client.get("/api/3/action/package_list").json()["result"] == []


def test_resource_upload_and_datastore_search(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    _create(client, t["stats"])
    h = {"Authorization": t["stats"]}
    r = client.post("/api/3/action/resource_create", headers=h, data={"package_id": "prices", "name": "قیمت"},
                    files={"upload": ("prices.xlsx", xlsx_bytes(PRICES))})
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert res["format"] == "XLSX" and res["datastore_active"] is True and res["url_type"] == "upload"
    download = client.get(res["url"].replace("http://testserver", ""))
    assert download.status_code == 200 and download.content[:2] == b"PK"
    s = client.get("/api/3/action/datastore_search", params={"resource_id": res["id"]}).json()["result"]
    assert [(f["id"], f["type"]) for f in s["fields"]] == [
        ("_id", "int"), ("استان", "text"), ("سال", "int"), ("قیمت", "numeric"), ("تاریخ", "date"), ("فعال", "bool")]
    assert s["total"] == 4 and s["records"][0] == {"_id": 1, "استان": "تهران", "سال": 1402, "قیمت": 1250.5,
                                                    "تاریخ": "2023-04-04", "فعال": True}
    f = client.get("/api/3/action/datastore_search", params={
        "resource_id": res["id"], "filters": json.dumps({"استان": "تهران"}), "sort": "قیمت desc",
        "fields": "سال,قیمت"}).json()["result"]
    assert f["total"] == 2 and f["records"] == [{"سال": 1403, "قیمت": 1400}, {"سال": 1402, "قیمت": 1250.5}]
    # typed filters: numbers in Persian digits, booleans; limit/offset and the links
    f = client.post("/api/action/datastore_search", json={
        "resource_id": res["id"], "filters": {"سال": "۱۴۰۳", "فعال": True}, "limit": 1, "offset": 1}).json()["result"]
    assert f["total"] == 2 and f["records"][0]["استان"] == "فارس" and "offset=2" in f["_links"]["next"]
    q = client.get("/api/3/action/datastore_search", params={"resource_id": res["id"], "q": "اصفهان"}).json()["result"]
    assert q["total"] == 1 and q["records"][0]["سال"] == 1402
    bad = client.get("/api/3/action/datastore_search", params={"resource_id": res["id"], "filters": '{"nope": 1}'})
    assert bad.status_code == 409 and "filters" in bad.json()["error"]
    bad = client.get("/api/3/action/datastore_search", params={"resource_id": res["id"], "filters": '{"سال": "x"}'})
    assert bad.status_code == 409
    shown = client.get("/api/3/action/resource_show", params={"id": res["id"]}).json()["result"]
    assert shown["package_id"] == client.get("/api/3/action/package_show", params={"id": "prices"}).json()["result"]["id"]


def test_hostile_or_broken_uploads_are_refused_naming_the_field(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    _create(client, t["stats"])
    h = {"Authorization": t["stats"], "Accept-Language": "fa"}
    for name, data in (("a.xlsx", b"PK\x03\x04 not a zip"), ("a.exe", b"MZ"), ("a.csv", b"")):
        r = client.post("/api/3/action/resource_create", headers=h, data={"package_id": "prices"},
                        files={"upload": (name, data)})
        assert r.status_code in (400, 409, 422) and r.json()["success"] is False, (name, r.text)
        assert "upload" in r.json()["error"], r.text
    bomb = b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>"
    r = client.post("/api/3/action/resource_create", headers=h, data={"package_id": "prices"},
                    files={"upload": ("a.xlsx", bomb)})
    assert r.json()["success"] is False
    assert client.get("/api/3/action/package_show", params={"id": "prices"}).json()["result"]["num_resources"] == 0
