"""The events the assessment module publishes about survey rounds."""

from smartgov.events import declare

ROUND_CREATED = declare("assessment.round_created", "An agency created an assessment round.")
ROUND_OPENED = declare("assessment.round_opened", "An assessment round opened for responses.")
ROUND_CLOSED = declare("assessment.round_closed", "An assessment round closed; its results follow.")
RESULTS_COMPLETED = declare("assessment.results_completed", "A closed round's full results were computed.")
RESPONSE_SUBMITTED = declare("assessment.response_submitted", "A respondent submitted a survey response.")
RESPONSES_IMPORTED = declare("assessment.responses_imported", "Responses were imported from a file.")
FRAMEWORK_EXTENDED = declare("assessment.framework_extended",
                             "An agency added its own success factor or indicator to a framework (e.g. from a theme).")
