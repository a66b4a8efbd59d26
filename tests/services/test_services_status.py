"""The applicant's own status read (``services.status``): the general path's answer, from one statement."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from smartgov import clock, i18n
from smartgov.identity import Principal
from smartgov.identity.models import Account, ApiToken
from smartgov.services import api, service
from tests.factories import api_token, auth

from .conftest import MINIMAL
from .helpers import address_answers, arrange
from .test_services_api import API, tokens, upload


def general_answer(db: Session, account: Account, reference: str, lang: str) -> dict[str, Any]:
    """What the ORM path answers for ``account`` (the presenter the official's view uses)."""
    db.expire_all()
    language = i18n.set_language(lang)
    try:
        app, facts = service.application_with_facts(db, reference)
        return api.application_public(db, Principal(account=account, via_token=True), app, facts).model_dump(
            mode="json")
    finally:
        i18n._current.reset(language)


def submit(client, headers, owner: bool, account: Account) -> str:  # type: ignore[no-untyped-def]
    answers = address_answers(account, owns_home=owner)
    if not owner:
        answers["lease_contract"] = upload(client, headers, "lease_contract")
    r = client.post(f"{API}/applications", headers=headers, json={
        "service_id": "address-change", "answers": answers,
        "documents": {"proof_of_address": upload(client, headers, "documents.proof_of_address")}})
    assert r.status_code == 201, r.text
    return str(r.json()["reference"])


def test_own_case_is_answered_from_one_statement_as_the_general_path_would(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    clock.freeze(clock.now())  # seconds_left is the same in both answers
    t = tokens(client, {k: accounts[k] for k in ("citizen", "official", "admin")})
    waiting = submit(client, t["citizen"], owner=False, account=accounts["citizen"])
    asked = submit(client, t["citizen"], owner=False, account=accounts["citizen"])
    for action, reason in (("start_review", None), ("request_information", "Send the whole lease.")):
        r = client.post(f"{API}/applications/{asked}/transitions", headers=t["official"],
                        json={"action": action, "reason": reason})
        assert r.status_code == 200, r.text
    decided = submit(client, t["citizen"], owner=True, account=accounts["citizen"])  # signed at once
    text_ = MINIMAL.replace("relationship: G2B", "relationship: G2C")
    assert client.post(f"{API}/definitions", headers=t["admin"],
                       json={"yaml": text_, "source_name": "permit.yaml"}).status_code == 201
    r = client.post(f"{API}/applications", headers=t["citizen"],
                    json={"service_id": "permit", "answers": {"workers": 2, "wage": 2000000}})
    invoiced = r.json()["reference"]

    def general_path(*_args: Any) -> None:
        raise AssertionError("the applicant's own case went down the general path")

    monkeypatch.setattr(api, "_application_view", general_path)
    shapes = {waiting: "waiting", asked: "open question", decided: "signed document", invoiced: "invoice"}
    for reference, shape in shapes.items():
        for lang in ("fa", "en"):
            got = client.get(f"{API}/applications/{reference.lower()}", headers=t["citizen"], params={"lang": lang})
            assert got.status_code == 200, (shape, got.text)
            assert got.json() == general_answer(db, accounts["citizen"], reference, lang), shape
    listed = client.get(f"{API}/applications", headers=t["citizen"], params={"lang": "en"}).json()["items"]
    assert {item["reference"]: item for item in listed} == {  # the list, shaped a page at a time, says the same
        ref: general_answer(db, accounts["citizen"], ref, "en") for ref in shapes}
    answers = {ref: client.get(f"{API}/applications/{ref}", headers=t["citizen"]).json() for ref in shapes}
    assert answers[asked]["open_question"] == "Send the whole lease."
    assert answers[decided]["issued_documents"] and answers[decided]["terminal"]
    assert answers[invoiced]["invoices"][0]["status"] == "open" and not answers[invoiced]["paid"]
    assert answers[waiting]["actions"][0]["action"] == "withdraw"


def test_everyone_else_takes_the_general_path(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "other", "official")})
    ref = submit(client, t["citizen"], owner=False, account=accounts["citizen"])
    assert client.get(f"{API}/applications/{ref}", headers=t["other"]).status_code == 404
    assert client.get(f"{API}/applications/NO-SUCH-CASE", headers=t["citizen"]).status_code == 404
    seen = client.get(f"{API}/applications/{ref}", headers=t["official"])
    assert seen.status_code == 200 and seen.json()["actions"]  # an official's buttons, and the view is recorded
    assert client.get(f"{API}/applications/{ref}", headers={"Authorization": "Bearer sgp_nonsense"}).status_code == 401
    assert client.get(f"{API}/applications/{ref}").status_code == 401


def test_a_dead_token_reads_nothing_and_a_live_one_is_stamped(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    raw = api_token(client, accounts["citizen"])
    ref = submit(client, auth(raw), owner=False, account=accounts["citizen"])
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.account_id == accounts["citizen"].id))
    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=None))
    db.commit()
    assert client.get(f"{API}/applications/{ref}", headers=auth(raw)).status_code == 200
    db.expire_all()
    assert db.get(ApiToken, token_id).last_used_at is not None
    clock.advance(dt.timedelta(minutes=5))
    assert client.get(f"{API}/applications/{ref}", headers=auth(raw)).status_code == 200
    db.expire_all()
    assert db.get(ApiToken, token_id).last_used_at >= clock.now() - dt.timedelta(seconds=1)

    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(expires_at=clock.now()))
    db.commit()
    assert client.get(f"{API}/applications/{ref}", headers=auth(raw)).status_code == 401
    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(expires_at=None, revoked_at=clock.now()))
    db.commit()
    assert client.get(f"{API}/applications/{ref}", headers=auth(raw)).status_code == 401
    db.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=None))
    db.execute(update(Account).where(Account.id == accounts["citizen"].id).values(is_active=False))
    db.commit()
    assert client.get(f"{API}/applications/{ref}", headers=auth(raw)).status_code == 401


def test_hot_reads_survive_their_connections_being_killed(client, db, database) -> None:  # type: ignore[no-untyped-def]
    if not database.is_postgres:
        pytest.skip("hot reads are PostgreSQL's (SQLite reads go through the engine)")
    accounts = arrange(db)
    db.commit()
    t = tokens(client, {"citizen": accounts["citizen"]})
    ref = submit(client, t["citizen"], owner=False, account=accounts["citizen"])
    assert client.get(f"{API}/applications/{ref}", headers=t["citizen"]).status_code == 200
    killed = db.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = :name AND datname = current_database()"),
                        {"name": database.hot_reads.NAME}).scalar_one()
    db.commit()
    assert killed >= 1
    for _ in range(3):
        assert client.get(f"{API}/applications/{ref}", headers=t["citizen"]).status_code == 200


def test_a_hot_read_past_its_timeout_fails_at_once(database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Only a dead connection earns a second try: a statement over the timeout is not run again."""
    if not database.is_postgres:
        pytest.skip("hot reads are PostgreSQL's")
    import psycopg
    from sqlalchemy import func, literal

    from smartgov.db import HotReads

    monkeypatch.setattr(HotReads, "TIMEOUT", "50ms")
    hot = HotReads(database.engine)
    checkouts: list[int] = []
    real = hot._checkout
    monkeypatch.setattr(hot, "_checkout", lambda: checkouts.append(1) or real())
    try:
        with pytest.raises(psycopg.errors.QueryCanceled):
            hot.all(select(func.pg_sleep(1)), {})
        assert len(checkouts) == 1
        assert hot.all(select(literal(7).label("seven")), {})[0].seven == 7
    finally:
        hot.close()


def test_a_hot_read_leaves_the_event_loop_free_and_a_cancelled_one_its_connection_dropped(database) -> None:  # type: ignore[no-untyped-def]
    """While PostgreSQL answers one request's read, the worker's loop runs the others; a read whose
    request is cancelled gives up its connection (its state is unknown) and the next read is served."""
    if not database.is_postgres:
        pytest.skip("hot reads are PostgreSQL's")
    from sqlalchemy import func, literal

    from tests.factories import in_a_loop_of_its_own

    hot = database.hot_reads

    async def run() -> tuple[int, int, int]:
        turns = 0
        slow = asyncio.ensure_future(hot.aall(select(func.pg_sleep(0.3)), {}))
        while not slow.done():
            turns += 1  # the loop ran this coroutine while the read was in flight
            await asyncio.sleep(0.01)
        await slow
        cancelled = asyncio.ensure_future(hot.aall(select(func.pg_sleep(5)), {}))
        await asyncio.sleep(0.1)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        seven = (await hot.aall(select(literal(7).label("seven")), {}))[0].seven
        return turns, seven, len(hot._loops[asyncio.get_running_loop()].idle)

    turns, seven, idle = in_a_loop_of_its_own(run)
    assert turns > 1 and seven == 7 and idle == 1
    # the connections of a loop that ended are closed by the next loop's first read
    assert in_a_loop_of_its_own(lambda: hot.aall(select(literal(1).label("one")), {}))[0].one == 1
    assert len(hot._loops) == 1


def test_a_page_of_applications_costs_the_same_queries_for_five_cases_as_for_one(client, db, database) -> None:  # type: ignore[no-untyped-def]
    """The list and the inbox shape a page a query per kind of fact, not per case."""
    from sqlalchemy import event

    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "official")})
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    def cost(path: str, who: str) -> int:
        statements.clear()
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"{API}/{path}", headers=t[who]).status_code == 200
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        return len(statements)

    submit(client, t["citizen"], owner=True, account=accounts["citizen"])
    submit(client, t["citizen"], owner=False, account=accounts["citizen"])
    cost("inbox", "official")  # its token's first use is stored (a statement of its own on SQLite)
    one = cost("applications", "citizen"), cost("inbox", "official")
    for owner in (True, False, True):
        submit(client, t["citizen"], owner=owner, account=accounts["citizen"])
    assert (cost("applications", "citizen"), cost("inbox", "official")) == one
