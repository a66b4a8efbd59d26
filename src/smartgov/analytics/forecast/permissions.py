"""Who may read forecasts and who may change the data they rest on."""

from __future__ import annotations

from smartgov.identity import Principal, Role, can_write

STAFF = frozenset({Role.OFFICIAL, Role.AGENCY_ADMIN, Role.AUDITOR, Role.PLATFORM_ADMIN})
ADMINS = frozenset({Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN})


def can_view_forecasts(principal: Principal) -> bool:
    """Staff and auditors read forecasts; they are aggregates, no person's record."""
    return bool(principal.roles & STAFF)


def can_edit_forecast_data(principal: Principal) -> bool:
    """Agency admins keep the holiday calendar and the fund's assumptions, and rerun forecasts."""
    return bool(principal.roles & ADMINS) and can_write(principal)
