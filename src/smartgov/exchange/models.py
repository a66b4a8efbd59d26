"""Tables of the exchange module: member registry, keys, data services, access rights,
the message log with replay protection, and the per-person access log ("who read my data")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartgov.db import Base


class ExchangeMember(Base):
    """A member of the exchange (X-Road: instance / member class / member code), e.g. IR/GOV/sso.

    ``server_url`` is where a member hosted by another smartgov instance receives messages;
    ``None`` means the member is hosted here (its subsystems hold private keys).
    """

    __tablename__ = "exchange_member"
    __table_args__ = (UniqueConstraint("instance", "member_class", "member_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance: Mapped[str] = mapped_column(String(40))
    member_class: Mapped[str] = mapped_column(String(10))
    member_code: Mapped[str] = mapped_column(String(40))
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    organization_code: Mapped[str | None] = mapped_column(String(40), index=True)  # identity Organization.code
    server_url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]
    #: A deactivated member's subsystems neither call nor answer; its history and keys stay.
    deactivated_at: Mapped[dt.datetime | None]

    subsystems: Mapped[list[ExchangeSubsystem]] = relationship(
        back_populates="member", order_by="ExchangeSubsystem.code", lazy="selectin"
    )

    @property
    def address(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member_code}"

    @property
    def is_local(self) -> bool:
        return self.server_url is None

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    def name(self, lang: str) -> str:
        return self.name_fa if lang == "fa" else self.name_en


class ExchangeSubsystem(Base):
    """A system of a member that sends and/or answers messages; it signs with its own keys."""

    __tablename__ = "exchange_subsystem"
    __table_args__ = (UniqueConstraint("member_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("exchange_member.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime]
    deactivated_at: Mapped[dt.datetime | None]

    member: Mapped[ExchangeMember] = relationship(back_populates="subsystems", lazy="joined")
    keys: Mapped[list[ExchangeKey]] = relationship(order_by="ExchangeKey.id", lazy="select")

    @property
    def address(self) -> str:
        return f"{self.member.address}/{self.code}"

    @property
    def is_active(self) -> bool:
        """Neither it nor its member is deactivated."""
        return self.deactivated_at is None and self.member.deactivated_at is None


class ExchangeKey(Base):
    """An Ed25519 key of a subsystem. Rotation retires a key (its private half is destroyed)
    but keeps the public half, so messages it signed before retirement still verify."""

    __tablename__ = "exchange_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    subsystem_id: Mapped[int] = mapped_column(ForeignKey("exchange_subsystem.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # AES-GCM under the secret key
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]


class ExchangePurpose(Base):
    """A purpose a client may state for a request (e.g. ``pension-claim``), with fa/en labels."""

    __tablename__ = "exchange_purpose"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    label_fa: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))

    def label(self, lang: str) -> str:
        return self.label_fa if lang == "fa" else self.label_en


class ExchangeService(Base):
    """A data service offered by a subsystem, with the JSON schema its responses follow."""

    __tablename__ = "exchange_service"
    __table_args__ = (UniqueConstraint("subsystem_id", "code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subsystem_id: Mapped[int] = mapped_column(ForeignKey("exchange_subsystem.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[str] = mapped_column(String(10))
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    response_schema: Mapped[dict[str, Any]]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]

    subsystem: Mapped[ExchangeSubsystem] = relationship(lazy="joined")

    @property
    def address(self) -> str:
        return f"{self.subsystem.address}/{self.code}/{self.version}"

    def name(self, lang: str) -> str:
        return self.name_fa if lang == "fa" else self.name_en


class ExchangeAccessRight(Base):
    """Client subsystem may call service, for the listed purposes, on a legal basis, between dates."""

    __tablename__ = "exchange_access_right"
    __table_args__ = (Index("ix_exchange_access_right_pair", "client_subsystem_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_subsystem_id: Mapped[int] = mapped_column(ForeignKey("exchange_subsystem.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("exchange_service.id", ondelete="CASCADE"), index=True)
    legal_basis_fa: Mapped[str] = mapped_column(Text)
    legal_basis_en: Mapped[str] = mapped_column(Text)
    purposes: Mapped[list[Any]]  # purpose codes
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    client: Mapped[ExchangeSubsystem] = relationship(lazy="joined")
    service: Mapped[ExchangeService] = relationship(lazy="joined")

    def legal_basis(self, lang: str) -> str:
        return self.legal_basis_fa if lang == "fa" else self.legal_basis_en


class ExchangeSeenMessage(Base):
    """Message ids already accepted; the unique key refuses a replay even under concurrency."""

    __tablename__ = "exchange_seen_message"

    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class ExchangeMessage(Base):
    """The message log: every request and response sent or received, accepted or refused."""

    __tablename__ = "exchange_message"
    __table_args__ = (
        Index("ix_exchange_message_service_at", "service_code", "at"),
        Index("ix_exchange_message_person", "person", "service_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str | None] = mapped_column(String(36), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    kind: Mapped[str] = mapped_column(String(10))  # request | response
    client: Mapped[str | None] = mapped_column(String(200))
    service: Mapped[str | None] = mapped_column(String(200))
    service_code: Mapped[str | None] = mapped_column(String(60))
    purpose: Mapped[str | None] = mapped_column(String(60))
    person: Mapped[str | None] = mapped_column(String(10))  # national code of the person concerned
    outcome: Mapped[str] = mapped_column(String(10))  # served | refused | error | sent | ok
    reason: Mapped[str | None] = mapped_column(String(40))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    envelope_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_message: Mapped[dict[str, Any] | None]  # the message as signed, for later verification
    at: Mapped[dt.datetime]


class PersonDataAccess(Base):
    """One read of a person's data by an agency (exchange call or an official's view).

    Rows are never deleted. ``hidden_until`` keeps confidential investigative access from the
    citizen until that moment; who hid it and why stays visible to auditors.
    """

    __tablename__ = "exchange_person_access"
    __table_args__ = (
        Index("ix_exchange_person_access_person_at", "national_code", "at"),
        # "who read my data" groups a person's reads by these columns in SQL (privacy.GROUP_KEY); the
        # index hands them over in group order (bench/data_access_bench.py: 1.3-2.7x on a person read 20,000 times)
        Index("ix_exchange_person_access_person_group", "national_code", "source", "agency_code", "actor_account_id",
              "what", "purpose", "at", "hidden_until", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    national_code: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(20))  # exchange | view
    agency_code: Mapped[str | None] = mapped_column(String(40))
    actor_account_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str | None] = mapped_column(String(200))
    what: Mapped[str] = mapped_column(String(200))
    what_fa: Mapped[str | None] = mapped_column(String(200))  # what a citizen reads it as, when given
    what_en: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(36))
    hidden_until: Mapped[dt.datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by: Mapped[int | None] = mapped_column(Integer)


class AccessFlag(Base):
    """A citizen's objection to one access: a case in the data-protection officer's queue."""

    __tablename__ = "exchange_access_flag"
    __table_args__ = (UniqueConstraint("access_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    access_id: Mapped[int] = mapped_column(ForeignKey("exchange_person_access.id"), index=True)
    account_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | resolved
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]

    access: Mapped[PersonDataAccess] = relationship(lazy="joined")
