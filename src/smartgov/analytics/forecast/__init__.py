"""Forecasts with honest error (issue #17, item 2): weekly demand per service, and the insurance fund.

``calendar`` holds the Iranian holidays (computed solar ones, lunar ones as data), ``demand`` the
backtested weekly models, ``fund`` the cohort projection of contributions against pensions; each is
pure. The stored parts (holidays agencies edit, fund scenarios, forecast runs) live in ``models``
and ``service``; ``pages`` and ``api`` show them.

The surface others read (reports: forecasts against actuals): ``forecast_for`` and ``WeekForecast``.
"""

from . import demo as _demo  # noqa: F401 - registers the demo loader
from .service import WeekForecast, forecast_for

__all__ = ["WeekForecast", "forecast_for"]
