"""Factories for the operations tests: an agency with an operator and a token, entities from the
NGSI-LD specification's examples, devices."""

from __future__ import annotations

from typing import Any

from smartgov.identity.models import Role
from tests.factories import api_token, auth, create_account, create_agency

LD = {"Content-Type": "application/ld+json"}
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"


def operator(client: Any, db: Any, *, agency: str = "thr-city", username: str = "operator1",
             scopes: list[str] | None = None) -> dict[str, str]:
    """An official of ``agency`` (created if new) and the headers of their bearer token."""
    from sqlalchemy import select

    from smartgov.identity.models import Organization

    if db.scalar(select(Organization).where(Organization.code == agency)) is None:
        create_agency(db, agency)
    account = create_account(db, username, Role.OFFICIAL, organization=agency)
    db.commit()
    return auth(api_token(client, account, scopes=scopes))


def vehicle(n: int = 4567, **extra: Any) -> dict[str, Any]:
    """The specification's Vehicle example (normalized form)."""
    return {
        "id": f"urn:ngsi-ld:Vehicle:A{n}", "type": "Vehicle",
        "brandName": {"type": "Property", "value": "Mercedes"},
        "speed": {"type": "Property", "value": 80, "observedAt": "2024-03-01T12:00:00Z", "unitCode": "KMH",
                  "source": {"type": "Property", "value": "Speedometer"}},
        "isParked": {"type": "Relationship", "object": "urn:ngsi-ld:OffStreetParking:Downtown1",
                     "observedAt": "2024-03-01T12:00:00Z"},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [51.389, 35.689]}},
        **extra,
    }


def station(n: int, lon: float, lat: float, pm25: float = 12.0) -> dict[str, Any]:
    return {"id": f"urn:ngsi-ld:AirQualityObserved:{n}", "type": "AirQualityObserved",
            "pm25": {"type": "Property", "value": pm25, "unitCode": "GQ"},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}}


def provision(client: Any, headers: dict[str, str], code: str, entity: str,
              mapping: dict[str, Any] | None = None) -> str:
    """A device feeding ``entity``; returns its key."""
    r = client.post("/api/v1/operations/devices", headers=headers,
                    json={"code": code, "entity": entity, "mapping": mapping or {"pm25": {"attribute": "pm25"}}})
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


def work_order_setup(db: Any) -> None:
    """The work-order service stored (its agency, thr-city, must exist)."""
    from smartgov.services import sync_bundled_definitions

    sync_bundled_definitions(db)
    db.commit()
