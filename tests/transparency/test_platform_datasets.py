"""The platform's own datasets (published later from the rollups): idempotent, rows replaced, read-only
to agencies; and the Persian search normalization they are found by."""

from __future__ import annotations

from smartgov import transparency
from smartgov.digits import search_text
from tests.transparency.helpers import agencies_and_officials

SCHEMA = [{"id": "month", "type": "date", "label": "ماه"}, {"id": "service", "type": "text"},
          {"id": "applications", "type": "int"}, {"id": "sla", "type": "numeric"}]


def test_publish_platform_dataset_is_idempotent_and_replaces_rows(client, db) -> None:  # type: ignore[no-untyped-def]
    t = agencies_and_officials(db, client)
    first = transparency.publish_platform_dataset(
        db, name="applications-monthly", title="درخواست‌های ماهانه", title_en="Monthly applications",
        organization_code="stats", schema=SCHEMA, tags=["خدمات"], frequency="MONTHLY",
        rows=[["2024-03-01", "pension", 120, 0.95], {"month": "2024-04-01", "service": "pension", "applications": 80,
                                                     "sla": 0.9}])
    db.commit()
    dataset_id = first.id
    again = transparency.publish_platform_dataset(
        db, name="applications-monthly", title="درخواست‌های ماهانه", title_en="Monthly applications",
        organization_code="stats", schema=SCHEMA, tags=["خدمات"], frequency="MONTHLY",
        rows=[["2024-05-01", "pension", 130, 0.97]])
    db.commit()
    assert again.id == dataset_id
    pkg = client.get("/api/3/action/package_show", params={"id": "applications-monthly"}).json()["result"]
    assert pkg["num_resources"] == 1 and pkg["frequency"] == "MONTHLY" and pkg["num_tags"] == 1
    res = pkg["resources"][0]
    rows = client.get("/api/3/action/datastore_search", params={"resource_id": res["id"]}).json()["result"]
    assert rows["total"] == 1 and rows["records"] == [
        {"_id": 1, "month": "2024-05-01", "service": "pension", "applications": 130, "sla": 0.97}]
    csv = client.get(res["url"].replace("http://testserver", "")).content.decode("utf-8-sig")
    assert csv.splitlines() == ["month,service,applications,sla", "2024-05-01,pension,130,0.97"]
    # agencies cannot edit what the platform publishes
    r = client.post("/api/3/action/package_patch", headers={"Authorization": t["stats"]},
                    json={"id": "applications-monthly", "title": "x"})
    assert r.status_code == 403
    assert "applications-monthly" in client.get("/dataset", params={"q": "درخواست ماهانه"}).text


def test_one_search_normalization() -> None:
    assert search_text("كارگاه‌هاي ۱۴۰۳") == search_text("کارگاههای 1403") == "کارگاههای 1403"
    assert search_text("مُحَمَّد") == "محمد" and search_text("  Tehran\u200cCity ") == "tehrancity"
    assert search_text("٣٤") == "34"
