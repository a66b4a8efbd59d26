"""The operations centre page: map, alert queue, incident board, entities; fa (RTL) and en."""

from __future__ import annotations

from smartgov.identity.models import Role
from tests.factories import create_account, page_login
from tests.operations.helpers import operator, provision, station, work_order_setup


def test_centre_page_shows_the_map_queue_and_board_and_acknowledges(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    work_order_setup(db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.33, 35.65), headers=h).status_code == 201
    key = provision(client, h, "aq-1", "urn:ngsi-ld:AirQualityObserved:1")
    client.post("/api/v1/operations/rules", headers=h, json={
        "name": "PM2.5 unhealthy", "entity_type": "AirQualityObserved", "attribute": "pm25", "kind": "threshold",
        "condition": "value > 55", "severity": 3})
    client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 80})
    official = create_account(db, "watcher", Role.OFFICIAL, organization="thr-city")
    db.commit()
    page_login(client, official)
    fa = client.get("/operations")
    assert fa.status_code == 200
    assert 'dir="rtl"' in fa.text and "<svg" in fa.text and "منطقهٔ ۱" in fa.text
    assert "PM2.5 unhealthy" in fa.text and "urn:ngsi-ld:AirQualityObserved:1" in fa.text
    en = client.get("/operations?lang=en")
    assert "Alert queue" in en.text and "District 1" in en.text and "Critical" in en.text
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', en.text)
    form = re.search(r'action="(/operations/alerts/\d+/acknowledge)"', en.text)
    assert token and form
    r = client.post(form.group(1), data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    assert "Acknowledged" in client.get("/operations?lang=en").text


def test_citizens_do_not_see_the_operations_centre(client, db) -> None:  # type: ignore[no-untyped-def]
    citizen = create_account(db, "citizen1")
    db.commit()
    page_login(client, citizen)
    assert client.get("/operations").status_code == 403
