"""Citizen participation: consultations on drafts, proposals, polls, participatory budgets,
petitions, surveys, accountability, an SMS channel, moderation and open statistics.

Other modules use only this surface. Surveys are the reusable part::

    from smartgov import participation
    participation.define_survey(db, key="services.feedback", title_fa=..., title_en=..., questions=[...])
    participation.submit_survey(db, "services.feedback", {"ease": 4}, subject_ref="services.application:42")
    participation.survey_summary(db, "services.feedback")

The text-analysis module reads comments with :func:`export_documents`.
"""

from smartgov.participation.home import home_panel
from smartgov.participation.service import (
    Document,
    define_survey,
    export_documents,
    submit_survey,
    survey_summary,
    verification_level,
)

__all__ = [
    "Document",
    "define_survey",
    "export_documents",
    "home_panel",
    "submit_survey",
    "survey_summary",
    "verification_level",
]
