"""Assessment use cases: questionnaires, rounds, invitations, answers, imports, results, roadmap.

One module per use case (see the README); this package re-exports every public name, so callers
keep writing ``from smartgov.assessment import service`` and ``service.create_round(...)``.
Importing it registers the outbox subscriber that completes a closed round's results (``rounds``).

Functions take a Session and never commit; the caller's unit of work does. Scores and
psychometrics are computed by the pure functions of :mod:`maturity` and :mod:`psychometrics`
on the submitted answers, so a round's results are exactly what a researcher gets offline.
"""

from .instruments import (
    FILLER_ITEMS,
    GARTNER_KEYS,
    LEAF_ITEM,
    TGOV_KEYS,
    ItemDraft,
    component_level,
    create_instrument,
    default_items,
    framework_of,
    pure_instrument,
    questionnaire_frameworks,
    update_item,
)
from .invitations import (
    account_invitation,
    invitation_by_token,
    invitations_of,
    invite_accounts,
    invite_links,
    response_for,
)
from .live import indicator_scope, live_indicators, subtree
from .responses import (
    IMPORT_LIMITS,
    MAX_IMPORT_BYTES,
    RESPONDENT_COLUMNS,
    CellProblem,
    ImportFailed,
    add_imported,
    counts,
    import_responses,
    save_answers,
)
from .results import (
    CFA_ON_CLOSE,
    CFA_PENDING,
    GARTNER_GAP,
    NO_ANSWERS,
    SAMPLE_TOO_SMALL,
    STAGE_NOT_ANSWERED,
    classify_stages,
    compute_results,
    previous_round,
    recoded,
    response_frame,
    results_for,
    scores_of,
)
from .roadmap import build_roadmap, roadmap_of, update_action, weakest
from .rounds import (
    close_round,
    complete_results,
    create_round,
    get_round,
    open_round,
    organization_of,
    rounds_for,
    update_settings,
)

__all__ = [
    "CFA_ON_CLOSE",
    "CFA_PENDING",
    "FILLER_ITEMS",
    "GARTNER_GAP",
    "GARTNER_KEYS",
    "IMPORT_LIMITS",
    "LEAF_ITEM",
    "MAX_IMPORT_BYTES",
    "NO_ANSWERS",
    "RESPONDENT_COLUMNS",
    "SAMPLE_TOO_SMALL",
    "STAGE_NOT_ANSWERED",
    "TGOV_KEYS",
    "CellProblem",
    "ImportFailed",
    "ItemDraft",
    "account_invitation",
    "add_imported",
    "build_roadmap",
    "classify_stages",
    "close_round",
    "complete_results",
    "component_level",
    "compute_results",
    "counts",
    "create_instrument",
    "create_round",
    "default_items",
    "framework_of",
    "get_round",
    "import_responses",
    "indicator_scope",
    "invitation_by_token",
    "invitations_of",
    "invite_accounts",
    "invite_links",
    "live_indicators",
    "open_round",
    "organization_of",
    "previous_round",
    "pure_instrument",
    "questionnaire_frameworks",
    "recoded",
    "response_for",
    "response_frame",
    "results_for",
    "roadmap_of",
    "rounds_for",
    "save_answers",
    "scores_of",
    "subtree",
    "update_action",
    "update_item",
    "update_settings",
    "weakest",
]
