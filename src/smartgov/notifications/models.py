"""Tables of the notifications module: template versions, in-app messages, people's preferences.

Delivery itself is the kernel's outbox (``kernel_outbox``: status, attempts, last error, next try);
these tables add only what the outbox does not know: the wording admins chose, what a person's
inbox holds (and whether a channel was skipped at their request), and what each person wants.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base

#: The six texts of a template, as stored and edited (``sms_*`` is what an SMS says).
TEXT_FIELDS: tuple[str, ...] = ("email_subject_fa", "email_subject_en", "email_body_fa", "email_body_en",
                                "sms_fa", "sms_en")


class TemplateVersion(Base):
    """One saved wording of a message kind; the highest version is in force unless it is a reset."""

    __tablename__ = "notifications_template"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    #: True: this version returns to the wording registered in code (the texts are then empty).
    reset: Mapped[bool] = mapped_column(Boolean, default=False)
    email_subject_fa: Mapped[str] = mapped_column(Text, default="")
    email_subject_en: Mapped[str] = mapped_column(Text, default="")
    email_body_fa: Mapped[str] = mapped_column(Text, default="")
    email_body_en: Mapped[str] = mapped_column(Text, default="")
    sms_fa: Mapped[str] = mapped_column(Text, default="")
    sms_en: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id"))
    created_at: Mapped[dt.datetime]


class InboxMessage(Base):
    """A message the platform sent (or was asked to send) to an account: its in-app copy.

    Written by the worker when it handles the outbox row ``outbox_id`` (unique: redelivery adds
    nothing). Secrets (codes, reset links) are never stored here: the text has them masked.
    """

    __tablename__ = "notifications_message"
    __table_args__ = (Index("ix_notifications_message_inbox", "account_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    template: Mapped[str | None] = mapped_column(String(100))
    lang: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))  # a path on this platform: the message's subject
    #: False when the person turned this channel off for this kind of message: kept here, not sent.
    sent: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None]


class Preference(Base):
    """Which channels an account wants for one kind of message (absent: every channel)."""

    __tablename__ = "notifications_preference"
    __table_args__ = (UniqueConstraint("account_id", "template"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"), index=True)
    template: Mapped[str] = mapped_column(String(100))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    sms: Mapped[bool] = mapped_column(Boolean, default=True)


class Profile(Base):
    """An account's language for messages (absent: the account's own language at queuing)."""

    __tablename__ = "notifications_profile"

    account_id: Mapped[int] = mapped_column(ForeignKey("identity_account.id", ondelete="CASCADE"),
                                            primary_key=True)
    language: Mapped[str] = mapped_column(String(2))
    updated_at: Mapped[dt.datetime]
