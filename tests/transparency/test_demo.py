"""The demo publishes bilingual datasets for the demo agencies, each with a CSV and an XLSX resource, once."""

from __future__ import annotations

import random

from smartgov import demo
from smartgov.transparency import demo as transparency_demo


def test_demo_datasets_with_csv_and_xlsx_loaded_once(database, client) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        with database.unit_of_work() as db:
            demo.load_identity(db, random.Random(1), 5)
        with database.unit_of_work() as db:
            transparency_demo.load(db, random.Random(1), 5)
    names = client.get("/api/3/action/package_list").json()["result"]
    assert sorted(names) == sorted(d[1] for d in transparency_demo.DATASETS)
    pkg = client.get("/api/3/action/package_show", params={"id": "sso-pensions-paid"}).json()["result"]
    assert pkg["title_en"] == "Pensions paid" and [r["format"] for r in pkg["resources"]] == ["CSV", "XLSX"]
    for res in pkg["resources"]:
        rows = client.get("/api/3/action/datastore_search", params={"resource_id": res["id"]}).json()["result"]
        assert rows["total"] == 18 and [f["type"] for f in rows["fields"]] == ["int", "text", "int", "date", "int", "int"]
