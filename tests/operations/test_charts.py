"""An entity's page: its measure over the last hour, day or week drawn with the house's chart helper
(Jalali axis and Persian digits on Persian pages) and the same numbers in a table."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import select

from smartgov import clock
from smartgov.identity.models import Role
from smartgov.operations.models import Entity
from smartgov.web import charts as shared
from tests.factories import create_account, page_login
from tests.operations.helpers import operator, provision, station

T0 = dt.datetime(2026, 3, 1, 6, 5, tzinfo=dt.UTC)  # 10 Esfand 1404, 09:35 in Tehran
LATIN = re.compile(r"[0-9]")


def _readings(client: Any, db: Any) -> int:
    """A station fed 20, 40 (same quarter hour) then 90 an hour later; returns its row id."""
    h = operator(client, db)
    assert client.post("/ngsi-ld/v1/entities", json=station(1, 51.33, 35.65), headers=h).status_code == 201
    key = provision(client, h, "aq-1", "urn:ngsi-ld:AirQualityObserved:1")
    clock.freeze(T0)
    for minutes, value in ((0, 20), (5, 40), (60, 90)):
        clock.freeze(T0 + dt.timedelta(minutes=minutes))
        assert client.post(f"/api/v1/operations/iot/json?k={key}&i=aq-1", json={"pm25": value}).status_code == 200
    official = create_account(db, "watcher", Role.OFFICIAL, organization="thr-city")
    db.commit()
    page_login(client, official)
    return int(db.scalar(select(Entity.id).where(Entity.entity_id == "urn:ngsi-ld:AirQualityObserved:1")))


def _figure(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" class="plotly-figure"[^>]*>(.*?)</script>', html, re.S)
    assert found, "no figure on the page"
    return dict(json.loads(found.group(1)))


def test_the_day_chart_has_a_jalali_axis_persian_digits_and_the_same_numbers_in_its_table(client, db) -> None:  # type: ignore[no-untyped-def]
    pk = _readings(client, db)
    page = client.get(f"/operations/entities/{pk}?attribute=pm25&range=day")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    figure = _figure(page.text)
    axis = figure["layout"]["xaxis"]
    assert axis["ticktext"][0] == "۱۰ اسفند ۱۴۰۴ ۰۹:۳۰"  # the first quarter hour, Tehran time, Jalali day
    assert all(not LATIN.search(t) for t in axis["ticktext"] + figure["layout"]["yaxis"]["ticktext"])
    average = figure["data"][2]
    assert average["y"] == [30.0, 90.0] and average["x"] == ["2026-03-01T09:30", "2026-03-01T10:30"]
    assert average["hovertext"][0].startswith("۱۰ اسفند ۱۴۰۴ ۰۹:۳۰") and "۳۰" in average["hovertext"][0]
    table = page.text[page.text.index('id="series-table"'):]
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert cells[:4] == ["۹۰", "۹۰", "۹۰", "۱"] and cells[4:8] == ["۳۰", "۲۰", "۴۰", "۲"]  # newest first
    assert figure["layout"]["separators"] == "٫٬"


def test_the_english_hour_and_week_charts_and_refusals(client, db) -> None:  # type: ignore[no-untyped-def]
    pk = _readings(client, db)
    hour = client.get(f"/operations/entities/{pk}?range=hour&lang=en")
    assert hour.status_code == 200
    assert _figure(hour.text)["data"][2]["y"] == [40.0, 90.0]  # 06:06 to 07:06 UTC: 20 was at 06:05
    assert _figure(hour.text)["layout"]["xaxis"]["ticktext"] == ["1 Mar 2026 09:40", "10:35"]
    week = _figure(client.get(f"/operations/entities/{pk}?range=week&lang=en").text)
    assert week["data"][2]["y"] == [30.0, 90.0]  # hourly buckets
    assert client.get(f"/operations/entities/{pk}?range=year&lang=en").status_code == 400
    assert client.get(f"/operations/entities/{pk}?attribute=nothing&lang=en").status_code == 404
    clock.freeze(T0 + dt.timedelta(days=3))
    page_login(client, create_account(db, "later", Role.OFFICIAL, organization="thr-city"))  # sessions expire
    quiet = client.get(f"/operations/entities/{pk}?range=day&lang=en")
    assert "No readings in this period." in quiet.text and "plotly-figure" not in quiet.text


def test_another_agency_cannot_open_the_entity(client, db) -> None:  # type: ignore[no-untyped-def]
    pk = _readings(client, db)
    clock.reset()  # one-time codes are computed on the real clock
    operator(client, db, agency="shz-city", username="operator2")
    outsider = create_account(db, "shz_watcher", Role.OFFICIAL, organization="shz-city")
    db.commit()
    page_login(client, outsider)
    assert client.get(f"/operations/entities/{pk}").status_code == 404


def test_the_time_axis_writes_the_day_where_it_changes() -> None:
    late = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)  # 23:30 in Tehran
    axis = shared.time_axis([late, late + dt.timedelta(hours=1)], "fa")
    assert axis["ticktext"] == ["۱۰ اسفند ۱۴۰۴ ۲۳:۳۰", "۱۱ اسفند ۱۴۰۴ ۰۰:۳۰"]
    assert shared.time_axis([late, late + dt.timedelta(minutes=1)], "en")["ticktext"] == ["1 Mar 2026 23:30", "23:31"]
