#!/usr/bin/env python3
"""Check a smartgov ballot board by yourself: every ballot's proofs, the tally and the result.

    python3 verify_ballots.py board.json        (Python 3.11+ and PyNaCl: ``pip install pynacl``)

Download the board of a closed poll or participatory budget from its "ballot board" page
(``…/board.json``), and this file from ``/participation/verify_ballots.py`` (or
``scripts/verify_ballots.py`` in the source). It reads the board alone — it trusts nothing the
server says except what it can check — and exits 0 only if all of this holds:

1. The election key is the sum of the trustees' Feldman commitments, and each trustee's public
   share follows from those commitments.
2. Every ballot's tracker is the hash of its ciphertexts; trackers are unique; every option's
   ciphertext carries a proof that it encrypts 0 or 1, and the sum of the ballot's ciphertexts a
   proof that it encrypts an allowed number of choices (exactly 1 in a poll; 1 to ``max_choices``
   in an approval budget; 1 to the number of projects in a knapsack budget). Proofs are bound to
   this box and this key, so a ballot copied from another box fails.
3. The published aggregate is the product of all ballots' ciphertexts (a ballot dropped, added or
   changed after the tally shows here), and the number of ballots matches the voters' count.
4. At least ``threshold`` trustees published partial decryptions of the aggregate, each with a
   Chaum-Pedersen proof that it used the share matching its public share.
5. Combining them (Lagrange interpolation at 0) and taking the small discrete logarithm gives
   the published counts, and the published result is those counts plus any ballots counted in
   plaintext before the platform encrypted ballots (``legacy``; shown, not verifiable).

The mathematics: exponential ElGamal in the prime-order group of Ed25519 (libsodium through
PyNaCl), points and scalars as 64 hex digits (32 bytes; scalars little-endian). A ciphertext of
``m`` under key ``Y`` is ``(A, B) = (rG, mG + rY)``. A proof is a list of ``(c, s)`` pairs, one per
allowed value ``v``; the verifier rebuilds the commitments ``a = sG - cA`` and
``b = sY - c(B - vG)`` and checks that the ``c`` add up to the Fiat-Shamir hash of the context,
the ciphertext and every commitment. The context binds the box (kind and id) and the key.

This file is the one place these rules are written: the platform imports it to check ballots
before its trustees decrypt a tally, so the server and an outside verifier run the same code.
It uses only the standard library and PyNaCl.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nacl import bindings as _na

FORMAT = "smartgov-ballot-board/1"
#: The order of Ed25519's prime-order subgroup.
L = 2**252 + 27742317777372353535851937790883648493
#: The neutral element, encoded. libsodium refuses to return it from a scalar multiplication.
IDENTITY = bytes([1]) + bytes(31)
G = _na.crypto_scalarmult_ed25519_base_noclamp((1).to_bytes(32, "little"))

Point = bytes
Ciphertext = tuple[Point, Point]
Proof = list[tuple[int, int]]


class BoardError(ValueError):
    """The board (or a ballot on it) does not check out; the message says where."""


# --------------------------------------------------------------------------- group arithmetic


def _sc(k: int) -> bytes:
    return (k % L).to_bytes(32, "little")


def base(k: int) -> Point:
    """``kG``."""
    k %= L
    return IDENTITY if k == 0 else _na.crypto_scalarmult_ed25519_base_noclamp(_sc(k))


def mul(k: int, p: Point) -> Point:
    """``kP`` for a point of the prime-order group (the identity included)."""
    k %= L
    if k == 0 or p == IDENTITY:
        return IDENTITY
    return _na.crypto_scalarmult_ed25519_noclamp(_sc(k), p)


def add(p: Point, q: Point) -> Point:
    if p == IDENTITY:
        return q
    if q == IDENTITY:
        return p
    return _na.crypto_core_ed25519_add(p, q)


def sub(p: Point, q: Point) -> Point:
    return p if q == IDENTITY else _na.crypto_core_ed25519_sub(p, q)


def point(text: Any, where: str) -> Point:
    """A point from 64 hex digits: canonical, on the curve and in the prime-order group."""
    try:
        raw = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise BoardError(f"{where}: not a point (64 hex digits)") from None
    if len(raw) != 32 or not (raw == IDENTITY or _na.crypto_core_ed25519_is_valid_point(raw)):
        raise BoardError(f"{where}: not a point of the group")
    return raw


def scalar(text: Any, where: str) -> int:
    try:
        raw = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise BoardError(f"{where}: not a scalar (64 hex digits)") from None
    value = int.from_bytes(raw, "little")
    if len(raw) != 32 or value >= L:
        raise BoardError(f"{where}: not a scalar below the group order")
    return value


def hex_scalar(k: int) -> str:
    return _sc(k).hex()


def challenge(*parts: bytes | str | int) -> int:
    """Fiat-Shamir: SHA-512 of the length-prefixed parts, reduced modulo the group order."""
    h = hashlib.sha512(b"smartgov/ballot-proof/v1")
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        h.update(len(data).to_bytes(4, "big") + data)
    return int.from_bytes(h.digest(), "little") % L


def context(box_kind: str, box_id: int, public_key: Point) -> bytes:
    """What every proof of a box is bound to: no proof can be replayed in another box or key."""
    return f"{box_kind}:{box_id}:".encode() + public_key


# --------------------------------------------------------------------------- proofs


def range_commitments(public_key: Point, ct: Ciphertext, values: Sequence[int], proof: Proof) -> list[Point]:
    """The commitments a valid proof that ``ct`` encrypts one of ``values`` was made from."""
    a_ct, b_ct = ct
    out: list[Point] = []
    for v, (c, s) in zip(values, proof, strict=True):
        out.append(sub(base(s), mul(c, a_ct)))
        out.append(sub(mul(s, public_key), mul(c, sub(b_ct, base(v)))))
    return out


def check_range(ctx: bytes, label: str, public_key: Point, ct: Ciphertext, values: Sequence[int],
                proof: Proof) -> bool:
    """Whether ``proof`` shows that ``ct`` encrypts one of ``values`` (disjunctive Chaum-Pedersen)."""
    if len(proof) != len(values):
        return False
    commitments = range_commitments(public_key, ct, values, proof)
    return sum(c for c, _s in proof) % L == challenge(ctx, label, *ct, *commitments)


def decryption_commitments(public_share: Point, a_ct: Point, share: Point, proof: tuple[int, int]) -> tuple[Point, ...]:
    c, z = proof
    return sub(base(z), mul(c, public_share)), sub(mul(z, a_ct), mul(c, share))


def check_decryption(ctx: bytes, trustee: int, public_share: Point, a_ct: Point, share: Point,
                     proof: tuple[int, int]) -> bool:
    """Whether ``share = x·A`` for the ``x`` with ``public_share = x·G`` (Chaum-Pedersen)."""
    commitments = decryption_commitments(public_share, a_ct, share, proof)
    return proof[0] == challenge(ctx, "decrypt", trustee, a_ct, share, *commitments)


def allowed_counts(box_kind: str, options: int, style: str | None = None, max_choices: int | None = None) -> list[int]:
    """How many options one ballot may choose: one in a poll; at least one in a budget, and at
    most ``max_choices`` (approval) or every project (knapsack: the cost limit is checked by the
    server when the ballot is cast, see the module README)."""
    if box_kind == "poll":
        return [1]
    top = max_choices if style == "approval" and max_choices else options
    return list(range(1, min(top, options) + 1))


def tracker(ctx: bytes, ciphertexts: Iterable[Ciphertext]) -> str:
    """A ballot's public name and the voter's receipt: the hash of its ciphertexts in this box."""
    h = hashlib.sha256(b"smartgov/ballot-tracker/v1")
    h.update(len(ctx).to_bytes(4, "big") + ctx)
    for a_ct, b_ct in ciphertexts:
        h.update(a_ct + b_ct)
    return h.hexdigest()


def total(ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The homomorphic sum: a ciphertext of the sum of the plaintexts."""
    a_sum, b_sum = IDENTITY, IDENTITY
    for a_ct, b_ct in ciphertexts:
        a_sum, b_sum = add(a_sum, a_ct), add(b_sum, b_ct)
    return a_sum, b_sum


@dataclass(frozen=True)
class Ballot:
    tracker: str
    ciphertexts: list[Ciphertext]
    proofs: list[Proof]
    count_proof: Proof


def read_ballot(data: Any, options: int, where: str) -> Ballot:
    """A ballot of the board's JSON form, its points and scalars checked (not yet its proofs)."""
    try:
        cts = [(point(a, f"{where} ciphertext"), point(b, f"{where} ciphertext")) for a, b in data["ciphertexts"]]
        proofs = [[(scalar(c, f"{where} proof"), scalar(s, f"{where} proof")) for c, s in p] for p in data["proofs"]]
        count = [(scalar(c, f"{where} count proof"), scalar(s, f"{where} count proof")) for c, s in data["count_proof"]]
        name = str(data["tracker"])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, BoardError):
            raise
        raise BoardError(f"{where}: malformed ballot") from None
    if len(cts) != options or len(proofs) != options:
        raise BoardError(f"{where}: {len(cts)} ciphertexts for {options} options")
    return Ballot(name, cts, proofs, count)


def check_ballot(ctx: bytes, public_key: Point, ballot: Ballot, counts: Sequence[int], where: str) -> None:
    """Raise :class:`BoardError` unless the ballot's tracker and every proof hold."""
    if tracker(ctx, ballot.ciphertexts) != ballot.tracker:
        raise BoardError(f"{where}: the tracker is not the hash of the ciphertexts")
    for i, (ct, proof) in enumerate(zip(ballot.ciphertexts, ballot.proofs, strict=True), start=1):
        if not check_range(ctx, f"option:{i}", public_key, ct, (0, 1), proof):
            raise BoardError(f"{where}: the proof that option {i} is 0 or 1 fails")
    if not check_range(ctx, "count", public_key, total(ballot.ciphertexts), counts, ballot.count_proof):
        raise BoardError(f"{where}: the proof of the number of choices fails")


# --------------------------------------------------------------------------- keys and decryption


def public_share(commitments: Sequence[Sequence[Point]], trustee: int) -> Point:
    """Trustee ``trustee``'s public share ``Σ_i Σ_l trustee^l · C_il`` (Feldman)."""
    out = IDENTITY
    for dealer in commitments:
        for power, c in enumerate(dealer):
            out = add(out, mul(pow(trustee, power, L), c))
    return out


def joint_key(commitments: Sequence[Sequence[Point]]) -> Point:
    out = IDENTITY
    for dealer in commitments:
        out = add(out, dealer[0])
    return out


def lagrange(trustee: int, group: Sequence[int]) -> int:
    """The coefficient of ``trustee``'s share when ``group`` interpolates the secret at 0."""
    num, den = 1, 1
    for other in group:
        if other != trustee:
            num = num * other % L
            den = den * (other - trustee) % L
    return num * pow(den, -1, L) % L


def discrete_log(p: Point, bound: int) -> int:
    """The ``m`` in ``0..bound`` with ``mG = p`` (baby-step giant-step); ``BoardError`` if none."""
    step = math.isqrt(bound) + 1
    table: dict[bytes, int] = {}
    cur = IDENTITY
    for j in range(step):
        table.setdefault(cur, j)
        cur = add(cur, G)
    giant = base(step)
    cur = p
    for i in range(step + 1):
        if cur in table:
            return i * step + table[cur]
        cur = sub(cur, giant)
    raise BoardError("a count is larger than the number of ballots")


def combine(aggregate: Sequence[Ciphertext], shares: dict[int, list[Point]], bound: int) -> list[int]:
    """Counts from the aggregate and ``threshold`` trustees' partial decryptions."""
    group = sorted(shares)
    counts = []
    for i, (_a, b_ct) in enumerate(aggregate):
        x_a = IDENTITY
        for t in group:
            x_a = add(x_a, mul(lagrange(t, group), shares[t][i]))
        counts.append(discrete_log(sub(b_ct, x_a), bound))
    return counts


# --------------------------------------------------------------------------- the board


@dataclass(frozen=True)
class Report:
    box: str
    ballots: int
    counts: list[int]
    result: list[int]
    trustees: list[int]


def verify_board(board: dict[str, Any]) -> Report:
    """Check everything listed in the module docstring; raise :class:`BoardError` at the first fault."""
    if board.get("format") != FORMAT:
        raise BoardError(f"not a {FORMAT} file")
    if board.get("election_key") is None:
        raise BoardError("this box has no encrypted ballots: it was counted before ballots were encrypted")
    try:
        box, key, ballots_json, tally = board["box"], board["election_key"], board["ballots"], board["tally"]
        kind, box_id, options = str(box["kind"]), int(box["id"]), len(box["options"])
        threshold = int(key["threshold"])
        commitments = [[point(c, "election key commitment") for c in dealer] for dealer in key["commitments"]]
        trustees = {int(t["index"]): point(t["public_share"], "trustee public share") for t in key["trustees"]}
        voters = int(board["voters"])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, BoardError):
            raise
        raise BoardError("the board is missing a field of its format") from None
    public_key = point(key["public_key"], "election key")
    name = f"{kind} {box_id}"
    if not commitments or any(len(d) != threshold for d in commitments) or not 1 <= threshold <= len(trustees):
        raise BoardError("the election key's commitments do not match its threshold")
    if joint_key(commitments) != public_key:
        raise BoardError("the election key is not the sum of the trustees' commitments")
    for index, share in trustees.items():
        if public_share(commitments, index) != share:
            raise BoardError(f"trustee {index}'s public share does not follow from the commitments")
    ctx = context(kind, box_id, public_key)
    counts_allowed = allowed_counts(kind, options, box.get("style"), box.get("max_choices"))
    seen: set[str] = set()
    ballots = []
    for n, data in enumerate(ballots_json, start=1):
        ballot = read_ballot(data, options, f"ballot {n}")
        if ballot.tracker in seen:
            raise BoardError(f"ballot {n}: tracker {ballot.tracker} appears twice")
        seen.add(ballot.tracker)
        check_ballot(ctx, public_key, ballot, counts_allowed, f"ballot {n} ({ballot.tracker})")
        ballots.append(ballot)
    legacy = tally.get("legacy") or {"ballots": 0, "counts": [0] * options}
    if voters != len(ballots) + int(legacy["ballots"]):
        raise BoardError(f"{voters} people voted but the board has {len(ballots)} ballots")
    if tally.get("counts") is None:
        raise BoardError("the tally is not published yet")
    aggregate = [(point(a, "aggregate"), point(b, "aggregate")) for a, b in tally["aggregate"]]
    expected = [total(b.ciphertexts[i] for b in ballots) for i in range(options)]
    if aggregate != expected:
        raise BoardError("the published aggregate is not the product of the ballots on the board")
    shares: dict[int, list[Point]] = {}
    for d in tally["decryptions"]:
        t = int(d["trustee"])
        if t not in trustees or t in shares:
            raise BoardError(f"a decryption by unknown or repeated trustee {t}")
        parts = [point(x, f"trustee {t}'s decryption") for x in d["shares"]]
        proofs = [(scalar(c, f"trustee {t}'s proof"), scalar(z, f"trustee {t}'s proof")) for c, z in d["proofs"]]
        if len(parts) != options or len(proofs) != options:
            raise BoardError(f"trustee {t}'s decryption has the wrong length")
        for i, ((a_ct, _b), part, proof) in enumerate(zip(aggregate, parts, proofs, strict=True), start=1):
            if not check_decryption(ctx, t, trustees[t], a_ct, part, proof):
                raise BoardError(f"trustee {t}'s decryption proof for option {i} fails")
        shares[t] = parts
    if len(shares) < threshold:
        raise BoardError(f"{len(shares)} trustees decrypted; {threshold} are needed")
    chosen = dict(sorted(shares.items())[:threshold])
    counts = combine(aggregate, chosen, len(ballots))
    if counts != [int(c) for c in tally["counts"]]:
        raise BoardError(f"the decrypted counts are {counts}, the board says {tally['counts']}")
    result = [c + int(x) for c, x in zip(counts, legacy["counts"], strict=True)]
    if result != [int(r) for r in tally["result"]]:
        raise BoardError(f"the result should be {result}, the board says {tally['result']}")
    return Report(name, len(ballots), counts, result, sorted(chosen))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a smartgov ballot board (exit 0: it holds).")
    parser.add_argument("board", help="the board file (board.json) of a closed poll or budget")
    args = parser.parse_args(argv)
    try:
        with open(args.board, encoding="utf-8") as fh:
            board = json.load(fh)
        report = verify_board(board)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"cannot read {args.board}: {exc}", file=sys.stderr)
        return 2
    except BoardError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    print(f"{report.box}: {report.ballots} ballots, every proof holds; trustees {report.trustees} decrypted.")
    labels = [o.get("label_en") or str(o.get("position")) for o in board["box"]["options"]]
    for label, count, res in zip(labels, report.counts, report.result, strict=True):
        print(f"  {label}: {res}" + (f" ({count} verified)" if res != count else ""))
    print("The published result is correct.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
