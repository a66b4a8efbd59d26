"""An applicant's own case, read with the token check in one statement: the platform's hottest read.

Millions of insured people ask "where is my application?" again and again. The general path
costs two ORM queries (the token with its account and roles, then the case), the ORM's unit of
work and two hand-offs to a thread: about ten times what the stack itself needs for a read
(``bench/ceiling_bench.py``). Here the token, its account and the case are one joined Core
statement over the columns the answer shows, and only the caller's own case can match it. On
PostgreSQL it runs through ``db.HotReads`` from the event loop (``api.get_application``), which serves
other requests while the server answers.

A miss is not an answer: an unknown or dead token, someone else's case (an official's view,
which must be recorded), or no such case all return ``None``, and the caller takes the general
path, which gives the right 401, 404 or the official's view.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select

from smartgov import clock, identity
from smartgov.db import Database
from smartgov.errors import NotFound

from . import permissions, service
from .definitions import ServiceDefinition
from .models import Application, Definition, Invoice, IssuedDocument

#: The case's columns the answer shows, named as on ``Application`` so a row reads like one.
CASE_COLUMNS = (
    Application.id, Application.reference, Application.service_id, Application.version, Application.state,
    Application.terminal, Application.answers, Application.documents, Application.computed, Application.fee,
    Application.paid_at, Application.submitted_at, Application.updated_at, Application.sla_deadline,
    Application.due_at, Application.assignee_id, Application.decided_automatically,
)


@functools.cache
def own_case_query() -> Select[Any]:
    """Token → account → the account's own case with that reference (built once: its cache key is kept)."""
    question, has_documents = service.fact_columns()
    caller = identity.token_caller_select()
    return (caller.add_columns(*CASE_COLUMNS, Application.definition_id,
                               identity.organization_code_of(Application.agency_id).label("agency_code"),
                               question.label("open_question"), has_documents.label("has_documents"))
            .join(Application, Application.applicant_id == caller.selected_columns.account_id)
            .where(Application.reference == bindparam("reference")))


@dataclass(frozen=True)
class OwnCase:
    """The caller's own case as one row (attributes named as on ``Application``) and its token's state."""

    case: Any  # a row: SQLAlchemy's on SQLite, a psycopg named tuple on PostgreSQL (``Database.first``)
    stamp_due: bool  # the token's last use is older than the stamp interval: store it

    @property
    def token_id(self) -> int:
        return int(self.case.token_id)

    @property
    def facts(self) -> service.CaseFacts:
        return service.CaseFacts(open_question=self.case.open_question, has_documents=bool(self.case.has_documents))


async def own_case(database: Database, raw_token: str, reference: str,
                   now: dt.datetime | None = None) -> OwnCase | None:
    """The case if ``raw_token`` is live and its account, having proven its person, applied for it;
    ``None`` means "ask the general path" (which answers the 401, 403 or 404)."""
    row = await database.afirst(own_case_query(), {"token_hash": identity.sha256(raw_token),
                                                    "reference": reference.strip().upper()})
    now = now or clock.now()
    if row is None or not permissions.token_allows(row, now):
        return None
    return OwnCase(case=row, stamp_due=identity.token_stamp_due(row.last_used_at, now))


@functools.cache
def _source_query() -> Select[Any]:
    return select(Definition.source, Definition.source_name).where(Definition.id == bindparam("definition_id"))


def definition(database: Database, definition_id: int) -> ServiceDefinition:
    """A stored version's parsed definition, kept per database: a version's source never changes once
    stored (a new version is a new row), and reading its text with every status read cost more than the case.
    The one read of a version a process makes is synchronous, also on the event loop: it is followed by
    parsing the YAML, which holds the loop longer than the read."""
    key = ("services.definition", definition_id)
    found = database.memo.get(key)
    if found is None:
        row = database.first(_source_query(), {"definition_id": definition_id})
        if row is None:
            raise NotFound("definition")
        found = database.memo[key] = service.parsed_definition(row.source, row.source_name)
    return found


@functools.cache
def _invoices_query() -> Select[Any]:
    return (select(Invoice.number, Invoice.amount, Invoice.status, Invoice.created_at, Invoice.paid_at)
            .where(Invoice.application_id == bindparam("case_id")).order_by(Invoice.id))


@functools.cache
def _documents_query() -> Select[Any]:
    return (select(IssuedDocument.id, IssuedDocument.payload, IssuedDocument.issued_at, IssuedDocument.key_id)
            .where(IssuedDocument.application_id == bindparam("case_id")).order_by(IssuedDocument.issued_at))


async def invoices(database: Database, case_id: int) -> list[Any]:
    """The case's invoices as rows (``service.invoices_of`` without the ORM)."""
    return await database.aall(_invoices_query(), {"case_id": case_id})


async def issued_documents(database: Database, case_id: int) -> list[Any]:
    """The case's signed documents as rows (``documents.documents_of`` without the ORM)."""
    return await database.aall(_documents_query(), {"case_id": case_id})
