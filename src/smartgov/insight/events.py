"""The events insight publishes: every change to a project is on the record (audit log, ledger)."""

from smartgov.events import declare

PROJECT_CHANGED = declare("insight.project_changed", "A thematic-analysis project was created, edited or imported.")
SOURCE_ADDED = declare("insight.source_added", "Sources were added to a thematic-analysis project.")
CODE_CHANGED = declare("insight.code_changed", "A code of a project's code system was created or edited.")
CODING_CHANGED = declare("insight.coding_changed", "A segment was coded or a coding was removed.")
MEMO_WRITTEN = declare("insight.memo_written", "A memo was written on a project, code, source or segment.")
THEME_CHANGED = declare("insight.theme_changed", "A theme of the thematic network was created or regrouped.")
SUGGESTIONS_MADE = declare("insight.suggestions_made",
                           "Assisted coding proposed themes, codes or near-duplicates for a person to decide.")
SUGGESTION_DECIDED = declare("insight.suggestion_decided",
                             "A person approved or rejected an assisted-coding suggestion.")
