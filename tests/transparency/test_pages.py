"""The portal's pages in Persian: search with facets, an official's upload and preview, the column editor."""

from __future__ import annotations

import datetime as dt

from smartgov import clock
from tests.factories import csrf_of
from tests.factories import page_login as _page_login
from tests.transparency.helpers import PRICES, agencies_and_officials, xlsx_bytes


def page_login(client, account) -> None:  # type: ignore[no-untyped-def]
    """Sign in on the pages with a fresh TOTP code (the token's code may not be used twice)."""
    clock.advance(dt.timedelta(seconds=31))
    _page_login(client, account)


def _dataset(client, token) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/3/action/package_create", headers={"Authorization": token}, json={
        "name": "prices", "title": "قیمت‌ها", "owner_org": "stats", "tags": ["اقتصاد"], "license_id": "cc-by"})
    assert r.status_code == 200, r.text


def test_official_publishes_uploads_xlsx_previews_and_retypes(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    page_login(client, t["accounts"]["stats"])
    form = client.get("/dataset/new")
    assert form.status_code == 200 and 'dir="rtl"' in form.text
    r = client.post("/dataset/new", data={"csrf_token": csrf_of(form.text), "owner_org": "stats", "title": "قیمت‌ها",
                                          "name": "Bad Name", "license_id": "cc-by"})
    assert r.status_code == 422 and "حرف کوچک لاتین" in r.text and 'aria-invalid="true"' in r.text
    r = client.post("/dataset/new", data={"csrf_token": csrf_of(form.text), "owner_org": "stats", "title": "قیمت‌ها",
                                          "name": "prices", "license_id": "cc-by", "tags": "اقتصاد, قیمت"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dataset/prices/upload"
    up = client.get("/dataset/prices/upload")
    bad = client.post("/dataset/prices/upload", data={"csrf_token": csrf_of(up.text)},
                      files={"upload": ("a.xlsx", b"PK\x03\x04broken")})
    assert bad.status_code == 422 and 'id="f-upload-error"' in bad.text
    r = client.post("/dataset/prices/upload", data={"csrf_token": csrf_of(up.text), "name": "قیمت استان‌ها"},
                    files={"upload": ("prices.xlsx", xlsx_bytes(PRICES))}, follow_redirects=False)
    assert r.status_code == 303
    preview = client.get(r.headers["location"])
    assert preview.status_code == 200
    assert "۱٬۲۵۰٫۵۰" in preview.text and "۱۴۰۲" in preview.text  # Persian digits and separators
    assert "فروردین" in preview.text  # 1402/01/15 shown as a Jalali date
    filtered = client.get(r.headers["location"], params={"column": "استان", "value": "تهران", "sort": "قیمت",
                                                         "desc": "true"})
    assert filtered.text.count("<tr><td class=\"num\">") == 2 and "۲ ردیف" in filtered.text
    wrong = client.get(r.headers["location"], params={"column": "سال", "value": "abc"})
    assert wrong.status_code == 422 and "از نوع int نیست" in wrong.text
    # the column editor: year as text is accepted; "province" as a number is refused naming the cell
    schema_url = r.headers["location"] + "/schema"
    page = client.get(schema_url)
    refused = client.post(schema_url, data={"csrf_token": csrf_of(page.text), "type-0": "int", "label-0": "استان"})
    assert refused.status_code == 422 and "تهران" in refused.text
    ok = client.post(schema_url, data={"csrf_token": csrf_of(page.text), "type-1": "text", "label-1": "سال شمسی"},
                     follow_redirects=False)
    assert ok.status_code == 303
    rid = r.headers["location"].rsplit("/", 1)[1]
    s = client.get("/api/3/action/datastore_search", params={"resource_id": rid, "filters": '{"سال": "1403"}'}).json()
    assert s["result"]["total"] == 2 and s["result"]["fields"][2] == {"id": "سال", "type": "text",
                                                                     "info": {"label": "سال شمسی", "notes": ""}}


def test_lists_search_facets_organizations_and_refusals(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    _dataset(client, t["stats"])
    listing = client.get("/dataset", params={"q": "قيمت"})  # Arabic ye
    assert listing.status_code == 200 and "/dataset/prices" in listing.text and "مرکز آمار" in listing.text
    assert client.get("/dataset", params={"tags": "اقتصاد"}).text.count('class="dataset-item"') == 1
    assert client.get("/dataset", params={"organization": "health"}).text.count('class="dataset-item"') == 0
    assert client.get("/dataset?lang=en").status_code == 200
    assert client.get("/dataset/prices").status_code == 200
    assert client.get("/organization").status_code == 200
    assert "/dataset/prices" in client.get("/organization/stats").text
    assert client.get("/organization/nope").status_code == 404
    # an official of another agency cannot open the upload form or the column editor of this dataset
    page_login(client, t["accounts"]["health"])
    assert client.get("/dataset/prices/upload").status_code == 403
    # a citizen has nothing to publish for
    page_login(client, t["accounts"]["citizen"])
    assert client.get("/dataset/new").status_code == 403
