"""NGSI-LD entities, attributes and queries, with the specification's examples as raw requests."""

from __future__ import annotations

import json

from tests.operations.helpers import CORE, LD, operator, station, vehicle


def test_create_and_retrieve_the_specifications_vehicle(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    r = client.post("/ngsi-ld/v1/entities", json=vehicle(), headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:A4567"
    got = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:A4567", headers=h)
    assert got.status_code == 200
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in got.headers["link"]
    body = got.json()
    assert body["speed"] == {"type": "Property", "value": 80, "observedAt": "2024-03-01T12:00:00Z",
                             "unitCode": "KMH", "source": {"type": "Property", "value": "Speedometer"}}
    assert body["isParked"]["object"] == "urn:ngsi-ld:OffStreetParking:Downtown1"
    ld = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:A4567",
                    headers={**h, "Accept": "application/ld+json"})
    assert ld.headers["content-type"].startswith("application/ld+json") and ld.json()["@context"] == CORE
    kv = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:A4567?options=keyValues&attrs=speed,isParked",
                    headers=h).json()
    assert kv == {"id": "urn:ngsi-ld:Vehicle:A4567", "type": "Vehicle", "speed": 80,
                  "isParked": "urn:ngsi-ld:OffStreetParking:Downtown1"}


def test_ld_json_carries_its_context_and_json_does_not(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    ok = client.post("/ngsi-ld/v1/entities", content=json.dumps({**vehicle(1), "@context": CORE}),
                     headers={**h, **LD})
    assert ok.status_code == 201, ok.text
    missing = client.post("/ngsi-ld/v1/entities", content=json.dumps(vehicle(2)), headers={**h, **LD})
    assert missing.status_code == 400
    assert missing.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"
    inline = client.post("/ngsi-ld/v1/entities", json={**vehicle(3), "@context": CORE}, headers=h)
    assert inline.status_code == 400


def test_errors_are_problem_details(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/entities", json=vehicle(), headers=h).status_code == 201
    again = client.post("/ngsi-ld/v1/entities", json=vehicle(), headers=h)
    assert again.status_code == 409 and again.json()["title"] == "AlreadyExists"
    missing = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:nope", headers=h)
    assert missing.status_code == 404
    assert missing.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    for bad in ({"id": "not a uri", "type": "T"}, {"id": "urn:x:1"},
                {"id": "urn:x:1", "type": "T", "a": {"type": "Property"}},
                {"id": "urn:x:1", "type": "T", "r": {"type": "Relationship", "object": "no"}},
                {"id": "urn:x:1", "type": "T", "a": {"type": "Property", "value": 1, "observedAt": "yesterday"}},
                {"id": "urn:x:1", "type": "T", "location": {"type": "GeoProperty",
                                                            "value": {"type": "Point", "coordinates": [200, 1]}}}):
        r = client.post("/ngsi-ld/v1/entities", json=bad, headers=h)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["title"] == "BadRequestData" and r.json()["detail"]
    anonymous = client.get("/ngsi-ld/v1/entities?type=Vehicle")
    assert anonymous.status_code == 401 and anonymous.json()["title"] == "Unauthorized"


def test_query_by_type_id_pattern_q_attrs_with_count_and_paging(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    for n, speed in ((1, 30), (2, 80), (3, 120)):
        v = vehicle(n)
        v["speed"]["value"] = speed
        assert client.post("/ngsi-ld/v1/entities", json=v, headers=h).status_code == 201
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201

    def ids(query: str) -> list[str]:
        r = client.get(f"/ngsi-ld/v1/entities?{query}", headers=h)
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()]

    assert ids("type=Vehicle") == [f"urn:ngsi-ld:Vehicle:A{n}" for n in (1, 2, 3)]
    assert ids("type=Vehicle&q=speed>50") == ["urn:ngsi-ld:Vehicle:A2", "urn:ngsi-ld:Vehicle:A3"]
    assert ids("type=Vehicle&q=speed==50..90;brandName==%22Mercedes%22") == ["urn:ngsi-ld:Vehicle:A2"]
    assert ids("type=Vehicle&q=speed<40|speed>100") == ["urn:ngsi-ld:Vehicle:A1", "urn:ngsi-ld:Vehicle:A3"]
    assert ids("type=Vehicle&q=speed.source==%22Speedometer%22&limit=1&offset=1") == ["urn:ngsi-ld:Vehicle:A2"]
    assert ids("idPattern=urn:ngsi-ld:Vehicle:A[12]") == ["urn:ngsi-ld:Vehicle:A1", "urn:ngsi-ld:Vehicle:A2"]
    assert ids("id=urn:ngsi-ld:Vehicle:A3,urn:ngsi-ld:AirQualityObserved:1") == [
        "urn:ngsi-ld:AirQualityObserved:1", "urn:ngsi-ld:Vehicle:A3"]
    assert ids("attrs=pm25") == ["urn:ngsi-ld:AirQualityObserved:1"]
    counted = client.get("/ngsi-ld/v1/entities?type=Vehicle&limit=1&count=true", headers=h)
    assert counted.headers["ngsild-results-count"] == "3" and len(counted.json()) == 1
    assert client.get("/ngsi-ld/v1/entities", headers=h).status_code == 400
    assert client.get("/ngsi-ld/v1/entities?type=Vehicle&q=speed>>", headers=h).json()["title"] == "BadRequestData"


def test_geo_queries_near_and_within(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    # three stations about 6 km and 14.5 km apart (haversine)
    for n, lon, lat in ((1, 51.3380, 35.6997), (2, 51.3755, 35.7448), (3, 51.4340, 35.8040)):
        assert client.post("/ngsi-ld/v1/entities", json=station(n, lon, lat), headers=h).status_code == 201

    def ids(query: str) -> list[str]:
        r = client.get(f"/ngsi-ld/v1/entities?type=AirQualityObserved&{query}", headers=h)
        assert r.status_code == 200, r.text
        return [e["id"].rsplit(":", 1)[1] for e in r.json()]

    near = "georel=near;maxDistance==7000&geometry=Point&coordinates=[51.3380,35.6997]"
    assert ids(near) == ["1", "2"]
    assert ids("georel=near;minDistance==7000&geometry=Point&coordinates=[51.3380,35.6997]") == ["3"]
    square = [[[51.30, 35.68], [51.40, 35.68], [51.40, 35.76], [51.30, 35.76], [51.30, 35.68]]]
    assert ids(f"georel=within&geometry=Polygon&coordinates={json.dumps(square)}") == ["1", "2"]
    wrong = client.get("/ngsi-ld/v1/entities?type=AirQualityObserved&georel=within&geometry=Point"
                       "&coordinates=[51.3,35.6]", headers=h)
    assert wrong.status_code == 400


def test_attributes_append_update_patch_delete(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    url = "/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:A4567"
    assert client.post("/ngsi-ld/v1/entities", json=vehicle(), headers=h).status_code == 201
    r = client.post(f"{url}/attrs", json={"color": {"type": "Property", "value": "red"}}, headers=h)
    assert r.status_code == 204
    kept = client.post(f"{url}/attrs?options=noOverwrite",
                       json={"color": {"type": "Property", "value": "blue"}}, headers=h)
    assert kept.status_code == 207 and kept.json()["notUpdated"][0]["attributeName"] == "color"
    partial = client.patch(f"{url}/attrs", json={"speed": {"type": "Property", "value": 90},
                                                 "wings": {"type": "Property", "value": 2}}, headers=h)
    assert partial.status_code == 207 and [n["attributeName"] for n in partial.json()["notUpdated"]] == ["wings"]
    assert client.patch(f"{url}/attrs/speed", json={"value": 95}, headers=h).status_code == 204
    body = client.get(url, headers=h).json()
    assert body["color"]["value"] == "red" and body["speed"] == {"type": "Property", "value": 95}  # replaced whole
    assert client.delete(f"{url}/attrs/color", headers=h).status_code == 204
    assert client.delete(f"{url}/attrs/color", headers=h).status_code == 404
    assert "color" not in client.get(url, headers=h).json()
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404


def test_batch_operations(client, db) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    ops = "/ngsi-ld/v1/entityOperations"
    created = client.post(f"{ops}/create", json=[vehicle(1), vehicle(2)], headers=h)
    assert created.status_code == 201 and created.json() == ["urn:ngsi-ld:Vehicle:A1", "urn:ngsi-ld:Vehicle:A2"]
    mixed = client.post(f"{ops}/create", json=[vehicle(2), vehicle(3)], headers=h)
    assert mixed.status_code == 207
    assert mixed.json()["success"] == ["urn:ngsi-ld:Vehicle:A3"]
    assert mixed.json()["errors"][0]["entityId"] == "urn:ngsi-ld:Vehicle:A2"
    assert mixed.json()["errors"][0]["error"]["title"] == "AlreadyExists"
    upsert = client.post(f"{ops}/upsert", json=[
        {"id": "urn:ngsi-ld:Vehicle:A1", "type": "Vehicle", "speed": {"type": "Property", "value": 10}},
        vehicle(4)], headers=h)
    assert upsert.status_code == 204
    update = client.post(f"{ops}/update", json=[
        {"id": "urn:ngsi-ld:Vehicle:A2", "speed": {"type": "Property", "value": 11}},
        {"id": "urn:ngsi-ld:Vehicle:A9", "speed": {"type": "Property", "value": 11}}], headers=h)
    assert update.status_code == 207 and update.json()["errors"][0]["error"]["title"] == "ResourceNotFound"
    speeds = {e["id"]: e["speed"] for e in
              client.get("/ngsi-ld/v1/entities?type=Vehicle&options=keyValues&attrs=speed", headers=h).json()}
    assert speeds == {"urn:ngsi-ld:Vehicle:A1": 10, "urn:ngsi-ld:Vehicle:A2": 11, "urn:ngsi-ld:Vehicle:A3": 80,
                      "urn:ngsi-ld:Vehicle:A4": 80}
    deleted = client.post(f"{ops}/delete", json=["urn:ngsi-ld:Vehicle:A1", "urn:ngsi-ld:Vehicle:A1"], headers=h)
    assert deleted.status_code == 207 and deleted.json()["success"] == ["urn:ngsi-ld:Vehicle:A1"]


def test_one_agency_never_sees_anothers_entities(client, db) -> None:  # type: ignore[no-untyped-def]
    city = operator(client, db, agency="thr-city", username="city-op")
    other = operator(client, db, agency="isf-city", username="isf-op")
    assert client.post("/ngsi-ld/v1/entities", json=vehicle(), headers=city).status_code == 201
    assert client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:A4567", headers=other).status_code == 404
    assert client.get("/ngsi-ld/v1/entities?type=Vehicle", headers=other).json() == []
    patch = client.patch("/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:A4567/attrs",
                         json={"speed": {"type": "Property", "value": 1}}, headers=other)
    assert patch.status_code == 404
    taken = client.post("/ngsi-ld/v1/entities", json=vehicle(), headers=other)
    assert taken.status_code == 409  # ids are global URIs
    assert client.get("/ngsi-ld/v1/entities?type=Vehicle", headers={**city, "NGSILD-Tenant": "isf-city"}
                      ).json()["title"] == "NonexistentTenant"
    read_only = operator(client, db, agency="thr-city", username="city-reader", scopes=["read"])
    assert client.post("/ngsi-ld/v1/entities", json=vehicle(7), headers=read_only).status_code == 403
