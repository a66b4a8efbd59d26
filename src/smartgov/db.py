"""Database kernel: the declarative base, engines, sessions and the migration entry point.

SQLite (WAL) is the embedded default; PostgreSQL through psycopg 3 in production. Schema
changes go only through Alembic (``smartgov migrate``), never ``create_all``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import anyio.to_thread
import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import namedtuple_row
from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Select,
    create_engine,
    event,
    exc,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from smartgov.errors import NotFound

#: Largest value of an INTEGER column (PostgreSQL int4): every surrogate id of smartgov's tables.
INT4_MAX = 2**31 - 1
#: Largest value of a BIGINT column (int8, and SQLite's integers): money in rial, ledger positions.
INT8_MAX = 2**63 - 1

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use smartgov.clock.now()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Base of every table; tables are named ``<module>_<thing>``."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def make_engine(url: str, *, sqlite_begin: str | None = "BEGIN IMMEDIATE", **kwargs: Any) -> Engine:
    """An engine tuned per backend: WAL + foreign keys + busy timeout on SQLite.

    On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so writers queue on the lock
    instead of failing when they upgrade from reading; ``sqlite_begin=None`` gives
    statement-level autocommit (used by tests to inspect the database between requests).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN; we emit it ourselves so
            # every unit of work is one real transaction (and writers queue on the lock).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        if sqlite_begin:

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn: Any) -> None:
                conn.exec_driver_sql(sqlite_begin)

        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    kwargs = {"pool_size": 10, "max_overflow": 20, **kwargs}
    return ping_after_idle(create_engine(url, pool_use_lifo=True, **kwargs))


IDLE_PING_SECONDS = 10.0


def ping_after_idle(engine: Engine) -> Engine:
    """Check a pooled connection before use only when it has sat idle for a while.

    ``pool_pre_ping`` costs a round trip on every checkout (a tenth of a status read's CPU).
    Under load a connection comes back within milliseconds, and a dead one fails only the
    request that finds it (the pool then drops every connection older than the failure).
    A connection idle for ``IDLE_PING_SECONDS`` is pinged first, so a server restart or an
    idle timeout during a quiet spell costs no request at all. The pool is LIFO so quiet
    periods reuse the same warm connection and leave the rest idle.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_conn, None):
                raise
            alive = False
        if not alive:
            raise exc.DisconnectionError()  # the pool replaces the connection and checks out again

    return engine


def _begin_if_idle(conn: Connection) -> None:
    """Open a real transaction on an autocommit PostgreSQL connection that has none."""
    from psycopg.pq import TransactionStatus

    if conn.connection.dbapi_connection.info.transaction_status == TransactionStatus.IDLE:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN")


def _has_writes(session: Session) -> bool:
    """Whether a flush of ``session`` now writes rows (a modified row may hold no net change:
    a usage stamp already stored through the bookkeeping connection, see ``smartgov.web.deps``)."""
    return bool(session.new or session.deleted or any(session.is_modified(row) for row in session.dirty))


def _reader(engine: Engine) -> Engine:
    """The engine for plain reads on PostgreSQL: autocommit, so no BEGIN/COMMIT round trips."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _read_sessions(engine: Engine, database: Database) -> sessionmaker[Session]:
    """Sessions for read requests on PostgreSQL: no transaction until the first write.

    psycopg sends ``BEGIN`` as a round trip of its own and the request then needs a ``COMMIT``:
    half the round trips of a status read. Under READ COMMITTED every statement takes its own
    snapshot anyway, so plain reads lose nothing outside a transaction. Whatever needs one gets
    one before it runs: a flush, a DML statement, ``SELECT … FOR UPDATE``, a savepoint; from
    there on the session commits or rolls back as usual, so one command is still one transaction.
    """
    reader = _reader(engine)
    maker = sessionmaker(reader, expire_on_commit=False, info={"database": database})

    @event.listens_for(maker, "before_flush")
    def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
        if _has_writes(session):  # a row whose only change is already stored needs no transaction
            _begin_if_idle(session.connection())

    @event.listens_for(maker, "do_orm_execute")
    def _before_execute(state: ORMExecuteState) -> None:
        if not state.is_select or getattr(state.statement, "_for_update_arg", None) is not None:
            _begin_if_idle(state.session.connection())

    @event.listens_for(reader, "savepoint")
    def _before_savepoint(conn: Connection, _name: str) -> None:
        _begin_if_idle(conn)

    return maker


def _track_unsaved(maker: sessionmaker[Session]) -> None:
    """Mark a session that has flushed writes its transaction has not yet committed.

    ``smartgov.web.deps.get_db`` reports a request that ends with such writes: they are rolled
    back, and a GET handler that forgets its ``commit()`` silently loses its audit records.
    """

    @event.listens_for(maker, "after_flush")
    def _flushed(session: Session, _context: Any) -> None:
        if _has_writes(session):
            session.info["unsaved"] = True

    @event.listens_for(maker, "after_commit")
    def _committed(session: Session) -> None:
        session.info.pop("unsaved", None)

    @event.listens_for(maker, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop("unsaved", None)


def unsaved_writes(session: Session) -> bool:
    """True if ``session`` flushed writes that were neither committed nor rolled back."""
    return bool(session.info.get("unsaved"))


class Database:
    """An engine and its session factories; one per app (and per test database).

    ``sessions`` for commands; ``read_sessions`` for requests that mostly read (the same as
    ``sessions`` on SQLite, where a transaction costs no round trip).
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"database": self})
        self.read_sessions = _read_sessions(self.engine, self) if self.is_postgres else self.sessions
        #: Connections for Core reads outside any unit of work (``read_sessions`` without the ORM).
        self.reader = _reader(self.engine) if self.is_postgres else self.engine
        self.hot_reads = HotReads(self.engine) if self.is_postgres else None
        #: Values derived from rows that never change once stored (a service version's parsed
        #: definition), kept for this database's life: keyed per database, never by id alone.
        self.memo: dict[Any, Any] = {}
        self._on_dispose: list[Callable[[], None]] = []
        for maker in {self.sessions, self.read_sessions}:
            _track_unsaved(maker)
        # Counters and usage stamps on PostgreSQL: see bookkeeping().
        self._bookkeeping = ping_after_idle(create_engine(
            self.engine.url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=2, pool_use_lifo=True,
            connect_args={"options": "-c synchronous_commit=off"})) if self.is_postgres else None

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One use case, one transaction: commit on success, roll back on any error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def bookkeeping(self) -> Connection | None:
        """An autocommit connection whose commits do not wait for the WAL flush (PostgreSQL only).

        For single-statement writes outside the caller's transaction that need no fsync of their
        own: counters (their row lock is then held for one statement; waiting for a flush there
        was one of a submission's two) and usage stamps (a token's last use, a session's sliding
        expiry). It is safe: a transaction that commits later flushes the WAL up to itself, these
        writes included; a crash before that loses only a stamp, or a number nothing used.
        """
        return self._bookkeeping.connect() if self._bookkeeping is not None else None

    def first(self, statement: Any, params: dict[str, Any]) -> Any | None:
        """The first row of a plain read: ``HotReads`` on PostgreSQL, the engine on SQLite."""
        rows = self.all(statement, params)
        return rows[0] if rows else None

    def all(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        """Every row of a plain read: ``HotReads`` on PostgreSQL, the engine on SQLite."""
        if self.hot_reads is not None:
            return self.hot_reads.all(statement, params)
        with self.reader.connect() as conn:
            return list(conn.execute(statement, params))

    async def afirst(self, statement: Any, params: dict[str, Any]) -> Any | None:
        """:meth:`first` for a request handler on the event loop."""
        rows = await self.aall(statement, params)
        return rows[0] if rows else None

    async def aall(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        """:meth:`all` for a request handler on the event loop: ``HotReads.aall`` on PostgreSQL; on
        SQLite, whose reads take the database's lock, in a thread."""
        if self.hot_reads is not None:
            return await self.hot_reads.aall(statement, params)
        return await anyio.to_thread.run_sync(self.all, statement, params)

    def on_dispose(self, fn: Callable[[], None]) -> None:
        """Have ``dispose`` call ``fn`` first (a helper thread that writes through this database)."""
        self._on_dispose.append(fn)

    def dispose(self) -> None:
        for fn in self._on_dispose:
            fn()
        self._on_dispose.clear()
        self.engine.dispose()
        if self.hot_reads is not None:
            self.hot_reads.close()
        if self._bookkeeping is not None:
            self._bookkeeping.dispose()


def plain_conninfo(engine: Engine, name: str, *, connect_timeout: str, **settings: str) -> str:
    """What a plain psycopg connection to ``engine``'s database needs: in UTC, with ``settings``.

    Parameters of the URL win (a test or an operator may set the application name or a timeout).
    """
    url = engine.url
    params = {k: str(v) for k, v in url.translate_connect_args(username="user", database="dbname").items()}
    params.update({k: str(v) for k, v in url.query.items()})
    params.setdefault("connect_timeout", connect_timeout)
    params.setdefault("application_name", name)
    options = " ".join(f"-c {key}={value}" for key, value in {"timezone": "UTC", **settings}.items())
    params["options"] = f"{params.get('options', '')} {options}".strip()
    return make_conninfo(**params)


class HotReads:
    """Single-statement reads straight on psycopg, for the reads that are most of the traffic (PostgreSQL).

    A checkout from SQLAlchemy's pool and its execution layer cost about 0.25 ms of CPU per
    statement, five times the driver's own: more than a whole status read may cost at the
    ARCHITECTURE target. The statement is still SQLAlchemy Core (one text, run through the
    engine on SQLite), compiled once; rows come back as named tuples. The connections are
    autocommit (a plain read needs no transaction), in UTC (the datetimes ``UTCDateTime`` gives),
    with generic plans (psycopg prepares a statement run five times; planning it anew each time was
    two thirds of a read's server time) and bounded by a statement and a connect timeout.

    Request handlers on the event loop use :meth:`aall`: an asynchronous connection of that loop,
    so the loop serves other requests while PostgreSQL works. (The synchronous read blocked the
    loop for the server's whole answer; under load, with the server's processes waiting for the
    same two cores, that was half of a worker's time: ``bench/RESULTS.md``, services.) :meth:`all`
    is for threads and scripts: at most ``KEEP`` idle connections are kept for it, beyond those a
    read opens its own. An event loop has at most ``IN_FLIGHT`` connections of its own, all kept:
    further reads wait for one (opening a connection costs more than any of these reads, and
    PostgreSQL on a few cores gains nothing from more statements at once).
    """

    KEEP = 4
    IN_FLIGHT = 8
    TIMEOUT = "2s"  # these reads take a millisecond; a stuck one must not hold an event loop for long
    NAME = "smartgov-hot-reads"  # pg_stat_activity.application_name

    def __init__(self, engine: Engine) -> None:
        # a stuck connect must not hold an event loop either
        self._conninfo = plain_conninfo(engine, self.NAME, statement_timeout=self.TIMEOUT, connect_timeout="2",
                                        plan_cache_mode="force_generic_plan")
        self._dialect = engine.dialect
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._compiled: dict[int, tuple[Any, str, dict[str, Any]]] = {}
        self._loops: dict[asyncio.AbstractEventLoop, _LoopConnections] = {}

    def all(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        """Every row of ``statement`` (a prebuilt Core statement).

        A connection found dead is dropped and the read tried once more on a new one, so a
        database restart costs no request; any other error (the statement timeout too) is raised.
        """
        sql, defaults = self._sql(statement)
        for attempt in (1, 2):
            conn = self._checkout()
            try:
                rows = conn.execute(sql, {**defaults, **params}).fetchall()
            except BaseException as exc:
                again = _retried(exc, conn, attempt)  # before the close, which ends "broken"
                conn.close()
                if again:
                    continue
                raise
            self._checkin(conn)
            return rows
        raise AssertionError("unreachable")

    async def aall(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        """:meth:`all` for the event loop: the loop runs other requests while the server answers."""
        sql, defaults = self._sql(statement)
        mine = self._of_loop()
        async with mine.free:
            for attempt in (1, 2):
                conn = mine.idle.pop() if mine.idle else await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, row_factory=namedtuple_row)
                try:
                    cursor = await conn.execute(sql, {**defaults, **params})
                    rows = await cursor.fetchall()
                except BaseException as exc:  # cancelled too: the connection's state is unknown
                    again = _retried(exc, conn, attempt)
                    conn.pgconn.finish()  # what AsyncConnection.close does, without awaiting in a cancelled task
                    if again:
                        continue
                    raise
                mine.idle.append(conn)
                return rows
        raise AssertionError("unreachable")

    def _sql(self, statement: Any) -> tuple[str, dict[str, Any]]:
        found = self._compiled.get(id(statement))
        if found is None:  # the statement is kept in the entry, so its id is not reused
            compiled = statement.compile(dialect=self._dialect)
            found = self._compiled[id(statement)] = (statement, str(compiled), dict(compiled.params))
        return found[1], found[2]

    def _checkout(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return psycopg.connect(self._conninfo, autocommit=True, row_factory=namedtuple_row)

    def _checkin(self, conn: Any) -> None:
        with self._lock:
            if len(self._idle) < self.KEEP:
                self._idle.append(conn)
                return
        conn.close()

    def _of_loop(self) -> _LoopConnections:
        loop = asyncio.get_running_loop()
        with self._lock:
            found = self._loops.get(loop)
            if found is not None:
                return found
            gone = [old for old in self._loops if old.is_closed()]  # a test's or a script's loop that ended
            dead = [conn for old in gone for conn in self._loops.pop(old).idle]
            found = self._loops[loop] = _LoopConnections(self.IN_FLIGHT)
        for conn in dead:
            conn.pgconn.finish()
        return found

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            loops, self._loops = self._loops, {}
        for conn in idle:
            conn.close()
        for mine in loops.values():  # closed from any thread: finishing the socket needs no event loop
            for conn in mine.idle:
                conn.pgconn.finish()


class _LoopConnections:
    """An event loop's hot-read connections: at most ``size`` in use, every one kept when done."""

    def __init__(self, size: int) -> None:
        self.free = asyncio.Semaphore(size)  # bound to the loop that first waits on it
        self.idle: list[Any] = []


def _retried(exc: BaseException, conn: Any, attempt: int) -> bool:
    """Whether a hot read that raised ``exc`` on ``conn`` is tried once more: only a first attempt whose
    connection died (a database restart, a killed backend), never a statement that ran too long."""
    return attempt == 1 and isinstance(exc, psycopg.OperationalError) and bool(conn.broken)


def database_of(session: Session) -> Database | None:
    """The ``Database`` whose factories made ``session`` (None for a hand-made session)."""
    found = session.info.get("database")
    return found if isinstance(found, Database) else None


def lock(session: Session, row: Any) -> None:
    """Lock ``row`` for the rest of the transaction and read it again (its latest committed state).

    The caller's unsaved changes are flushed first, so the re-read keeps them. The lock is taken
    by primary key alone: a row loaded with joined relationships cannot be locked through the
    outer join (PostgreSQL refuses ``FOR UPDATE`` on its nullable side).
    """
    session.flush()
    state = inspect(row)
    keys = state.mapper.primary_key
    session.execute(select(*keys).where(*(c == v for c, v in zip(keys, state.identity, strict=True)))
                    .with_for_update())
    session.refresh(row)


def keep(session: Session, *rows: object) -> None:
    """Hold ``rows`` for the rest of ``session``.

    The identity map refers to rows weakly; while something holds them, ``Session.get`` answers
    from it without a SELECT. Used when one joined query loads rows that later code looks up by key.
    """
    session.info.setdefault("kept", []).extend(rows)


def get_or_not_found(session: Session, model: type[T], ident: Any, what: str, *, field: str | None = None) -> T:
    """The ``model`` row with primary key ``ident``, or :class:`~smartgov.errors.NotFound` naming ``what``.

    One rule for every "this record, by its id" a caller names: a missing row is a 404, never a ``None``
    that a handler has to remember to check.
    """
    row = session.get(model, ident)
    if row is None:
        raise NotFound(what, field=field)
    return row


def scalar_or_not_found(session: Session, stmt: Select[tuple[T]], what: str, *, field: str | None = None) -> T:
    """The first row ``stmt`` selects (by code, slug, number…), or :class:`~smartgov.errors.NotFound`."""
    row = session.scalar(stmt)
    if row is None:
        raise NotFound(what, field=field)
    return row


_read_databases: dict[str, Database] = {}
_read_lock = threading.Lock()


def read_database(url: str) -> Database:
    """The process's ``Database`` for read-only work at ``url`` (dashboards, open data, reports on a
    replica: ``SMARTGOV_READ_DATABASE_URL``), made once per URL and kept for the process's life."""
    with _read_lock:
        found = _read_databases.get(url)
        if found is None:
            # Read-only on both backends: a deferred BEGIN on SQLite (a reader never queues behind, or
            # blocks, the writers' BEGIN IMMEDIATE), read-only transactions on PostgreSQL.
            kwargs: dict[str, Any] = {"sqlite_begin": "BEGIN"} if make_url(url).get_backend_name() == "sqlite" \
                else {"connect_args": {"options": "-c default_transaction_read_only=on"}}
            found = _read_databases[url] = Database(url, **kwargs)
        return found


def dispose_read_databases() -> None:
    """Close every read database made by :func:`read_database` (tests, and a process shutting down)."""
    with _read_lock:
        found = list(_read_databases.values())
        _read_databases.clear()
    for database in found:
        database.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "heads") -> None:
    """Bring the schema at ``url`` to ``revision`` through Alembic."""
    from alembic import command

    make_engine(url).dispose()  # creates the SQLite folder if needed
    command.upgrade(alembic_config(url), revision)


def heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
