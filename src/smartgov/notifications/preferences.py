"""A person's choices: which kinds of message, on which channels, in which language.

Read by the worker for every message addressed to an account (``service.deliver``): a channel the
person turned off is not used, a mandatory kind (a security code, a password reset) always is.
The in-app copy is always kept: the notification centre is where a person finds what they chose
not to receive elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import LANGUAGES, N_
from smartgov.notifications.events import PREFERENCES_SAVED
from smartgov.notifications.models import Preference, Profile
from smartgov.notifications.wording import TEMPLATES, MessageTemplate


@dataclass(frozen=True)
class Choice:
    """One kind of message as a person sees it on their preferences page."""

    key: str
    template: MessageTemplate
    email: bool
    sms: bool


def decide(db: Session, account_id: int, template: MessageTemplate | None, channel: str,
           queued_lang: str) -> tuple[bool, str]:
    """(send on ``channel``?, language) for one message to ``account_id``."""
    profile = db.get(Profile, account_id)
    lang = profile.language if profile is not None else queued_lang
    if template is None or template.mandatory:
        return True, lang
    row = db.scalar(select(Preference).where(Preference.account_id == account_id,
                                             Preference.template == template.key))
    if row is None:
        return True, lang
    return (row.email if channel == "email" else row.sms), lang


def choices(db: Session, account_id: int) -> tuple[list[Choice], list[MessageTemplate], str | None]:
    """The kinds a person may turn off (with their choice), the mandatory kinds, their message language."""
    rows = {p.template: p for p in db.scalars(select(Preference).where(Preference.account_id == account_id))}
    optional, mandatory = [], []
    for key in sorted(TEMPLATES):
        template = TEMPLATES[key]
        if template.mandatory:
            mandatory.append(template)
            continue
        row = rows.get(key)
        optional.append(Choice(key, template, row.email if row else True, row.sms if row else True))
    profile = db.get(Profile, account_id)
    return optional, mandatory, profile.language if profile else None


def save(db: Session, account_id: int, *, language: str, channels: Mapping[str, tuple[bool, bool]]) -> None:
    """Store a person's choices: ``channels[key] = (email, sms)`` for every kind they may turn off.

    Kinds not named keep every channel; a mandatory kind named is refused (it cannot be turned off).
    """
    problems: list[DomainError] = []
    if language not in LANGUAGES:
        problems.append(DomainError("invalid_language", N_("Choose Persian or English."), field="language"))
    for key in channels:
        template = TEMPLATES.get(key)
        if template is None:
            problems.append(DomainError("unknown_message", N_("There is no such kind of message."), field=key))
        elif template.mandatory:
            problems.append(DomainError("mandatory_message", N_("This message is always sent: it cannot be turned "
                                                                "off."), field=key))
    if problems:
        raise ValidationFailed(problems)
    existing = {p.template: p for p in db.scalars(select(Preference).where(Preference.account_id == account_id))}
    for key in sorted(TEMPLATES):
        if TEMPLATES[key].mandatory:
            continue
        email, sms = channels.get(key, (True, True))
        row = existing.get(key)
        if row is None:
            if email and sms:
                continue
            db.add(Preference(account_id=account_id, template=key, email=email, sms=sms))
        else:
            row.email, row.sms = email, sms
    profile = db.get(Profile, account_id)
    if profile is None:
        db.add(Profile(account_id=account_id, language=language, updated_at=clock.now()))
    else:
        profile.language, profile.updated_at = language, clock.now()
    off = {key: [c for c, on in zip(("email", "sms"), value, strict=True) if not on]
           for key, value in channels.items() if not all(value)}
    events.publish(db, PREFERENCES_SAVED, actor_id=account_id, account_id=account_id, language=language, off=off)
