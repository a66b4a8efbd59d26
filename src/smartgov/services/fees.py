"""What an application costs, in integer rial.

Money never passes through floats: formulas are evaluated with exact fractions and the
result is rounded down here, explicitly, so a fee is never a rial more than the rule says.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from smartgov.errors import DomainError
from smartgov.i18n import N_

from .definitions import ServiceDefinition

MAX_FEE = 10**18
"""Largest fee accepted from a formula (fits PostgreSQL's bigint)."""


def compute_fee(
    definition: ServiceDefinition,
    answers: Mapping[str, Any],
    *,
    today: dt.date,
    applicant: Mapping[str, Any] | None = None,
) -> int:
    """The fee for these (cleaned) answers: the fixed amount, or the formula floored to a rial."""
    fee = definition.fee
    if fee is None:
        return 0
    if fee.amount is not None:
        return fee.amount
    assert fee.formula is not None  # the definition model guarantees one of the two
    value = fee.formula.evaluate({"answers": answers, "applicant": applicant or {}}, today=today)
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise DomainError("fee_not_a_number", N_("The fee formula did not give an amount."))
    amount = math.floor(value)
    if amount < 0 or amount > MAX_FEE:
        raise DomainError(
            "fee_out_of_range", N_("The fee formula gave an amount out of range: {amount}."), amount=amount
        )
    return amount
