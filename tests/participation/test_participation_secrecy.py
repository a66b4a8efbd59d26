"""The secret ballot against an insider (issue 15, item 1), on PostgreSQL.

200 people vote through the API with choices the test draws at random and remembers. Then the
test becomes the insider: a superuser with full read access — system columns (``xmin``,
``ctid``), raw heap pages through ``pageinspect`` (dead tuples included), every table (events,
outbox, ledger) — links each voter to everything stored with or beside their vote, and predicts
their choice in every way it can think of, while the poll is open and again after it closed and
was counted.

The bound: the choices are uniform and independent, so an attack that learns nothing is right
about each voter with probability 1/3, and its number of right guesses is Binomial(200, 1/3),
whatever it does. ``BOUND`` = 100 is exceeded by chance with probability 8.4e-7; an attack that
is right 60 % of the time reaches it with probability 0.998 (55 %: 0.93). Every attack must stay
under it. The same linkage, given the trustees' share files (which are outside the database),
reads all 200 votes: the test's links are real, and the secret rests on those files alone.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from smartgov import clock, events
from smartgov.identity import service as identity
from smartgov.participation import election, service, verify_ballots
from smartgov.participation.models import ElectionKey
from tests.factories import auth
from tests.participation.helpers import agency, citizen, count_votes

VOTERS, OPTIONS, BOUND = 200, 3, 100
API = "/api/v1/participation"


@pytest.fixture
def pg(database):  # type: ignore[no-untyped-def]
    if not database.is_postgres:
        pytest.skip("system columns and raw pages are PostgreSQL's; the rest of the vote tests run on both")
    with database.engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        conn.commit()
    return database


def _raw_tuples(conn: Any) -> list[tuple[str, int, int, int, bytes]]:
    """Every tuple of every table (and its TOAST table) as the pages hold it, dead ones included:
    (table, block, line pointer, xmin, bytes)."""
    out = []
    rels = conn.execute(text(
        "SELECT c.oid::regclass::text, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 't') AND (n.nspname = 'public' OR (n.nspname = 'pg_toast' AND c.oid IN "
        "(SELECT reltoastrelid FROM pg_class t JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE tn.nspname = 'public')))")).all()
    for regclass, name in rels:
        blocks = conn.execute(text("SELECT pg_relation_size(CAST(:r AS regclass)) / current_setting('block_size')::int"),
                              {"r": regclass}).scalar()
        for blk in range(blocks):
            for lp, xmin, data in conn.execute(text(
                    "SELECT lp, t_xmin::text::bigint, t_data FROM heap_page_items(get_raw_page(:r, :b)) "
                    "WHERE t_data IS NOT NULL"), {"r": regclass, "b": blk}):
                out.append((name, blk, lp, xmin, bytes(data)))
    return out


def _raw_pages(conn: Any) -> bytes:
    """Every page of every relation — tables, TOAST, indexes — as one byte string."""
    rels = conn.execute(text(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 't', 'i') AND n.nspname IN ('public', 'pg_toast') "
        "AND pg_relation_size(c.oid) > 0")).scalars().all()
    chunks = []
    for regclass in rels:
        blocks = conn.execute(text("SELECT pg_relation_size(CAST(:r AS regclass)) / current_setting('block_size')::int"),
                              {"r": regclass}).scalar()
        chunks += [bytes(conn.execute(text("SELECT get_raw_page(:r, :b)"), {"r": regclass, "b": b}).scalar())
                   for b in range(blocks)]
    return b"".join(chunks)


def _tokens(table: str, data: bytes) -> set[Any]:
    """What a learned attack looks at in a tuple: its length and every byte at its offset."""
    return {(table, "len", len(data)), *((table, i, b) for i, b in enumerate(data))}


def _learned(features: list[set[Any]], choices: list[int]) -> list[int]:
    """Two-fold: learn from half the voters (as if they had told the insider their choice) which stored
    features go with which choice, and predict the other half.

    A feature counts if it is seen with at least 5 training voters and 80 % of them chose the same
    option (any stored byte or length that follows the choice is such a feature); a test voter's
    features vote, weighted by their log-odds; with none, the most common training choice.
    """
    predictions = [0] * len(features)
    folds = [list(range(0, len(features), 2)), list(range(1, len(features), 2))]
    for train, test in (folds, folds[::-1]):
        seen: dict[Any, Counter[int]] = defaultdict(Counter)
        for i in train:
            for tok in features[i]:
                seen[tok][choices[i]] += 1
        telling = {tok: counts for tok, counts in seen.items()
                   if sum(counts.values()) >= 5 and max(counts.values()) >= 0.8 * sum(counts.values())}
        prior = Counter(choices[i] for i in train).most_common(1)[0][0]
        for i in test:
            score = dict.fromkeys(range(1, OPTIONS + 1), 0.0)
            for tok in features[i] & telling.keys():
                counts = telling[tok]
                for c in score:
                    score[c] += math.log((counts[c] + 1) / (sum(counts.values()) + OPTIONS))
            predictions[i] = max(score, key=lambda c: (score[c], c == prior)) if any(score.values()) else prior
    return predictions


def _attack(database: Any, poll_id: int, people: list[int], choices: list[int]) -> tuple[dict[str, list[int]], Any]:
    """Everything the insider tries; returns predictions per attack, and each voter's linked ballot."""
    with database.engine.connect() as conn:
        voter_rows = {pid: (xmin, ctid) for pid, xmin, ctid in conn.execute(text(
            "SELECT person_id, xmin::text::bigint, ctid::text FROM participation_voter WHERE box_id = :p"),
            {"p": poll_id})}
        ballots = {xmin: (tracker, content) for xmin, tracker, content in conn.execute(text(
            "SELECT xmin::text::bigint, tracker, content FROM participation_ballot WHERE box_id = :p"), {"p": poll_id})}
        event_xmin = dict(conn.execute(text("SELECT id, xmin::text::bigint FROM kernel_event")).tuples().all())
        ledger = conn.execute(text("SELECT event_id, data FROM ledger_entry")).all()
        tuples = _raw_tuples(conn)
    by_xmin: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
    for table, _blk, _lp, xmin, data in tuples:
        by_xmin[xmin].append((table, data))
    for event_id, data in ledger:  # a ledger entry joins its event's transaction
        if event_id in event_xmin:
            by_xmin[event_xmin[event_id]].append(("ledger_entry:data", bytes(data)))
    # Physical order: the k-th voter tuple against the k-th ballot tuple (dead ones counted too).
    ordered = {t: sorted((blk, lp, data) for table, blk, lp, _x, data in tuples if table == t)
               for t in ("participation_voter", "participation_ballot")}
    rank = {data: k for k, (_b, _l, data) in enumerate(ordered["participation_voter"])}
    voter_tuple = {xmin: data for table, _b, _l, xmin, data in tuples if table == "participation_voter"}

    linked, features = [], []
    for pid in people:
        xmin, _ctid = voter_rows[pid]
        same_tx = by_xmin[xmin]
        assert sum(1 for table, _d in same_tx if table == "participation_ballot") == 1  # the link is there…
        linked.append(ballots[xmin])
        feats: set[Any] = set()
        for table, data in same_tx:
            feats |= _tokens(table, data)
        k = rank.get(voter_tuple[xmin])
        if k is not None and k < len(ordered["participation_ballot"]):
            feats |= _tokens("ballot-by-position", ordered["participation_ballot"][k][2])
        features.append(feats)

    def by_ciphertext(pick: Callable[[list[str]], int]) -> list[int]:
        return [1 + pick([ct[1] for ct in content["ciphertexts"]]) for _t, content in linked]

    attacks = {
        "features learned from half the voters: every byte stored in the voter's transaction, its ledger entry "
        "and the ballot at the same physical position": _learned(features, choices),
        "the option whose ciphertext is largest": by_ciphertext(lambda bs: max(range(OPTIONS), key=bs.__getitem__)),
        "the option whose ciphertext is smallest": by_ciphertext(lambda bs: min(range(OPTIONS), key=bs.__getitem__)),
        "the first ciphertext byte modulo 3": by_ciphertext(lambda bs: int(bs[0][:2], 16) % OPTIONS),
        "the tracker modulo 3": [1 + int(t, 16) % OPTIONS for t, _c in linked],
        "the ballot's stored length modulo 3": [1 + len(json.dumps(c)) % OPTIONS for _t, c in linked],
        "the voter's physical position modulo 3": [1 + int(re.sub(r"\D", "", voter_rows[p][1])) % OPTIONS
                                                   for p in people],
    }
    return attacks, linked


def _no_key_anywhere(database: Any, secrets: list[int], public: set[str]) -> None:
    """No trustee share nor the election secret, in any encoding, on any page of any relation; and no
    64-hex string stored in any table is a secret scalar of the key or of a trustee."""
    with database.engine.connect() as conn:
        pages = _raw_pages(conn)
        stored = " ".join(json.dumps([str(v) for v in row]) for table in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            for row in conn.execute(text(f'SELECT * FROM "{table}"')))
    for s in secrets:
        raw = s.to_bytes(32, "little")
        for form in (raw, raw[::-1], raw.hex().encode(), raw[::-1].hex().encode(), str(s).encode()):
            assert form not in pages
    for candidate in set(re.findall(r"[0-9a-f]{64}", stored)):
        value = int.from_bytes(bytes.fromhex(candidate), "little")
        if value < verify_ballots.L:
            assert verify_ballots.base(value).hex() not in public


def test_an_insider_with_the_whole_database_predicts_no_choice_better_than_chance(pg, client, db, settings) -> None:  # type: ignore[no-untyped-def]
    poll = service.create_poll(db, organization=agency(db), slug="insider", question_fa="کدام؟", question_en="Which?",
                               options=[("یک", "One"), ("دو", "Two"), ("سه", "Three")],
                               opens_at=clock.now() - dt.timedelta(hours=1), closes_at=clock.now() + dt.timedelta(days=3))
    rng = random.Random()  # a fresh draw each run: the bound holds for any
    accounts = [citizen(db, f"insider-voter-{i}") for i in range(VOTERS)]
    tokens = [identity.create_api_token(db, a, name="t", scopes=["read", "write"], expires_in_days=None)[0]
              for a in accounts]
    db.commit()
    choices = [rng.randint(1, OPTIONS) for _ in range(VOTERS)]
    order = list(range(VOTERS))
    rng.shuffle(order)  # people vote in an order unrelated to their accounts
    receipts = []
    for i in order:
        r = client.post(f"{API}/polls/insider/votes", headers=auth(tokens[i]), json={"option": choices[i]})
        assert r.status_code == 201, r.text
        receipts.append(r.json()["receipt"])
    assert {b["tracker"] for b in client.get(f"{API}/polls/insider/board").json()["ballots"]} == set(receipts)
    people = [a.person_id for a in accounts]
    events.run_periodic(pg)  # the worker's rounds: ledger entries for the votes

    key = db.get(ElectionKey, poll.election_key_id)
    shares = [election.read_share(p) for p in sorted((settings.data_dir / "trustees").glob(f"key-{key.id}-*/trustee-*.json"))]
    group = [s.trustee for s in shares[:key.threshold]]
    secret = sum(verify_ballots.lagrange(s.trustee, group) * s.share for s in shares[:key.threshold]) % verify_ballots.L
    commitments = [[bytes.fromhex(c) for c in d] for d in key.commitments]
    public = {key.public_key, *(verify_ballots.public_share(commitments, s.trustee).hex() for s in shares)}

    for moment in ("open", "closed and counted"):
        if moment != "open":
            count_votes(db, dt.timedelta(days=3))
            events.run_periodic(pg)
            result = [o["votes"] for o in service.poll_results(db, poll)["options"]]
            assert result == [choices.count(c) for c in (1, 2, 3)]
            board = client.get("/participation/polls/insider/board.json").json()
            assert verify_ballots.verify_board(board).result == result  # from the board alone
        attacks, linked = _attack(pg, poll.id, people, choices)
        attacks["the most common choice of the published result"] = (
            [1 + max(range(OPTIONS), key=lambda c: result[c])] * VOTERS if moment != "open" else [1] * VOTERS)
        for name, guess in attacks.items():
            right = sum(g == c for g, c in zip(guess, choices, strict=True))
            assert right < BOUND, f"{moment}: '{name}' guessed {right} of {VOTERS} votes (chance: about 67)"
        # Control: the same links, with the trustees' files (not in the database), read every vote.
        readable = []
        for _tracker, content in linked:
            cts = [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in content["ciphertexts"]]
            plain = [verify_ballots.sub(b, verify_ballots.mul(secret, a)) for a, b in cts]
            readable.append(1 + plain.index(verify_ballots.G))
        assert readable == choices
        _no_key_anywhere(pg, [s.share for s in shares] + [secret], public)


def test_the_learned_attack_finds_a_leak_when_there_is_one() -> None:
    """The classifier above is not blind: one stored byte that follows the choice (as the plaintext
    ``choices`` column of the old design did) among ciphertext-like noise is enough for it."""
    rng = random.Random(15)
    choices = [rng.randint(1, OPTIONS) for _ in range(VOTERS)]
    noise = [rng.randbytes(300) for _ in range(VOTERS)]
    leaky = [_tokens("participation_ballot", data[:40] + bytes([48 + c]) + data[41:]) for data, c in
             zip(noise, choices, strict=True)]
    assert sum(g == c for g, c in zip(_learned(leaky, choices), choices, strict=True)) >= 190
    sealed = [_tokens("participation_ballot", data) for data in noise]
    assert sum(g == c for g, c in zip(_learned(sealed, choices), choices, strict=True)) < BOUND
