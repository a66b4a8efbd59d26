"""Assessment: the seeds' frameworks, psychometrics, sample sizes and maturity scores.

This is the surface other modules may import; everything here is pure (no database, no HTTP),
except an agency's own additions to a framework (``additions``: ``add_to_framework``,
``framework_additions``, ``additions_from``, the check ``can_extend_framework``), which take a Session.
"""

from smartgov.assessment.additions import (
    EXTENSIBLE,
    AdditionView,
    add_to_framework,
    additions_from,
    can_extend_framework,
    framework_additions,
    parent_nodes,
)
from smartgov.assessment.cfa import CfaResult, MeasurementModel, cfa, measurement_from_framework
from smartgov.assessment.frameworks import Framework, FrameworkFileError, Node, list_frameworks, load_framework
from smartgov.assessment.maturity import (
    GartnerResult,
    Instrument,
    Item,
    MaturityScores,
    NodeScore,
    compare_rounds,
    egdi,
    gartner_stage,
    instrument_from_spec,
    score,
    tgov_stage,
)
from smartgov.assessment.network import network_svg
from smartgov.assessment.psychometrics import (
    AdequacyResult,
    AlphaResult,
    EfaResult,
    alpha_by_component,
    cronbach_alpha,
    efa,
    parallel_analysis,
    sampling_adequacy,
)
from smartgov.assessment.sampling import SampleSize, cochran, krejcie_morgan

__all__ = [
    "EXTENSIBLE",
    "AdditionView",
    "AdequacyResult",
    "AlphaResult",
    "CfaResult",
    "EfaResult",
    "Framework",
    "FrameworkFileError",
    "GartnerResult",
    "Instrument",
    "Item",
    "MaturityScores",
    "MeasurementModel",
    "Node",
    "NodeScore",
    "SampleSize",
    "add_to_framework",
    "additions_from",
    "alpha_by_component",
    "can_extend_framework",
    "cfa",
    "cochran",
    "compare_rounds",
    "cronbach_alpha",
    "efa",
    "egdi",
    "framework_additions",
    "gartner_stage",
    "instrument_from_spec",
    "krejcie_morgan",
    "list_frameworks",
    "load_framework",
    "measurement_from_framework",
    "network_svg",
    "parallel_analysis",
    "parent_nodes",
    "sampling_adequacy",
    "score",
    "tgov_stage",
]
