"""Tables of the operations centre: context entities, devices, readings and their rollups,
rules, alerts, incidents and work orders.

Entities belong to an agency (``organization_id``: identity's agency id, as transparency keeps it).
Readings are keyed by what they are (entity, attribute, instant), so a message delivered twice
(MQTT QoS 1 after a crash) is stored once; on PostgreSQL the table is partitioned by day
(``partitions.py``), on SQLite it is a plain table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base


class Entity(Base):
    """An NGSI-LD entity: its id and type, and its attributes in normalized form."""

    __tablename__ = "operations_entity"
    __table_args__ = (Index("ix_operations_entity_org_type", "organization_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[str] = mapped_column(String(256), unique=True)  # the URI, e.g. urn:ngsi-ld:Sensor:1
    type: Mapped[str] = mapped_column(String(256))  # expanded term or short name as sent
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name -> normalized attribute (or list)
    # The entity's own "location" GeoProperty: a point's coordinates for near-queries, the whole
    # geometry for within; kept beside the attributes so a query need not open every entity.
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    geometry: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[dt.datetime]
    modified_at: Mapped[dt.datetime]


class Device(Base):
    """A provisioned device: its key (hashed) and which attribute of which entity each measure feeds."""

    __tablename__ = "operations_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the device id in topics and URLs
    key_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the per-device key
    entity_pk: Mapped[int] = mapped_column(ForeignKey("operations_entity.id"))
    # measure name (as the device sends it) -> {"attribute": name, "unitCode": code}
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class Rejection(Base):
    """Messages refused per device and reason (counted; logged once per device and reason)."""

    __tablename__ = "operations_rejection"

    device_code: Mapped[str] = mapped_column(String(64), primary_key=True)  # as sent, even if unknown
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)  # unknown_device | wrong_key | bad_payload
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    first_at: Mapped[dt.datetime]
    last_at: Mapped[dt.datetime]


class Reading(Base):
    """One observed value of one attribute; the key makes a redelivered message a no-op."""

    __tablename__ = "operations_reading"

    entity_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    attribute: Mapped[str] = mapped_column(String(128), primary_key=True)
    observed_at: Mapped[dt.datetime] = mapped_column(primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(String(256))


class Rollup(Base):
    """Count, sum, min and max of an attribute per minute (period 60) and per hour (3600)."""

    __tablename__ = "operations_rollup"

    entity_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    attribute: Mapped[str] = mapped_column(String(128), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch seconds of the period's start
    count: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)


class Rule(Base):
    """A condition over readings, written in the platform's expression language, that raises alerts."""

    __tablename__ = "operations_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(256))
    attribute: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # threshold | rate | silence
    condition: Mapped[str] = mapped_column(Text, default="")  # reads value, previous, rate, entity.*
    silence_minutes: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[int] = mapped_column(SmallInteger)  # 1 info, 2 warning, 3 critical
    escalate_minutes: Mapped[int | None] = mapped_column(Integer)  # unacknowledged this long: one level up
    open_incident: Mapped[bool] = mapped_column(Boolean, default=True)
    dispatch: Mapped[bool] = mapped_column(Boolean, default=False)  # the incident orders work at once
    notify_phone: Mapped[str | None] = mapped_column(String(20))
    notify_email: Mapped[str | None] = mapped_column(String(254))
    created_by: Mapped[int] = mapped_column(Integer)  # the account work orders are filed for
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class Alert(Base):
    """A rule firing on an entity; while open, firing again counts here instead of a new alert."""

    __tablename__ = "operations_alert"
    __table_args__ = (Index("ix_operations_alert_org_status", "organization_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[int] = mapped_column(ForeignKey("operations_rule.id"))
    entity_pk: Mapped[int] = mapped_column(ForeignKey("operations_entity.id"))
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # "rule:entity" while not resolved
    severity: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16))  # open | acknowledged | resolved
    count: Mapped[int] = mapped_column(Integer, default=1)
    value: Mapped[float | None] = mapped_column(Float)
    first_at: Mapped[dt.datetime]
    last_at: Mapped[dt.datetime]
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(Integer)
    escalated_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("operations_incident.id"))


class Incident(Base):
    """Something on the ground to deal with, opened by an alert; resolved when its work is done."""

    __tablename__ = "operations_incident"
    __table_args__ = (Index("ix_operations_incident_org_status", "organization_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer)
    entity_pk: Mapped[int] = mapped_column(ForeignKey("operations_entity.id"))
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16))  # open | dispatched | resolved
    opened_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]


class WorkOrder(Base):
    """A case of the internal work-order service on the services engine, for one incident."""

    __tablename__ = "operations_work_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("operations_incident.id"), index=True)
    case_reference: Mapped[str] = mapped_column(String(40), unique=True)
    state: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]


class Subscription(Base):
    """An NGSI-LD subscription: which changes of which entities an HTTP endpoint is told about.

    ``body`` is the subscription as accepted (checked, normalized, without the broker's own
    members); the columns beside it are what the matcher filters on and what the broker counts.
    """

    __tablename__ = "operations_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, index=True)  # entities of this agency's subtree
    subscription_id: Mapped[str] = mapped_column(String(256), unique=True)  # the URI
    body: Mapped[dict[str, Any]] = mapped_column()
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[dt.datetime | None]
    throttling: Mapped[float | None] = mapped_column(Float)  # seconds between two notifications
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    modified_at: Mapped[dt.datetime]
    last_notification_at: Mapped[dt.datetime | None]  # queued for delivery (throttling counts from here)
    last_success_at: Mapped[dt.datetime | None]
    times_sent: Mapped[int] = mapped_column(BigInteger, default=0)
