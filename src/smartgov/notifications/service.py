"""Templated messages and their queuing through the transactional outbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.i18n import localize_value
from smartgov.notifications.events import EMAIL_REQUESTED, SMS_REQUESTED
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


# A message's secrets (a one-time code, a reset link) are sealed before they enter the event and
# its outbox row: every event is kept for ever and shown to auditors in the ledger, and a secret
# stored readable there would be as good as the secret itself while it lasts.


def _seal_key() -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, b"notifications.sealed-context", hashlib.sha256).digest()


def seal(values: dict[str, Any]) -> str:
    """``values`` encrypted (AES-GCM under a key derived from the platform secret), as text."""
    nonce = os.urandom(12)
    data = json.dumps(values, ensure_ascii=False).encode()
    return base64.b64encode(nonce + AESGCM(_seal_key()).encrypt(nonce, data, b"sealed")).decode()


def unseal(text: str) -> dict[str, Any]:
    """The values :func:`seal` sealed (at delivery, to render the message)."""
    blob = base64.b64decode(text)
    opened: dict[str, Any] = json.loads(AESGCM(_seal_key()).decrypt(blob[:12], blob[12:], b"sealed"))
    return opened


def email_request(*, to: str, template: str, lang: str, context: dict[str, Any],
                  secret: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of an ``EMAIL_REQUESTED`` event (for a caller that writes its events without a session)."""
    if template not in TEMPLATES:
        raise KeyError(template)
    data = {"to": to, "template": template, "lang": lang, "context": context}
    if secret:
        data["sealed"] = seal(secret)
    return data


def sms_request(*, to: str, template: str | None = None, lang: str = "fa", context: dict[str, Any] | None = None,
                text: str | None = None, secret: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of an ``SMS_REQUESTED`` event: from a template or a ready text."""
    if template is None and text is None:
        raise ValueError("template or text required")
    data = {"to": to, "template": template, "lang": lang, "context": context or {}, "text": text}
    if secret:
        data["sealed"] = seal(secret)
    return data


def queue_email(db: Session, *, to: str, template: str, lang: str, context: dict[str, Any],
                secret: dict[str, Any] | None = None) -> None:
    """Queue an e-mail in the caller's transaction; it is sent only if that transaction commits.

    ``secret``: more template values that are kept sealed until the message is rendered for delivery.
    """
    events.publish(db, EMAIL_REQUESTED, **email_request(to=to, template=template, lang=lang, context=context,
                                                        secret=secret))


def queue_sms(db: Session, *, to: str, template: str | None = None, lang: str = "fa",
              context: dict[str, Any] | None = None, text: str | None = None,
              secret: dict[str, Any] | None = None) -> None:
    """Queue an SMS from a template or a ready text (e.g. a reply to an inbound command).

    ``secret``: more template values that are kept sealed until the message is rendered for delivery.
    """
    events.publish(db, SMS_REQUESTED, **sms_request(to=to, template=template, lang=lang, context=context, text=text,
                                                    secret=secret))


def _context(data: dict[str, Any]) -> dict[str, Any]:
    """A queued message's template values, its sealed secrets opened."""
    sealed = data.get("sealed")
    return {**data["context"], **unseal(sealed)} if sealed else data["context"]


def _deliver_email(db: Session, evt: events.Event, outbox_id: int) -> None:
    data = evt.data
    subject, body = render(data["template"], data["lang"], _context(data))
    from smartgov.notifications.sinks import get_email_sender

    get_email_sender(get_settings()).send(
        to=data["to"], subject=subject, body=body, message_id=f"outbox-{outbox_id}"
    )


def _deliver_sms(db: Session, evt: events.Event, outbox_id: int) -> None:
    data = evt.data
    text = data.get("text")
    if text is None:
        _, text = render(data["template"], data["lang"], _context(data))
    from smartgov.notifications.sinks import get_sms_gateway

    get_sms_gateway(get_settings()).send(to=data["to"], text=text, message_id=f"outbox-{outbox_id}")


events.subscribe_async(EMAIL_REQUESTED, "notifications.email", _deliver_email)
events.subscribe_async(SMS_REQUESTED, "notifications.sms", _deliver_sms)
