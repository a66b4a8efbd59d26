"""Where a submission's CPU goes: each step of the engine's submit, timed in process on PostgreSQL.

    .venv/bin/python bench/submission_phases.py [--submissions 500] [--database-url URL]

The submissions target (bench/RESULTS.md) is missed by the CPU each request spends, not by
PostgreSQL, so before rebuilding the write path this says which steps cost what. It makes the
same accounts, tokens and uploads as ``services_bench.py`` in a scratch database, then submits
``--submissions`` tenant address changes one after another through the functions the API's
``POST /applications`` runs (token, ``submit_application``, the answer, the commit) — no HTTP,
no thread pool — with each named step wrapped in a CPU timer and every statement counted.
Steps nest (``write_plan`` holds the reference counter and the automatic steps), so the shares
add up to more than 100 %; "the rest" of ``submit_application`` is mostly the savepoint's flush
of the case, transition, events, notifications and file updates. ``--owners`` submits home
owners' address changes instead: decided at once, with a signed document (``documents``).
"""

from __future__ import annotations

import argparse
import collections
import functools
import tempfile
import time
from collections.abc import Callable
from typing import Any

from harness import DEFAULT_PG, machine, scratch_postgres
from services_bench import setup
from sqlalchemy import event

#: (module, name): each step is wrapped where it is called from (a module's own global, or a module attribute).
STEPS = (("submission", "published"), ("submission", "applicant_context"), ("submission", "read_facts"),
         ("pipeline", "plan"), ("pipeline", "clean_answers"), ("pipeline", "clean_documents"),
         ("pipeline", "ensure_eligible"), ("submission", "write_plan"), ("submission", "next_number"),
         ("submission", "run_automatic_steps"), ("casework", "issue_document"), ("documents", "build_payload"),
         ("documents", "active_key"), ("documents", "_private"), ("casework", "notify_applicant"),
         ("submission", "delete_draft"))
DIRECT = ("read_facts", "plan", "write_plan", "delete_draft")  # called by submit_application itself


def timed(spent: collections.Counter[str], module: Any, name: str) -> None:
    """Wrap ``module.name`` so its CPU time adds up in ``spent`` (calls inside the module see the wrapper)."""
    inner: Callable[..., Any] = getattr(module, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - start

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--owners", action="store_true", help="Home owners: decided at once, a signed document.")
    args = parser.parse_args()
    from smartgov import events
    from smartgov.db import Database
    from smartgov.identity import service as identity
    from smartgov.identity.service import Principal
    from smartgov.services import api, casework, documents, pipeline, service, submission
    from smartgov.settings import Settings, use_settings

    warm = 30
    with scratch_postgres(args.database_url) as url:
        use_settings(Settings(database_url=url, data_dir=tempfile.mkdtemp(prefix="sgbench-phases-"),
                              environment="development", argon2_time_cost=1, argon2_memory_kib=8192))
        owners, tenants = (args.submissions + warm, 0) if args.owners else (0, args.submissions + warm)
        _, owner_specs, tenant_specs = setup(url, 100, owners, tenants)
        tenants = owner_specs if args.owners else tenant_specs
        database = Database(url)
        spent: collections.Counter[str] = collections.Counter()
        rooms = {"submission": submission, "pipeline": pipeline, "casework": casework, "documents": documents}
        for module, name in STEPS:
            timed(spent, rooms[module], name)
        timed(spent, events, "publish_event")
        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        for engine in (database.engine, database._bookkeeping):
            event.listen(engine, "before_cursor_execute", count)

        def submit(spec: Any) -> None:
            _, _, headers, body = spec
            start = time.process_time()
            with database.sessions() as db:
                t = time.process_time()
                found = identity.account_for_token(db, headers["Authorization"].removeprefix("Bearer "))
                assert found is not None
                spent["the token"] += time.process_time() - t
                principal = Principal(account=found[0], scopes=set(found[1].scopes), via_token=True)
                t = time.process_time()
                done = service.submit_application(db, principal, body["service_id"], body["answers"], body["documents"],
                                                  idempotency_key=headers["Idempotency-Key"])
                spent["submit_application"] += time.process_time() - t
                t = time.process_time()
                api.application_public(db, principal, done.application, service.fresh_case_facts(db, done.application))
                spent["the answer"] += time.process_time() - t
                t = time.process_time()
                db.commit()
                spent["the commit"] += time.process_time() - t
            spent["whole submission"] += time.process_time() - start

        for spec in tenants[:warm]:
            submit(spec)
        spent.clear()
        statements[0] = 0
        for spec in tenants[warm:warm + args.submissions]:
            submit(spec)
        database.dispose()
    n = args.submissions
    spent["the rest of submit_application (idempotency check, savepoint flush)"] = (
        spent["submit_application"] - sum(spent[name] for name in DIRECT))
    whole = spent["whole submission"] / n * 1000
    print(f"Machine: {machine()}")
    kind = "home owner (signed document)" if args.owners else "tenant"
    print(f"{n} {kind} submissions, one after another; {statements[0] / n:.1f} statements each\n")
    print("| step | CPU ms per submission | share of the whole |\n|---|---|---|")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        ms = seconds / n * 1000
        print(f"| {name} | {ms:.2f} | {100 * ms / whole:.0f} % |")


if __name__ == "__main__":
    main()
