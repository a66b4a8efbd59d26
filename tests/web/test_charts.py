"""The shared chart axes: round ticks, written in the page's digits and calendar (plotly.js would write
Latin digits and Gregorian months on a Persian page)."""

from __future__ import annotations

import datetime as dt
import json

import plotly.graph_objects as go

from smartgov.web import charts


def test_ticks_are_round_and_cover_the_values() -> None:
    assert charts.nice_ticks(0, 97) == [0, 25, 50, 75, 100]
    assert charts.nice_ticks(3, 3) == [3, 4, 5, 6]  # a flat series still gets an axis
    ticks = charts.nice_ticks(12.3, 87.9)
    assert ticks[0] <= 12.3 and ticks[-1] >= 87.9 and len(ticks) <= 7
    assert charts.nice_ticks(0, 0.9) == [0, 0.25, 0.5, 0.75, 1.0]
    assert charts.nice_ticks(0, 1_234_567)[-1] == 1_500_000


def test_a_persian_value_axis_has_persian_digits_and_separators() -> None:
    fa = charts.number_axis(0, 1_234_567, "fa")
    assert fa["ticktext"][-1] == "۱٬۵۰۰٬۰۰۰" and fa["range"] == [0, 1_500_000]
    assert charts.number_axis(0, 1, "fa")["ticktext"][1] == "۰٫۲۵"
    assert charts.number_axis(0, 100, "fa", suffix="٪")["ticktext"][-1] == "۱۰۰٪"
    assert charts.number_axis(0, 1_234_567, "en")["ticktext"][-1] == "1,500,000"


def test_a_persian_time_axis_is_jalali() -> None:
    months = [dt.date(2024, 3, 20), dt.date(2024, 4, 20), dt.date(2024, 5, 21)]  # 1 Farvardin.. 1 Khordad 1403
    fa = charts.date_axis(months, "fa", grain="month")
    assert fa["ticktext"] == ["فروردین ۱۴۰۳", "اردیبهشت ۱۴۰۳", "خرداد ۱۴۰۳"]
    assert fa["tickvals"] == ["2024-03-20", "2024-04-20", "2024-05-21"]
    days = [dt.date(2024, 3, 18) + dt.timedelta(days=i) for i in range(40)]
    axis = charts.date_axis(days, "fa", grain="day", max_ticks=8)
    assert len(axis["tickvals"]) <= 8
    assert axis["ticktext"][0] == "۲۸ اسفند ۱۴۰۲"  # the year on the first tick
    assert any(t.endswith("۱۴۰۳") for t in axis["ticktext"][1:])  # and where it changes
    assert not any(ch.isascii() and ch.isdigit() for t in axis["ticktext"] for ch in t)
    assert charts.date_axis(months, "en", grain="month")["ticktext"][0] == "20 Mar 2024"
    assert charts.date_axis([dt.date(2024, 4, 1)], "en", grain="month")["ticktext"] == ["Apr 2024"]


def test_the_layout_reads_from_the_right_on_persian_pages_and_plotly_accepts_it() -> None:
    fa, en = charts.layout("t", "fa"), charts.layout("t", "en")
    assert fa["separators"] == "٫٬" and fa["legend"]["xanchor"] == "right"
    assert en["separators"] == ".," and en["legend"]["xanchor"] == "left"
    figure = {"data": [{"type": "scatter", "x": ["2024-03-20"], "y": [1]}],
              "layout": {**fa, "xaxis": charts.date_axis([dt.date(2024, 3, 20)], "fa"),
                         "yaxis": charts.number_axis(0, 1, "fa")}}
    go.Figure(figure)  # raises on any property plotly.js does not know
    assert "</script" not in charts.to_json({"data": [], "layout": {"title": {"text": "</script>"}}})
    assert json.loads(charts.to_json(figure)) == figure


def test_plotly_is_served_from_the_installed_package(client) -> None:  # type: ignore[no-untyped-def]
    js = client.get(charts.PLOTLY_URL)
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert len(js.content) > 1e6 and charts.style_ids()[0] == "plotly.js-style-global"
