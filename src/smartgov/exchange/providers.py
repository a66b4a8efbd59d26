"""Providers: the code that answers a data service, registered by the module that owns the data.

``register_provider("contribution-history", fn)`` where ``fn(db, national_code, params) -> dict``
returns the response body (checked against the service's JSON schema before it is signed).
Raise ``smartgov.errors.NotFound`` when the person is unknown. The registry is per process;
the exchange registry (database) says which subsystem offers which service code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from smartgov.errors import NotFound

Provider = Callable[[Session, str, dict[str, Any]], dict[str, Any]]

_providers: dict[str, Provider] = {}


def register_provider(service_code: str, fn: Provider) -> None:
    """Answer ``service_code`` with ``fn(db, person_national_code, params) -> dict`` (replaces any earlier one)."""
    _providers[service_code] = fn


def provider_for(service_code: str) -> Provider | None:
    return _providers.get(service_code)


def registered_codes() -> list[str]:
    return sorted(_providers)


# --------------------------------------------------------------------------- response schemas

PERSON_STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["national_code", "status", "first_name_fa", "last_name_fa", "first_name_en", "last_name_en",
                 "birth_date"],
    "properties": {
        "national_code": {"type": "string", "pattern": "^[0-9]{10}$"},
        "status": {"type": "string", "enum": ["registered"]},
        "first_name_fa": {"type": "string"}, "last_name_fa": {"type": "string"},
        "first_name_en": {"type": "string"}, "last_name_en": {"type": "string"},
        "birth_date": {"type": "string", "format": "date"},
        "gender": {"type": ["string", "null"], "enum": ["f", "m", None]},
        "province": {"type": ["string", "null"]},
    },
    "additionalProperties": False,
}

PERSON_MOBILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["national_code", "mobile"],
    "properties": {
        "national_code": {"type": "string", "pattern": "^[0-9]{10}$"},
        "mobile": {"type": ["string", "null"], "pattern": "^09[0-9]{9}$"},
    },
    "additionalProperties": False,
}

CONTRIBUTION_HISTORY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["national_code", "total_days", "records"],
    "properties": {
        "national_code": {"type": "string", "pattern": "^[0-9]{10}$"},
        "total_days": {"type": "integer", "minimum": 0},
        "records": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["year", "month", "days", "wage_rial"],
                "properties": {
                    "employer_code": {"type": ["string", "null"]},
                    "year": {"type": "integer", "minimum": 1300, "maximum": 2200},
                    "month": {"type": "integer", "minimum": 1, "maximum": 12},
                    "days": {"type": "integer", "minimum": 0, "maximum": 31},
                    "wage_rial": {"type": "integer", "minimum": 0},
                },
            },
        },
    },
}

INCOME_RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["national_code", "year", "annual_income_rial"],
    "properties": {
        "national_code": {"type": "string", "pattern": "^[0-9]{10}$"},
        "year": {"type": "integer"},
        "annual_income_rial": {"type": "integer", "minimum": 0},
    },
}


# --------------------------------------------------------------------------- built-in providers


def person_status(db: Session, national_code: str, params: dict[str, Any]) -> dict[str, Any]:
    """The civil-registry view of a person, from ``identity`` people."""
    from smartgov.identity import person_by_code

    person = person_by_code(db, national_code)
    if person is None:
        raise NotFound("person", field="person")
    return {
        "national_code": person.national_code, "status": "registered",
        "first_name_fa": person.first_name_fa, "last_name_fa": person.last_name_fa,
        "first_name_en": person.first_name_en, "last_name_en": person.last_name_en,
        "birth_date": person.birth_date.isoformat(), "gender": person.gender, "province": person.province,
    }


def person_mobile(db: Session, national_code: str, params: dict[str, Any]) -> dict[str, Any]:
    """The mobile number the civil registry holds for a person (``null`` if none): where a sign-up's
    proof code goes. A service of its own, so that reading names does not also give phone numbers."""
    from smartgov.identity import nationalcode, registry_mobile

    return {"national_code": nationalcode.normalize(national_code), "mobile": registry_mobile(db, national_code)}


register_provider("person-status", person_status)
register_provider("person-mobile", person_mobile)
