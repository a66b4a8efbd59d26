"""Insight: thematic analysis of any text corpus (interviews, consultation comments) — code system,
coded segments, basic → organizing → global themes, saturation, inter-coder agreement, and REFI-QDA
(.qdpx/.qdc) exchange with MAXQDA, ATLAS.ti, NVivo and QualCoder. (Assisted themes are not built yet.)

Other modules use only this surface: the events it publishes. It reads participation's comments
through ``participation.export_documents`` and the CSF master data through ``assessment``.
"""

from smartgov.insight.events import (
    CODE_CHANGED,
    CODING_CHANGED,
    MEMO_WRITTEN,
    PROJECT_CHANGED,
    SOURCE_ADDED,
    THEME_CHANGED,
)

__all__ = [
    "CODE_CHANGED",
    "CODING_CHANGED",
    "MEMO_WRITTEN",
    "PROJECT_CHANGED",
    "SOURCE_ADDED",
    "THEME_CHANGED",
]
