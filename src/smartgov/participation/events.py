"""The events participation publishes (followers are notified of some; see ``following``)."""

from smartgov.events import declare

CONSULTATION_CREATED = declare("participation.consultation_created", "A consultation on a draft was opened.")
CONSULTATION_UPDATED = declare("participation.consultation_updated",
                               "A consultation's draft, phases or sections were edited before comments opened.")
PHASE_CHANGED = declare("participation.phase_changed", "A consultation moved to another phase.")
COMMENT_POSTED = declare("participation.comment_posted", "A comment was posted (maybe held for moderation).")
COMMENT_EDITED = declare("participation.comment_edited", "A comment was edited by its author.")
COMMENT_DELETED = declare("participation.comment_deleted", "A comment was deleted by its author.")
COMMENT_RATED = declare("participation.comment_rated", "Someone agreed or disagreed with a comment.")
RESPONSE_PUBLISHED = declare("participation.response_published", "The agency published its response report.")
HEARD_DRAFTED = declare("participation.heard_drafted",
                        "A \"what we heard\" summary with quotes was drafted for the agency to edit and publish.")
FINAL_VERSION_PUBLISHED = declare("participation.final_version_published", "The final text was published.")
PROPOSAL_CREATED = declare("participation.proposal_created", "A citizen made a proposal.")
PROPOSAL_SUPPORTED = declare("participation.proposal_supported", "A citizen supported a proposal.")
PROPOSAL_THRESHOLD_REACHED = declare("participation.proposal_threshold_reached", "A proposal reached its threshold.")
PROPOSAL_ANSWERED = declare("participation.proposal_answered", "The agency answered a proposal.")
ELECTION_KEY_CREATED = declare("participation.election_key_created", "A box's election key was made.")
VOTE_CAST = declare("participation.vote_cast", "An encrypted ballot was cast (tracker only, never the choice).")
POLL_CREATED = declare("participation.poll_created", "A poll was created.")
POLL_UPDATED = declare("participation.poll_updated",
                       "A poll's question, options or window were edited before it opened.")
BUDGET_UPDATED = declare("participation.budget_updated",
                         "A participatory budget's projects, rules or window were edited before it opened.")
VOTING_CLOSED = declare("participation.voting_closed", "Staff closed a poll or budget before its planned closing time.")
BUDGET_CREATED = declare("participation.budget_created", "A participatory budget was created.")
TALLY_DECRYPTED = declare("participation.tally_decrypted", "A trustee gave its share of a box's tally.")
TALLY_PUBLISHED = declare("participation.tally_published", "A box's tally was decrypted and published.")
PETITION_CREATED = declare("participation.petition_created", "A petition was started.")
PETITION_SIGNED = declare("participation.petition_signed", "A petition was signed.")
PETITION_THRESHOLD_REACHED = declare("participation.petition_threshold_reached", "A petition needs an answer.")
PETITION_RESPONDED = declare("participation.petition_responded", "The agency responded to a petition.")
PETITION_TERMS_SET = declare("participation.petition_terms_set",
                             "Staff set a petition's signature threshold, response time or signing deadline.")
PETITION_OVERDUE = declare("participation.petition_overdue", "A petition's response is past its deadline.")
SURVEY_RESPONSE_SUBMITTED = declare("participation.survey_response_submitted", "A satisfaction survey was answered.")
ACCOUNTABILITY_CREATED = declare("participation.accountability_created", "A decision is tracked for accountability.")
ACCOUNTABILITY_UPDATED = declare("participation.accountability_updated", "A tracked decision has new progress.")
CONTENT_REPORTED = declare("participation.content_reported", "Someone reported a comment or proposal.")
MODERATION_ACTION = declare("participation.moderation_action", "A moderator hid, restored or approved content.")
SMS_RECEIVED = declare("participation.sms_received", "A participation SMS command was handled.")
