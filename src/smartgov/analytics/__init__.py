"""Analytics: KPIs as data, rollups kept from the event store, and the values dashboards read.

The surface other parts use (dashboards, forecasts, open data, reports), and nothing else:
``Kpi``, ``kpis``, ``kpi``, ``Point``, ``series``, ``breakdown``, ``value``, ``read_session``. Design
(watermark, buckets, rebuild) in README.md.
"""

from . import demo as _demo  # noqa: F401 - registers the demo history
from .catalogue import Kpi, kpi, kpis
from .service import GRAINS, Point, breakdown, read_session, series, value

__all__ = ["GRAINS", "Kpi", "Point", "breakdown", "kpi", "kpis", "read_session", "series", "value"]
