"""NGSI-LD (ETSI GS CIM 009) in pure functions: the embedded core @context, problem details,
normalized attributes (Property, Relationship, GeoProperty with observedAt and unitCode) and
their checks. Nothing here touches the database or the network: the core context is shipped in
this file and no other context is ever fetched (``README.md`` says how terms are treated).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, ClassVar

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
LINK_HEADER = f'<{CORE_CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'

#: The part of the core @context this broker uses, embedded: answers to ``GET /jsonldContexts``
#: and to anyone who asks what a core term means, without a request to the outside.
CORE_CONTEXT: dict[str, Any] = {"@context": {
    "ngsi-ld": "https://uri.etsi.org/ngsi-ld/",
    "geojson": "https://purl.org/geojson/vocab#",
    "id": "@id", "type": "@type",
    "value": "https://uri.etsi.org/ngsi-ld/hasValue",
    "object": {"@id": "https://uri.etsi.org/ngsi-ld/hasObject", "@type": "@id"},
    "Property": "https://uri.etsi.org/ngsi-ld/Property",
    "Relationship": "https://uri.etsi.org/ngsi-ld/Relationship",
    "GeoProperty": "https://uri.etsi.org/ngsi-ld/GeoProperty",
    "observedAt": {"@id": "https://uri.etsi.org/ngsi-ld/observedAt", "@type": "DateTime"},
    "createdAt": {"@id": "https://uri.etsi.org/ngsi-ld/createdAt", "@type": "DateTime"},
    "modifiedAt": {"@id": "https://uri.etsi.org/ngsi-ld/modifiedAt", "@type": "DateTime"},
    "unitCode": "https://uri.etsi.org/ngsi-ld/unitCode",
    "datasetId": {"@id": "https://uri.etsi.org/ngsi-ld/datasetId", "@type": "@id"},
    "location": "https://uri.etsi.org/ngsi-ld/location",
    "observationSpace": "https://uri.etsi.org/ngsi-ld/observationSpace",
    "operationSpace": "https://uri.etsi.org/ngsi-ld/operationSpace",
    "Point": "geojson:Point", "Polygon": "geojson:Polygon", "coordinates": "geojson:coordinates",
    "DateTime": "https://uri.etsi.org/ngsi-ld/DateTime",
    "@vocab": "https://uri.etsi.org/ngsi-ld/default-context/",
}}

ATTRIBUTE_TYPES = ("Property", "Relationship", "GeoProperty")
#: Members of an attribute that are not sub-attributes.
RESERVED = frozenset({"type", "value", "object", "observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt",
                      "instanceId"})
ENTITY_RESERVED = frozenset({"id", "type", "@context", "createdAt", "modifiedAt", "scope"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.-]{0,127}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
MAX_ATTRIBUTES = 200


class NgsiError(Exception):
    """An NGSI-LD problem: answered as ``{"type", "title", "detail"}`` with its status."""

    STATUS: ClassVar[dict[str, int]] = {
        "BadRequestData": 400, "InvalidRequest": 400, "ResourceNotFound": 404, "AlreadyExists": 409,
        "OperationNotSupported": 422, "TooManyResults": 403, "NonexistentTenant": 404,
        "LdContextNotAvailable": 503, "Unauthorized": 401, "Forbidden": 403}

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail

    @property
    def status(self) -> int:
        return self.STATUS.get(self.kind, 400)

    def problem(self) -> dict[str, Any]:
        return {"type": ERRORS + self.kind, "title": self.kind, "detail": self.detail}


def bad(detail: str) -> NgsiError:
    return NgsiError("BadRequestData", detail)


def is_uri(text: Any) -> bool:
    return isinstance(text, str) and len(text) <= 256 and bool(_URI.match(text))


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise bad(f"'{name[:60]}' is not a valid attribute name")
    return name


def parse_time(text: Any, what: str = "observedAt") -> dt.datetime:
    """An ISO 8601 DateTime with a time zone (``Z`` or an offset), as UTC."""
    if not isinstance(text, str) or len(text) > 40:
        raise bad(f"{what} must be a DateTime string")
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise bad(f"{what} is not an ISO 8601 DateTime: {text[:40]}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def format_time(value: dt.datetime) -> str:
    """``2024-03-01T10:00:00Z`` (milliseconds when there are any)."""
    value = value.astimezone(dt.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"


def _number_pair(item: Any) -> bool:
    return (isinstance(item, list) and len(item) in (2, 3) and all(
        isinstance(c, int | float) and not isinstance(c, bool) for c in item))


def check_geometry(value: Any) -> dict[str, Any]:
    """A GeoJSON Point, LineString or Polygon with sane coordinates."""
    if not isinstance(value, dict) or value.get("type") not in ("Point", "Polygon", "LineString", "MultiPoint"):
        raise bad("a GeoProperty's value must be a GeoJSON Point, LineString, MultiPoint or Polygon")
    coords = value.get("coordinates")
    kind = value["type"]
    if kind == "Point":
        points = [coords]
    elif kind in ("LineString", "MultiPoint"):
        points = coords if isinstance(coords, list) and coords else [None]
    else:
        if not isinstance(coords, list) or not coords or not all(isinstance(r, list) for r in coords):
            raise bad("a Polygon's coordinates are a list of linear rings")
        points = [p for ring in coords for p in ring]
        if any(len(ring) < 4 or ring[0] != ring[-1] for ring in coords):
            raise bad("each ring of a Polygon needs four or more positions and must be closed")
    if not points or not all(_number_pair(p) and -180 <= p[0] <= 180 and -90 <= p[1] <= 90 for p in points):
        raise bad(f"the coordinates of a {kind} must be [longitude, latitude] positions")
    return {"type": kind, "coordinates": coords}


def check_attribute(name: str, attr: Any, *, depth: int = 0) -> dict[str, Any]:
    """One attribute in normalized form, checked; returns a clean copy (sub-attributes too)."""
    check_name(name)
    if isinstance(attr, list):
        raise NgsiError("OperationNotSupported", f"'{name}': multi-attributes (datasetId) are not supported")
    if not isinstance(attr, dict):
        raise bad(f"'{name}' must be an object in normalized form (type and value)")
    kind = attr.get("type")
    if kind not in ATTRIBUTE_TYPES:
        raise bad(f"'{name}' must have type Property, Relationship or GeoProperty")
    clean: dict[str, Any] = {"type": kind}
    if kind == "Relationship":
        if not is_uri(attr.get("object")):
            raise bad(f"Relationship '{name}' needs an 'object' that is a URI")
        clean["object"] = attr["object"]
    elif "value" not in attr or attr["value"] is None:
        raise bad(f"{kind} '{name}' needs a 'value'")
    elif kind == "GeoProperty":
        clean["value"] = check_geometry(attr["value"])
    else:
        clean["value"] = attr["value"]
    if "observedAt" in attr:
        clean["observedAt"] = format_time(parse_time(attr["observedAt"]))
    if "unitCode" in attr:
        if not isinstance(attr["unitCode"], str) or not 0 < len(attr["unitCode"]) <= 16:
            raise bad(f"'{name}': unitCode must be a short string (UN/CEFACT common code)")
        clean["unitCode"] = attr["unitCode"]
    for key, sub in attr.items():
        if key in RESERVED or key == "@context":
            continue
        if depth >= 2:
            raise bad(f"'{name}': sub-attributes are nested too deeply")
        clean[key] = check_attribute(key, sub, depth=depth + 1)
    return clean


@dataclass(frozen=True)
class EntityIn:
    """A checked entity: its id, type and attributes (in normalized form)."""

    id: str
    type: str
    attrs: dict[str, Any]


def entity_type(value: Any) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str) or not 0 < len(value) <= 256:
        raise bad("an entity needs exactly one 'type', a string")
    return value


def check_entity(body: Any, *, need_type: bool = True) -> EntityIn:
    """An entity of a create or upsert request; ``need_type`` False for updates of existing ones."""
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object (an entity)")
    if not is_uri(body.get("id")):
        raise bad("an entity needs an 'id' that is a URI, e.g. urn:ngsi-ld:AirQualityObserved:1")
    kind = entity_type(body.get("type")) if need_type or "type" in body else ""
    return EntityIn(body["id"], kind, check_fragment(body))


def check_fragment(body: Any) -> dict[str, Any]:
    """The attributes of an entity fragment (append/update): every member but id, type, @context."""
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object of attributes")
    attrs = {k: check_attribute(k, v) for k, v in body.items() if k not in ENTITY_RESERVED}
    if len(attrs) > MAX_ATTRIBUTES:
        raise bad(f"an entity has at most {MAX_ATTRIBUTES} attributes")
    return attrs


def location_of(attrs: dict[str, Any]) -> tuple[float | None, float | None, dict[str, Any] | None]:
    """The point (or a polygon's centre) and the geometry of the ``location`` GeoProperty."""
    loc = attrs.get("location")
    if not isinstance(loc, dict) or loc.get("type") != "GeoProperty":
        return None, None, None
    geometry = loc["value"]
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return float(coords[0]), float(coords[1]), geometry
    points = [p for ring in coords for p in ring] if geometry["type"] == "Polygon" else coords
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points), geometry)


def render_entity(entity_id: str, kind: str, attrs: dict[str, Any], *, pick: set[str] | None = None,
                  sys_attrs: tuple[dt.datetime, dt.datetime] | None = None, ld: bool = False,
                  key_values: bool = False) -> dict[str, Any]:
    """An entity as answered: normalized (or keyValues), with ``@context`` in ld+json."""
    out: dict[str, Any] = {"id": entity_id, "type": kind}
    for name, attr in attrs.items():
        if pick is not None and name not in pick:
            continue
        out[name] = (attr.get("object") if attr["type"] == "Relationship" else attr.get("value")) \
            if key_values else attr
    if sys_attrs is not None and not key_values:
        out["createdAt"], out["modifiedAt"] = format_time(sys_attrs[0]), format_time(sys_attrs[1])
    if ld:
        out["@context"] = CORE_CONTEXT_URL
    return out


def numeric(value: Any) -> float | None:
    """A Property's value as a number for readings, or ``None`` (text, objects, booleans)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None
