"""Alert rules: thresholds, rates of change and silence, in the platform's safe expression language.

A rule watches one attribute of the entities of one type in its agency. Its condition is an
expression (``services.parse_expression``: no code runs) over these names:

* ``value`` — the new reading; ``previous`` — the reading before it (null if none);
* ``rate`` — change per minute since ``previous`` (null if none);
* ``entity.<attr>`` — the entity's other attributes' latest values (combinations);
* ``window.avg|min|max|count`` — the attribute over the last hour, from the per-minute rollups;
* ``related.<attr>`` — the latest values of the entity a Relationship ``refEntity`` points at.

A ``silence`` rule has no condition: it fires when an entity has had no reading of the attribute
for ``silence_minutes`` (checked by the worker, ``check_silence``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_
from smartgov.services import Expression, ExpressionError, parse_expression

from . import alerts
from .events import RULE_CHANGED
from .models import Entity, Reading, Rollup, Rule
from .readings import Observation, Target

KINDS = ("threshold", "rate", "silence")
ROOTS = ("value", "previous", "rate", "entity", "window", "related")
SEVERITIES = {1: N_("Information"), 2: N_("Warning"), 3: N_("Critical")}


@lru_cache(maxsize=512)
def compiled(source: str) -> Expression:
    """Parse once per process; rules are evaluated on every reading."""
    return parse_expression(source)


def check(kind: str, condition: str, silence_minutes: int | None, severity: int) -> None:
    """Refuse a rule that could never work, with a localized message naming the field."""
    problems: list[DomainError] = []
    if kind not in KINDS:
        problems.append(DomainError("invalid", N_("Choose threshold, rate of change or silence."), field="kind"))
    if severity not in SEVERITIES:
        problems.append(DomainError("invalid", N_("Severity is 1, 2 or 3."), field="severity"))
    if kind == "silence":
        if silence_minutes is None or not 1 <= silence_minutes <= 10080:
            problems.append(DomainError("invalid", N_("Say after how many minutes (1 to 10080) of silence."),
                                        field="silence_minutes"))
    elif kind in KINDS:
        try:
            expr = compiled(condition.strip())
        except ExpressionError as exc:
            problems.append(DomainError(exc.code, exc.message, field="condition", **exc.params))
        else:
            unknown = sorted(expr.roots() - set(ROOTS))
            if unknown:
                problems.append(DomainError("unknown_name", N_("The condition may read only {names}."),
                                            field="condition", names=", ".join(ROOTS)))
    if problems:
        raise ValidationFailed(problems)


def create_rule(db: Session, org_id: int, actor_id: int, *, name: str, entity_type: str, attribute: str,
                kind: str, condition: str = "", silence_minutes: int | None = None, severity: int = 2,
                escalate_minutes: int | None = None, open_incident: bool = True, dispatch: bool = False,
                notify_phone: str | None = None, notify_email: str | None = None) -> Rule:
    """A new active rule of agency ``org_id``; work orders it dispatches are filed for ``actor_id``."""
    check(kind, condition, silence_minutes, severity)
    rule = Rule(organization_id=org_id, name=name, entity_type=entity_type, attribute=attribute, kind=kind,
                condition=condition.strip(), silence_minutes=silence_minutes, severity=severity,
                escalate_minutes=escalate_minutes, open_incident=open_incident, dispatch=dispatch,
                notify_phone=notify_phone, notify_email=notify_email, created_by=actor_id, active=True,
                created_at=clock.now())
    db.add(rule)
    db.flush()
    events.publish(db, RULE_CHANGED, actor_id=actor_id, rule_id=rule.id, organization_id=org_id, action="created",
                   kind=kind, condition=rule.condition)
    return rule


def set_active(db: Session, rule: Rule, active: bool, actor_id: int) -> None:
    """Switch a rule on or off (its open alerts stay until acknowledged or resolved)."""
    rule.active = active
    events.publish(db, RULE_CHANGED, actor_id=actor_id, rule_id=rule.id, organization_id=rule.organization_id,
                   action="activated" if active else "deactivated", kind=rule.kind, condition=rule.condition)


def _previous(db: Session, o: Observation) -> tuple[float | None, dt.datetime | None]:
    row = db.execute(select(Reading.value, Reading.observed_at).where(
        Reading.entity_pk == o.entity.id, Reading.attribute == o.attribute, Reading.observed_at < o.observed_at,
    ).order_by(Reading.observed_at.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (None, None)


def _window(db: Session, o: Observation) -> dict[str, Any]:
    since = int(o.observed_at.timestamp()) - 3600
    row = db.execute(select(func.sum(Rollup.count), func.sum(Rollup.total), func.min(Rollup.minimum),
                            func.max(Rollup.maximum)).where(
        Rollup.entity_pk == o.entity.id, Rollup.attribute == o.attribute, Rollup.period == 60,
        Rollup.bucket >= since)).first()
    count = int(row[0] or 0) if row else 0
    return {"count": count, "avg": (row[1] / count) if count else None, "min": row[2] if count else None,
            "max": row[3] if count else None}


def latest_values(entity: Entity | dict[str, Any]) -> dict[str, Any]:
    """The entity's attributes as plain values, for ``entity.*`` in conditions."""
    attrs = entity.attrs if isinstance(entity, Entity) else entity
    return {k: (a.get("object") if a.get("type") == "Relationship" else a.get("value"))
            for k, a in attrs.items() if isinstance(a, dict)}


def stored_attrs(db: Session, entity: Entity | Target) -> dict[str, Any]:
    """The entity's attributes: the ORM object's, or as stored now (ingest merged the batch's values
    in the database and keeps no attributes in its ``Target``)."""
    if isinstance(entity, Entity):
        return entity.attrs
    return db.scalar(select(Entity.attrs).where(Entity.id == entity.id)) or {}


def _related(db: Session, entity: Entity | Target) -> dict[str, Any]:
    ref = stored_attrs(db, entity).get("refEntity")
    target = db.scalar(select(Entity).where(Entity.entity_id == ref.get("object"))) \
        if isinstance(ref, dict) and ref.get("object") else None
    return latest_values(target) if target is not None and target.organization_id == entity.organization_id else {}


def variables(db: Session, rule: Rule, o: Observation) -> dict[str, Any]:
    """What the condition reads for this reading (only what it names is looked up)."""
    roots = compiled(rule.condition).roots()
    out: dict[str, Any] = {"value": o.value}
    if roots & {"previous", "rate"}:
        previous, at = _previous(db, o)
        out["previous"] = previous
        minutes = (o.observed_at - at).total_seconds() / 60 if at else 0
        out["rate"] = (o.value - previous) / minutes if previous is not None and o.value is not None and minutes \
            else None
    if "entity" in roots:
        out["entity"] = latest_values(stored_attrs(db, o.entity))
    if "window" in roots:
        out["window"] = _window(db, o)
    if "related" in roots:
        out["related"] = _related(db, o.entity)
    return out


def evaluate(db: Session, fresh: Sequence[Observation]) -> int:
    """Run the active threshold and rate rules on newly stored readings; returns how many readings fired.

    Evaluated per batch, not per reading: the readings are grouped per (entity, attribute), each
    group's constant names (``entity``, ``related``) are looked up once and its ``previous`` readings
    in one query, and a condition on ``value`` alone compared with numbers runs as float comparisons
    (a value equal to one of its numbers is evaluated exactly, so the answer is the exact language's).
    Other conditions are evaluated exactly, once per distinct (value, previous, rate) of the group;
    ``window`` moves with each reading, so a rule reading it is still evaluated per reading. Each
    (rule, entity) that held fires once with all its readings: the alert ends as if fired per reading.
    """
    numeric = [o for o in fresh if o.value is not None]
    if not numeric:
        return 0
    keys = {(o.entity.organization_id, o.entity.type, o.attribute) for o in numeric}
    orgs = {k[0] for k in keys}
    found = db.scalars(select(Rule).where(Rule.active.is_(True), Rule.kind.in_(("threshold", "rate")),
                                          Rule.organization_id.in_(orgs)).order_by(Rule.id)).all()
    by_key: dict[tuple[int, str, str], list[Rule]] = {}
    for rule in found:
        by_key.setdefault((rule.organization_id, rule.entity_type, rule.attribute), []).append(rule)
    groups: dict[tuple[int, str], list[Observation]] = {}
    for o in numeric:
        if (o.entity.organization_id, o.entity.type, o.attribute) in by_key:
            groups.setdefault((o.entity.id, o.attribute), []).append(o)
    firings: list[tuple[dt.datetime, int, Rule, Entity | Target, list[tuple[float, dt.datetime]]]] = []
    for series in groups.values():
        series.sort(key=lambda x: x.observed_at)
        entity = series[0].entity
        batch = _Batch(db, entity, series)
        for rule in by_key[(entity.organization_id, entity.type, series[0].attribute)]:
            hits = batch.hits(rule)
            if hits:
                firings.append((hits[0][1], rule.id, rule, entity, hits))
    firings.sort(key=lambda f: (f[0], f[1], f[3].id))
    for _, _, rule, entity, hits in firings:
        alerts.fire_series(db, rule, entity, hits)
    return sum(len(f[4]) for f in firings)


class _Batch:
    """One entity's new readings of one attribute (oldest first) and what their conditions read."""

    def __init__(self, db: Session, entity: Entity | Target, series: list[Observation]) -> None:
        self.db, self.entity, self.series = db, entity, series
        self._constants: dict[str, Any] | None = None
        self._before: list[tuple[float | None, dt.datetime | None]] | None = None

    def constants(self, roots: set[str]) -> dict[str, Any]:
        if self._constants is None:
            self._constants = {"entity": latest_values(stored_attrs(self.db, self.entity))}
            if "related" in roots:
                self._constants["related"] = _related(self.db, self.entity)
        elif "related" in roots and "related" not in self._constants:
            self._constants["related"] = _related(self.db, self.entity)
        return self._constants

    def previous(self) -> list[tuple[float | None, dt.datetime | None]]:
        """Each reading's previous stored reading (value, instant), from one query."""
        if self._before is None:
            first, last = self.series[0], self.series[-1]
            key = (Reading.entity_pk == first.entity.id, Reading.attribute == first.attribute)
            before = select(func.max(Reading.observed_at)).where(*key, Reading.observed_at < first.observed_at)
            rows = self.db.execute(select(Reading.observed_at, Reading.value).where(
                *key, Reading.observed_at >= func.coalesce(before.scalar_subquery(), first.observed_at),
                Reading.observed_at <= last.observed_at).order_by(Reading.observed_at)).all()
            times = [_utc(r[0]) for r in rows]
            out: list[tuple[float | None, dt.datetime | None]] = []
            for o in self.series:
                i = bisect.bisect_left(times, o.observed_at)
                out.append((rows[i - 1][1], times[i - 1]) if i else (None, None))
            self._before = out
        return self._before

    def hits(self, rule: Rule) -> list[tuple[float, dt.datetime]]:
        """The readings (value, instant) on which the rule's condition holds, oldest first."""
        expr = compiled(rule.condition)
        roots = expr.roots()
        if "window" in roots:
            return [(o.value, o.observed_at) for o in self.series  # type: ignore[misc]
                    if _holds(expr, variables(self.db, rule, o))]
        fast = fast_condition(expr) if roots <= {"value"} else None
        if fast is not None:
            test, edges = fast
            return [(v, o.observed_at) for o in self.series if (v := o.value) is not None
                    and (_holds(expr, {"value": v}) if v in edges else test(v))]
        base = self.constants(roots)
        previous = self.previous() if roots & {"previous", "rate"} else None
        seen: dict[tuple[Any, ...], bool] = {}
        out: list[tuple[float, dt.datetime]] = []
        for n, o in enumerate(self.series):
            names: dict[str, Any] = {**base, "value": o.value}
            if previous is not None:
                value, at = previous[n]
                minutes = (o.observed_at - at).total_seconds() / 60 if at else 0
                names["previous"] = value
                names["rate"] = (o.value - value) / minutes if value is not None and o.value is not None \
                    and minutes else None
            memo = (names["value"], names.get("previous"), names.get("rate"))
            hit = seen.get(memo)
            if hit is None:
                hit = seen[memo] = _holds(expr, names)
            if hit:
                out.append((o.value, o.observed_at))  # type: ignore[arg-type]
        return out


def _holds(expr: Expression, names: dict[str, Any]) -> bool:
    try:
        return expr.evaluate_bool(names)
    except ExpressionError:
        return False  # a null (no previous reading yet) compared is no alarm


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@lru_cache(maxsize=512)
def _fast_of(source: str) -> tuple[Callable[[float], bool], frozenset[float]] | None:
    edges: set[float] = set()
    test = _fast_node(compiled(source).node, edges)
    return (test, frozenset(edges)) if test is not None else None


def fast_condition(expr: Expression) -> tuple[Callable[[float], bool], frozenset[float]] | None:
    """A float test equal to ``expr`` on finite values other than the returned edges, if it has one.

    Only ``value`` compared with number literals, joined by and/or/not. Why it is exact: the language
    reads a float as its shortest decimal (``repr``); a float ``v`` and that decimal round to the same
    float, and rounding is monotonic, so ``v`` and the decimal sit on the same side of a literal ``c``
    unless ``v == float(c)`` — those values (the edges) are evaluated by the language itself.
    """
    return _fast_of(expr.source)


def _constant(node: Any) -> float | None:
    sign = 1
    if getattr(node, "op", None) == "-" and hasattr(node, "operand"):
        sign, node = -1, node.operand
    value = getattr(node, "value", None) if not hasattr(node, "parts") else None
    if isinstance(value, int | Fraction) and not isinstance(value, bool):
        return sign * float(value)
    return None


def _is_value(node: Any) -> bool:
    return getattr(node, "parts", None) == ("value",)


def _fast_node(node: Any, edges: set[float]) -> Callable[[float], bool] | None:
    """The float test of one node of the parsed tree, read by its shape (the services module's
    public surface is ``Expression``; its node classes are its own)."""
    op = getattr(node, "op", None)
    if hasattr(node, "left") and op in _ORDER:
        if _is_value(node.left):
            other = _constant(node.right)
        elif _is_value(node.right):
            other, op = _constant(node.left), _FLIP[op]
        else:
            return None
        if other is None:
            return None
        edges.add(other)
        compare, limit = _ORDER[op], other
        return lambda v: compare(v, limit)
    if op == "not" and hasattr(node, "operand"):
        inner = _fast_node(node.operand, edges)
        return (lambda v: not inner(v)) if inner is not None else None
    if op in ("and", "or") and hasattr(node, "operands"):
        parts = [_fast_node(n, edges) for n in node.operands]
        if any(p is None for p in parts):
            return None
        tests = tuple(p for p in parts if p is not None)
        if op == "and":
            return lambda v: all(t(v) for t in tests)
        return lambda v: any(t(v) for t in tests)
    return None


def check_silence(db: Session, now: dt.datetime | None = None) -> int:
    """Fire silence rules for entities with no reading of the attribute for too long (worker job)."""
    now = now or clock.now()
    fired = 0
    for rule in db.scalars(select(Rule).where(Rule.active.is_(True), Rule.kind == "silence")).all():
        since = now - dt.timedelta(minutes=rule.silence_minutes or 0)
        last = (select(Reading.entity_pk, func.max(Reading.observed_at).label("at"))
                .where(Reading.attribute == rule.attribute).group_by(Reading.entity_pk).subquery())
        quiet = db.execute(select(Entity, last.c.at).outerjoin(last, last.c.entity_pk == Entity.id).where(
            Entity.organization_id == rule.organization_id, Entity.type == rule.entity_type,
            (last.c.at.is_(None) & (Entity.created_at < since)) | (last.c.at < since))).all()
        for entity, _at in quiet:
            if alerts.fire(db, rule, entity, None, now, quiet=True):
                fired += 1
    return fired
