"""Demo data of the operations centre: the municipality's sensors of every kind, in its districts,
with a PM2.5 rule (US EPA "unhealthy" band) that dispatches work. Idempotent (entities by id)."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import demo, identity
from smartgov.errors import NotFound

from . import context, rules
from .mapdraw import districts
from .models import Entity, Rule
from .ngsi import check_entity
from .simulate import KINDS


def load(db: Session, rng: random.Random, _people: int) -> None:
    try:
        org_id = identity.organization_by_code(db, "thr-city").id
        author = identity.account_view_by_username(db, "admin")
    except NotFound:
        return
    for n, feature in enumerate(districts()):
        ring = feature["geometry"]["coordinates"][0]
        lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        for k, (kind, measures) in enumerate(KINDS):
            entity_id = f"urn:ngsi-ld:{kind}:{feature['properties']['code']}"
            if db.scalar(select(Entity.id).where(Entity.entity_id == entity_id)) is not None:
                continue
            context.create(db, org_id, check_entity({
                "id": entity_id, "type": kind,
                "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [
                    round(lon + 0.012 * ((k % 3) - 1) + rng.uniform(-0.003, 0.003), 5),
                    round(lat + 0.01 * ((k // 3) - 0.5), 5)]}},
                **{a: {"type": "Property", "value": round(base + rng.uniform(-noise, noise), 3), "unitCode": unit}
                   for a, unit, base, _swing, noise, _i in measures.values()}}), None)
        del n
    if author is not None and db.scalar(select(Rule.id).where(Rule.organization_id == org_id)) is None:
        rules.create_rule(db, org_id, author.id, name="PM2.5 unhealthy", entity_type="AirQualityObserved",
                          attribute="pm25", kind="threshold", condition="value > 55.4", severity=3,
                          escalate_minutes=15, dispatch=True)


demo.register("operations", load, order=90)
