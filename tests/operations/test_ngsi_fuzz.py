"""No input makes the NGSI-LD broker answer 5xx: hostile bodies and parameters on every route kind.

The NGSI-LD routes are outside the OpenAPI document (their errors are NGSI-LD problem details), so
the API fuzzer (``tests/web/test_api_fuzz.py``) does not reach them; this does, with Hypothesis."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.operations.helpers import operator, station, vehicle

BASE = "/ngsi-ld/v1"
TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", "\x00", "urn:ngsi-ld:Vehicle:A4567", "Vehicle", "speed>10", "speed==", "((a", "a..b", "9" * 400,
     "near;maxDistance==-1", "within", "Point", "[[[1,2]]]", "-1", "1e308", "NaN", "🙂", "۱۲۳"])
SCALARS = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | TEXT
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=12)
ATTRIBUTE = st.fixed_dictionaries({"type": st.sampled_from(["Property", "Relationship", "GeoProperty"]) | TEXT},
                                  optional={"value": JSON, "object": JSON, "observedAt": TEXT, "unitCode": TEXT})
ENTITY = st.fixed_dictionaries({"id": TEXT, "type": TEXT}, optional={"speed": ATTRIBUTE, "location": ATTRIBUTE,
                                                                     "@context": JSON}) | JSON
QUERY = st.dictionaries(st.sampled_from(["type", "id", "idPattern", "q", "attrs", "georel", "geometry",
                                         "coordinates", "geoproperty", "limit", "offset", "count", "options",
                                         "timerel", "timeAt", "endTimeAt", "lastN", "aggrMethods",
                                         "aggrPeriodDuration"]), TEXT, max_size=6)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


def _check(r: Any) -> None:
    assert r.status_code < 500, (r.request.method, str(r.request.url), r.status_code, r.text[:500])
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        assert "type" in r.json(), r.text[:300]  # a route's refusal: an NGSI-LD problem detail


def _arranged(client: Any, db: Any) -> dict[str, str]:
    h = operator(client, db)
    for body in (vehicle(), station(1, 51.4, 35.7)):
        assert client.post(f"{BASE}/entities", json=body, headers=h).status_code == 201
    return h


@FUZZ
@given(data=st.data())
def test_no_body_or_parameter_gets_a_5xx(client, db, data) -> None:  # type: ignore[no-untyped-def]
    if not hasattr(test_no_body_or_parameter_gets_a_5xx, "headers"):
        test_no_body_or_parameter_gets_a_5xx.headers = _arranged(client, db)  # type: ignore[attr-defined]
    h = test_no_body_or_parameter_gets_a_5xx.headers  # type: ignore[attr-defined]
    target = quote(data.draw(st.sampled_from(["urn:ngsi-ld:Vehicle:A4567", "urn:ngsi-ld:AirQualityObserved:1"])
                             | TEXT), safe=":")  # as a client puts any id in a path
    raw = data.draw(st.booleans())
    body = data.draw(ENTITY)
    content = json.dumps(body, allow_nan=True) if not raw else data.draw(st.binary(max_size=200))
    kind = data.draw(st.sampled_from(["application/json", "application/ld+json", "text/plain"]))
    headers = {**h, "Content-Type": kind}
    _check(client.post(f"{BASE}/entities", content=content, headers=headers))
    _check(client.get(f"{BASE}/entities", params=data.draw(QUERY), headers=h))
    _check(client.get(f"{BASE}/entities/{target}", params=data.draw(QUERY), headers=h))
    _check(client.patch(f"{BASE}/entities/{target}/attrs", content=content, headers=headers))
    _check(client.post(f"{BASE}/entities/{target}/attrs", content=content, headers=headers))
    _check(client.patch(f"{BASE}/entities/{target}/attrs/speed", content=content, headers=headers))
    batch = json.dumps(data.draw(st.lists(ENTITY, max_size=3) | JSON), allow_nan=True)
    for op in ("create", "upsert", "update", "delete"):
        _check(client.post(f"{BASE}/entityOperations/{op}", content=batch, headers={**h, "Content-Type":
                                                                                    "application/json"}))
    _check(client.get(f"{BASE}/temporal/entities", params=data.draw(QUERY), headers=h))
    _check(client.get(f"{BASE}/temporal/entities/{target}", params=data.draw(QUERY), headers=h))
