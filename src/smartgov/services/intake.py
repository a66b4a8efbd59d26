"""Submissions taken without an ORM session and written in groups: the platform's most frequent write.

A submission through the general path (``service.submit_application``) costs 7–8 ms of CPU, four
fifths of it the ORM's unit of work and its fourteen statements, and a commit (a WAL flush) of
its own (``bench/submission_phases.py``). Most submissions need none of what the ORM is there for:
no action of a domain module runs, nothing is paid, no automatic step fires, every fact about the
applicant comes from their own account. For those, on PostgreSQL:

* :func:`applicant` reads the token, its account and person, the published version, whether the
  idempotency key was used and the uploads the body names, in one statement (``db.HotReads``, on
  the event loop); :func:`check` then checks the answers, the documents, the eligibility rules,
  the fee and the uploads with the same functions as the general path;
* a :class:`Writer` thread writes every submission waiting at that moment in one transaction
  (group commit): numbers and ids in one statement, then one statement for the whole group — the
  cases, their uploads, the first step of their logs, their events and outbox rows, the drafts
  they came from — with rows built by the functions the general path builds them with. An
  answer is sent only after its group has committed.

Anything else returns ``None``, and the request takes the general path: a token that is unknown,
dead or cannot write; an account that has not proven its person (the general path refuses it); a
G2B service; a service with actions on submit, a fee, a fee provider, a
prefill provider that reads the database, an automatic step that fires at once or reads
``application.*``; a subscriber that must run in the submitting transaction; a key used before.
If a group fails to write (a key raced in from another request, an upload bound by another
submission meanwhile), each of its submissions is written alone, and one that still fails goes
to the general path, which gives the answer it always gives (the first case for a key used
before, 422 for the upload). Both paths store the same rows (a test compares them). SQLite, with
one writer at a time, has nothing to gain: there every submission takes the general path.
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
from types import SimpleNamespace
from typing import Any

import psycopg
from psycopg.sql import SQL, Composed, Identifier, Literal, Placeholder
from psycopg.types.json import Json
from sqlalchemy import ARRAY, Select, String, and_, any_, bindparam, func, select

from smartgov import clock, events, identity
from smartgov.db import Database, plain_conninfo
from smartgov.identity import can_use_personal_records
from smartgov.notifications import EMAIL_REQUESTED, SMS_REQUESTED

from . import registry, routing, service, status
from .config import services_settings
from .definitions import ServiceDefinition
from .eligibility import ensure_eligible
from .fees import compute_fee
from .forms import clean_answers, clean_documents
from .models import Application, Counter, Definition, DefinitionStatus, Draft, StoredFile, TransitionLog
from .workflow import Workflow

log = logging.getLogger(__name__)

MAX_UPLOADS = 64  # upload ids a body may name here (the general path reads only those the form asks for)
PERSON_COLUMNS = ("national_code", "first_name_fa", "last_name_fa", "first_name_en", "last_name_en", "birth_date",
                  "gender", "province", "phone", "email")


# --------------------------------------------------------------------------- reading and checking


@functools.cache
def _applicant_query() -> Select[Any]:
    """Token → account → person, the service's published version and its agency, a case with the key, the
    uploads the body names, and the branch serving the person's province (``routing``)."""
    caller = identity.token_caller_select(*PERSON_COLUMNS)  # token → account → person: identity's columns
    used = (select(Application.id).where(Application.applicant_id == caller.selected_columns.account_id,
                                         Application.idempotency_key == bindparam("key"))
            .correlate_except(Application).scalar_subquery())
    # by id alone (the primary key: a person may have uploaded thousands); whose they are is checked after
    uploads = (select(func.json_agg(func.json_build_array(StoredFile.id, StoredFile.owner_id, StoredFile.application_id,
                                                          StoredFile.name, StoredFile.mime, StoredFile.size)))
               .where(StoredFile.id == any_(bindparam("refs", type_=ARRAY(String)))).scalar_subquery())
    return (caller.add_columns(Definition.id.label("definition_id"), Definition.service_id, Definition.version,
                               Definition.agency_id,
                               identity.organization_code_of(Definition.agency_id).label("agency_code"),
                               used.label("used_key"), uploads.label("uploads"),
                               routing.province_branch(Definition.agency_id, caller.selected_columns.province)
                               .label("province_branch"))
            .outerjoin(Definition, and_(Definition.service_id == bindparam("service_id"),
                                        Definition.status == bindparam("published"))))


def _offered_refs(answers: dict[str, Any], documents: dict[str, Any]) -> list[str]:
    """Upload ids anywhere a file answer may be (a question, a group's row, a document), before any check."""
    found: list[str] = []
    for value in (*answers.values(), *documents.values()):
        for item in value if isinstance(value, list) else (value,):
            for meta in (item, *item.values()) if isinstance(item, dict) else ():
                if isinstance(meta, dict) and isinstance(meta.get("ref"), str):
                    found.append(meta["ref"])
    return found


@dataclasses.dataclass(frozen=True)
class Intake:
    """A checked submission waiting to be written: the case's columns but its id and reference."""

    values: dict[str, Any]
    definition: ServiceDefinition
    agency_code: str
    files: tuple[str, ...]  # upload ids to bind to the case
    language: str
    email: str | None
    phone: str | None

    @property
    def key(self) -> str:
        """The idempotency key the case is stored with (the one sent, or one made for it)."""
        return str(self.values["idempotency_key"])


@dataclasses.dataclass(frozen=True)
class Written:
    """A committed case, as a row with ``Application``'s attribute names, and its definition and agency."""

    case: Any
    definition: ServiceDefinition
    agency_code: str


def takes(defn: ServiceDefinition) -> bool:
    """Whether submissions to this version can be taken here.

    What the version asks for is kept per version; what is registered (prefill providers and
    their sources, subscribers) is looked at each time: modules may add to it.
    """
    found = _TAKES.get(id(defn))
    if found is None or found[0] is not defn:  # the definition is kept in the entry, so its id is not reused
        if len(_TAKES) >= 1000:
            _TAKES.clear()
        found = _TAKES[id(defn)] = (defn, _takes(defn))
    return found[1] and not registry.prefill_reads_database(defn) and not any(
        events.sync_handlers(name) for name in (service.SUBMITTED, EMAIL_REQUESTED, SMS_REQUESTED))


#: By the parsed definition's identity: hashing a definition (a frozen model) walks all of it.
_TAKES: dict[int, tuple[ServiceDefinition, bool]] = {}


def _takes(defn: ServiceDefinition) -> bool:
    """What the version itself asks for: no business, no action on submit, no fee provider, a routing rule
    of the engine's own, no automatic
    step out of its first state that reads the case (whose number is not known before it is written)."""
    if (defn.relationship == "G2B" or defn.workflow.on_submit or (defn.fee is not None and defn.fee.provider)
            or not routing.built_in(defn)):
        return False
    wf = Workflow.from_definition(defn)
    return not any(tr.automatic and tr.condition is not None and "application" in tr.condition.roots()
                   for tr in wf.spec.transitions if wf.initial in tr.from_)


@dataclasses.dataclass(frozen=True)
class Applicant:
    """The caller and the service as one row read them (``_applicant_query``), before any check."""

    row: Any
    definition: ServiceDefinition
    key: str  # the Idempotency-Key sent, stripped ("" if none)
    offered: list[str]  # upload ids the body names

    @property
    def token_id(self) -> int:
        return int(self.row.token_id)

    def stamp_due(self, now: dt.datetime) -> bool:
        return identity.token_stamp_due(self.row.last_used_at, now)


def applicant(database: Database, raw_token: str, service_id: str, answers: dict[str, Any],
              documents: dict[str, Any], idempotency_key: str | None) -> Applicant | None:
    """The caller with a live token that may write, and a service taken here; ``None``: the general path."""
    key = (idempotency_key or "").strip()
    if len(key) > service.MAX_IDEMPOTENCY_KEY:
        return None
    offered = _offered_refs(answers, documents) if isinstance(answers, dict) and isinstance(documents, dict) else []
    if len(offered) > MAX_UPLOADS:
        return None
    row = database.first(_applicant_query(), {
        "token_hash": identity.sha256(raw_token), "service_id": service_id, "key": key,
        "published": DefinitionStatus.PUBLISHED.value, "refs": offered})
    if (row is None or not identity.token_live(row.revoked_at, row.expires_at, row.is_active, clock.now())
            or not can_use_personal_records(row)  # the general path answers its 403
            or "write" not in (row.scopes or ()) or row.definition_id is None or row.used_key is not None):
        return None
    defn = status.definition(database, row.definition_id)
    return Applicant(row, defn, key, offered) if takes(defn) else None


def check(who: Applicant, answers: dict[str, Any], documents: dict[str, Any]) -> Intake | None:
    """The checked submission, or ``None``: "take the general path". Raises the general path's 4xx."""
    row, defn = who.row, who.definition
    account = SimpleNamespace(id=row.account_id, username=row.username, language=row.language,
                              person_id=row.person_id)
    person = SimpleNamespace(**{c: getattr(row, c) for c in PERSON_COLUMNS}) if row.person_id is not None else None
    facts = service.merged_prefill(registry.ApplicantContext(db=None, account=account, person=person,  # type: ignore[arg-type]
                                                             organization=None, definition=defn)).applicant
    now = clock.now()
    today = clock.today()
    cleaned = clean_answers(defn, answers, today=today, applicant=facts)
    docs = clean_documents(defn, documents or {}, answers=cleaned, today=today, applicant=facts)
    ensure_eligible(defn, cleaned, today=today, applicant=facts)
    answered = service.file_answers(defn, cleaned, docs)
    if not set(service.file_refs(answered)) <= set(who.offered):
        return None  # the checks moved a file answer somewhere unforeseen: the general path reads them
    found = {ref: SimpleNamespace(id=ref, owner_id=owner, application_id=case, name=name, mime=mime, size=size)
             for ref, owner, case, name, mime, size in row.uploads or ()}
    files = service.checked_files(row.account_id, answered, found)
    fee = compute_fee(defn, cleaned, today=today, applicant=facts)
    if fee:
        return None  # an invoice to make: the general path
    wf = Workflow.from_definition(defn)
    if wf.automatic_step(wf.initial, {"answers": cleaned, "applicant": facts}, now) is not None:
        return None  # decided at once (actions, documents): the general path
    version = SimpleNamespace(id=row.definition_id, service_id=row.service_id, version=row.version,
                              agency_id=row.agency_id)
    values = service.case_values(version, defn, applicant_id=row.account_id, person_id=row.person_id,
                                 organization_id=None, answers=cleaned, docs=docs, fee=fee,
                                 key=who.key or uuid.uuid4().hex, now=now,
                                 branch_id=routing.decide(defn, row.agency_id, row.province_branch))
    return Intake(values=values, definition=defn, agency_code=row.agency_code,
                  files=tuple(dict.fromkeys(f.id for f in files)), language=row.language,
                  email=person.email if person else None, phone=person.phone if person else None)


def prepare(database: Database, raw_token: str, service_id: str, answers: dict[str, Any],
            documents: dict[str, Any], idempotency_key: str | None) -> Intake | None:
    """``applicant`` and ``check`` together (tests and benchmarks)."""
    who = applicant(database, raw_token, service_id, answers, documents, idempotency_key)
    return check(who, answers, documents) if who is not None else None


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


def write_group(channel: _Channel, items: list[Intake]) -> list[Written]:
    """Write ``items`` in one transaction (numbers and ids first, on their own); raises if any cannot be."""
    fmt = services_settings().reference_format
    years = [service.number_counter(fmt, item.values["submitted_at"]) for item in items]
    counts: dict[str, int] = {}
    for _, counter in years:
        counts[counter] = counts.get(counter, 0) + 1
    messages = sum(len(service.applicant_messages(item.language, item.email, item.phone, "", service.SUBMITTED_TEMPLATE,
                                                  {})) for item in items)  # how many, for the ids to take
    numbers, case_ids, event_ids = channel.take(counts, len(items), len(items) + messages)
    taken = {counter: iter(values) for counter, values in numbers.items()}

    cases: list[SimpleNamespace] = []
    published: list[tuple[int, events.Event]] = []
    for item, (jyear, counter) in zip(items, years, strict=True):
        case = SimpleNamespace(id=case_ids[len(cases)], reference=fmt.format(jyear=jyear, seq=next(taken[counter])),
                               assignee_id=None, paid_at=None, decided_automatically=None, closed_at=None,
                               **item.values)
        cases.append(case)
        now = case.submitted_at
        published.append((event_ids[len(published)], events.Event(service.SUBMITTED, service.submitted_event_data(
            case, item.agency_code, item.definition), actor_id=case.applicant_id, occurred_at=now)))
        for name, data in service.applicant_messages(item.language, item.email, item.phone, case.reference,
                                                     service.SUBMITTED_TEMPLATE,
                                                     service.submitted_context(item.definition)):
            published.append((event_ids[len(published)], events.Event(name, data, occurred_at=now)))
    files = [(ref, case.applicant_id, case.id) for item, case in zip(items, cases, strict=True) for ref in item.files]
    outbox = [{"handler": handler, "event_name": e.name, "event_id": event_id, "payload": events.outbox_payload(e),
               "status": "pending", "attempts": 0, "available_at": e.occurred_at, "created_at": e.occurred_at}
              for event_id, e in published for handler in events.async_handler_names(e.name)]

    params = {
        "cases": _param([vars(case) for case in cases]),
        "steps": _param([service.first_step(case, case.applicant_id) for case in cases]),
        "events": _param([{"id": event_id, "name": e.name, "payload": e.data, "actor_id": e.actor_id,
                           "occurred_at": e.occurred_at} for event_id, e in published]),
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
    return [Written(case, item.definition, item.agency_code) for item, case in zip(items, cases, strict=True)]


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
        self._queue: queue.SimpleQueue[tuple[Intake, Settle] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="smartgov-intake", daemon=True)
        self._thread.start()

    async def submit(self, item: Intake) -> Written | None:
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

    def _write(self, group: list[tuple[Intake, Settle]]) -> None:
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

    def _attempt(self, items: list[Intake]) -> list[Written]:
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

