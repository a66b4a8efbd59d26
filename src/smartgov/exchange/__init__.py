"""G2G data exchange (X-Road-like) and "who read my data". Other modules use only this surface.

**Once only — fetch data from another agency instead of asking the citizen for papers**::

    from smartgov import exchange

    result = exchange.fetch(db, "IR/GOV/sso/pension", "person-status", national_code, "pension-claim",
                            actor_account_id=principal.id)
    if result.ok:
        prefill = result.data          # the provider's signed answer, checked against the service schema
    else:
        result.reason                  # e.g. "no_access_right", "purpose_not_allowed", "not_found"

``fetch`` signs a request envelope with the client subsystem's key, sends it to the member
offering the service (in-process for members hosted here, over HTTP for members of another
instance — the same checks either way), verifies the signed response, logs both messages,
publishes events for the ledger and records the read in the person's access log. It never
commits and never raises for a refusal.

**Prefill applications in the e-services engine** — the module owning a definition says
which exchange services feed it; ``applicant.<fact>`` then holds the answer::

    exchange.register_prefill_source("pension-retirement", exchange.PrefillSource(
        service_code="contribution-history", purpose="pension-claim", fact="contribution_history",
        client_subsystem="IR/GOV/sso/pension", answers={"insured_days": "total_days"}))

**Provide data** — the module that owns the data registers the code answering a service::

    exchange.register_provider("contribution-history", fn)   # fn(db, national_code, params) -> dict

raising ``smartgov.errors.NotFound`` for an unknown person; the answer must follow the
service's JSON schema (``CONTRIBUTION_HISTORY_SCHEMA`` etc. below). ``person-status`` and
``person-mobile`` (the registry's mobile number, where identity sends a sign-up's proof code)
are built in, from ``identity`` people.

**Who read my data — mandatory for every module.** Whenever an official (or any code on an
agency's behalf) reads a person's data, record it in the same transaction, either directly::

    exchange.record_access(db, person_id_or_national_code, principal.id, "sso-thr",
                           "insurance.contribution_record", "medical-claim-review")

or, without importing this module, by publishing the event::

    events.publish(db, "privacy.person_data_accessed", actor_id=principal.id,
                   national_code=code,            # or person_id=person.id
                   agency_code="sso-thr", what="insurance.contribution_record",
                   what_fa="سابقهٔ پرداخت حق بیمه", what_en="Contribution record",  # optional, shown to the person
                   purpose="medical-claim-review",
                   purpose_fa="…", purpose_en="…")  # optional: registers the purpose if it is new

Citizens see these records at ``/account/data-access`` and ``GET /api/v1/exchange/my-data-access``
and may flag one, which opens a case for the data-protection officer.

The envelope, its canonical form and signature are documented in :mod:`smartgov.exchange.envelope`.
"""

from smartgov.exchange import demo as _demo  # noqa: F401 - registers the demo loader
from smartgov.exchange.client import ExchangeClient
from smartgov.exchange.envelope import ClientAddress, Envelope, ServiceAddress, SignedMessage, canonical
from smartgov.exchange.home import home_panel
from smartgov.exchange.prefill import PREFILL_MAX_AGE, PrefillSource, register_prefill_source
from smartgov.exchange.prefill import install as _install_prefill
from smartgov.exchange.privacy import ACCESS_EVENT, record_access
from smartgov.exchange.providers import (
    CONTRIBUTION_HISTORY_SCHEMA,
    INCOME_RECORD_SCHEMA,
    PERSON_MOBILE_SCHEMA,
    PERSON_STATUS_SCHEMA,
    register_provider,
)
from smartgov.exchange.purposes import ensure_purpose
from smartgov.exchange.service import (
    FetchResult,
    Outcome,
    create_member,
    create_service,
    create_subsystem,
    export_configuration,
    fetch,
    find_subsystem,
    grant_access,
    import_configuration,
    receive,
    rotate_key,
)
from smartgov.identity import install_registry_reader

_install_prefill()  # the e-services engine asks the exchange when it prefills applications
install_registry_reader(fetch)  # identity asks the population registry through the exchange (the proof)

__all__ = [
    "ACCESS_EVENT",
    "CONTRIBUTION_HISTORY_SCHEMA",
    "INCOME_RECORD_SCHEMA",
    "PERSON_MOBILE_SCHEMA",
    "PERSON_STATUS_SCHEMA",
    "PREFILL_MAX_AGE",
    "ClientAddress",
    "Envelope",
    "ExchangeClient",
    "FetchResult",
    "Outcome",
    "PrefillSource",
    "ServiceAddress",
    "SignedMessage",
    "canonical",
    "create_member",
    "create_service",
    "create_subsystem",
    "ensure_purpose",
    "export_configuration",
    "fetch",
    "find_subsystem",
    "grant_access",
    "home_panel",
    "import_configuration",
    "receive",
    "record_access",
    "register_prefill_source",
    "register_provider",
    "rotate_key",
]
