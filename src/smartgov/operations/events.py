"""The events the operations centre publishes (the ledger and the audit log read every one).

Telemetry itself is not an event per reading: readings are their own record (``operations_reading``);
what changes the context by hand, and everything an operator or a rule decides, is.
"""

from smartgov.events import declare

ENTITY_CHANGED = declare("operations.entity_changed",
                         "An NGSI-LD entity was created, changed or deleted through the context API.")
DEVICE_PROVISIONED = declare("operations.device_provisioned", "A device was provisioned or got a new key.")
RULE_CHANGED = declare("operations.rule_changed", "An alert rule was written, changed or switched off.")
ALERT_RAISED = declare("operations.alert_raised", "A rule fired on an entity and opened an alert.")
ALERT_ACKNOWLEDGED = declare("operations.alert_acknowledged", "An operator acknowledged an alert.")
ALERT_ESCALATED = declare("operations.alert_escalated",
                          "An alert was not acknowledged in time and went up one severity level.")
ALERT_RESOLVED = declare("operations.alert_resolved", "An alert was closed (its incident resolved, or by hand).")
INCIDENT_OPENED = declare("operations.incident_opened", "An alert opened an incident.")
INCIDENT_RESOLVED = declare("operations.incident_resolved", "An incident was resolved (its work orders closed).")
WORK_ORDER_DISPATCHED = declare("operations.work_order_dispatched",
                                "An incident dispatched a work order (a case of the work-order service).")
SUBSCRIPTION_CHANGED = declare("operations.subscription_changed",
                               "An NGSI-LD subscription was created, changed or deleted.")
#: Not stored as events (a reading is not an event): outbox rows only, built with ``events.Event``.
CONTEXT_CHANGED = declare("operations.context_changed",
                          "Attributes of entities changed while a subscription was active (outbox only: "
                          "the worker matches subscriptions and queues their notifications).")
NOTIFICATION_DUE = declare("operations.notification_due",
                           "An NGSI-LD notification waits to be POSTed to a subscriber (outbox only, retried).")
