"""The events analytics publishes: audited edits of KPI settings and of agencies' operating costs."""

from smartgov.events import declare

KPI_CHANGED = declare("analytics.kpi_changed", "An agency admin changed a KPI's target, owner or visibility.")
OPERATING_COST_SET = declare("analytics.operating_cost_set",
                             "An agency admin entered (or corrected) the agency's operating cost for a period.")
