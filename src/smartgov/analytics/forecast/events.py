"""The events forecasts publish: every edit of the data a forecast rests on is on the record."""

from smartgov.events import declare

HOLIDAY_CHANGED = declare("analytics.holiday_changed", "An official holiday was added, changed or removed.")
FUND_SCENARIO_CHANGED = declare("analytics.fund_scenario_changed", "A fund projection scenario was saved or removed.")
DEMAND_FORECAST_MADE = declare("analytics.demand_forecast_made", "A weekly demand forecast was made and backtested.")
