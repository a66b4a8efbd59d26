"""Who may apply: the definition's rules, checked before an application is accepted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import get_language

from .definitions import EligibilityRule, ServiceDefinition


class NotEligible(DomainError):
    """One failed rule; its message is the definition's own fa/en text, not a catalog entry."""

    status = 422

    def __init__(self, rule: EligibilityRule) -> None:
        super().__init__("not_eligible", rule.message_en, field=f"eligibility.{rule.id}")
        self.rule = rule

    def localized(self, lang: str | None = None) -> str:
        return self.rule.message_fa if (lang or get_language()) == "fa" else self.rule.message_en


def failed_rules(
    definition: ServiceDefinition,
    answers: Mapping[str, Any],
    *,
    today: dt.date,
    applicant: Mapping[str, Any] | None = None,
) -> list[NotEligible]:
    """Every rule that does not hold, in definition order.

    A rule that cannot be evaluated (the platform does not know the applicant's birth
    date, say) counts as failed: nobody is let through on missing data.
    """
    variables = {"answers": answers, "applicant": applicant or {}}
    failures: list[NotEligible] = []
    for rule in definition.eligibility:
        try:
            holds = rule.rule.evaluate_bool(variables, today=today)
        except DomainError:
            holds = False
        if not holds:
            failures.append(NotEligible(rule))
    return failures


def ensure_eligible(
    definition: ServiceDefinition,
    answers: Mapping[str, Any],
    *,
    today: dt.date,
    applicant: Mapping[str, Any] | None = None,
) -> None:
    """Raise :class:`ValidationFailed` listing every failed rule, or return quietly."""
    failures = failed_rules(definition, answers, today=today, applicant=applicant)
    if failures:
        raise ValidationFailed(list(failures))
