"""Assessment: the seeds' frameworks, psychometrics, sample sizes and maturity scores.

This is the surface other modules may import; everything here is pure (no database, no HTTP).
"""

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
    "alpha_by_component",
    "cfa",
    "cochran",
    "compare_rounds",
    "cronbach_alpha",
    "efa",
    "egdi",
    "gartner_stage",
    "instrument_from_spec",
    "krejcie_morgan",
    "list_frameworks",
    "load_framework",
    "measurement_from_framework",
    "network_svg",
    "parallel_analysis",
    "sampling_adequacy",
    "score",
    "tgov_stage",
]
