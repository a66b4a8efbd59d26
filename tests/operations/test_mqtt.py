"""Telemetry over MQTT against the real broker (Mosquitto on 127.0.0.1:1883, or SMARTGOV_MQTT_URL):
a published reading becomes an incident and a work order; a consumer killed with SIGKILL loses
nothing the broker accepted and stores nothing twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from smartgov import identity
from smartgov.operations import ingest
from smartgov.operations.context import create
from smartgov.operations.models import Reading, Rollup
from smartgov.operations.mqtt import Consumer, broker_address
from smartgov.operations.ngsi import check_entity
from tests.factories import create_agency
from tests.operations.helpers import operator, station, work_order_setup

BROKER = os.environ.get("SMARTGOV_MQTT_URL", "mqtt://127.0.0.1:1883")


def _broker_up() -> bool:
    try:
        socket.create_connection(broker_address(BROKER), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _broker_up(), reason="no MQTT broker at SMARTGOV_MQTT_URL / 127.0.0.1:1883")


def _publisher() -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="")
    client.max_inflight_messages_set(200)
    client.connect(*broker_address(BROKER))
    client.loop_start()
    return client


def _forget_session(client_id: str) -> None:
    """Discard the broker's persistent session of ``client_id`` (a test leaves nothing queued)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect(*broker_address(BROKER))
    client.disconnect()


def _open_session(client_id: str) -> None:
    """Make the consumer's persistent session exist before anything is published."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.connect(*broker_address(BROKER))
    client.loop_start()
    client.subscribe("/json/+/+/attrs", qos=1)[1]
    deadline = time.monotonic() + 10
    while not client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    client.loop_stop()
    client.disconnect()


def test_a_published_reading_opens_an_incident_and_a_work_order(client, db, database) -> None:  # type: ignore[no-untyped-def]
    h = operator(client, db)
    work_order_setup(db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.4, 35.7), headers=h).status_code == 201
    key = client.post("/api/v1/operations/devices", headers=h, json={
        "code": "aq-mqtt", "entity": "urn:ngsi-ld:AirQualityObserved:1",
        "mapping": {"pm25": {"attribute": "pm25"}}}).json()["key"]
    assert client.post("/api/v1/operations/rules", headers=h, json={
        "name": "PM2.5 unhealthy", "entity_type": "AirQualityObserved", "attribute": "pm25", "kind": "threshold",
        "condition": "value > 55", "severity": 3, "dispatch": True}).status_code == 201
    client_id = f"sg-test-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(database, BROKER, client_id=client_id, batch=50)
    consumer.start()
    publisher = _publisher()
    try:
        assert consumer.connected.wait(10)
        publisher.publish(f"/json/{key}/aq-mqtt/attrs", json.dumps({"pm25": 120.5}), qos=1).wait_for_publish(10)
        publisher.publish("/json/wrong-key/aq-mqtt/attrs", json.dumps({"pm25": 1}), qos=1).wait_for_publish(10)
        publisher.publish(f"/json/{key}/aq-mqtt/attrs", b"not json", qos=1).wait_for_publish(10)
        deadline = time.monotonic() + 20
        handled = 0
        while handled < 3 and time.monotonic() < deadline:
            handled += consumer.step()
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        consumer.stop()
        _forget_session(client_id)
    assert consumer.stored == 1
    board = client.get("/api/v1/operations/incidents", headers=h).json()
    assert len(board) == 1 and board[0]["status"] == "dispatched"
    crew = operator(client, db, username="crew1")
    inbox = client.get("/api/v1/services/inbox?service_id=operations-work-order", headers=crew).json()
    assert [c["reference"] for c in inbox["items"]] == board[0]["work_orders"]


def _count(database) -> int:  # type: ignore[no-untyped-def]
    with database.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Reading).where(Reading.attribute == "level")) or 0)


def test_a_consumer_killed_mid_stream_loses_nothing_and_stores_nothing_twice(database, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Below Mosquitto's default max_queued_messages (1000): past it a broker drops what it queued for
    # an offline session, whatever the consumer does (production brokers set it; README.md says so).
    total = 900
    with database.unit_of_work() as s:
        create_agency(s, "thr-city")
        s.flush()
        org_id = identity.organization_by_code(s, "thr-city").id
        entity = create(s, org_id, check_entity({"id": "urn:ngsi-ld:WaterTankLevel:1", "type": "WaterTankLevel"}),
                        None)
        _, key = ingest.provision(s, org_id, None, code="tank-1", entity=entity, mapping={"level": "level"})
    client_id = f"sg-durable-{uuid.uuid4().hex[:8]}"
    _open_session(client_id)
    env = {**os.environ, "SMARTGOV_DATABASE_URL": settings.database_url, "SMARTGOV_ENVIRONMENT": "test",
           "SMARTGOV_SECRET_KEY": settings.secret_key.get_secret_value(), "SMARTGOV_DATA_DIR": str(tmp_path),
           "SMARTGOV_OPERATIONS_MQTT_CLIENT_ID": client_id, "SMARTGOV_OPERATIONS_MQTT_BATCH": "20",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    command = [sys.executable, "-m", "smartgov.cli", "operations", "consume", "--url", BROKER]
    publisher = _publisher()
    consumer = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        accepted = []

        def publish(numbers: range) -> None:
            for n in numbers:
                stamp = f"2024-05-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
                accepted.append(publisher.publish(f"/json/{key}/tank-1/attrs",
                                                  json.dumps({"level": n % 97, "TimeInstant": stamp}), qos=1))

        # Two thirds while the consumer runs, killed once it has stored some; the rest while it is dead
        # (queued by the broker for its session): the kill is mid-stream however fast the consumer is.
        publish(range(2 * total // 3))
        deadline = time.monotonic() + 60
        while _count(database) < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(10)
        killed_at = _count(database)
        publish(range(2 * total // 3, total))
        assert 0 < killed_at < total, "the consumer was not killed mid-stream"
        for info in accepted:
            info.wait_for_publish(30)  # the broker has it: it must be stored
        consumer = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while _count(database) < total and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(10)
        publisher.loop_stop()
        publisher.disconnect()
        _forget_session(client_id)
    assert _count(database) == total
    with database.sessions() as s:
        rolled = s.scalar(select(func.sum(Rollup.count)).where(Rollup.attribute == "level", Rollup.period == 60,
                                                               Rollup.bucket < 1800000000))
        assert int(rolled) == total  # each reading counted once in the rollups too
