"""What a signed document says, built without a session: used by ``documents`` (the unit of work)
and by the submission plan (``pipeline``), whose group writer signs a case decided at once.

Nothing here reads the database or holds a key: the caller passes the agency, the applicant and
the business as read, and signs ``canonical(payload)`` with the agency's key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from smartgov.settings import public_url

from .definitions import ServiceDefinition
from .events import DOCUMENT_ISSUED
from .workflow import Workflow

ISSUED = DOCUMENT_ISSUED  # declared in ``events``: publish and the group writer's rows refuse undeclared names
ISSUED_TEMPLATE = "services.document_issued"


@dataclass(frozen=True)
class Party:
    """An agency or a business as a document names it."""

    code: str
    name_fa: str
    name_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name_fa": self.name_fa, "name_en": self.name_en}


@dataclass(frozen=True)
class Holder:
    """The applicant as a document names them (``name_*``: the person's name, else the username)."""

    national_code: str | None
    name_fa: str
    name_en: str


def canonical(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def verify_url(document_id: str) -> str:
    return public_url(f"/verify/{document_id}")


def payload_of(case: Any, defn: ServiceDefinition, *, document_id: str, key_id: str, reason: str | None,
               issued: dt.datetime, agency: Party, holder: Holder, business: Party | None,
               fields: list[dict[str, str]]) -> dict[str, Any]:
    """The signed fields: who, what, which outcome, when, plus ``fields`` a domain module adds
    (``case``: the case after its step, an ``Application`` or the plan's ``CaseRow``)."""
    state = Workflow.from_definition(defn).state(case.state)
    output = defn.output
    assert output is not None
    return {
        "document_id": document_id,
        "key_id": key_id,
        "template": output.template,
        "title_fa": output.title_fa,
        "title_en": output.title_en,
        "reference": case.reference,
        "service": {"id": defn.id, "version": defn.version, "title_fa": defn.title_fa, "title_en": defn.title_en},
        "agency": agency.as_dict(),
        "applicant": {"national_code": holder.national_code, "name_fa": holder.name_fa, "name_en": holder.name_en},
        "organization": business.as_dict() if business else None,
        "outcome": {"state": state.id, "label_fa": state.label_fa, "label_en": state.label_en},
        "reason": reason,
        "issued_at": issued.replace(microsecond=0).isoformat(),
        "fields": fields,
        "verify_url": verify_url(document_id),
    }


def issued_event_data(payload: dict[str, Any]) -> dict[str, Any]:
    """What ``ISSUED`` says beside the case's common part."""
    return {"document_id": payload["document_id"], "key_id": payload["key_id"], "template": payload["template"],
            "outcome": payload["outcome"]["state"], "payload_sha256": hashlib.sha256(canonical(payload)).hexdigest()}


def issued_context(payload: dict[str, Any]) -> dict[str, Any]:
    """What the "your document is ready" message says."""
    return {"title_fa": payload["title_fa"], "title_en": payload["title_en"],
            "verify": verify_url(payload["document_id"])}
