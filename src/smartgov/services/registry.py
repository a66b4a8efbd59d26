"""Extension points for domain modules (``insurance``, later ``exchange``) built on the engine.

A domain module registers, at import time:

* folders of bundled definition files (:func:`register_definition_folder`);
* prefill providers that add what the platform knows about the applicant
  (:func:`register_prefill_provider`) — facts under ``applicant.*`` for rules and
  suggested answers for the form;
* named actions a definition runs on submit or on a transition (:func:`register_action`),
  e.g. "compute and store the pension" on approval;
* named fee providers for fees no formula can express (:func:`register_fee_provider`);
* extra fields of an output document, by the definition's ``output.template``
  (:func:`register_document_fields`);
* routing rules that name the province a case is served in (:func:`register_routing_rule`),
  for a definition's ``routing:`` (``routing.py``).

Handlers run inside the use case's transaction; raising :class:`smartgov.errors.DomainError`
refuses the whole step (nothing is stored).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from .definitions import DEFINITIONS_DIR, ServiceDefinition, Transition

if TYPE_CHECKING:
    from smartgov.identity import OrganizationRef

    from .models import Application


class ApplicantAccount(Protocol):
    """What a prefill provider may read of the caller's account (an ``Account``, or the pipeline's
    ``AccountRecord`` when the facts were read without a session)."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...


class ApplicantPerson(Protocol):
    """What a prefill provider may read of the applicant's person (a ``Person`` or a ``PersonRecord``)."""

    @property
    def national_code(self) -> str: ...
    @property
    def first_name_fa(self) -> str: ...
    @property
    def last_name_fa(self) -> str: ...
    @property
    def first_name_en(self) -> str | None: ...
    @property
    def last_name_en(self) -> str | None: ...
    @property
    def birth_date(self) -> dt.date: ...
    @property
    def gender(self) -> Any: ...
    @property
    def province(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...


@dataclass(frozen=True)
class ApplicantContext:
    """Who is applying for which service (``organization``: the business, for G2B services).

    ``db`` is ``None`` only for providers registered with ``reads_database=False`` when the
    submission's facts are read without a session (``services.intake.read``); ``account`` and
    ``person`` are then the pipeline's read models, with the same attribute names.
    """

    db: Session | None
    account: ApplicantAccount
    person: ApplicantPerson | None
    organization: OrganizationRef | None
    definition: ServiceDefinition


@dataclass
class Prefill:
    """What a provider knows: ``applicant`` facts (read by rules) and suggested ``answers``."""

    applicant: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionContext:
    """A case at the moment an action runs: ``transition`` is ``None`` for ``on_submit`` actions."""

    db: Session
    application: Application
    definition: ServiceDefinition
    applicant: dict[str, Any]
    transition: Transition | None
    actor_id: int | None
    now: dt.datetime

    @property
    def answers(self) -> dict[str, Any]:
        return self.application.answers

    @property
    def computed(self) -> dict[str, Any]:
        """What earlier actions stored, by action name."""
        return self.application.computed


@dataclass(frozen=True)
class FeeContext:
    """Cleaned answers of an application about to be submitted, for a fee provider."""

    db: Session
    definition: ServiceDefinition
    answers: dict[str, Any]
    applicant: dict[str, Any]
    today: dt.date


@dataclass(frozen=True)
class DocumentField:
    """One labelled line of an issued document; ``value_fa`` defaults to ``value`` with Persian digits."""

    label_fa: str
    label_en: str
    value: str | int | float
    value_fa: str | None = None

    def shown(self, lang: str) -> str:
        from smartgov.i18n import format_number, localize_digits

        if lang == "fa" and self.value_fa is not None:
            return self.value_fa
        if isinstance(self.value, int | float):
            return format_number(self.value, lang)
        return localize_digits(self.value, lang)


@dataclass(frozen=True)
class RoutingContext:
    """An application about to be stored, for a routing rule: cleaned answers, applicant facts, business."""

    db: Session
    definition: ServiceDefinition
    answers: dict[str, Any]
    applicant: dict[str, Any]
    organization: OrganizationRef | None


PrefillProvider = Callable[[ApplicantContext], Prefill | None]
ActionHandler = Callable[[ActionContext], dict[str, Any] | None]
FeeProvider = Callable[[FeeContext], int]
DocumentFieldsProvider = Callable[[ActionContext], list[DocumentField]]
RoutingRule = Callable[[RoutingContext], str | None]
DocumentIssuedHandler = Callable[[ActionContext, Any], None]

_folders: list[Path] = [DEFINITIONS_DIR]
_prefill: dict[str, _Provider] = {}
_actions: dict[str, ActionHandler] = {}
_fees: dict[str, FeeProvider] = {}
_document_fields: dict[str, DocumentFieldsProvider] = {}
_routing: dict[str, RoutingRule] = {}
_document_issued: dict[str, DocumentIssuedHandler] = {}


def register_definition_folder(folder: str | Path) -> None:
    """Bundled ``*.yaml`` definitions in ``folder`` are loaded by ``sync_bundled_definitions``."""
    path = Path(folder)
    if path not in _folders:
        _folders.append(path)


def definition_folders() -> list[Path]:
    return list(_folders)


@dataclass(frozen=True)
class _Provider:
    fn: PrefillProvider
    applies: Callable[[ServiceDefinition], bool] | None
    reads_database: bool


def register_prefill_provider(name: str, provider: PrefillProvider, *,
                              applies: Callable[[ServiceDefinition], bool] | None = None,
                              reads_database: bool = True) -> None:
    """``provider(ctx)`` adds applicant facts and suggested answers; later providers win on clashes.

    ``applies(definition)``, if given, says for which services the provider has anything (it is
    not asked for the others). ``reads_database=False`` promises it reads nothing but the context's
    account, person and organization: a submission whose providers all promise so can be taken
    without an ORM session (``services.intake``, the fast path of the most frequent submissions).
    """
    _prefill[name] = _Provider(provider, applies, reads_database)


def _applying(definition: ServiceDefinition | None) -> list[tuple[str, _Provider]]:
    return [(name, p) for name, p in _prefill.items()
            if definition is None or p.applies is None or p.applies(definition)]


def prefill_providers(definition: ServiceDefinition | None = None) -> list[tuple[str, PrefillProvider]]:
    """The providers, in registration order; with ``definition``, only those that apply to it."""
    return [(name, p.fn) for name, p in _applying(definition)]


def prefill_reads_database(definition: ServiceDefinition) -> bool:
    """Whether any provider that applies to ``definition`` reads the database."""
    return any(p.reads_database for _, p in _applying(definition))


def register_action(name: str, handler: ActionHandler) -> None:
    """A named action a definition lists in ``on_submit`` or a transition's ``actions``.

    What ``handler(ctx)`` returns is stored in ``application.computed[name]`` (readable by
    rules as ``application.computed.<name>`` and by document field providers).
    """
    _actions[name] = handler


def action(name: str) -> ActionHandler | None:
    return _actions.get(name)


def register_fee_provider(name: str, provider: FeeProvider) -> None:
    """A definition's ``fee: {provider: name}`` asks ``provider(ctx)`` for the amount in rial."""
    _fees[name] = provider


def fee_provider(name: str) -> FeeProvider | None:
    return _fees.get(name)


def register_document_fields(template: str, provider: DocumentFieldsProvider) -> None:
    """Extra signed fields for documents of definitions whose ``output.template`` is ``template``."""
    _document_fields[template] = provider


def document_fields_provider(template: str) -> DocumentFieldsProvider | None:
    return _document_fields.get(template)


def register_routing_rule(name: str, rule: RoutingRule) -> None:
    """A definition's ``routing: name`` asks ``rule(ctx)`` for the province its cases are served in
    (``None``: none known, the owning agency serves the case); ``routing.py`` finds the branch."""
    _routing[name] = rule


def routing_rule(name: str) -> RoutingRule | None:
    return _routing.get(name)


def register_document_issued(template: str, handler: DocumentIssuedHandler) -> None:
    """Run ``handler(ctx, document)`` in the issuing transaction when a document of ``template`` is
    issued (``ctx.transition`` is the step that issued it; ``document`` the stored row). A case decided
    at once whose document has a handler is written by the unit of work, which runs it."""
    _document_issued[template] = handler


def document_issued_handler(template: str) -> DocumentIssuedHandler | None:
    return _document_issued.get(template)


def known(kind: str, name: str) -> bool:
    """Whether a hook a definition names is registered (``kind``: action, fee provider or routing rule)."""
    return name in {"action": _actions, "fee provider": _fees, "routing rule": _routing}[kind]


#: ``fn(definition, applicant facts, today)`` -> the reasons the applicant cannot use the service.
EligibilityCheck = Callable[[ServiceDefinition, dict[str, Any], dt.date], list[Any]]
_eligibility_checks: dict[str, EligibilityCheck] = {}


def register_eligibility_check(service_id: str, check: EligibilityCheck) -> None:
    """Say before the form who cannot apply, from facts the platform already knows (``applicant.*``).

    ``check`` returns ``DomainError``s whose messages say why (an age, a record too short); the
    start page shows them and does not open the form. It is advice computed by the same rule the
    service applies at submission (a domain action), so it can never let through what submission
    refuses; facts that could not be read (an agency down) give no reason, and submission decides.
    """
    _eligibility_checks[service_id] = check


def eligibility_check(service_id: str) -> EligibilityCheck | None:
    return _eligibility_checks.get(service_id)
