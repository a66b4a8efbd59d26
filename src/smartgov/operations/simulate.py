"""A city's sensors, simulated: series with a daily rhythm, noise and incidents in them.

Devices are provisioned in the agency's context (entities ``urn:ngsi-ld:<Type>:sim-<n>`` with
their district's location) and publish either to the MQTT broker or over HTTP to a running
server (``/api/v1/operations/iot/json``), in the IoT Agent JSON convention. PM2.5 and PM10 also
yield the AQI by the US EPA's published breakpoints (``aqi``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from smartgov.db import Database

from . import context, ingest
from .models import Device, Entity
from .ngsi import check_entity, format_time

#: (type, measure -> (attribute, unitCode, base, daily swing, noise, incident value))
KINDS: list[tuple[str, dict[str, tuple[str, str, float, float, float, float]]]] = [
    ("AirQualityObserved", {"pm25": ("pm25", "GQ", 25, 12, 4, 180), "pm10": ("pm10", "GQ", 50, 20, 8, 320)}),
    ("TrafficFlowObserved", {"intensity": ("intensity", "E50", 600, 400, 60, 2400)}),
    ("WaterTankLevel", {"level": ("level", "P1", 70, 10, 2, 4)}),
    ("WasteContainer", {"fillingLevel": ("fillingLevel", "P1", 40, 25, 5, 99)}),
    ("StreetlightEnergy", {"power": ("power", "KWT", 0.15, 0.15, 0.01, 0.9)}),
    ("BridgeVibration", {"acceleration": ("acceleration", "MSK", 0.02, 0.01, 0.005, 0.4)}),
]

#: US EPA PM2.5 breakpoints (µg/m³, 24-hour) and their AQI ranges.
PM25_BREAKPOINTS = [(0.0, 9.0, 0, 50), (9.1, 35.4, 51, 100), (35.5, 55.4, 101, 150), (55.5, 125.4, 151, 200),
                    (125.5, 225.4, 201, 300), (225.5, 325.4, 301, 500)]
PM10_BREAKPOINTS = [(0, 54, 0, 50), (55, 154, 51, 100), (155, 254, 101, 150), (255, 354, 151, 200),
                    (355, 424, 201, 300), (425, 604, 301, 500)]


def aqi(concentration: float, breakpoints: list[tuple[float, float, int, int]]) -> int:
    """The sub-index of a concentration by linear interpolation within its breakpoint band."""
    for c_low, c_high, i_low, i_high in breakpoints:
        if concentration <= c_high:
            c = max(concentration, c_low)
            return round((i_high - i_low) / (c_high - c_low) * (c - c_low) + i_low)
    return 500


@dataclass
class SimDevice:
    code: str
    key: str
    kind: str
    measures: dict[str, tuple[str, str, float, float, float, float]]


def provision(database: Database, org_id: int, count: int, centre: tuple[float, float] = (51.389, 35.689),
              rng: random.Random | None = None) -> list[SimDevice]:
    """``count`` simulated devices of every kind in turn (entities made if new; keys issued afresh)."""
    rng = rng or random.Random(7)
    out = []
    with database.unit_of_work() as db:
        for n in range(count):
            kind, measures = KINDS[n % len(KINDS)]
            entity_id = f"urn:ngsi-ld:{kind}:sim-{n}"
            row = db.scalar(select(Entity).where(Entity.entity_id == entity_id))
            if row is None:
                lon, lat = centre[0] + rng.uniform(-0.12, 0.12), centre[1] + rng.uniform(-0.08, 0.08)
                row = context.create(db, org_id, check_entity({
                    "id": entity_id, "type": kind,
                    "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
                    **{a: {"type": "Property", "value": base, "unitCode": unit}
                       for a, unit, base, *_ in measures.values()}}), None)
            code = f"sim-{n}"
            device = db.scalar(select(Device).where(Device.code == code))
            if device is None:
                _, key = ingest.provision(db, org_id, None, code=code, entity=row,
                                          mapping={m: {"attribute": a, "unitCode": u}
                                                   for m, (a, u, *_r) in measures.items()})
            else:
                key = ingest.rotate_key(db, device, None)
            out.append(SimDevice(code, key, kind, measures))
    return out


def reading(device: SimDevice, at: dt.datetime, rng: random.Random, incident_rate: float) -> dict[str, Any]:
    """One message: a daily rhythm plus noise, now and then an incident's value."""
    hour = at.hour + at.minute / 60
    payload: dict[str, Any] = {"TimeInstant": format_time(at)}
    spike = rng.random() < incident_rate
    for measure, (_a, _u, base, swing, noise, incident) in device.measures.items():
        value = incident if spike else base + swing * math.sin((hour - 8) / 24 * 2 * math.pi) + rng.gauss(0, noise)
        payload[measure] = round(max(0.0, value), 4)
    return payload


def run(devices: list[SimDevice], *, rate: float, seconds: float, send: Callable[[SimDevice, dict[str, Any]], None],
        rng: random.Random | None = None, incident_rate: float = 0.002) -> int:
    """Send ``rate`` messages a second, round robin over the devices, for ``seconds``; returns how many."""
    rng = rng or random.Random(11)
    sent, start = 0, time.monotonic()
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    while time.monotonic() - start < seconds:
        due = int((time.monotonic() - start) * rate) + 1
        while sent < due:
            device = devices[sent % len(devices)]
            # distinct instants per device so every message is a reading of its own
            at = stamp + dt.timedelta(milliseconds=sent)
            send(device, reading(device, at, rng, incident_rate))
            sent += 1
        time.sleep(min(0.05, 1 / rate))
    return sent


def mqtt_sender(url: str) -> tuple[Callable[[SimDevice, dict[str, Any]], None], Callable[[], None]]:
    """Publish with QoS 1 to the broker; the second function waits for every publish and disconnects."""
    import paho.mqtt.client as mqtt

    from .mqtt import broker_address

    host, port = broker_address(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="")
    client.max_inflight_messages_set(1000)
    client.connect(host, port)
    client.loop_start()
    pending = []

    def send(device: SimDevice, payload: dict[str, Any]) -> None:
        pending.append(client.publish(f"/json/{device.key}/{device.code}/attrs", json.dumps(payload), qos=1))

    def close() -> None:
        for info in pending:
            info.wait_for_publish(timeout=30)
        client.loop_stop()
        client.disconnect()
    return send, close


def http_sender(base_url: str) -> tuple[Callable[[SimDevice, dict[str, Any]], None], Callable[[], None]]:
    """POST each message to a running server's IoT Agent route."""
    import httpx

    client = httpx.Client(base_url=base_url, timeout=10)

    def send(device: SimDevice, payload: dict[str, Any]) -> None:
        client.post("/api/v1/operations/iot/json", params={"k": device.key, "i": device.code}, json=payload)
    return send, client.close
