"""Notifications: e-mail and SMS, templated in Persian and English, delivered via the outbox.

Modules never send directly: they call :func:`queue_email` / :func:`queue_sms` inside their
transaction, and ``smartgov worker`` delivers after commit. Delivery is keyed by the outbox
message id, so a worker restarted mid-way never sends the same message twice.
"""

from smartgov.notifications.service import (
    EMAIL_REQUESTED,
    SMS_REQUESTED,
    TEMPLATES,
    MessageTemplate,
    email_request,
    queue_email,
    queue_sms,
    register_template,
    render,
    sms_request,
)
from smartgov.notifications.sinks import EmailSender, SmsGateway, get_email_sender, get_sms_gateway

__all__ = [
    "EMAIL_REQUESTED",
    "SMS_REQUESTED",
    "TEMPLATES",
    "EmailSender",
    "MessageTemplate",
    "SmsGateway",
    "email_request",
    "get_email_sender",
    "get_sms_gateway",
    "queue_email",
    "queue_sms",
    "register_template",
    "render",
    "sms_request",
]
