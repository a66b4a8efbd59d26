"""The events the exchange publishes, and the privacy event other modules publish to it."""

from smartgov.events import declare

MEMBER_REGISTERED = declare("exchange.member_registered", "A member (agency) joined the exchange.")
KEY_ROTATED = declare("exchange.key_rotated", "A subsystem's signing key was rotated.")
KEY_TRUSTED = declare("exchange.key_trusted", "A key of another instance's subsystem was trusted.")
SERVICE_REGISTERED = declare("exchange.service_registered", "A data service was offered on the exchange.")
ACCESS_RIGHT_GRANTED = declare("exchange.access_right_granted", "A client was allowed a service for purposes.")
ACCESS_RIGHT_REVOKED = declare("exchange.access_right_revoked", "A client's access right was revoked.")
REQUEST_REFUSED = declare("exchange.request_refused", "A provider refused a signed request (reason given).")
REQUEST_SERVED = declare("exchange.request_served", "A provider answered a signed request.")
FETCH_FAILED = declare("exchange.fetch_failed", "A client's fetch did not get a verified answer.")
FETCH_COMPLETED = declare("exchange.fetch_completed", "A client's fetch got a verified, signed answer.")
ACCESS_FLAGGED = declare("exchange.access_flagged", "A person flagged a read of their data.")
ACCESS_FLAG_RESOLVED = declare("exchange.access_flag_resolved", "The data-protection officer resolved a flag.")
ACCESS_HIDDEN = declare("exchange.access_hidden", "A read of a person's data was hidden as confidential.")
PERSON_DATA_ACCESSED = declare(
    "privacy.person_data_accessed", "An official read a person's data: recorded in their access log.")
MEMBER_UPDATED = declare("exchange.member_updated", "A member's names, agency or server address were changed.")
MEMBER_DEACTIVATED = declare("exchange.member_deactivated", "A member was deactivated: it neither calls nor answers.")
MEMBER_REACTIVATED = declare("exchange.member_reactivated", "A deactivated member was reactivated.")
SUBSYSTEM_REGISTERED = declare("exchange.subsystem_registered", "A subsystem was added to a member.")
SUBSYSTEM_DEACTIVATED = declare("exchange.subsystem_deactivated", "A subsystem was deactivated.")
SUBSYSTEM_REACTIVATED = declare("exchange.subsystem_reactivated", "A deactivated subsystem was reactivated.")
SERVICE_WITHDRAWN = declare("exchange.service_withdrawn", "A data service is no longer offered.")
SERVICE_REOFFERED = declare("exchange.service_reoffered", "A withdrawn data service is offered again.")
PURPOSE_REGISTERED = declare("exchange.purpose_registered", "A legal purpose was added to the purpose register.")
