"""Events the performance reports publish."""

from smartgov import events

REPORT_ISSUED = events.declare("transparency.report_issued",
                               "A signed quarterly performance report (a new revision) was issued.")
