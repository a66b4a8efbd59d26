"""Notifications: e-mail and SMS, templated in Persian and English, delivered via the outbox.

Modules never send directly: they register their message kinds (:func:`register_template`,
a :class:`MessageTemplate` with ``str.format`` defaults; ``mandatory=True`` for what a person may
not turn off) and call :func:`queue_email` / :func:`queue_sms` inside their transaction, with the
recipient's ``account_id`` when they have one. ``smartgov worker`` delivers after commit: the
wording in force (an admin's override, else the default), the recipient's preferences, and a copy
in their notification centre (``/notifications``). Delivery is keyed by the outbox message id, so
a worker restarted mid-way never sends the same message twice. ``README.md`` says more.
"""

from smartgov.notifications.events import EMAIL_REQUESTED, SMS_REQUESTED
from smartgov.notifications.home import home_panel
from smartgov.notifications.service import (
    email_request,
    queue_email,
    queue_sms,
    render,
    sms_request,
)
from smartgov.notifications.sinks import EmailSender, SmsGateway, get_email_sender, get_sms_gateway
from smartgov.notifications.wording import TEMPLATES, MessageTemplate, register_template

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
    "home_panel",
    "queue_email",
    "queue_sms",
    "register_template",
    "render",
    "sms_request",
]
