"""Templated messages and their queuing through the transactional outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from smartgov import events
from smartgov.i18n import localize_value
from smartgov.settings import get_settings


@dataclass(frozen=True)
class MessageTemplate:
    """One message kind, written in both languages (``str.format`` placeholders)."""

    key: str
    subject_fa: str
    subject_en: str
    body_fa: str
    body_en: str

    def render(self, lang: str, context: dict[str, Any]) -> tuple[str, str]:
        subject = self.subject_fa if lang == "fa" else self.subject_en
        body = self.body_fa if lang == "fa" else self.body_en
        shown = {k: localize_value(v, lang) for k, v in context.items()}
        return subject.format(**shown), body.format(**shown)


TEMPLATES: dict[str, MessageTemplate] = {}


def register_template(template: MessageTemplate) -> None:
    """Modules add their message kinds at import time."""
    TEMPLATES[template.key] = template


def render(key: str, lang: str, context: dict[str, Any]) -> tuple[str, str]:
    return TEMPLATES[key].render(lang if lang in ("fa", "en") else "fa", context)


EMAIL_REQUESTED = "notifications.email_requested"
SMS_REQUESTED = "notifications.sms_requested"


def email_request(*, to: str, template: str, lang: str, context: dict[str, Any]) -> dict[str, Any]:
    """The data of an ``EMAIL_REQUESTED`` event (for a caller that writes its events without a session)."""
    if template not in TEMPLATES:
        raise KeyError(template)
    return {"to": to, "template": template, "lang": lang, "context": context}


def sms_request(*, to: str, template: str | None = None, lang: str = "fa", context: dict[str, Any] | None = None,
                text: str | None = None) -> dict[str, Any]:
    """The data of an ``SMS_REQUESTED`` event: from a template or a ready text."""
    if template is None and text is None:
        raise ValueError("template or text required")
    return {"to": to, "template": template, "lang": lang, "context": context or {}, "text": text}


def queue_email(db: Session, *, to: str, template: str, lang: str, context: dict[str, Any]) -> None:
    """Queue an e-mail in the caller's transaction; it is sent only if that transaction commits."""
    events.publish(db, EMAIL_REQUESTED, **email_request(to=to, template=template, lang=lang, context=context))


def queue_sms(db: Session, *, to: str, template: str | None = None, lang: str = "fa",
              context: dict[str, Any] | None = None, text: str | None = None) -> None:
    """Queue an SMS from a template or a ready text (e.g. a reply to an inbound command)."""
    events.publish(db, SMS_REQUESTED, **sms_request(to=to, template=template, lang=lang, context=context, text=text))


def _deliver_email(db: Session, evt: events.Event, outbox_id: int) -> None:
    data = evt.data
    subject, body = render(data["template"], data["lang"], data["context"])
    from smartgov.notifications.sinks import get_email_sender

    get_email_sender(get_settings()).send(
        to=data["to"], subject=subject, body=body, message_id=f"outbox-{outbox_id}"
    )


def _deliver_sms(db: Session, evt: events.Event, outbox_id: int) -> None:
    data = evt.data
    text = data.get("text")
    if text is None:
        _, text = render(data["template"], data["lang"], data["context"])
    from smartgov.notifications.sinks import get_sms_gateway

    get_sms_gateway(get_settings()).send(to=data["to"], text=text, message_id=f"outbox-{outbox_id}")


events.subscribe_async(EMAIL_REQUESTED, "notifications.email", _deliver_email)
events.subscribe_async(SMS_REQUESTED, "notifications.sms", _deliver_sms)
