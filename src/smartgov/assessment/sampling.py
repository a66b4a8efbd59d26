"""How many respondents an assessment round needs.

Seed 004 sized its survey with Krejcie & Morgan (1970); Cochran's formula with the finite
population correction is offered beside it because it lets the researcher choose the
confidence level and margin directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from smartgov.errors import DomainError
from smartgov.i18n import N_


@dataclass(frozen=True)
class SampleSize:
    """The exact value of the formula and the whole number of respondents to recruit."""

    method: str
    population: int | None
    exact: float
    n: int


def _check(population: int | None, p: float, margin: float) -> None:
    if population is not None and (isinstance(population, bool) or int(population) != population or population < 1):
        raise DomainError(
            "sample_population",
            N_("The population size must be a whole number of at least 1."),
            field="population",
        )
    if not 0 < p < 1:
        raise DomainError("sample_proportion", N_("The proportion must be between 0 and 1."), field="p")
    if not 0 < margin < 1:
        raise DomainError("sample_margin", N_("The margin of error must be between 0 and 1."), field="margin")


def krejcie_morgan(population: int, *, chi2: float = 3.841, p: float = 0.5, margin: float = 0.05) -> SampleSize:
    """s = χ²NP(1−P) / (d²(N−1) + χ²P(1−P)), rounded half up as in the published table."""
    _check(population, p, margin)
    exact = chi2 * population * p * (1 - p) / (margin**2 * (population - 1) + chi2 * p * (1 - p))
    return SampleSize("krejcie-morgan", int(population), exact, math.floor(exact + 0.5))


def cochran(
    population: int | None = None, *, confidence: float = 0.95, p: float = 0.5, margin: float = 0.05
) -> SampleSize:
    """n₀ = z²p(1−p)/e², then n = n₀ / (1 + (n₀−1)/N) for a finite population; rounded up."""
    _check(population, p, margin)
    if not 0 < confidence < 1:
        raise DomainError("sample_confidence", N_("The confidence level must be between 0 and 1."), field="confidence")
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    n0 = z * z * p * (1 - p) / margin**2
    exact = n0 if population is None else n0 / (1 + (n0 - 1) / population)
    # Guard against 384.0000000001 becoming 385 through floating-point noise.
    return SampleSize("cochran", population, exact, math.ceil(round(exact, 9)))
