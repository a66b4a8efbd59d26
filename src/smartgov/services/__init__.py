"""The e-services engine: declarative service definitions and their pure rules.

Other modules (``insurance``, the web layer) use only what is exported here.
"""

from .definitions import (
    DefinitionInvalid,
    ServiceDefinition,
    bundled_definitions,
    load_definition,
    parse_definition,
)
from .eligibility import NotEligible, ensure_eligible, failed_rules
from .expressions import Expression, ExpressionError
from .expressions import parse as parse_expression
from .fees import compute_fee
from .forms import SummaryItem, clean_answers, clean_documents, summarize
from .workflow import Workflow, is_breached, time_left

__all__ = [
    "DefinitionInvalid",
    "Expression",
    "ExpressionError",
    "NotEligible",
    "ServiceDefinition",
    "SummaryItem",
    "Workflow",
    "bundled_definitions",
    "clean_answers",
    "clean_documents",
    "compute_fee",
    "ensure_eligible",
    "failed_rules",
    "is_breached",
    "load_definition",
    "parse_definition",
    "parse_expression",
    "summarize",
    "time_left",
]
