"""The events that queue messages; the notifications module publishes and delivers them."""

from smartgov.events import declare

EMAIL_REQUESTED = declare("notifications.email_requested", "An e-mail was queued for delivery.")
SMS_REQUESTED = declare("notifications.sms_requested", "An SMS was queued for delivery.")
