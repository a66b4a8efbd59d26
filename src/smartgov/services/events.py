"""The events the e-services engine publishes (subscribers and indicators import these names)."""

from smartgov.events import declare

SUBMITTED = declare("services.application_submitted", "An application was submitted (G2C or G2B).")
TRANSITIONED = declare("services.application_transitioned", "An application moved along its workflow.")
TRANSFERRED = declare("services.application_transferred",
                      "A supervisor moved an application to another branch of their subtree.")
ASSIGNED = declare("services.application_assigned", "An official took or was given an application.")
RATED = declare("services.application_rated", "An applicant rated a finished application from 1 to 5.")
DEFINITION_PUBLISHED = declare("services.definition_published", "A version of a service went online.")
DEFINITION_RETIRED = declare("services.definition_retired", "A service was taken offline.")
DOCUMENT_ISSUED = declare("services.document_issued", "A signed document was issued for an application.")
DOCUMENT_RENDERED = declare("services.document_rendered", "The PDF of an issued document was rendered.")
SIGNING_KEY_CREATED = declare("services.signing_key_created", "An agency got its document signing key.")
SIGNING_KEY_ROTATED = declare("services.signing_key_rotated", "An agency's document signing key was rotated.")
PAYMENT_SETTLED = declare("services.payment_settled", "An application's invoice was paid.")

#: Declared by ``exchange`` (its privacy log subscribes); services publishes it without importing exchange.
PERSON_DATA_ACCESSED = "privacy.person_data_accessed"
DEFINITION_CHANGED = declare("services.definition_changed",
                             "A draft version of a service was created or changed in the service designer.")
DEFINITION_SCHEDULED = declare("services.definition_scheduled",
                               "A draft version of a service was scheduled to go online at a date.")
INBOX_FILTER_SAVED = declare("services.inbox_filter_saved", "An official saved (or replaced) a named inbox search.")
INBOX_FILTER_DELETED = declare("services.inbox_filter_deleted",
                               "An official deleted one of their saved inbox searches.")
