"""NGSI-LD subscriptions: the specification's request shapes, and notifications received by a real
HTTP receiver in the test (delivered by the outbox after commit, retried when the receiver fails)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from smartgov import clock, events
from smartgov.events import OutboxMessage
from smartgov.operations.notify import DELIVER_HANDLER
from tests.operations.helpers import operator, provision, station

ENTITY = "urn:ngsi-ld:AirQualityObserved:1"


class Receiver:
    """A local HTTP endpoint that records every notification; ``fail`` makes it answer 500."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                if outer.fail:
                    self.send_response(500)
                else:
                    outer.received.append({"headers": dict(self.headers), "body": body})
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def subscription(uri: str, **extra: Any) -> dict[str, Any]:
    """The specification's shape: entities by type, watchedAttributes, q, notification with endpoint."""
    return {"id": "urn:ngsi-ld:Subscription:pm25-high", "type": "Subscription",
            "subscriptionName": "PM2.5 above 50",
            "entities": [{"type": "AirQualityObserved"}], "watchedAttributes": ["pm25"], "q": "pm25>50",
            "notification": {"attributes": ["pm25"], "format": "keyValues",
                             "endpoint": {"uri": uri, "accept": "application/json"}}, **extra}


def _station_with_device(client: Any, h: dict[str, str]) -> str:
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    return provision(client, h, "aq-1", ENTITY)


def test_a_watched_attribute_crossing_q_notifies_the_receiver(client, db, database, receiver) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    key = _station_with_device(client, h)
    r = client.post("/ngsi-ld/v1/subscriptions", json=subscription(receiver.url), headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:pm25-high"

    low = client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 20})
    assert low.status_code == 200 and low.json()["stored"] == 1
    events.drain_outbox(database)
    assert receiver.received == []  # q does not hold: nothing sent

    high = client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 80})
    assert high.json()["stored"] == 1
    assert receiver.received == []  # nothing is sent inside the request: the worker does it after commit
    events.drain_outbox(database)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got["headers"]["Content-Type"] == "application/json"
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in got["headers"]["Link"]
    note = got["body"]
    assert note["type"] == "Notification" and note["subscriptionId"] == "urn:ngsi-ld:Subscription:pm25-high"
    assert note["id"].startswith("urn:ngsi-ld:Notification:") and note["notifiedAt"].endswith("Z")
    assert note["data"] == [{"id": ENTITY, "type": "AirQualityObserved", "pm25": 80}]

    kept = client.get("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:pm25-high", headers=h).json()
    assert kept["status"] == "active" and kept["isActive"] is True
    assert kept["notification"]["timesSent"] == 1 and kept["notification"]["status"] == "ok"
    assert kept["notification"]["endpoint"] == {"uri": receiver.url, "accept": "application/json"}
    assert "lastSuccess" in kept["notification"]


def test_normalized_ld_json_notification_from_an_ngsi_ld_update(client, db, database, receiver) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    body = {"type": "Subscription", "entities": [{"id": ENTITY, "type": "AirQualityObserved"}],
            "notification": {"endpoint": {"uri": receiver.url, "accept": "application/ld+json"}}}
    r = client.post("/ngsi-ld/v1/subscriptions", json=body, headers=h)
    assert r.status_code == 201
    assert r.headers["location"].startswith("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:")
    patch = client.patch(f"/ngsi-ld/v1/entities/{ENTITY}/attrs",
                         json={"pm25": {"type": "Property", "value": 33, "unitCode": "GQ"}}, headers=h)
    assert patch.status_code == 204
    events.drain_outbox(database)
    [got] = receiver.received
    assert got["headers"]["Content-Type"] == "application/ld+json"
    assert got["body"]["@context"] == "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
    assert got["body"]["data"][0]["pm25"] == {"type": "Property", "value": 33, "unitCode": "GQ"}
    assert got["body"]["data"][0]["location"]["type"] == "GeoProperty"


def test_a_failing_receiver_is_retried_with_back_off_and_never_blocks_ingest(client, db, database, receiver) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    key = _station_with_device(client, h)
    assert client.post("/ngsi-ld/v1/subscriptions", json=subscription(receiver.url), headers=h).status_code == 201
    receiver.fail = True
    clock.freeze(dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC))
    assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 90}).json()["stored"] == 1
    events.drain_outbox(database)
    db.expire_all()
    msg = db.scalar(select(OutboxMessage).where(OutboxMessage.handler == DELIVER_HANDLER))
    assert msg is not None and msg.status == "pending" and msg.attempts == 1 and "500" in (msg.last_error or "")
    assert msg.available_at > clock.now()
    events.drain_outbox(database)  # not due yet: the back-off holds it
    assert receiver.received == []
    receiver.fail = False
    clock.advance(dt.timedelta(seconds=11))
    events.drain_outbox(database)
    assert [n["body"]["data"][0]["pm25"] for n in receiver.received] == [90]
    db.expire_all()
    assert db.get(OutboxMessage, msg.id).status == "delivered"


def test_throttling_paused_and_expired_subscriptions_stay_quiet(client, db, database, receiver) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    key = _station_with_device(client, h)
    clock.freeze(dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC))
    sub = subscription(receiver.url, throttling=60, expiresAt="2026-03-01T11:00:00Z")
    assert client.post("/ngsi-ld/v1/subscriptions", json=sub, headers=h).status_code == 201

    def send(value: float) -> None:
        assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": value}).status_code == 200
        events.drain_outbox(database)

    send(60)
    clock.advance(dt.timedelta(seconds=10))
    send(70)  # within the throttling period: not notified
    assert [n["body"]["data"][0]["pm25"] for n in receiver.received] == [60]
    clock.advance(dt.timedelta(seconds=61))
    url = "/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:pm25-high"
    assert client.patch(url, json={"isActive": False}, headers=h).status_code == 204
    assert client.get(url, headers=h).json()["status"] == "paused"
    send(71)
    assert client.patch(url, json={"isActive": True}, headers=h).status_code == 204
    clock.advance(dt.timedelta(seconds=1))  # a device's reading is keyed by its instant
    send(72)
    assert [n["body"]["data"][0]["pm25"] for n in receiver.received] == [60, 72]
    clock.advance(dt.timedelta(hours=1))
    assert client.get(url, headers=h).json()["status"] == "expired"
    send(73)
    assert len(receiver.received) == 2
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404


def test_list_update_and_refusals_are_problem_details(client, db, receiver) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/subscriptions", json=subscription(receiver.url), headers=h).status_code == 201
    again = client.post("/ngsi-ld/v1/subscriptions", json=subscription(receiver.url), headers=h)
    assert again.status_code == 409 and again.json()["title"] == "AlreadyExists"
    listed = client.get("/ngsi-ld/v1/subscriptions?count=true", headers=h)
    assert listed.status_code == 200 and listed.headers["NGSILD-Results-Count"] == "1"
    assert [s["id"] for s in listed.json()] == ["urn:ngsi-ld:Subscription:pm25-high"]
    url = "/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:pm25-high"
    assert client.patch(url, json={"notification": {"format": "normalized"}, "q": "pm25>100"},
                        headers=h).status_code == 204
    kept = client.get(url, headers=h).json()
    assert kept["q"] == "pm25>100" and kept["notification"]["format"] == "normalized"
    assert kept["notification"]["endpoint"]["uri"] == receiver.url  # members not sent are kept
    good = subscription(receiver.url)
    for bad, title in (
        ({**good, "type": "Sub"}, "BadRequestData"),
        ({k: v for k, v in good.items() if k not in ("entities", "watchedAttributes")}, "BadRequestData"),
        ({**good, "notification": {"endpoint": {"uri": "ftp://x/y"}}}, "BadRequestData"),
        ({**good, "notification": {"endpoint": {"uri": receiver.url, "accept": "text/plain"}}}, "BadRequestData"),
        ({**good, "notification": {"format": "flat", "endpoint": {"uri": receiver.url}}}, "BadRequestData"),
        ({**good, "q": "pm25>>"}, "BadRequestData"),
        ({**good, "expiresAt": "2000-01-01T00:00:00Z"}, "BadRequestData"),
        ({**good, "throttling": -1}, "BadRequestData"),
        ({**good, "entities": [{"idPattern": "("}]}, "BadRequestData"),
        ({**good, "timeInterval": 10}, "OperationNotSupported"),
    ):
        r = client.post("/ngsi-ld/v1/subscriptions", json={**bad, "id": "urn:ngsi-ld:Subscription:x"}, headers=h)
        assert r.status_code in (400, 422), (bad, r.text)
        assert r.json()["title"] == title and r.json()["detail"], (bad, r.text)
    assert client.patch(url, json={"throttling": "soon"}, headers=h).status_code == 400
    assert client.get("/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:none", headers=h).status_code == 404


def test_another_agency_neither_sees_nor_changes_a_subscription(client, db, receiver) -> None:  # type: ignore[no-untyped-def]
    mine = operator(client, db)
    theirs = operator(client, db, agency="shz-city", username="operator2")
    assert client.post("/ngsi-ld/v1/subscriptions", json=subscription(receiver.url), headers=mine).status_code == 201
    url = "/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:pm25-high"
    assert client.get(url, headers=theirs).status_code == 404
    assert client.get("/ngsi-ld/v1/subscriptions", headers=theirs).json() == []
    assert client.patch(url, json={"isActive": False}, headers=theirs).status_code == 404
    assert client.delete(url, headers=theirs).status_code == 404
    assert client.get(url, headers=mine).json()["isActive"] is True
    reader = operator(client, db, username="reader1", scopes=["read"])
    assert client.delete(url, headers=reader).status_code == 403


def test_no_subscription_means_no_outbox_row_per_ingest(client, db, database) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    key = _station_with_device(client, h)
    assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": 80}).status_code == 200
    assert db.scalar(select(OutboxMessage.id).where(OutboxMessage.event_name == "operations.context_changed")) is None
