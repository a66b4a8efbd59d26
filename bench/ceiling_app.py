"""The leanest submission and status read this stack can serve: a yardstick, not part of smartgov.

FastAPI on Uvicorn (uvloop, httptools), psycopg 3 async, everything on the event loop, hand-written
SQL, no ORM, no middleware, a token hash looked up with no scopes or expiry, no form schema, no
rules, no audit. What smartgov does on top of it can only cost more, so what this app reaches on a
machine bounds what smartgov can reach there. Run by ``bench/ceiling_bench.py``.

``POST /applications`` is one transaction per request (seven round trips). ``POST /batched``
is the same work with group commit: requests that arrive while a batch is being written wait
for the next one, and each batch is one pipelined transaction (one round trip, one WAL flush);
every answer still follows its commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from fastapi import FastAPI, Header, Response
from pydantic import BaseModel

URL = os.environ.get("CEILING_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
POOL_SIZE = 8

SCHEMA = """
CREATE SEQUENCE cref;
CREATE TABLE ctoken (hash bytea PRIMARY KEY, person_id int NOT NULL);
CREATE TABLE capp (id bigserial PRIMARY KEY, reference text UNIQUE NOT NULL, applicant_id int NOT NULL,
                   idem text NOT NULL, state text NOT NULL, answers jsonb NOT NULL, created_at timestamptz NOT NULL,
                   UNIQUE (applicant_id, idem));
CREATE TABLE ctrans (id bigserial PRIMARY KEY, app_id bigint NOT NULL REFERENCES capp (id), from_state text,
                     to_state text NOT NULL, at timestamptz NOT NULL);
CREATE TABLE cevent (id bigserial PRIMARY KEY, kind text NOT NULL, payload jsonb NOT NULL, at timestamptz NOT NULL);
CREATE TABLE coutbox (id bigserial PRIMARY KEY, kind text NOT NULL, payload jsonb NOT NULL);
"""

READ = ("SELECT a.reference, a.state, a.created_at, a.answers FROM ctoken t "
        "JOIN capp a ON a.applicant_id = t.person_id WHERE t.hash = %s AND a.reference = %s")
INSERT_CASE = ("INSERT INTO capp (reference, applicant_id, idem, state, answers, created_at) "
               "VALUES ('R' || nextval('cref'), %s, %s, 'submitted', %s, %s) "
               "ON CONFLICT (applicant_id, idem) DO NOTHING RETURNING id, reference")


class Pool:
    """A fixed set of async connections handed out through a queue (no library needed)."""

    def __init__(self) -> None:
        self.idle: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(POOL_SIZE):
            self.idle.put_nowait(await psycopg.AsyncConnection.connect(URL, autocommit=True, prepare_threshold=0))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await self.idle.get()
        try:
            yield conn
        finally:
            self.idle.put_nowait(conn)


pool = Pool()


class Batcher:
    """Group commit: one writer task drains what is waiting into one pipelined transaction."""

    def __init__(self) -> None:
        self.waiting: asyncio.Queue[tuple[tuple[bytes, str, str, str], asyncio.Future[tuple[int, str] | None]]]
        self.waiting = asyncio.Queue()

    async def submit(self, item: tuple[bytes, str, str, str]) -> tuple[int, str] | None:
        done: asyncio.Future[tuple[int, str] | None] = asyncio.get_running_loop().create_future()
        self.waiting.put_nowait((item, done))
        return await done

    async def run(self) -> None:
        while True:
            batch = [await self.waiting.get()]
            while not self.waiting.empty() and len(batch) < 256:
                batch.append(self.waiting.get_nowait())
            try:
                results = await self._write([item for item, _ in batch])
            except Exception as error:  # every waiter learns of the failure
                for _, done in batch:
                    done.set_exception(error)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                done.set_result(result)

    async def _write(self, items: list[tuple[bytes, str, str, str]]) -> list[tuple[int, str] | None]:
        now = dt.datetime.now(dt.UTC)
        results: list[tuple[int, str] | None] = []
        async with pool.connection() as conn, conn.transaction(), conn.pipeline():
            cursors = [await conn.execute("INSERT INTO capp (reference, applicant_id, idem, state, answers, created_at) "
                                          "SELECT 'R' || nextval('cref'), person_id, %s, 'submitted', %s, %s "
                                          "FROM ctoken WHERE hash = %s "
                                          "ON CONFLICT (applicant_id, idem) DO NOTHING RETURNING id, reference",
                                          (idem, answers, now, token)) for token, idem, answers, _service in items]
            for cur in cursors:
                row = await cur.fetchone()
                results.append((row[0], row[1]) if row else None)
            made = [(r, item) for r, item in zip(results, items, strict=True) if r is not None]
            if made:
                payloads = [json.dumps({"reference": ref, "service_id": item[3]}) for (_, ref), item in made]
                async with conn.cursor() as cur:
                    await cur.executemany("INSERT INTO ctrans (app_id, from_state, to_state, at) "
                                          "VALUES (%s, NULL, 'submitted', %s)", [(cid, now) for (cid, _), _ in made])
                    await cur.executemany("INSERT INTO cevent (kind, payload, at) VALUES ('services.submitted', %s, %s)",
                                          [(p, now) for p in payloads])
                    await cur.executemany("INSERT INTO coutbox (kind, payload) VALUES (%s, %s)",
                                          [(kind, p) for p in payloads for kind in ("email", "sms")])
        return results


batcher = Batcher()


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await pool.open()
    writer = asyncio.create_task(batcher.run())
    yield
    writer.cancel()


app = FastAPI(lifespan=lifespan)


class Submission(BaseModel):
    service_id: str
    answers: dict[str, Any]
    documents: list[str] = []


def _token_hash(authorization: str) -> bytes:
    return hashlib.sha256(authorization.removeprefix("Bearer ").encode()).digest()


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/applications/{reference}")
async def read(reference: str, authorization: str = Header()) -> Response:
    async with pool.connection() as conn:
        row = await (await conn.execute(READ, (_token_hash(authorization), reference))).fetchone()
    if row is None:
        return Response(status_code=404)
    body = {"reference": row[0], "state": row[1], "submitted_at": row[2].isoformat(), "answers": row[3]}
    return Response(json.dumps(body), media_type="application/json")


@app.post("/applications", status_code=201)
async def submit(body: Submission, authorization: str = Header(), idempotency_key: str = Header()) -> Response:
    """Token, case, first transition, event and two outbox rows in one committed transaction."""
    now = dt.datetime.now(dt.UTC)
    async with pool.connection() as conn, conn.transaction():
        found = await (await conn.execute("SELECT person_id FROM ctoken WHERE hash = %s",
                                          (_token_hash(authorization),))).fetchone()
        if found is None:
            return Response(status_code=401)
        row = await (await conn.execute(INSERT_CASE, (found[0], idempotency_key, json.dumps(body.answers),
                                                      now))).fetchone()
        if row is None:
            return Response(status_code=200)  # the key was used before
        case_id, reference = row
        payload = json.dumps({"reference": reference, "service_id": body.service_id})
        await conn.execute("INSERT INTO ctrans (app_id, from_state, to_state, at) VALUES (%s, NULL, 'submitted', %s)",
                           (case_id, now))
        await conn.execute("INSERT INTO cevent (kind, payload, at) VALUES ('services.submitted', %s, %s)",
                           (payload, now))
        await conn.execute("INSERT INTO coutbox (kind, payload) VALUES ('email', %s), ('sms', %s)", (payload, payload))
    return Response(json.dumps({"reference": reference, "state": "submitted"}), status_code=201,
                    media_type="application/json")


@app.post("/batched", status_code=201)
async def submit_batched(body: Submission, authorization: str = Header(), idempotency_key: str = Header()) -> Response:
    """The same rows as ``submit``, written by the group-commit writer; answers after its commit."""
    made = await batcher.submit((_token_hash(authorization), idempotency_key, json.dumps(body.answers),
                                 body.service_id))
    if made is None:
        return Response(status_code=200)  # unknown token or the key was used before
    return Response(json.dumps({"reference": made[1], "state": "submitted"}), status_code=201,
                    media_type="application/json")
