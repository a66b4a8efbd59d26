"""The group writer: submissions read in one statement and written in groups, on PostgreSQL.

A submission through the unit of work (``service.submit_application``) costs 7–8 ms of CPU, four
fifths of it the ORM's unit of work and its fourteen statements, and a commit (a WAL flush) of
its own (``bench/submission_phases.py``). Most submissions need none of what the ORM is there for.
For those:

* :func:`read` reads the token, its account and person, the published version, whether the
  idempotency key was used and the uploads the body names, in one statement (``db.HotReads``, on
  the event loop), and makes the pipeline's ``Facts`` of them; the caller plans with
  ``pipeline.plan`` (the checks every writer shares) and asks ``pipeline.route`` whether this
  writer may take the plan;
* a :class:`Writer` thread writes every plan waiting at that moment in one transaction (group
  commit): numbers and ids in one statement, then one statement for the whole group — the
  cases, their uploads, the first step of their logs, their events and outbox rows
  (``events.rows``, as ``events.publish`` builds them), the drafts they came from. It decides
  nothing: it stores the plan's rows. An answer is sent only after its group has committed.

Why a plan goes to the unit of work instead is one of ``pipeline.Route``'s named reasons. If a
group fails to write (a key raced in from another request, an upload bound by another
submission meanwhile), each of its plans is written alone, and one that still fails goes to the
unit of work, which gives the answer it always gives (the first case for a key used before, 422
for the upload). SQLite, with one writer at a time, has nothing to gain: there every submission
is written by the unit of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.sql import SQL, Composed, Identifier, Literal, Placeholder
from psycopg.types.json import Json
from sqlalchemy import ARRAY, Select, String, and_, any_, bindparam, func, select

from smartgov import clock, events, identity
from smartgov.db import Database, plain_conninfo

from . import documents, permissions, pipeline, registry, routing, service, signed, status
from .config import services_settings
from .models import (
    Application,
    Counter,
    Definition,
    DefinitionStatus,
    Draft,
    IssuedDocument,
    SigningKey,
    StoredFile,
    TransitionLog,
)

log = logging.getLogger(__name__)

MAX_UPLOADS = 64  # upload ids a body may name here (the unit of work reads any number)


# --------------------------------------------------------------------------- the hot reader


@functools.cache
def _applicant_query() -> Select[Any]:
    """Token → account → person, the service's published version and its agency, a case with the key, the
    uploads the body names, and the branch serving the person's province (``routing``)."""
    caller = identity.token_caller_select(*pipeline.PERSON_COLUMNS)  # token → account → person: identity's
    used = (service.existing_case_query(caller.selected_columns.account_id, bindparam("key"))
            .with_only_columns(Application.id).correlate_except(Application).scalar_subquery())
    # by id alone (the primary key: a person may have uploaded thousands); whose they are is checked after
    uploads = (select(func.json_agg(func.json_build_array(StoredFile.id, StoredFile.owner_id, StoredFile.application_id,
                                                          StoredFile.name, StoredFile.mime, StoredFile.size)))
               .where(StoredFile.id == any_(bindparam("refs", type_=ARRAY(String)))).scalar_subquery())
    active_key = (select(SigningKey).where(SigningKey.agency_id == Definition.agency_id, SigningKey.active.is_(True))
                  .order_by(SigningKey.id.desc()).limit(1).correlate(Definition))
    return (caller.add_columns(Definition.id.label("definition_id"), Definition.service_id, Definition.version,
                               Definition.agency_id,
                               identity.organization_code_of(Definition.agency_id).label("agency_code"),
                               identity.organization_name_of(Definition.agency_id, "fa").label("agency_name_fa"),
                               identity.organization_name_of(Definition.agency_id, "en").label("agency_name_en"),
                               active_key.with_only_columns(SigningKey.key_id).scalar_subquery().label("key_id"),
                               active_key.with_only_columns(SigningKey.private_key_encrypted).scalar_subquery()
                               .label("key_sealed"),
                               used.label("used_key"), uploads.label("uploads"),
                               routing.province_branch(Definition.agency_id, caller.selected_columns.province)
                               .label("province_branch"))
            .outerjoin(Definition, and_(Definition.service_id == bindparam("service_id"),
                                        Definition.status == bindparam("published"))))


@dataclasses.dataclass(frozen=True)
class HotRead:
    """What one statement read of a submission: its facts, or the route that takes it without them."""

    route: pipeline.Route
    facts: pipeline.Facts | None = None
    token_id: int | None = None
    last_used_at: dt.datetime | None = None

    def stamp_due(self, now: dt.datetime) -> bool:
        return self.token_id is not None and identity.token_stamp_due(self.last_used_at, now)


async def read(database: Database, raw_token: str, service_id: str, answers: Any, documents: Any,
               idempotency_key: str | None) -> HotRead:
    """The facts of a submission read in one statement (``db.HotReads``, the event loop free meanwhile),
    when the group writer may take it; otherwise the route (``pipeline.route``) that says why the unit
    of work does."""
    if database.hot_reads is None:
        return HotRead(pipeline.route(None, group_writer=False))
    key = pipeline.clean_key(idempotency_key)
    offered = pipeline.offered_refs(answers, documents)
    if len(offered) > MAX_UPLOADS:
        return HotRead(pipeline.route(None, caller=pipeline.Route.MANY_UPLOADS))
    row = await database.afirst(_applicant_query(), {
        "token_hash": identity.sha256(raw_token), "service_id": service_id, "key": key,
        "published": DefinitionStatus.PUBLISHED.value, "refs": offered})
    now = clock.now()
    if row is None or not permissions.token_allows(row, now, scope="write"):
        return HotRead(pipeline.route(None, caller=pipeline.Route.SESSION_CALLER))
    if row.used_key is not None:
        return HotRead(pipeline.route(None, caller=pipeline.Route.KEY_USED))
    defn = status.definition(database, row.definition_id) if row.definition_id is not None else None
    found = pipeline.route(defn)
    if found is not pipeline.Route.GROUP:
        return HotRead(found, token_id=row.token_id, last_used_at=row.last_used_at)
    assert defn is not None
    account = pipeline.AccountRecord(row.account_id, row.username, row.language, row.person_id)
    person = pipeline.PersonRecord(**{c: getattr(row, c) for c in pipeline.PERSON_COLUMNS}) \
        if row.person_id is not None else None
    prefill = service.merged_prefill(registry.ApplicantContext(db=None, account=account, person=person,
                                                               organization=None, definition=defn)).applicant
    uploads = {ref: pipeline.Upload(ref, owner, case, name, mime, size)
               for ref, owner, case, name, mime, size in row.uploads or ()}
    holder = (signed.Holder(person.national_code, f"{person.first_name_fa} {person.last_name_fa}",
                            f"{person.first_name_en} {person.last_name_en}") if person  # as Person.full_name
              else signed.Holder(None, account.username, account.username))
    facts = pipeline.Facts(
        account=account, email=person.email if person else None, phone=person.phone if person else None,
        version=pipeline.Version(row.definition_id, row.service_id, row.version, row.agency_id, row.agency_code),
        definition=defn, organization_id=None, prefill=prefill, answers=answers, documents=documents, key=key,
        uploads=uploads, now=now, new_key=uuid.uuid4().hex,
        branch_id=routing.decide(defn, row.agency_id, row.province_branch),
        agency=signed.Party(row.agency_code, row.agency_name_fa, row.agency_name_en), holder=holder,
        signing_key=pipeline.SigningKeyRecord(row.key_id, row.key_sealed) if row.key_id is not None else None,
        channel="api")  # the hot reader takes bearer tokens only
    return HotRead(found, facts, row.token_id, row.last_used_at)


async def prepare(database: Database, raw_token: str, service_id: str, answers: dict[str, Any],
                  documents: dict[str, Any], idempotency_key: str | None) -> pipeline.Plan | None:
    """Read and plan a submission the group writer takes (tests and benchmarks); ``None``: it does not."""
    found = await read(database, raw_token, service_id, answers, documents, idempotency_key)
    if found.facts is None:
        return None
    plan = pipeline.plan(found.facts)
    return plan if pipeline.route(plan.facts.definition, plan) is pipeline.Route.GROUP else None


# --------------------------------------------------------------------------- writing in groups


class _Refused(Exception):
    """A group cannot be written as it is (an upload bound meanwhile); its submissions go alone."""


def _rows_from(table: Any, key: str, *, without: tuple[str, ...] = ()) -> Composed:
    """``INSERT … SELECT`` of the rows in parameter ``key`` (a JSON array of objects named as the columns)."""
    columns = SQL(", ").join(Identifier(c.name) for c in table.columns if c.name not in without)
    return SQL("INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{table}, {rows})"
               ).format(table=Identifier(table.name), columns=columns, rows=Placeholder(key))


#: A whole group in one statement: every table's rows arrive as one JSON array (``json.dumps`` of the
#: group: one C call, where a row per statement cost a round of the driver's and the server's work
#: each). The steps, events, outbox rows and uploads refer to cases inserted by the same statement,
#: whose foreign keys are checked at its end. It answers how many uploads it bound. (The ``ANY`` of keys
#: beside each join has the planner look rows up by key: a set-returning function is estimated at a
#: hundred rows, and against a large table the join alone was planned as a scan of the whole table.)
_GROUP = SQL("""
WITH cases AS ({cases}),
     steps AS ({steps}),
     events AS ({events}),
     outbox AS ({outbox}),
     docs AS ({docs}),
     drafts AS (
       DELETE FROM {draft} USING json_populate_recordset(NULL::{draft}, %(drafts)s) AS v
       WHERE {draft}.account_id = ANY(%(accounts)s) AND {draft}.account_id = v.account_id
         AND {draft}.service_id = v.service_id),
     bound AS (
       UPDATE {file} SET application_id = v.application_id FROM json_populate_recordset(NULL::{file}, %(files)s) AS v
       WHERE {file}.id = ANY(%(refs)s) AND {file}.id = v.id AND {file}.owner_id = v.owner_id
         AND {file}.application_id IS NULL
       RETURNING 1)
SELECT count(*) FROM bound""").format(
    cases=_rows_from(Application.__table__, "cases"),
    steps=_rows_from(TransitionLog.__table__, "steps", without=("id",)),
    events=_rows_from(events.EventRecord.__table__, "events"),
    outbox=_rows_from(events.OutboxMessage.__table__, "outbox", without=("id",)),
    docs=_rows_from(IssuedDocument.__table__, "docs"),
    draft=Identifier(Draft.__tablename__), file=Identifier(StoredFile.__tablename__)).as_string()


def _json(value: Any) -> Any:
    """How a group's JSON writes a datetime: aware, in UTC (as ``db.UTCDateTime`` stores it)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use smartgov.clock.now()")
        return value.astimezone(dt.UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _param(rows: list[dict[str, Any]]) -> Json:
    return Json(rows, dumps=functools.partial(json.dumps, default=_json))


_TAKE = SQL("""
WITH taken AS (UPDATE {counter} SET value = value + %(n)s WHERE name = %(name)s RETURNING value)
SELECT (SELECT value FROM taken),
       ARRAY(SELECT nextval(pg_get_serial_sequence({cases}, 'id')) FROM generate_series(1, %(cases)s)),
       ARRAY(SELECT nextval(pg_get_serial_sequence({events}, 'id')) FROM generate_series(1, %(events)s))""").format(
    counter=Identifier(Counter.__tablename__), cases=Literal(Application.__tablename__),
    events=Literal(events.EventRecord.__tablename__)).as_string()
_NEW_COUNTER = SQL("INSERT INTO {} (name, value) VALUES (%(name)s, 0) ON CONFLICT DO NOTHING").format(
    Identifier(Counter.__tablename__)).as_string()


class _Channel:
    """The writer's own connection and statements (PostgreSQL): one thread uses it.

    Autocommit without waiting for the WAL flush, like ``Database.bookkeeping``: numbers and ids
    are taken in statements of their own, and the group's transaction asks for the flush itself.
    """

    NAME = "smartgov-intake"

    def __init__(self, database: Database) -> None:
        self._conninfo = plain_conninfo(database.engine, self.NAME, connect_timeout="5", statement_timeout="30s",
                                        synchronous_commit="off", plan_cache_mode="force_generic_plan")
        self._conn: psycopg.Connection[Any] | None = None

    def connection(self) -> psycopg.Connection[Any]:
        if self.lost:
            self.close()
            self._conn = psycopg.connect(self._conninfo, autocommit=True)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def lost(self) -> bool:
        """The connection is gone (closed, or found broken)."""
        return self._conn is None or self._conn.closed or self._conn.broken

    def take(self, counters: dict[str, int], cases: int, events_: int) -> tuple[dict[str, range], list[int], list[int]]:
        """Consecutive numbers of each counter, and ids of new cases and events: one statement (one
        more for each counter beyond the first, which only a group at the turn of a year has)."""
        conn = self.connection()
        numbers: dict[str, range] = {}
        case_ids: list[int] = []
        event_ids: list[int] = []
        for name, n in counters.items():
            row = conn.execute(_TAKE, {"n": n, "name": name, "cases": cases, "events": events_}).fetchone()
            if row is None or row[0] is None:  # the counter's first use (a new year)
                conn.execute(_NEW_COUNTER, {"name": name})
                row = conn.execute(_TAKE, {"n": n, "name": name, "cases": cases, "events": events_}).fetchone()
            assert row is not None and row[0] is not None
            numbers[name] = range(row[0] - n + 1, row[0] + 1)
            case_ids, event_ids, cases, events_ = case_ids or row[1], event_ids or row[2], 0, 0
        return numbers, case_ids, event_ids


@dataclasses.dataclass(frozen=True)
class Written:
    """A committed case: its row (with id and reference) and the plan it was written from."""

    case: pipeline.CaseRow
    plan: pipeline.Plan
    document: dict[str, Any] | None = None  # the signed document of a case decided at once


def write_group(channel: _Channel, items: list[pipeline.Plan]) -> list[Written]:
    """The group writer: store ``items`` in one transaction (numbers and ids first, on their own); raises
    if any cannot be. It stores exactly the plan's rows; nothing is decided here."""
    fmt = services_settings().reference_format
    years = [service.number_counter(fmt, item.case.submitted_at) for item in items]
    counts: dict[str, int] = {}
    for _, counter in years:
        counts[counter] = counts.get(counter, 0) + 1
    numbers, case_ids, event_ids = channel.take(counts, len(items), sum(item.event_count() for item in items))
    taken = {counter: iter(values) for counter, values in numbers.items()}

    cases: list[pipeline.CaseRow] = []
    steps: list[dict[str, Any]] = []
    docs: list[dict[str, Any] | None] = []
    event_rows: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    for item, (jyear, counter) in zip(items, years, strict=True):
        numbered = item.numbered(case_ids[len(cases)], fmt.format(jyear=jyear, seq=next(taken[counter])))
        case = item.final(numbered)
        cases.append(case)
        steps.append({**item.first_step, "application_id": case.id})
        if item.step is not None:
            steps.append({**item.step.log, "application_id": case.id})
        doc = None
        if pipeline.Need.SIGNED_DOCUMENT in item.needs:  # signed here, in the group's transaction
            assert item.facts.signing_key is not None
            doc = documents.signed_row(item.facts.signing_key, case.id, case.agency_id,
                                       item.document_payload(case, uuid.uuid4().hex), case.submitted_at)
        docs.append(doc)
        for evt in item.events(numbered, doc["payload"] if doc else None):
            row, boxed = events.rows(evt, event_ids[len(event_rows)])
            event_rows.append(row)
            outbox.extend(boxed)
    files = [(ref, case.applicant_id, case.id) for item, case in zip(items, cases, strict=True) for ref in item.files]

    params = {
        "cases": _param([case.columns() for case in cases]),
        "steps": _param(steps),
        "docs": _param([doc for doc in docs if doc is not None]),
        "events": _param(event_rows),
        "outbox": _param(outbox),
        "drafts": _param([{"account_id": c.applicant_id, "service_id": c.service_id} for c in cases]),
        "accounts": [c.applicant_id for c in cases],
        "files": _param([{"id": ref, "owner_id": owner, "application_id": case_id} for ref, owner, case_id in files]),
        "refs": [ref for ref, _, _ in files]}
    # Round trips one at a time (numbers, BEGIN, the group, COMMIT), no pipeline: in pipeline mode
    # psycopg waits for a result by polling a socket that is always writable, which spun a core (and
    # held the GIL) while the server worked.
    conn = channel.connection()
    conn.execute("BEGIN; SET LOCAL synchronous_commit = on")  # the group's commit waits for its flush
    try:
        found = conn.execute(_GROUP, params).fetchone()
        if found is None or found[0] != len(files):
            raise _Refused("an upload was bound meanwhile")
        conn.execute("COMMIT")
    except BaseException:
        if not conn.broken:
            conn.execute("ROLLBACK")
        raise
    return [Written(case, item, doc) for item, case, doc in zip(items, cases, docs, strict=True)]


Settle = Callable[["Written | None", "BaseException | None"], None]


class Writer:
    """A thread that writes the submissions waiting at each moment in one transaction (group commit).

    While one group is being written the next gathers, so under load a commit (and its WAL
    flush) serves many submissions, and at a trickle each is written at once. A submission that
    cannot be written with its group is written alone; one that fails alone is answered ``None``
    (the caller takes the general path), unless the database itself failed.
    """

    MAX_GROUP = 200
    LINGER = 0.003  # seconds a group gathers under load (bench/RESULTS.md: groups of 4 became 11)
    BUSY = 0.010  # "under load": the last group ended less than this ago

    def __init__(self, database: Database) -> None:
        self._channel = _Channel(database)
        self.written = 0  # how many submissions were written here (the tests read it)
        self._queue: queue.SimpleQueue[tuple[pipeline.Plan, Settle] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="smartgov-intake", daemon=True)
        self._thread.start()

    async def submit(self, item: pipeline.Plan) -> Written | None:
        """Wait until ``item`` is committed; ``None``: take the general path."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Written | None] = loop.create_future()

        def settle(result: Written | None, error: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, done, result, error)

        self._queue.put((item, settle))
        return await done

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Write what is waiting, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._channel.close()

    def _run(self) -> None:
        stopping = False
        last, size = 0.0, 0  # when the last group was written, and how many it had
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            # Under load (the last group had company and ended a moment ago) gather a little longer:
            # a bigger group costs less per submission, at both ends. A lone submission, or one
            # client's submissions one after another, is written at once.
            busy = size > 1 and time.monotonic() - last < self.BUSY
            until = time.monotonic() + (self.LINGER if busy else 0.0)
            while len(group) < self.MAX_GROUP:
                try:
                    nxt = self._queue.get(timeout=max(0.0, until - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                group.append(nxt)
            try:
                self._write(group)
            except Exception as error:  # never leave a waiter waiting, nor the thread dead
                log.exception("intake writer failed")
                for _, settle in group:
                    settle(None, error)
            last, size = time.monotonic(), len(group)

    def _write(self, group: list[tuple[pipeline.Plan, Settle]]) -> None:
        try:
            written = self._attempt([item for item, _ in group])
        except Exception as error:
            if len(group) > 1:
                for one in group:
                    self._write([one])
                return
            _, settle = group[0]
            if isinstance(error, _Refused | psycopg.IntegrityError):
                settle(None, None)  # a key used meanwhile, an upload bound meanwhile: the general path answers
            else:
                log.exception("a submission could not be written")
                settle(None, error)
            return
        self.written += len(written)
        for (_, settle), result in zip(group, written, strict=True):
            settle(result, None)

    def _attempt(self, items: list[pipeline.Plan]) -> list[Written]:
        try:
            return write_group(self._channel, items)
        except psycopg.OperationalError:
            if not self._channel.lost:
                raise
            # the connection died (a restart of the database): once more on a new one. If the group
            # had committed after all, its keys are taken now and each goes to the general path,
            # which answers with its case.
            return write_group(self._channel, items)


def _settle(done: asyncio.Future[Written | None], result: Written | None, error: BaseException | None) -> None:
    if done.done():  # the request was cancelled (the client went away); its case is stored all the same
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


_writers_lock = threading.Lock()


def writer(database: Database) -> Writer:
    """The database's writer in this process, started on first use and stopped with the database."""
    found = database.memo.get("services.intake.writer")
    if found is None or not found.alive:
        with _writers_lock:
            found = database.memo.get("services.intake.writer")
            if found is None or not found.alive:
                found = database.memo["services.intake.writer"] = Writer(database)
                database.on_dispose(found.close)
    return found

