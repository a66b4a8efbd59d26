"""The prover's side of the encrypted ballot: encryption with proofs, the trustees' key
ceremony, their share files, and partial decryptions with proofs.

What is checked (by the platform before decrypting, and by anyone with the board) is in
:mod:`smartgov.participation.verify_ballots`; this module makes what that one checks.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartgov.participation.verify_ballots import (
    Ciphertext,
    L,
    Point,
    Proof,
    add,
    base,
    challenge,
    hex_scalar,
    joint_key,
    mul,
    public_share,
    sub,
    total,
    tracker,
)

SHARE_FORMAT = "smartgov-trustee-share/1"


def _nonzero() -> int:
    return 1 + secrets.randbelow(L - 1)


def encrypt(public_key: Point, m: int) -> tuple[Ciphertext, int]:
    """``(rG, mG + rY)`` and its randomness ``r`` (which must never leave the prover)."""
    r = _nonzero()
    return (base(r), add(base(m), mul(r, public_key))), r


def prove_range(ctx: bytes, label: str, public_key: Point, ct: Ciphertext, r: int, value: int,
                values: Sequence[int]) -> Proof:
    """A disjunctive Chaum-Pedersen proof that ``ct`` (randomness ``r``) encrypts one of ``values``.

    The simulated branches use the prover's knowledge of ``r`` so that each costs one variable-base
    multiplication instead of three: ``sG - cA = (s - cr)G`` and ``sY - c(B - vG) = (s - cr)Y - c(value - v)G``.
    """
    w = _nonzero()
    fake: dict[int, tuple[int, int]] = {}
    commitments: list[Point] = []
    for v in values:
        if v == value:
            commitments += [base(w), mul(w, public_key)]
            continue
        c, s = _nonzero(), _nonzero()
        t = (s - c * r) % L
        fake[v] = (c, s)
        commitments += [base(t), sub(mul(t, public_key), base(c * (value - v)))]
    e = challenge(ctx, label, *ct, *commitments)
    c_real = (e - sum(c for c, _s in fake.values())) % L
    return [fake[v] if v != value else (c_real, (w + c_real * r) % L) for v in values]


def encrypt_ballot(ctx: bytes, public_key: Point, selection: Sequence[int], counts: Sequence[int]) -> dict[str, Any]:
    """A ballot in the board's form: one 0/1 ciphertext per option with its proof, and a proof
    that their sum is one of ``counts``. The randomness is dropped here: nobody can later show
    what the ballot contains, the voter included (no receipt proves a vote)."""
    cts: list[Ciphertext] = []
    proofs: list[Proof] = []
    r_sum = 0
    for i, m in enumerate(selection, start=1):
        ct, r = encrypt(public_key, m)
        cts.append(ct)
        proofs.append(prove_range(ctx, f"option:{i}", public_key, ct, r, m, (0, 1)))
        r_sum += r
    count_proof = prove_range(ctx, "count", public_key, total(cts), r_sum % L, sum(selection), counts)
    return {"tracker": tracker(ctx, cts), "ciphertexts": [[a.hex(), b.hex()] for a, b in cts],
            "proofs": [[[hex_scalar(c), hex_scalar(s)] for c, s in p] for p in proofs],
            "count_proof": [[hex_scalar(c), hex_scalar(s)] for c, s in count_proof]}


# --------------------------------------------------------------------------- the key ceremony


@dataclass(frozen=True)
class Dealing:
    """One trustee's part of the ceremony: public commitments, and a secret share for each trustee."""

    commitments: list[Point]
    shares: dict[int, int]


def deal(threshold: int, trustees: int) -> Dealing:
    """Pick a random polynomial of degree ``threshold - 1``; commit to it and evaluate it for each trustee."""
    coefficients = [_nonzero() for _ in range(threshold)]
    shares = {j: sum(a * pow(j, p, L) for p, a in enumerate(coefficients)) % L for j in range(1, trustees + 1)}
    return Dealing([base(a) for a in coefficients], shares)


def accept(trustee: int, dealings: Sequence[Dealing]) -> int:
    """Trustee ``trustee`` checks every share it received against its dealer's commitments (Feldman)
    and adds them up to its own share of the election key."""
    share = 0
    for n, d in enumerate(dealings, start=1):
        received = d.shares[trustee]
        if base(received) != public_share([d.commitments], trustee):
            raise ValueError(f"the share from trustee {n} does not match its commitments")
        share += received
    return share % L


@dataclass(frozen=True)
class KeySet:
    """The public result of a ceremony, and each trustee's secret share (to be handed out, then forgotten)."""

    threshold: int
    public_key: Point
    commitments: list[list[Point]]
    public_shares: dict[int, Point]
    shares: dict[int, int]


def ceremony(threshold: int, trustees: int) -> KeySet:
    """Every trustee deals and accepts (joint Feldman): no single dealing decides the key.

    Run in one process, as ``smartgov participation trustee ceremony`` does for a deployment
    whose trustees meet in one room, the process sees every share while it runs; see the module
    README for what that means and how trustees run it apart.
    """
    if not 1 <= threshold <= trustees:
        raise ValueError("the threshold must be between 1 and the number of trustees")
    dealings = [deal(threshold, trustees) for _ in range(trustees)]
    shares = {j: accept(j, dealings) for j in range(1, trustees + 1)}
    commitments = [d.commitments for d in dealings]
    return KeySet(threshold, joint_key(commitments), commitments,
                  {j: public_share(commitments, j) for j in shares}, shares)


@dataclass(frozen=True)
class TrusteeShare:
    """What one trustee keeps, outside the database: which key, which trustee, the secret share."""

    key_id: int
    trustee: int
    share: int

    @property
    def public_share(self) -> Point:
        return base(self.share)


def write_share(path: Path, share: TrusteeShare) -> None:
    """Write a share file readable by its owner only (created with mode 0600, never overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": SHARE_FORMAT, "election_key": share.key_id, "trustee": share.trustee,
            "share": hex_scalar(share.share), "public_share": share.public_share.hex()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)


def read_share(path: Path) -> TrusteeShare:
    """A share file; ``ValueError`` if it is not one or does not match its own public share."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != SHARE_FORMAT:
        raise ValueError(f"{path} is not a trustee share file")
    share = TrusteeShare(int(data["election_key"]), int(data["trustee"]),
                         int.from_bytes(bytes.fromhex(data["share"]), "little"))
    if share.public_share.hex() != data["public_share"]:
        raise ValueError(f"{path} is damaged: its share does not match its public share")
    return share


def decrypt_share(ctx: bytes, share: TrusteeShare, aggregate: Sequence[Ciphertext]) -> dict[str, Any]:
    """The trustee's partial decryption ``x·A`` of each aggregate ciphertext, each with a
    Chaum-Pedersen proof that the same ``x`` is behind the trustee's public share."""
    parts, proofs = [], []
    for a_ct, _b in aggregate:
        d = mul(share.share, a_ct)
        w = _nonzero()
        c = challenge(ctx, "decrypt", share.trustee, a_ct, d, base(w), mul(w, a_ct))
        parts.append(d.hex())
        proofs.append([hex_scalar(c), hex_scalar((w + c * share.share) % L)])
    return {"trustee": share.trustee, "shares": parts, "proofs": proofs}
