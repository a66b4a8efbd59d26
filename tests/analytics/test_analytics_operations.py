"""The operations centre's response times as KPIs: time to acknowledge an alert, time to resolve an
incident, from the events the operations module publishes (``seconds_to_acknowledge``/``_resolve``)."""

from __future__ import annotations

import datetime as dt

from smartgov import analytics
from smartgov.analytics import rollups
from smartgov.db import Database
from smartgov.operations import ALERT_ACKNOWLEDGED, INCIDENT_RESOLVED

from .helpers import at, publish_at

D1 = dt.date(2026, 3, 1)


def test_time_to_acknowledge_and_to_resolve_per_agency(database: Database) -> None:
    for n, minutes in enumerate([2, 4, 6, 8, 100], start=1):
        publish_at(database, at(D1), ALERT_ACKNOWLEDGED, alert_id=n, organization_id=5,
                   seconds_to_acknowledge=minutes * 60)
    publish_at(database, at(D1), ALERT_ACKNOWLEDGED, alert_id=9, organization_id=6, seconds_to_acknowledge=3 * 86400)
    for n, hours in enumerate([3, 5, 30], start=1):
        publish_at(database, at(D1, 12), INCIDENT_RESOLVED, incident_id=n, organization_id=5,
                   seconds_to_resolve=hours * 3600)
    rollups.roll_pending(database)
    end = D1 + dt.timedelta(days=1)
    with database.sessions() as db:
        ack = analytics.value(db, "alert_acknowledge_days_p50", start=D1, end=end, agency_id=5)
        every = analytics.value(db, "alert_acknowledge_days_p50", start=D1, end=end)
        resolve = analytics.value(db, "incident_resolve_days_p50", start=D1, end=end, agency_id=5)
        other = analytics.value(db, "incident_resolve_days_p50", start=D1, end=end, agency_id=6)
    assert ack.count == 5 and ack.value is not None
    assert 4 * 60 / 86400 <= ack.value <= 8 * 60 / 86400  # the median of 2, 4, 6, 8 and 100 minutes: about 6
    assert every.count == 6
    assert resolve.count == 3 and resolve.value is not None and 4 / 24 <= resolve.value <= 8 / 24
    assert other.count == 0 and other.value is None
