"""The NGSI-LD query language (``q``) and geo-queries, evaluated over normalized entities.

``q``: ``attr op value`` joined by ``;`` (and) and ``|`` (or), with parentheses; ``op`` one of
``== != > >= < <=`` and ``~=`` (pattern); a value is a number, a quoted string, true/false, a
date-time, a range ``min..max`` or a list ``a,b,c``; a bare path tests that an attribute exists.
Paths: ``attr``, ``attr.sub`` (a sub-attribute's value), ``attr[key]`` (a member of a compound value).
Geo: ``georel=near;maxDistance==m`` (or ``minDistance``) and ``within`` over ``Point`` and
``Polygon`` geometries, in metres on a sphere: the same arithmetic on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .ngsi import NgsiError, bad, check_geometry

MAX_Q = 1000
_OP = re.compile(r"\(|\)|;|\||==|!=|>=|<=|~=|>|<")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.\-]*(\[[A-Za-z0-9_:.\-]+\])*$")
Predicate = Callable[[dict[str, Any]], bool]


def _split(text: str) -> list[str]:
    """Tokens: operators and parentheses, and the text between them (quoted strings kept whole)."""
    tokens: list[str] = []
    i, start = 0, 0
    while i < len(text):
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise bad("q: a quoted string is not closed")
            i = end + 1
            continue
        match = _OP.match(text, i)
        if match:
            if text[start:i].strip():
                tokens.append(text[start:i].strip())
            tokens.append(match.group())
            i = start = match.end()
            continue
        i += 1
    if text[start:].strip():
        tokens.append(text[start:].strip())
    return tokens


def _literal(text: str) -> Any:
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return text  # a date-time or an unquoted word: compared as text


def _value(text: str) -> tuple[str, Any]:
    """``('range', (a, b))``, ``('list', [...])`` or ``('one', v)``."""
    if ".." in text and not text.startswith('"'):
        low, high = text.split("..", 1)
        return "range", (_literal(low), _literal(high))
    if "," in text and not text.startswith('"'):
        return "list", [_literal(p) for p in text.split(",")]
    return "one", _literal(text)


def _lookup(entity: dict[str, Any], path: str) -> tuple[bool, Any]:
    keys = re.findall(r"\[([^\]]+)\]", path)
    base = path.split("[", 1)[0]
    name, _, sub = base.partition(".")
    attr = entity.get(name)
    if isinstance(attr, dict) and sub:
        attr = attr.get(sub)
    if not isinstance(attr, dict):
        return False, None
    value = attr.get("object") if attr.get("type") == "Relationship" else attr.get("value")
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return op in ("==", "!=") and (left == right) == (op == "==")
    numbers = isinstance(left, int | float) and isinstance(right, int | float)
    if not numbers and not (isinstance(left, str) and isinstance(right, str)):
        return op == "!="
    return {"==": left == right, "!=": left != right, ">": left > right, ">=": left >= right,
            "<": left < right, "<=": left <= right}[op]


def _comparison(path: str, op: str, raw: str) -> Predicate:
    if not _PATH.match(path):
        raise bad(f"q: '{path[:40]}' is not an attribute path")
    shape, expected = _value(raw)
    if op == "~=":
        try:
            pattern = re.compile(str(expected))
        except re.error:
            raise bad("q: the pattern after ~= is not a regular expression") from None

        def matches(e: dict[str, Any]) -> bool:
            found, v = _lookup(e, path)
            return found and isinstance(v, str) and pattern.search(v) is not None
        return matches

    def test(e: dict[str, Any]) -> bool:
        found, v = _lookup(e, path)
        if not found:
            return False
        values = v if isinstance(v, list) else [v]
        if shape == "range":
            low, high = expected
            hit = any(_compare(x, ">=", low) and _compare(x, "<=", high) for x in values)
            return hit if op == "==" else not hit
        if shape == "list":
            hit = any(_compare(x, "==", y) for x in values for y in expected)
            return hit if op == "==" else not hit
        return any(_compare(x, op, expected) for x in values) if op != "!=" else \
            all(_compare(x, "!=", expected) for x in values)
    return test


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise bad("q: the expression ends too early")
        self.i += 1
        return token

    def expr(self) -> Predicate:
        parts = [self.term()]
        while self.peek() == "|":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda e, ps=tuple(parts): any(p(e) for p in ps))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while self.peek() == ";":
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda e, ps=tuple(parts): all(p(e) for p in ps))

    def factor(self) -> Predicate:
        token = self.take()
        if token == "(":  # noqa: S105 - a parenthesis, not a secret
            inner = self.expr()
            if self.take() != ")":
                raise bad("q: a parenthesis is not closed")
            return inner
        if token in (")", ";", "|") or token in ("==", "!=", ">", ">=", "<", "<=", "~="):
            raise bad(f"q: unexpected '{token}'")
        if self.peek() in ("==", "!=", ">", ">=", "<", "<=", "~="):
            op = self.take()
            value = self.take()
            if value in ("(", ")", ";", "|", "==", "!=", ">", ">=", "<", "<=", "~="):
                raise bad(f"q: a value is missing after {op}")
            return _comparison(token, op, value)
        if not _PATH.match(token):
            raise bad(f"q: '{token[:40]}' is not an attribute path")
        return lambda e, path=token: _lookup(e, path)[0]


def parse_q(text: str) -> Predicate:
    """A predicate over an entity's attributes from the ``q`` parameter (400 BadRequestData if malformed)."""
    if len(text) > MAX_Q:
        raise bad("q is too long")
    parser = _Parser(_split(text))
    predicate = parser.expr()
    if parser.peek() is not None:
        raise bad(f"q: unexpected '{parser.peek()}'")
    return predicate


# --------------------------------------------------------------------------- geo

EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points (haversine)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def in_ring(point: tuple[float, float], ring: list[list[float]]) -> bool:
    """Ray casting: is (lon, lat) inside the closed ring."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def in_polygon(point: tuple[float, float], rings: list[list[list[float]]]) -> bool:
    """Inside the outer ring and outside every hole."""
    return in_ring(point, rings[0]) and not any(in_ring(point, hole) for hole in rings[1:])


@dataclass(frozen=True)
class GeoQuery:
    """A parsed geo-query: a test on an entity's point."""

    relation: str
    geometry: dict[str, Any]
    max_distance: float | None = None
    min_distance: float | None = None

    def matches(self, lon: float | None, lat: float | None) -> bool:
        if lon is None or lat is None:
            return False
        point = (lon, lat)
        if self.relation == "near":
            centre = self.geometry["coordinates"]
            d = distance_m(point, (centre[0], centre[1]))
            return (self.max_distance is None or d <= self.max_distance) and \
                (self.min_distance is None or d >= self.min_distance)
        return in_polygon(point, self.geometry["coordinates"])

    def bounds(self) -> tuple[float, float, float, float] | None:
        """A (lon, lat) box every match lies in, for the database to narrow by first."""
        if self.relation == "within":
            ring = self.geometry["coordinates"][0]
            return (min(p[0] for p in ring), min(p[1] for p in ring), max(p[0] for p in ring),
                    max(p[1] for p in ring))
        if self.max_distance is None:
            return None
        lon, lat = self.geometry["coordinates"][:2]
        dlat = math.degrees(self.max_distance / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
        return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def parse_geo(georel: str | None, geometry: str | None, coordinates: str | None,
              geoproperty: str | None = None) -> GeoQuery | None:
    """``georel``/``geometry``/``coordinates`` as the spec names them; ``None`` when absent."""
    if georel is None and geometry is None and coordinates is None:
        return None
    if not (georel and geometry and coordinates):
        raise bad("a geo-query needs georel, geometry and coordinates together")
    if geoproperty not in (None, "location"):
        raise NgsiError("OperationNotSupported", "geo-queries are answered on the 'location' GeoProperty only")
    try:
        coords = json.loads(coordinates)
    except ValueError:
        raise bad("coordinates must be a JSON array") from None
    shape = check_geometry({"type": geometry, "coordinates": coords})
    relation, *modifiers = georel.split(";")
    if relation == "near":
        if shape["type"] != "Point":
            raise bad("near is answered around a Point")
        limits: dict[str, float] = {}
        for modifier in modifiers:
            key, _, number = modifier.partition("==")
            if key not in ("maxDistance", "minDistance"):
                raise bad("near takes maxDistance==<metres> or minDistance==<metres>")
            try:
                limits[key] = float(number)
            except ValueError:
                raise bad(f"{key} must be a number of metres") from None
            if not 0 <= limits[key] < 2.1e7:
                raise bad(f"{key} must be between 0 and the Earth's half circumference")
        if not limits:
            raise bad("near needs maxDistance or minDistance")
        return GeoQuery("near", shape, limits.get("maxDistance"), limits.get("minDistance"))
    if relation == "within":
        if shape["type"] != "Polygon":
            raise bad("within is answered inside a Polygon")
        return GeoQuery("within", shape)
    raise NgsiError("OperationNotSupported", f"georel '{relation[:20]}' is not supported (near, within)")


