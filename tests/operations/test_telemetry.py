"""Telemetry over HTTP, readings stored once, rollups, the temporal API, and rules that turn
a reading into an alert, an incident and a work order in the municipality's inbox."""

from __future__ import annotations

from sqlalchemy import func, select

from smartgov.operations.models import Reading, Rejection, Rollup
from tests.operations.helpers import operator, provision, station, work_order_setup

ENTITY = "urn:ngsi-ld:AirQualityObserved:1"


def _readings(n: int, *, start_minute: int = 0, device: str = "aq-1", value: float = 10.0) -> list[dict]:  # type: ignore[type-arg]
    return [{"device": device, "observedAt": f"2024-03-01T10:{start_minute + i:02d}:00Z",
             "values": {"pm25": value + i}} for i in range(n)]


def test_http_batch_is_stored_once_with_rollups(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    provision(client, h, "aq-1", ENTITY)
    r = client.post("/api/v1/operations/ingest", headers=h, json={"readings": _readings(30)})
    assert r.status_code == 200 and r.json()["stored"] == 30 and r.json()["refused"] == []
    again = client.post("/api/v1/operations/ingest", headers=h, json={"readings": _readings(30)})
    assert again.json()["stored"] == 0 and again.json()["duplicates"] == 30
    assert db.scalar(select(func.count()).select_from(Reading).where(Reading.attribute == "pm25")) == 31  # + create
    hour = db.execute(select(Rollup.count, Rollup.total, Rollup.minimum, Rollup.maximum).where(
        Rollup.period == 3600, Rollup.attribute == "pm25", Rollup.bucket == 1709287200)).first()  # 2024-03-01 10:00Z
    assert tuple(hour) == (30, sum(10.0 + i for i in range(30)), 10.0, 39.0)
    latest = client.get(f"/ngsi-ld/v1/entities/{ENTITY}?options=keyValues", headers=h).json()
    assert latest["pm25"] == 39.0


def test_refused_messages_are_counted_not_raised(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    key = provision(client, h, "aq-1", ENTITY)
    good = client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 20})
    assert good.status_code == 200 and good.json()["stored"] == 1
    for query, body in ((f"k={key}&i=ghost", {"pm25": 1}), ("k=wrong-key-123&i=aq-1", {"pm25": 1}),
                        (f"k={key}&i=aq-1", {"temperature": 1}), (f"k={key}&i=aq-1", [1, 2]),
                        (f"k={key}&i=aq-1", {"pm25": {"nested": 1}})):
        r = client.post(f"/api/v1/operations/iot/json?{query}", json=body)
        assert r.status_code == 200 and r.json()["stored"] == 0 and len(r.json()["refused"]) == 1
    counts = {(x.device_code, x.reason): x.count for x in db.scalars(select(Rejection))}
    assert counts == {("ghost", "unknown_device"): 1, ("aq-1", "wrong_key"): 1, ("aq-1", "bad_payload"): 3}
    other = operator(client, db, agency="isf-city", username="isf-op")
    theirs = client.post("/api/v1/operations/ingest", headers=other, json={"readings": _readings(1)})
    assert theirs.json()["refused"] == [{"index": 0, "reason": "unknown_device"}]


def test_temporal_api_instances_last_n_and_aggregation(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    provision(client, h, "aq-1", ENTITY)
    assert client.post("/api/v1/operations/ingest", headers=h, json={"readings": _readings(30)}).status_code == 200
    url = f"/ngsi-ld/v1/temporal/entities/{ENTITY}?attrs=pm25"
    window = "timerel=between&timeAt=2024-03-01T10:05:00Z&endTimeAt=2024-03-01T10:10:00Z"
    got = client.get(f"{url}&{window}", headers=h).json()
    assert [i["value"] for i in got["pm25"]] == [15.0, 16.0, 17.0, 18.0, 19.0]
    assert got["pm25"][0]["observedAt"] == "2024-03-01T10:05:00Z"
    last = client.get(f"{url}&lastN=2&timerel=before&timeAt=2024-03-02T00:00:00Z", headers=h).json()
    assert [i["value"] for i in last["pm25"]] == [38.0, 39.0]
    agg = client.get(f"{url}&options=aggregatedValues&aggrMethods=avg,max,count&aggrPeriodDuration=PT10M"
                     "&timerel=between&timeAt=2024-03-01T10:00:00Z&endTimeAt=2024-03-01T11:00:00Z", headers=h).json()
    assert agg["pm25"]["avg"][0] == [14.5, "2024-03-01T10:00:00Z", "2024-03-01T10:10:00Z"]
    assert [m[0] for m in agg["pm25"]["max"]] == [19.0, 29.0, 39.0]
    assert [m[0] for m in agg["pm25"]["count"]] == [10, 10, 10]
    hourly = client.get(f"{url}&options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=PT1H"
                        "&timerel=between&timeAt=2024-03-01T10:00:00Z&endTimeAt=2024-03-02T00:00:00Z", headers=h).json()
    assert hourly["pm25"]["sum"] == [[sum(10.0 + i for i in range(30)), "2024-03-01T10:00:00Z",
                                      "2024-03-01T11:00:00Z"]]
    listed = client.get("/ngsi-ld/v1/temporal/entities?type=AirQualityObserved&attrs=pm25&lastN=1"
                        "&timerel=before&timeAt=2024-03-02T00:00:00Z", headers=h)
    assert listed.status_code == 200 and listed.json()[0]["pm25"][0]["value"] == 39.0
    for bad in ("timerel=between&timeAt=2024-03-01T10:00:00Z", "timerel=soon&timeAt=2024-03-01T10:00:00Z",
                "options=aggregatedValues&aggrMethods=median&aggrPeriodDuration=PT1H",
                "options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT30S"):
        r = client.get(f"{url}&{bad}", headers=h)
        assert r.status_code == 400 and r.json()["title"] == "BadRequestData", bad


def test_a_reading_over_the_threshold_opens_an_incident_and_a_work_order(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    work_order_setup(db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    key = provision(client, h, "aq-1", ENTITY)
    rule = client.post("/api/v1/operations/rules", headers=h, json={
        "name": "PM2.5 unhealthy", "entity_type": "AirQualityObserved", "attribute": "pm25", "kind": "threshold",
        "condition": "value > 55", "severity": 3, "dispatch": True})
    assert rule.status_code == 201, rule.text
    assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 30}).json()["alerts"] == 0
    fired = client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1",
                        json={"pm25": 80, "TimeInstant": "2030-01-01T00:00:00Z"})
    assert fired.json()["alerts"] == 1
    again = client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1",
                        json={"pm25": 90, "TimeInstant": "2030-01-01T00:01:00Z"})
    assert again.json()["alerts"] == 1
    queue = client.get("/api/v1/operations/alerts", headers=h).json()
    assert len(queue) == 1 and queue[0]["count"] == 2 and queue[0]["severity"] == 3  # de-duplicated
    board = client.get("/api/v1/operations/incidents", headers=h).json()
    assert len(board) == 1 and board[0]["status"] == "dispatched" and len(board[0]["work_orders"]) == 1
    reference = board[0]["work_orders"][0]
    crew = operator(client, db, username="crew1")  # another official of the municipality works the order
    inbox = client.get("/api/v1/services/inbox?service_id=operations-work-order", headers=crew).json()
    assert [c["reference"] for c in inbox["items"]] == [reference]
    assert client.post(f"/api/v1/operations/alerts/{queue[0]['id']}/acknowledge", headers=h).status_code == 204
    assert client.post(f"/api/v1/operations/alerts/{queue[0]['id']}/acknowledge", headers=h).status_code == 409
    done = client.post(f"/api/v1/services/applications/{reference}/transitions", headers=crew,
                       json={"action": "complete", "reason": "Filter replaced at the station."})
    assert done.status_code == 200, done.text
    board = client.get("/api/v1/operations/incidents", headers=h).json()
    assert board[0]["status"] == "resolved"
    assert client.get("/api/v1/operations/alerts", headers=h).json() == []
    other = operator(client, db, agency="isf-city", username="isf-op")
    assert client.get("/api/v1/operations/incidents", headers=other).json() == []


def test_a_rule_with_an_unsafe_or_unknown_condition_is_refused(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    for condition in ("__import__('os')", "value >", "price > 3"):
        r = client.post("/api/v1/operations/rules", headers=h, json={
            "name": "x", "entity_type": "T", "attribute": "a", "kind": "threshold", "condition": condition})
        assert r.status_code == 422 and r.json()["error"]["field"] == "condition", r.text
    rate = client.post("/api/v1/operations/rules", headers=h, json={
        "name": "jump", "entity_type": "T", "attribute": "a", "kind": "rate", "condition": "rate > 5"})
    assert rate.status_code == 201
