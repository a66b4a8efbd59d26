"""Insight: thematic analysis of any text corpus (interviews, consultation comments) — code system,
coded segments, basic → organizing → global themes, saturation, inter-coder agreement, and REFI-QDA
(.qdpx/.qdc) exchange with MAXQDA, ATLAS.ti, NVivo and QualCoder.

Assisted coding, offline and in Persian (``persian.py`` reads words on top of ``digits.search_text``;
``assist.py`` holds TF-IDF + NMF candidate themes, keyword in context, suggested codes by similarity
to coded sentences, MinHash near-duplicates; ``assist_service.py`` stores each result as a
suggestion with its method and parameters, and a person approves or rejects every one). Measured
on a labelled Persian set (``tests/insight/test_insight_assist_measured.py``, ``bench/insight_bench.py``).
The demo (``demo.py``) is seed 000's interview study in small and a consultation coded with
assisted themes.

Closing the loop (``loop.py``, ``promote.py``): the basic themes of a consultation's comments draft
its "what we heard" in participation (``participation.draft_what_we_heard``, quotes linked to the
comments); a theme is promoted to a success factor or indicator of an assessment framework
(``assessment.add_to_framework``), the link kept both ways. Optional theme summaries by an
OpenAI-compatible endpoint (``summaries.py``, off by default). JSON API: ``api.py``. See README.md.

Other modules use only this surface: the events it publishes. It reads participation's comments
through ``participation.export_documents`` and the CSF master data through ``assessment``.
"""

from smartgov.insight import demo as _demo  # noqa: F401 - registers the demo loader
from smartgov.insight.events import (
    CODE_CHANGED,
    CODING_CHANGED,
    MEMO_WRITTEN,
    PROJECT_CHANGED,
    SOURCE_ADDED,
    SUGGESTION_DECIDED,
    SUGGESTIONS_MADE,
    THEME_CHANGED,
)

__all__ = [
    "CODE_CHANGED",
    "CODING_CHANGED",
    "MEMO_WRITTEN",
    "PROJECT_CHANGED",
    "SOURCE_ADDED",
    "SUGGESTIONS_MADE",
    "SUGGESTION_DECIDED",
    "THEME_CHANGED",
]
