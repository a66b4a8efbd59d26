"""How the operations centre plugs into the platform at import: the work-order service on the
services engine (its definition folder and the fact its eligibility rule reads), and the worker's
periodic jobs (silence rules, escalation, partitions of the readings table)."""

from __future__ import annotations

from pathlib import Path

from smartgov import events, services
from smartgov.db import Database
from smartgov.services import ApplicantContext, Prefill

from . import alerts, partitions, rules
from .permissions import OPERATOR_ROLES

DEFINITIONS = Path(__file__).parent / "definitions"


def _staff(ctx: ApplicantContext) -> Prefill:
    """``applicant.operations.staff``: the work-order service is filed by operations staff only."""
    from smartgov.identity import Role

    roles = getattr(ctx.account, "roles", set()) or set()
    staff = bool(set(roles) & {*OPERATOR_ROLES, Role.PLATFORM_ADMIN})
    return Prefill(applicant={"operations": {"staff": staff}})


def _watch(database: Database) -> int:
    """Silence rules and escalation, one transaction per round."""
    with database.unit_of_work() as db:
        return rules.check_silence(db) + alerts.escalate_due(db)


def _partitions(database: Database) -> int:
    return partitions.maintain(database)


services.register_definition_folder(DEFINITIONS)
services.register_prefill_provider("operations_staff", _staff,
                                   applies=lambda d: d.id == alerts.WORK_ORDER_SERVICE)
events.register_periodic("operations.watch", _watch)
events.register_periodic("operations.partitions", _partitions)
