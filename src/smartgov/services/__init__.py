"""The e-services engine: declarative service definitions, applications, inbox, payments, signed documents.

Other modules (``insurance``, later ``exchange``, the web layer) use only what is exported here.

A domain module plugs in at import time:

* ``register_definition_folder(path)`` — its bundled ``*.yaml`` definitions (loaded by
  ``sync_bundled_definitions``; the demo and ``make run`` call it);
* ``register_prefill_provider(name, fn, applies=..., reads_database=...)`` — ``fn(ApplicantContext)
  -> Prefill`` adds facts under ``applicant.*`` (read by eligibility rules, fee formulas,
  conditions) and suggested answers; ``applies(definition)`` limits it to the services it knows
  about: a service that a provider reading the database applies to is submitted through the ORM
  (not ``intake``'s fast path), so say which services a provider is for;
* ``register_action(name, fn)`` — ``fn(ActionContext) -> dict | None`` runs when a definition
  lists it in ``workflow.on_submit`` or a transition's ``actions``; the result is stored in
  ``application.computed[name]`` (and readable in conditions as ``application.computed.<name>``);
  raising ``DomainError`` refuses the step;
* ``register_fee_provider(name, fn)`` — ``fn(FeeContext) -> int`` for ``fee: {provider: name}``;
* ``register_document_fields(template, fn)`` — ``fn(ActionContext) -> list[DocumentField]``: extra
  signed lines on documents of definitions whose ``output.template`` is ``template``;
* ``register_routing_rule(name, fn)`` — ``fn(RoutingContext) -> str | None`` names the province whose
  branch serves a case of a definition with ``routing: name`` (``routing.py``; the engine itself
  knows ``agency``, the default, and ``applicant_province``).
* ``register_eligibility_check(service_id, fn)`` — ``fn(definition, applicant, today) -> [DomainError]``:
  who cannot apply, said on the start page before the form, from facts already known;
* ``register_document_issued(template, fn)`` — ``fn(ActionContext, IssuedDocument)`` in the issuing
  transaction when such a document is issued.

Dashboards read the staff's scope (``branch_scope``: the branches whose cases the caller may see,
``None`` for every branch) and the cases behind a number (``cases_behind``), both by the inbox's rule;
``catalog`` lists the published services.

Workflow conventions: the role ``applicant`` is the person who applied; every other role a
definition names is held by the staff of the branch the case was routed to: its officials, and
the agency admins above it (supervisors), who may also transfer it to another branch
(``permissions.py``).
Actions named ``request_information`` (reason = the question), ``respond`` (the applicant's
answer) and ``withdraw`` have that meaning in the engine; ``application.paid`` becomes true when
every invoice is paid, so ``condition: application.paid`` moves a case on after payment.
"""

from . import demo as _demo  # noqa: F401 - registers the demo loader
from . import designer_store as _designer_store  # noqa: F401 - registers the scheduled publishing job
from .cases import CASE_BASES, CaseRow, cases_behind
from .catalog import catalog
from .definitions import (
    DefinitionInvalid,
    ServiceDefinition,
    bundled_definitions,
    issue_states,
    load_definition,
    parse_definition,
)
from .documents import rotate_key, sign_record, signed_record, signer_of, verify_document_id, verify_upload
from .eligibility import NotEligible, ensure_eligible, failed_rules
from .expressions import Expression, ExpressionError
from .expressions import parse as parse_expression
from .fees import compute_fee
from .forms import SummaryItem, clean_answers, clean_documents, summarize
from .home import home_panel
from .models import Application, Definition, DefinitionStatus, IssuedDocument
from .payments import PaymentGateway, register_gateway
from .permissions import branch_scope
from .registry import (
    ActionContext,
    ApplicantContext,
    DocumentField,
    FeeContext,
    Prefill,
    RoutingContext,
    register_action,
    register_definition_folder,
    register_document_fields,
    register_document_issued,
    register_eligibility_check,
    register_fee_provider,
    register_prefill_provider,
    register_routing_rule,
)
from .service import (
    application_by_reference,
    definition_of,
    published,
    submit_application,
    sync_bundled_definitions,
    take_action,
)
from .workflow import Workflow, is_breached, time_left

__all__ = [
    "CASE_BASES",
    "ActionContext",
    "ApplicantContext",
    "Application",
    "CaseRow",
    "Definition",
    "DefinitionInvalid",
    "DefinitionStatus",
    "DocumentField",
    "Expression",
    "ExpressionError",
    "FeeContext",
    "IssuedDocument",
    "NotEligible",
    "PaymentGateway",
    "Prefill",
    "RoutingContext",
    "ServiceDefinition",
    "SummaryItem",
    "Workflow",
    "application_by_reference",
    "branch_scope",
    "bundled_definitions",
    "cases_behind",
    "catalog",
    "clean_answers",
    "clean_documents",
    "compute_fee",
    "definition_of",
    "ensure_eligible",
    "failed_rules",
    "home_panel",
    "is_breached",
    "issue_states",
    "load_definition",
    "parse_definition",
    "parse_expression",
    "published",
    "register_action",
    "register_definition_folder",
    "register_document_fields",
    "register_document_issued",
    "register_eligibility_check",
    "register_fee_provider",
    "register_gateway",
    "register_prefill_provider",
    "register_routing_rule",
    "rotate_key",
    "sign_record",
    "signed_record",
    "signer_of",
    "submit_application",
    "summarize",
    "sync_bundled_definitions",
    "take_action",
    "time_left",
    "verify_document_id",
    "verify_upload",
]
