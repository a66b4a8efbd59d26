"""Templated messages: their queuing through the transactional outbox, and their delivery.

A message is queued as an event (``EMAIL_REQUESTED`` / ``SMS_REQUESTED``) in the caller's
transaction; the worker delivers it after commit. At delivery, one place decides everything that
depends on the recipient: the wording in force (an admin's override or the registered default),
the recipient's channel and language preferences (mandatory kinds always go), and the in-app copy
in the recipient's notification centre. Deciding there serves every publisher alike, including the
services' group writer, which writes its message events without a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.i18n import N_, gettext
from smartgov.notifications import inbox, preferences, templates_store
from smartgov.notifications.events import EMAIL_REQUESTED, SMS_REQUESTED
from smartgov.notifications.wording import (  # noqa: F401 - MessageTemplate is the public name here too
    MASKED,
    TEMPLATES,
    MessageTemplate,
    register_template,
    render_text,
)
from smartgov.settings import get_settings

CHANNELS: tuple[str, ...] = ("email", "sms")


def render(key: str, lang: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, e-mail body) of the registered defaults of ``key`` (no database: no override)."""
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
                  secret: dict[str, Any] | None = None, account_id: int | None = None) -> dict[str, Any]:
    """The data of an ``EMAIL_REQUESTED`` event (for a caller that writes its events without a session).

    ``account_id``: the recipient's account, when they have one: the message also lands in their
    notification centre, and their preferences apply.
    """
    if template not in TEMPLATES:
        raise KeyError(template)
    data: dict[str, Any] = {"to": to, "template": template, "lang": lang, "context": context}
    if secret:
        data["sealed"] = seal(secret)
    if account_id is not None:
        data["account_id"] = account_id
    return data


def sms_request(*, to: str, template: str | None = None, lang: str = "fa", context: dict[str, Any] | None = None,
                text: str | None = None, secret: dict[str, Any] | None = None,
                account_id: int | None = None) -> dict[str, Any]:
    """The data of an ``SMS_REQUESTED`` event: from a template or a ready text."""
    if template is None and text is None:
        raise ValueError("template or text required")
    if template is not None and template not in TEMPLATES:
        raise KeyError(template)
    data: dict[str, Any] = {"to": to, "template": template, "lang": lang, "context": context or {}, "text": text}
    if secret:
        data["sealed"] = seal(secret)
    if account_id is not None:
        data["account_id"] = account_id
    return data


def queue_email(db: Session, *, to: str, template: str, lang: str, context: dict[str, Any],
                secret: dict[str, Any] | None = None, account_id: int | None = None) -> None:
    """Queue an e-mail in the caller's transaction; it is sent only if that transaction commits.

    ``secret``: more template values that are kept sealed until the message is rendered for delivery.
    ``account_id``: the recipient's account, if any (their notification centre and preferences).
    """
    events.publish(db, EMAIL_REQUESTED, **email_request(to=to, template=template, lang=lang, context=context,
                                                        secret=secret, account_id=account_id))


def queue_sms(db: Session, *, to: str, template: str | None = None, lang: str = "fa",
              context: dict[str, Any] | None = None, text: str | None = None,
              secret: dict[str, Any] | None = None, account_id: int | None = None) -> None:
    """Queue an SMS from a template or a ready text (e.g. a reply to an inbound command).

    ``secret``: more template values that are kept sealed until the message is rendered for delivery.
    """
    events.publish(db, SMS_REQUESTED, **sms_request(to=to, template=template, lang=lang, context=context, text=text,
                                                    secret=secret, account_id=account_id))


def _contexts(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A queued message's values: with its sealed secrets opened (to send), and masked (to keep)."""
    sealed = data.get("sealed")
    secrets = unseal(sealed) if sealed else {}
    return {**data["context"], **secrets}, {**data["context"], **{k: MASKED for k in secrets}}


def _texts(db: Session, data: dict[str, Any], channel: str, lang: str,
           context: dict[str, Any]) -> tuple[str, str]:
    """(subject, text) of a message in ``lang``: the wording in force, or the ready text of a reply."""
    if data.get("template") is None:
        return gettext(N_("Reply by SMS"), lang), str(data.get("text") or "")
    texts = templates_store.in_force(db, data["template"])
    subject = render_text(texts[f"email_subject_{lang}"], lang, context)
    body_field = f"email_body_{lang}" if channel == "email" else f"sms_{lang}"
    return subject, render_text(texts[body_field], lang, context)


def _link(context: dict[str, Any]) -> str | None:
    """The message's subject as a path on this platform (its ``link``), if it has one."""
    link = context.get("link")
    base = get_settings().base_url.rstrip("/")
    if isinstance(link, str) and link.startswith(base + "/") and len(link) - len(base) <= 500:
        return link[len(base):]
    return None


def deliver(db: Session, evt: events.Event, outbox_id: int, channel: str) -> None:
    """Send one queued message (or keep it unsent at the recipient's request) and file its in-app copy.

    Runs in the worker's transaction for outbox row ``outbox_id``: the in-app copy commits with the
    row's "delivered" mark, and the sinks deduplicate on the id, so a retry sends nothing twice.
    """
    data = evt.data
    account_id = data.get("account_id")
    key = data.get("template")
    template = TEMPLATES.get(key) if key else None
    lang = data["lang"] if data.get("lang") in ("fa", "en") else "fa"
    send = True
    if account_id is not None:
        send, lang = preferences.decide(db, int(account_id), template, channel, lang)
    full, masked = _contexts(data)
    if send:
        subject, text = _texts(db, data, channel, lang, full)
        from smartgov.notifications.sinks import get_email_sender, get_sms_gateway

        if channel == "email":
            get_email_sender(get_settings()).send(to=data["to"], subject=subject, body=text,
                                                  message_id=f"outbox-{outbox_id}")
        else:
            get_sms_gateway(get_settings()).send(to=data["to"], text=text, message_id=f"outbox-{outbox_id}")
    if account_id is not None:
        subject, text = _texts(db, data, channel, lang, masked)
        inbox.keep(db, account_id=int(account_id), outbox_id=outbox_id, channel=channel, template=key, lang=lang,
                   subject=subject, body=text, link=_link(masked), sent=send)


def _deliver_email(db: Session, evt: events.Event, outbox_id: int) -> None:
    deliver(db, evt, outbox_id, "email")


def _deliver_sms(db: Session, evt: events.Event, outbox_id: int) -> None:
    deliver(db, evt, outbox_id, "sms")


events.subscribe_async(EMAIL_REQUESTED, "notifications.email", _deliver_email)
events.subscribe_async(SMS_REQUESTED, "notifications.sms", _deliver_sms)
