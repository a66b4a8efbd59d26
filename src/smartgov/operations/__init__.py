"""The city's operations centre: NGSI-LD context, device telemetry (MQTT and HTTP), readings with
rollups, rules, alerts, incidents and work orders (cases of an internal service on the services
engine). ``README.md`` says where each use case lives and what is left out of NGSI-LD.

Other modules use only this surface: the events below (the ledger and analytics read them), and
``WORK_ORDER_SERVICE``, the id of the work-order service in the services catalogue.
"""

from . import demo as _demo  # noqa: F401 - registers the demo loader
from . import hooks as _hooks  # noqa: F401 - the work-order service and the worker's jobs
from . import notify as _notify  # noqa: F401 - the outbox handlers of NGSI-LD notifications
from .alerts import WORK_ORDER_SERVICE
from .events import (
    ALERT_ACKNOWLEDGED,
    ALERT_ESCALATED,
    ALERT_RAISED,
    ALERT_RESOLVED,
    DEVICE_PROVISIONED,
    ENTITY_CHANGED,
    INCIDENT_OPENED,
    INCIDENT_RESOLVED,
    RULE_CHANGED,
    SUBSCRIPTION_CHANGED,
    WORK_ORDER_DISPATCHED,
)

__all__ = [
    "ALERT_ACKNOWLEDGED",
    "ALERT_ESCALATED",
    "ALERT_RAISED",
    "ALERT_RESOLVED",
    "DEVICE_PROVISIONED",
    "ENTITY_CHANGED",
    "INCIDENT_OPENED",
    "INCIDENT_RESOLVED",
    "RULE_CHANGED",
    "SUBSCRIPTION_CHANGED",
    "WORK_ORDER_DISPATCHED",
    "WORK_ORDER_SERVICE",
]
