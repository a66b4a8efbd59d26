"""The exchange envelope: its shape, canonical form and Ed25519 signature (pure, no database).

A signed message is a JSON object ``{"envelope": {...}, "signature": {...}}``::

    {
      "envelope": {
        "protocol": "smartgov-exchange/1",
        "kind": "request",                       # or "response"
        "message_id": "9f0c…",                   # UUID, never reused (replays are refused)
        "in_reply_to": null,                     # a response names its request's message_id
        "client":  {"instance": "IR", "member_class": "GOV", "member_code": "sso",
                    "subsystem_code": "pension"},
        "service": {"instance": "IR", "member_class": "GOV", "member_code": "nocr",
                    "subsystem_code": "registry", "service_code": "person-status",
                    "service_version": "v1"},
        "purpose": "pension-claim",              # one of the purposes the access right allows
        "person": "0012345679",                  # national code of the person concerned
        "issued_at": "2026-11-22T03:20:00.000Z", # UTC; refused if too far in the future
        "expires_at": "2026-11-22T03:25:00.000Z",# refused after this
        "body": {...}                            # request parameters / response data
      },
      "signature": {"algorithm": "Ed25519", "key_id": "…", "value": "<base64url>"}
    }

The signature covers the canonical form of ``envelope``: JSON with sorted keys, no
whitespace (``","`` and ``":"`` separators), non-ASCII kept as UTF-8, encoded as UTF-8.
Requests are signed by the client subsystem's key, responses by the provider's.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

PROTOCOL: Literal["smartgov-exchange/1"] = "smartgov-exchange/1"
ALGORITHM: Literal["Ed25519"] = "Ed25519"


class ClientAddress(BaseModel):
    """instance / member class / member code / subsystem code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance: str = Field(min_length=1, max_length=40)
    member_class: str = Field(min_length=1, max_length=10)
    member_code: str = Field(min_length=1, max_length=40)
    subsystem_code: str = Field(min_length=1, max_length=60)

    def __str__(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member_code}/{self.subsystem_code}"

    @classmethod
    def parse(cls, text: str) -> ClientAddress:
        parts = text.strip().split("/")
        if len(parts) != 4 or not all(parts):
            raise ValueError(f"expected INSTANCE/CLASS/MEMBER/SUBSYSTEM, got {text!r}")
        return cls(instance=parts[0], member_class=parts[1], member_code=parts[2], subsystem_code=parts[3])


class ServiceAddress(ClientAddress):
    """A subsystem address plus the service code and version."""

    service_code: str = Field(min_length=1, max_length=60)
    service_version: str = Field(min_length=1, max_length=10)

    def __str__(self) -> str:
        return f"{super().__str__()}/{self.service_code}/{self.service_version}"

    @property
    def provider(self) -> ClientAddress:
        return ClientAddress(instance=self.instance, member_class=self.member_class, member_code=self.member_code,
                             subsystem_code=self.subsystem_code)


class Envelope(BaseModel):
    """What is signed. Unknown fields are refused so nothing unsigned can ride along."""

    model_config = ConfigDict(extra="forbid")

    protocol: Literal["smartgov-exchange/1"] = PROTOCOL
    kind: Literal["request", "response"]
    message_id: uuid.UUID
    in_reply_to: uuid.UUID | None = None
    client: ClientAddress
    service: ServiceAddress
    purpose: str = Field(min_length=1, max_length=60)
    person: str = Field(min_length=1, max_length=20)
    issued_at: dt.datetime
    expires_at: dt.datetime
    body: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["message_id"] = str(self.message_id)
        data["in_reply_to"] = str(self.in_reply_to) if self.in_reply_to else None
        data["issued_at"] = format_time(self.issued_at)
        data["expires_at"] = format_time(self.expires_at)
        return data


class Signature(BaseModel):
    model_config = ConfigDict(extra="forbid")

    algorithm: Literal["Ed25519"] = ALGORITHM
    key_id: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=200)


class SignedMessage(BaseModel):
    """The wire format: the envelope exactly as signed, and the signature."""

    model_config = ConfigDict(extra="forbid")

    envelope: dict[str, Any]
    signature: Signature


def format_time(value: dt.datetime) -> str:
    """UTC with milliseconds and a ``Z``: one spelling, so signatures are reproducible."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical(envelope: dict[str, Any]) -> bytes:
    """Sorted-key compact JSON in UTF-8: the exact bytes that are signed."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def digest(envelope: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(envelope)).hexdigest()


def key_id(public_key: bytes) -> str:
    """A key's id: the first 16 bytes of SHA-256 of the raw public key, hex."""
    return hashlib.sha256(public_key).hexdigest()[:32]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_keypair() -> tuple[bytes, bytes]:
    """(raw private key, raw public key), 32 bytes each."""
    from cryptography.hazmat.primitives import serialization

    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw, public


def sign(envelope: Envelope, private_key: bytes, kid: str) -> dict[str, Any]:
    """The signed message (wire format) for ``envelope``."""
    data = envelope.to_json()
    value = Ed25519PrivateKey.from_private_bytes(private_key).sign(canonical(data))
    return {"envelope": data, "signature": {"algorithm": ALGORITHM, "key_id": kid, "value": b64(value)}}


def verify(message: SignedMessage, public_key: bytes) -> bool:
    """True if the signature over the canonical envelope checks with ``public_key``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(unb64(message.signature.value),
                                                              canonical(message.envelope))
    except (InvalidSignature, ValueError):
        return False
    return True
