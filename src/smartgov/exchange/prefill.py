"""Once only: the e-services engine prefills applications with data fetched through the exchange.

The module owning a service definition declares which exchange services feed it::

    exchange.register_prefill_source("pension-retirement", exchange.PrefillSource(
        service_code="contribution-history", purpose="pension-claim", fact="contribution_history",
        client_subsystem="IR/GOV/sso/pension", answers={"insured_days": "total_days"}))

When the engine asks its prefill providers about an applicant for that definition, the
exchange fetches each source (signed, checked, logged, recorded in the applicant's "who read my
data") and adds ``applicant.<fact>`` (the response body, or ``None`` if refused) for rules and
pages, ``applicant.exchange_errors.<fact>`` with the refusal reason, and the listed suggested
answers (form field → key of the response body). A verified answer is reused for
:data:`PREFILL_MAX_AGE`, so moving between the form's pages does not ask again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov.exchange import service
from smartgov.exchange.models import ExchangeMember, ExchangeSubsystem

PREFILL_MAX_AGE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class PrefillSource:
    """One exchange service feeding a definition's applicant facts and suggested answers."""

    service_code: str
    purpose: str
    fact: str
    client_subsystem: str | None = None  # default: the first subsystem of the definition's agency here
    answers: dict[str, str] = field(default_factory=dict)


_sources: dict[str, list[PrefillSource]] = {}


def register_prefill_source(definition_id: str, source: PrefillSource) -> None:
    """Feed applications for ``definition_id`` from ``source`` (idempotent)."""
    found = _sources.setdefault(definition_id, [])
    if source not in found:
        found.append(source)


def prefill_sources(definition_id: str) -> list[PrefillSource]:
    return list(_sources.get(definition_id, []))


def _default_client(db: Session, agency: str) -> ExchangeSubsystem | None:
    """The first subsystem of the member hosted here that stands for ``agency``."""
    return db.scalar(select(ExchangeSubsystem).join(ExchangeMember).where(
        func.lower(ExchangeMember.organization_code) == agency.lower(), ExchangeMember.server_url.is_(None))
        .order_by(ExchangeSubsystem.code).limit(1))


def fetch_for_applicant(db: Session, definition_id: str, agency: str, national_code: str,
                        actor_account_id: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(applicant facts, suggested answers) from every source registered for ``definition_id``."""
    facts: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for source in prefill_sources(definition_id):
        client = source.client_subsystem or _default_client(db, agency)
        if client is None:
            facts[source.fact] = None
            errors[source.fact] = "no_client_subsystem"
            continue
        result = service.fetch(db, client, source.service_code, national_code, source.purpose,
                               actor_account_id=actor_account_id, max_age=PREFILL_MAX_AGE)
        facts[source.fact] = result.data if result.ok else None
        if not result.ok:
            errors[source.fact] = result.reason or "refused"
            continue
        for field_name, key in source.answers.items():
            if key in result.data:
                answers[field_name] = result.data[key]
    if errors:
        facts["exchange_errors"] = errors
    return facts, answers


def _services_prefill(ctx: Any) -> Any:
    """The engine's prefill provider (``smartgov.services.register_prefill_provider``)."""
    from smartgov.services import Prefill

    if ctx.person is None or not _sources.get(ctx.definition.id):
        return None
    facts, answers = fetch_for_applicant(ctx.db, ctx.definition.id, ctx.definition.agency,
                                         ctx.person.national_code, ctx.account.id)
    return Prefill(applicant=facts, answers=answers)


def install() -> None:
    """Register with the e-services engine, if it is installed."""
    try:
        from smartgov.services import register_prefill_provider
    except ImportError:  # the engine is optional for the exchange
        return
    register_prefill_provider("exchange", _services_prefill, applies=lambda d: bool(_sources.get(d.id)))
