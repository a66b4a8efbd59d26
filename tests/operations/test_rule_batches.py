"""Rules evaluated per batch say what the per-reading evaluation said: the same readings fire, and the
alert ends the same (count, last value, last instant).

The reference is the evaluation the batch replaced: each new reading in time order, its names
looked up one by one (``rules.variables``: ``previous`` and ``rate`` from the stored readings), the
condition evaluated by the expression language. Series are hand-made (values on a literal's edge:
``0.1`` read as 1/10, ``-0``, equal neighbours) and random (seeded), on conditions with a float fast
path and without (``previous``, ``rate``, ``entity.*``, arithmetic).
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from smartgov import clock
from smartgov.identity.models import Role
from smartgov.operations import readings, rules
from smartgov.operations.models import Alert, Entity
from smartgov.operations.readings import Observation
from smartgov.services import ExpressionError
from tests.factories import create_account, create_agency

CONDITIONS = [
    "value > 50",
    "value >= 0.1",
    "value == 0.1 or value < -2.5",
    "not (value <= 7) and value != 12.25",
    "50 < value",
    "value > 1/10",  # arithmetic: no fast path, exact per distinct value
    "value > previous",
    "rate > 2 or rate < -2",
    "previous != null and value - previous >= 10",
    "value > entity.limit",
]
EDGES = [0.1, 0.1, 50.0, 50, -0.0, 0.0, 7.0, 12.25, -2.5, 49.99999999999999, 50.00000000000001, 1e-30, 0.30000000000000004]
START = dt.datetime(2031, 5, 1, tzinfo=dt.UTC)


def _reference(db, rule, fresh):  # type: ignore[no-untyped-def]
    """(entity pk, instant, value) of each reading the per-reading evaluation fired on, in its order."""
    out = []
    expr = rules.compiled(rule.condition)
    for o in sorted(fresh, key=lambda x: x.observed_at):
        if o.value is None or o.entity.type != rule.entity_type or o.attribute != rule.attribute:
            continue
        try:
            hit = expr.evaluate_bool(rules.variables(db, rule, o))
        except ExpressionError:
            hit = False
        if hit:
            out.append((o.entity.id, o.observed_at, o.value))
    return out


def _series(rng: random.Random, n: int) -> list[float]:
    pool = [*EDGES, *(round(rng.uniform(-20, 80), rng.choice((0, 1, 2, 6))) for _ in range(n))]
    return [rng.choice(pool) for _ in range(n)]


@pytest.mark.parametrize("seed", range(4))
def test_batch_evaluation_fires_as_the_per_reading_evaluation_did(db, seed) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    org = create_agency(db, f"agency-rb{seed}")
    author = create_account(db, f"rb-author{seed}", Role.OFFICIAL, organization=f"agency-rb{seed}")
    now = clock.now()
    entities = []
    for i in range(3):
        entity = Entity(organization_id=org.id, entity_id=f"urn:ngsi-ld:Gauge:{seed}-{i}", type="Gauge",
                        attrs={"limit": {"type": "Property", "value": rng.choice((10, 30.5, 60))}},
                        created_at=now, modified_at=now)
        db.add(entity)
        entities.append(entity)
    db.flush()
    found = [rules.create_rule(db, org.id, author.id, name=f"r{k}", entity_type="Gauge", attribute="level",
                               kind="threshold", condition=c, open_incident=False)
             for k, c in enumerate(CONDITIONS)]
    # Two batches: the second's first readings have a previous stored by the first; one reading of
    # the second arrives late (before readings already stored), and text readings are skipped.
    stored: list[Observation] = []
    last: dict[tuple[int, int], float] = {}  # (rule, entity) -> the value the alert keeps
    counts: dict[tuple[int, int], int] = {}  # (rule, entity) -> readings that fired, batch after batch
    for batch in range(2):
        observations = []
        for entity in entities:
            values = _series(rng, rng.randint(1, 25))
            for n, value in enumerate(values):
                at = START + dt.timedelta(minutes=batch * 100 + n * rng.choice((1, 2)), seconds=rng.randint(0, 59))
                observations.append(Observation(entity, "level", at, value))
            if batch == 1:
                observations.append(Observation(entity, "level", START + dt.timedelta(minutes=3, seconds=30), 55.5))
                observations.append(Observation(entity, "level", START + dt.timedelta(minutes=300), None, "offline"))
        fresh = readings.store(db, observations)
        expected = {rule.id: _reference(db, rule, fresh) for rule in found}
        fired = rules.evaluate(db, fresh)
        assert fired == sum(len(v) for v in expected.values())
        for rule_id, hits in expected.items():
            for pk, _at, value in hits:
                last[(rule_id, pk)] = value
                counts[(rule_id, pk)] = counts.get((rule_id, pk), 0) + 1
        stored += fresh
    assert 0 < sum(counts.values()) < len([o for o in stored if o.value is not None]) * len(found), \
        "both outcomes occur"
    for rule in found:
        for entity in entities:
            alert = db.scalar(select(Alert).where(Alert.rule_id == rule.id, Alert.entity_pk == entity.id))
            if (rule.id, entity.id) not in counts:
                assert alert is None, rule.condition
                continue
            assert alert is not None, rule.condition
            assert alert.count == counts[(rule.id, entity.id)], rule.condition
            assert alert.value == last[(rule.id, entity.id)], rule.condition


def test_the_fast_test_is_the_language_on_every_edge() -> None:
    """Float comparisons agree with the exact language on literals' neighbours, or defer to it."""
    for source in CONDITIONS[:5]:
        expr = rules.compiled(source)
        fast = rules.fast_condition(expr)
        assert fast is not None, source
        test, edges = fast
        for value in [*EDGES, 0.09999999999999999, 0.10000000000000002, 1e300, -1e300, 5e-324]:
            exact = expr.evaluate_bool({"value": value})
            assert (exact if value in edges else test(value)) == exact, (source, value)
    for source in CONDITIONS[5:]:
        assert rules.fast_condition(rules.compiled(source)) is None, source
