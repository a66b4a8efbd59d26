"""Counting closed boxes: homomorphic tallies, trustees' partial decryptions, the public ballot board."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.errors import Conflict, DomainError
from smartgov.i18n import N_
from smartgov.participation import election, verify_ballots
from smartgov.participation.events import TALLY_DECRYPTED, TALLY_PUBLISHED
from smartgov.participation.models import Ballot, Budget, Decryption, ElectionKey, Poll, Tally, Voter

from .ballots import (
    TALLY_GRACE,
    Box,
    allowed_totals,
    key_folder,
    kind_of,
    option_count,
    published_tally,
    tally_result,
    trustees_dir,
)
from .common import now

log = logging.getLogger(__name__)


def _ballots(db: Session, box_kind: str, box_id: int) -> list[Ballot]:
    return list(db.scalars(select(Ballot).where(Ballot.box_kind == box_kind, Ballot.box_id == box_id)
                           .order_by(Ballot.tracker)))


def _aggregate(db: Session, box: Box, tally: Tally) -> None:
    """Check every ballot's proofs, then add up their ciphertexts option by option (once, after closing).

    A trustee decrypts nothing it has not checked: a ballot with a bad proof stops the tally.
    """
    kind = kind_of(box)
    assert box.election_key is not None
    public_key = bytes.fromhex(box.election_key.public_key)
    ctx = verify_ballots.context(kind, box.id, public_key)
    allowed, options = allowed_totals(box), option_count(box)
    ballots = []
    for row in _ballots(db, kind, box.id):
        ballot = verify_ballots.read_ballot({"tracker": row.tracker, **row.content}, options, row.tracker)
        verify_ballots.check_ballot(ctx, public_key, ballot, allowed, row.tracker)
        ballots.append(ballot)
    tally.aggregate = [[a.hex(), b.hex()] for a, b in
                       (verify_ballots.total(b.ciphertexts[i] for b in ballots) for i in range(options))]
    tally.ballots = len(ballots)


def _ciphertexts(tally: Tally) -> list[verify_ballots.Ciphertext]:
    return [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in tally.aggregate or []]


def _decryptions(db: Session, box_kind: str, box_id: int) -> list[Decryption]:
    return list(db.scalars(select(Decryption).where(Decryption.box_kind == box_kind, Decryption.box_id == box_id)
                           .order_by(Decryption.trustee)))


def _tally_for(db: Session, box: Box) -> Tally:
    kind = kind_of(box)
    tally = db.get(Tally, (kind, box.id))
    if tally is None:
        tally = Tally(box_kind=kind, box_id=box.id, ballots=0, legacy_ballots=0)
        db.add(tally)
    if tally.aggregate is None and box.election_key_id is not None:
        _aggregate(db, box, tally)
    db.flush()
    return tally


def submit_decryption(db: Session, box: Box, share: election.TrusteeShare) -> bool:
    """A trustee's partial decryption of a closed box's aggregate; publishes the result once
    ``threshold`` trustees have given theirs. False if this trustee had already decrypted this box."""
    kind = kind_of(box)
    if now() < box.closes_at + TALLY_GRACE:
        raise Conflict("not_closed", N_("Voting in this box has not closed yet."))
    if box.election_key_id != share.key_id:
        raise DomainError("wrong_key", N_("This share belongs to another election key."), field="share")
    key = box.election_key
    assert key is not None
    commitments = [[bytes.fromhex(c) for c in dealer] for dealer in key.commitments]
    if verify_ballots.public_share(commitments, share.trustee) != share.public_share:
        raise DomainError("wrong_share", N_("This share does not match the trustee's public share."), field="share")
    tally = _tally_for(db, box)
    if tally.published_at is not None or db.get(Decryption, (kind, box.id, share.trustee)) is not None:
        return False
    public_key = bytes.fromhex(key.public_key)
    part = election.decrypt_share(verify_ballots.context(kind, box.id, public_key), share, _ciphertexts(tally))
    db.add(Decryption(box_kind=kind, box_id=box.id, trustee=share.trustee, shares=part["shares"],
                      proofs=part["proofs"], submitted_at=now()))
    db.flush()
    events.publish(db, TALLY_DECRYPTED, box_kind=kind, box_id=box.id, trustee=share.trustee)
    decryptions = _decryptions(db, kind, box.id)
    if len(decryptions) >= key.threshold:
        chosen = decryptions[:key.threshold]
        tally.counts = verify_ballots.combine(
            _ciphertexts(tally), {d.trustee: [bytes.fromhex(x) for x in d.shares] for d in chosen}, tally.ballots)
        _publish(db, box, tally)
    return True


def _publish(db: Session, box: Box, tally: Tally) -> None:
    tally.published_at = now()
    db.flush()
    events.publish(db, TALLY_PUBLISHED, box_kind=tally.box_kind, box_id=tally.box_id,
                   result=tally_result(tally, option_count(box)))


def _local_shares(key: ElectionKey) -> list[election.TrusteeShare]:
    """Share files of this key under the data folder: the demo's trustees, who live with the server."""
    folder = key_folder(trustees_dir(), key)
    return [election.read_share(p) for p in sorted(folder.glob("trustee-*.json"))] if folder.is_dir() else []


def tally_closed_boxes(db: Session) -> int:
    """Count every box closed for at least ``TALLY_GRACE`` whose result is not out yet: add up its
    ciphertexts, decrypt with the trustee shares found under the data folder (the demo's), publish
    when enough trustees have decrypted. Returns how many results were published.

    A box whose ballots do not check out (a proof fails: someone wrote to the table) is logged and
    left uncounted; the others go on.
    """
    published = 0
    for model in (Poll, Budget):
        kind = "poll" if model is Poll else "budget"
        done = exists().where(Tally.box_kind == kind, Tally.box_id == model.id, Tally.published_at.is_not(None))
        # SKIP LOCKED: two workers sweeping at once take different boxes (PostgreSQL)
        for box in db.scalars(select(model).where(model.closes_at <= now() - TALLY_GRACE, ~done)
                              .with_for_update(skip_locked=True, of=model)):
            try:
                with db.begin_nested():
                    published += _count(db, box)
            except verify_ballots.BoardError:
                log.exception("%s %s not counted: its ballots do not check out", kind, box.id)
    return published


def _count(db: Session, box: Box) -> bool:
    tally = _tally_for(db, box)
    if box.election_key is None:  # nobody voted since ballots were encrypted
        tally.counts = [0] * option_count(box)
        _publish(db, box, tally)
        return True
    for share in _local_shares(box.election_key):
        submit_decryption(db, box, share)
    return tally.published_at is not None


def trustee_decrypt(db: Session, share: election.TrusteeShare) -> list[str]:
    """Every closed box under the share's key that still needs this trustee: decrypt it.
    Returns the boxes decrypted, as ``kind:slug``."""
    done = []
    for model in (Poll, Budget):
        for box in db.scalars(select(model).where(model.election_key_id == share.key_id,
                                                  model.closes_at <= now() - TALLY_GRACE)
                              .with_for_update(of=model)):
            if submit_decryption(db, box, share):
                done.append(f"{kind_of(box)}:{box.slug}")
    return done


def _box_public(box: Box) -> dict[str, Any]:
    common = {"kind": kind_of(box), "id": box.id, "slug": box.slug, "opens_at": box.opens_at.isoformat(),
              "closes_at": box.closes_at.isoformat()}
    if isinstance(box, Poll):
        return {**common, "question_fa": box.question_fa, "question_en": box.question_en,
                "options": [{"position": o.position, "label_fa": o.label_fa, "label_en": o.label_en}
                            for o in box.options]}
    return {**common, "title_fa": box.title_fa, "title_en": box.title_en, "style": box.style.value,
            "max_choices": box.max_choices, "total": box.total,
            "options": [{"position": p.position, "label_fa": p.title_fa, "label_en": p.title_en, "cost": p.cost}
                        for p in box.projects]}


def election_key_public(db: Session, key_id: int) -> dict[str, Any]:
    """An election key's public half: the key, the threshold, each trustee's commitments and public share."""
    key = db.get(ElectionKey, key_id)
    assert key is not None
    commitments = [[bytes.fromhex(c) for c in dealer] for dealer in key.commitments]
    return {"id": key.id, "threshold": key.threshold, "public_key": key.public_key, "commitments": key.commitments,
            "trustees": [{"index": j, "public_share": verify_ballots.public_share(commitments, j).hex()}
                         for j in range(1, key.trustees + 1)]}


def board_summary(db: Session, box: Box) -> dict[str, Any]:
    """The board without its ballots (``ballot_count`` instead): what the board page shows above its trackers."""
    kind = kind_of(box)
    tally = db.get(Tally, (kind, box.id))
    published = published_tally(db, box)
    voters = db.scalar(select(func.count()).select_from(Voter).where(Voter.box_kind == kind, Voter.box_id == box.id))
    ballots = db.scalar(select(func.count()).select_from(Ballot).where(Ballot.box_kind == kind,
                                                                      Ballot.box_id == box.id))
    legacy = ({"ballots": tally.legacy_ballots, "counts": tally.legacy_counts}
              if tally is not None and tally.legacy_counts is not None else None)
    return {
        "format": verify_ballots.FORMAT,
        "box": _box_public(box),
        "election_key": election_key_public(db, box.election_key_id) if box.election_key_id is not None else None,
        "voters": voters,
        "ballot_count": ballots,
        "tally": {
            "legacy": legacy,
            "aggregate": tally.aggregate if tally is not None else None,
            "decryptions": [{"trustee": d.trustee, "shares": d.shares, "proofs": d.proofs}
                            for d in _decryptions(db, kind, box.id)],
            "counts": published.counts if published is not None else None,
            "result": tally_result(published, option_count(box)) if published is not None else None,
            "published_at": published.published_at.isoformat() if published and published.published_at else None,
        },
    }


def trackers(db: Session, box: Box, *, offset: int, limit: int) -> list[str]:
    """A page of the box's trackers, in tracker order (which follows nothing: not the voting order)."""
    return list(db.scalars(select(Ballot.tracker).where(Ballot.box_kind == kind_of(box), Ballot.box_id == box.id)
                           .order_by(Ballot.tracker).offset(offset).limit(limit)))


def board(db: Session, box: Box) -> dict[str, Any]:
    """The public ballot board (``verify_ballots.FORMAT``): everything needed to check the box's result."""
    out = board_summary(db, box)
    del out["ballot_count"]
    out["ballots"] = [{"tracker": b.tracker, **b.content} for b in _ballots(db, kind_of(box), box.id)]
    return out
