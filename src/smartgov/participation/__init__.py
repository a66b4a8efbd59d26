"""Citizen participation: consultations on drafts, proposals, polls, participatory budgets,
petitions, surveys, accountability, an SMS channel, moderation and open statistics.

Other modules use only this surface. Surveys are the reusable part::

    from smartgov import participation
    participation.define_survey(db, key="services.feedback", title_fa=..., title_en=..., questions=[...])
    participation.submit_survey(db, "services.feedback", {"ease": 4}, subject_ref="services.application:42")
    participation.survey_summary(db, "services.feedback")

The text-analysis module reads comments with :func:`export_documents` and drafts a consultation's
"what we heard" (summary and quotes linked to comments) with :func:`draft_what_we_heard`, which the
agency's official edits and publishes with the response.
"""

from smartgov.participation.home import home_panel
from smartgov.participation.service import (
    ConsultationRef,
    Document,
    QuoteDraft,
    consultation_ref,
    define_survey,
    draft_what_we_heard,
    export_documents,
    submit_survey,
    survey_summary,
    verification_level,
)

__all__ = [
    "ConsultationRef",
    "Document",
    "QuoteDraft",
    "consultation_ref",
    "define_survey",
    "draft_what_we_heard",
    "export_documents",
    "home_panel",
    "submit_survey",
    "survey_summary",
    "verification_level",
]
