"""The events of the notifications module: messages queued, and every change people make here."""

from smartgov.events import declare

EMAIL_REQUESTED = declare("notifications.email_requested", "An e-mail was queued for delivery.")
SMS_REQUESTED = declare("notifications.sms_requested", "An SMS was queued for delivery.")
TEMPLATE_SAVED = declare("notifications.template_saved",
                         "An admin saved a new version of a message template's wording.")
TEMPLATE_RESET = declare("notifications.template_reset",
                         "An admin returned a message template to the wording registered in code.")
PREFERENCES_SAVED = declare("notifications.preferences_saved",
                            "A person changed which messages they receive, on which channels, in which language.")
MESSAGES_READ = declare("notifications.messages_read", "A person marked messages in their notification centre read.")
