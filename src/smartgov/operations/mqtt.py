"""The MQTT consumer: device telemetry in the FIWARE IoT Agent JSON convention, lost never.

Topics ``/json/<key>/<device>/attrs`` (the device's own key in the topic, as the IoT Agent's
API key is); payloads as ``ingest`` reads them. The consumer keeps a persistent session (a fixed
client id, ``clean_session`` off) and subscribes with QoS 1, and acknowledges a message only
after the transaction that stored it committed (paho's ``manual_ack``): a consumer killed with
SIGKILL leaves the unacknowledged messages with the broker, which sends them again, and the
readings' key makes the second copy a no-op. A batch that fails to commit is not acknowledged
and is tried again, message by message, so one poisonous message cannot hold the rest back.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from smartgov.db import Database

from . import ingest
from .config import operations_settings

log = logging.getLogger(__name__)
TOPIC = "/json/+/+/attrs"
SESSION_EXPIRY = 7 * 86400  # seconds the broker keeps the session (and its queue) while the consumer is away
RECEIVE_MAXIMUM = 65535  # unacknowledged messages the broker may send: a batch's worth and more


@dataclass(frozen=True)
class Delivery:
    """A message as the broker delivered it, until acknowledged."""

    mid: int
    qos: int
    topic: str
    payload: bytes


def broker_address(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` -> (host, port)."""
    parsed = urlparse(url if "://" in url else f"mqtt://{url}")
    if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
        raise ValueError(f"not an MQTT broker address: {url}")
    return parsed.hostname, parsed.port or 1883


def to_message(delivery: Delivery) -> ingest.Message:
    """The ingest message of a delivery (a malformed topic or body becomes a refused message)."""
    parts = delivery.topic.split("/")
    if len(parts) != 5 or parts[0] != "" or parts[1] != "json" or parts[4] != "attrs":
        return ingest.Message("-", None, key="")
    try:
        payload = json.loads(delivery.payload)
    except ValueError:
        payload = None
    return ingest.Message(parts[3], payload, key=parts[2])


#: Seconds a batch gathers messages after its first: a reading waits at most this before its commit
#: starts, and at 10,000 readings a second a batch holds ~500 of them.
WINDOW = 0.05


class Consumer:
    """Reads the broker into batches, stores each batch in one transaction, then acknowledges it."""

    def __init__(self, database: Database, url: str, *, client_id: str | None = None, batch: int | None = None):
        settings = operations_settings()
        self.database = database
        self.host, self.port = broker_address(url)
        self.batch = batch or settings.mqtt_batch
        self.window = WINDOW
        self.inbox: queue.Queue[Delivery] = queue.Queue()
        self.stored = 0
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or settings.mqtt_client_id,
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.on_connect = self._connected
        self.client.on_message = self._received

    def _connected(self, client: mqtt.Client, _userdata: object, _flags: object, reason: object,
                   _properties: object = None) -> None:
        if getattr(reason, "is_failure", False):
            log.error("operations: the MQTT broker refused the connection: %s", reason)
            return
        client.subscribe(TOPIC, qos=1)
        self.connected.set()

    def _received(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(Delivery(message.mid, message.qos, message.topic, bytes(message.payload)))

    def start(self) -> None:
        # MQTT 5, so the consumer says how many unacknowledged messages it takes (Receive Maximum):
        # under MQTT 3.1.1 Mosquitto sends at most ``max_inflight_messages`` (20) before the
        # acknowledgements, queues the rest up to ``max_queued_messages`` (1000) and drops what is
        # beyond — at thousands a second the consumer would take 20 messages a commit and the
        # broker would drop readings it had accepted. The session outlives a crash (expiry a week).
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect(self.host, self.port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()

    def stop(self) -> None:
        self.stopping.set()
        self.client.loop_stop()
        self.client.disconnect()

    def _take(self) -> list[Delivery]:
        try:
            first = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        found = [first]
        deadline = time.monotonic() + self.window
        while len(found) < self.batch:
            try:
                found.append(self.inbox.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return found

    def _store(self, deliveries: list[Delivery]) -> None:
        with self.database.unit_of_work() as db:
            outcome = ingest.ingest(db, [to_message(d) for d in deliveries])
        self.stored += outcome.stored

    def _ack(self, deliveries: list[Delivery]) -> None:
        for d in deliveries:
            if d.qos > 0:
                self.client.ack(d.mid, d.qos)

    def step(self) -> int:
        """Store and acknowledge one batch; returns how many messages it held."""
        deliveries = self._take()
        if not deliveries:
            return 0
        try:
            self._store(deliveries)
        except Exception:
            log.exception("operations: a batch of %d messages did not commit; trying them one by one",
                          len(deliveries))
            for d in deliveries:
                self._one(d)
            return len(deliveries)
        self._ack(deliveries)
        return len(deliveries)

    def _one(self, delivery: Delivery) -> None:
        """Store one message; after three failures refuse it (counted) so the rest can go on."""
        tries = 0
        while not self.stopping.is_set():
            tries += 1
            try:
                if tries <= 3:
                    self._store([delivery])
                else:
                    with self.database.unit_of_work() as db:
                        ingest.refuse(db, to_message(delivery).device, "bad_payload")
            except Exception:
                log.exception("operations: message %s on %s did not commit; retrying", delivery.mid, delivery.topic)
                time.sleep(min(tries, 10))
                continue
            self._ack([delivery])
            return

    def run(self, *, until: float | None = None) -> None:
        """Consume until stopped (or until ``until``, a monotonic instant)."""
        self.start()
        try:
            while not self.stopping.is_set() and (until is None or time.monotonic() < until):
                self.step()
        finally:
            self.stop()
