"""Ballot boxes (polls and participatory budgets): election keys, casting encrypted ballots, results."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartgov import digits, events
from smartgov.db import INT4_MAX, lock
from smartgov.digits import to_latin_digits
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import AccountRef, OrganizationRef
from smartgov.participation import budgeting, election, verify_ballots
from smartgov.participation.events import (
    BUDGET_CREATED,
    BUDGET_UPDATED,
    ELECTION_KEY_CREATED,
    POLL_CREATED,
    POLL_UPDATED,
    VOTE_CAST,
    VOTING_CLOSED,
)
from smartgov.participation.models import (
    Ballot,
    Budget,
    BudgetProject,
    BudgetStyle,
    ElectionKey,
    Poll,
    PollOption,
    Tally,
    Voter,
)
from smartgov.settings import get_settings

from .common import LEVEL_VERIFIED, now, require_level

T = TypeVar("T")

# A ballot is encrypted on the server at cast time under the box's election key, whose secret
# is shared by trustees outside the database (``election``); the randomness is dropped at once.
# Who voted (``Voter``) and the encrypted ballot commit in one transaction. After closing, the
# ciphertexts are added up and only that aggregate is decrypted, by ``threshold`` trustees, each
# with a proof. ``board`` publishes everything needed to check it (``verify_ballots``).

Box = Poll | Budget
#: After closing, how long before the tally starts: longer than any vote's transaction, so a vote
#: that passed the closing check just in time is in the aggregate.
TALLY_GRACE = dt.timedelta(minutes=1)
#: The key ceremony run on first need outside production (``smartgov participation trustee ceremony``).
DEMO_TRUSTEES, DEMO_THRESHOLD = 3, 2


def trustees_dir() -> Path:
    """Where the demo's trustee share files live (production trustees keep theirs elsewhere)."""
    return Path(get_settings().data_dir) / "trustees"


def key_folder(folder: Path, key: ElectionKey) -> Path:
    """A key's share files: named by id and fingerprint, so files left by a ceremony whose
    transaction rolled back never pass for a later key's."""
    return folder / f"key-{key.id}-{key.public_key[:16]}"


def register_election_key(db: Session, keys: election.KeySet) -> ElectionKey:
    """Store a ceremony's public half as the key for new boxes (older keys keep their boxes)."""
    for old in db.scalars(select(ElectionKey).where(ElectionKey.retired_at.is_(None))):
        old.retired_at = now()
    row = ElectionKey(threshold=keys.threshold, trustees=len(keys.shares), public_key=keys.public_key.hex(),
                      commitments=[[c.hex() for c in dealer] for dealer in keys.commitments], created_at=now())
    db.add(row)
    db.flush()
    events.publish(db, ELECTION_KEY_CREATED, election_key_id=row.id, public_key=row.public_key,
                   threshold=row.threshold, trustees=row.trustees)
    return row


def hold_ceremony(db: Session, *, threshold: int, trustees: int, folder: Path) -> tuple[ElectionKey, list[Path]]:
    """Make a new election key; write each trustee's share to its own file under ``folder``.

    Only the public half enters the database. The files must then go to their trustees.
    """
    keys = election.ceremony(threshold, trustees)
    row = register_election_key(db, keys)
    paths = []
    for j, secret in sorted(keys.shares.items()):
        path = key_folder(folder, row) / f"trustee-{j}.json"
        election.write_share(path, election.TrusteeShare(row.id, j, secret))
        paths.append(path)
    return row, paths


def current_election_key(db: Session) -> ElectionKey:
    """The key new boxes use. Outside production the first need holds the demo ceremony, whose
    share files go under the data folder; production refuses until the trustees have held theirs."""
    row = db.scalars(select(ElectionKey).where(ElectionKey.retired_at.is_(None)).order_by(ElectionKey.id.desc())
                     ).first()
    if row is not None:
        return row
    if get_settings().environment == "production":
        raise Conflict("no_election_key", N_("There is no election key yet: the trustees must hold their key "
                                             "ceremony first (smartgov participation trustee ceremony)."))
    return hold_ceremony(db, threshold=DEMO_THRESHOLD, trustees=DEMO_TRUSTEES, folder=trustees_dir())[0]


def _box_key(db: Session, box: Box) -> ElectionKey:
    """The box's election key; a box from before ballots were encrypted takes the current one."""
    if box.election_key is None:
        lock(db, box)
        if box.election_key is None:
            box.election_key = current_election_key(db)
            db.flush()
    assert box.election_key is not None
    return box.election_key


def kind_of(box: Box) -> str:
    """The box's kind as ballots, voters and tallies record it."""
    return "poll" if isinstance(box, Poll) else "budget"


def option_count(box: Box) -> int:
    """How many choices a ballot of this box holds (options of a poll, projects of a budget)."""
    return len(box.options) if isinstance(box, Poll) else len(box.projects)


def allowed_totals(box: Box) -> list[int]:
    """How many choices one ballot may mark, as its proof shows (``verify_ballots.allowed_counts``)."""
    if isinstance(box, Poll):
        return verify_ballots.allowed_counts("poll", len(box.options))
    return verify_ballots.allowed_counts("budget", len(box.projects), box.style.value, box.max_choices)


def _mark_voter(db: Session, box_kind: str, box_id: int, person_id: int) -> bool:
    """Insert the voter marker unless it exists: one statement, no savepoint; False if it did.

    RETURNING says whether a row went in (an ORM insert's rowcount is not reliable on PostgreSQL).
    """
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = db.execute(insert(Voter).values(box_kind=box_kind, box_id=box_id, person_id=person_id)
                       .on_conflict_do_nothing().returning(Voter.person_id)).first()
    return added is not None


def _cast(db: Session, box: Box, person_id: int, selection: list[int]) -> str:
    """Mark the person as having voted (the database refuses a second mark) and store the ballot
    encrypted, in the same transaction. ``selection`` is 0/1 per option in position order.

    Returns the ballot's tracker: the voter's receipt, which they find on the public board. It
    proves that the ballot is counted, not what it says (the randomness is gone).
    """
    kind = kind_of(box)
    public_key = bytes.fromhex(_box_key(db, box).public_key)
    ballot = election.encrypt_ballot(verify_ballots.context(kind, box.id, public_key), public_key, selection,
                                     allowed_totals(box))
    if not _mark_voter(db, kind, box.id, person_id):
        raise Conflict("already_voted", N_("You have already voted here; each person votes once."))
    tracker = ballot.pop("tracker")
    db.add(Ballot(tracker=tracker, box_kind=kind, box_id=box.id, content=ballot))
    # No actor: the ledger gets every tracker (so a ballot dropped from the board shows), not who cast it.
    events.publish(db, VOTE_CAST, box_kind=kind, box_id=box.id, tracker=tracker)
    return tracker


def normalize_tracker(code: str) -> str:
    """A tracker as typed: any digits, any case, spaces and dashes ignored."""
    return "".join(ch for ch in to_latin_digits(code).lower() if ch not in " -\u200c\t")


@dataclass(frozen=True)
class ReceiptCheck:
    counted: bool
    tracker: str  # normalized; what to look for on the board


def check_receipt(db: Session, box_kind: str, box_id: int, code: str) -> ReceiptCheck:
    """Whether the ballot with this tracker is in the box (its content is never shown: no proof for a coercer)."""
    tracker = normalize_tracker(code)
    counted = db.scalar(select(Ballot.tracker).where(Ballot.tracker == tracker, Ballot.box_kind == box_kind,
                                                     Ballot.box_id == box_id)) is not None
    return ReceiptCheck(counted, tracker)


def has_voted(db: Session, box_kind: str, box_id: int, person_id: int | None) -> bool:
    return person_id is not None and db.get(Voter, (box_kind, box_id, person_id)) is not None


def _voter(db: Session, account: AccountRef) -> int:
    require_level(db, account, LEVEL_VERIFIED)
    assert account.person_id is not None
    return account.person_id


def _open_window(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    if now() < opens_at:
        raise Conflict("not_open_yet", N_("Voting has not started yet."))
    if now() >= closes_at:
        raise Conflict("closed", N_("Voting has closed."))


def _check_window(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    if closes_at <= opens_at:
        raise DomainError("invalid_dates", N_("The closing time must be after the opening time."), field="closes_at")


def create_poll(db: Session, *, organization: OrganizationRef, slug: str, question_fa: str, question_en: str,
                options: Sequence[tuple[str, str]], opens_at: dt.datetime, closes_at: dt.datetime,
                consultation_id: int | None = None, actor_id: int | None = None) -> Poll:
    """A poll with two or more options, numbered from 1 in the given order, under the current election key."""
    if len(options) < 2:
        raise DomainError("few_options", N_("Give at least two options."), field="options")
    _check_window(opens_at, closes_at)
    if db.scalar(select(Poll.id).where(Poll.slug == slug)):
        raise Conflict("duplicate_slug", N_("This short name is taken."), field="slug")
    poll = Poll(slug=slug, organization_id=organization.id, consultation_id=consultation_id, question_fa=question_fa,
                question_en=question_en, opens_at=opens_at, closes_at=closes_at,
                election_key=current_election_key(db), created_at=now())
    for i, (fa, en) in enumerate(options, start=1):
        poll.options.append(PollOption(position=i, label_fa=fa, label_en=en))
    db.add(poll)
    db.flush()
    events.publish(db, POLL_CREATED, actor_id=actor_id, poll_id=poll.id)
    return poll


def _by_ref(db: Session, model: type[T], ref: str | int) -> T | None:
    """A poll or budget by id (digits that fit an id) or by short name."""
    ref = to_latin_digits(str(ref)).strip()
    number = digits.integer(ref) if ref.isascii() else None
    if number is not None:
        return db.get(model, number) if number <= INT4_MAX else None
    return db.scalar(select(model).where(model.slug == ref.lower()))  # type: ignore[attr-defined]


def poll_by_ref(db: Session, ref: str | int) -> Poll:
    """A poll by id or short name."""
    poll = _by_ref(db, Poll, ref)
    if poll is None:
        raise NotFound("poll", field="poll")
    return poll


def vote_in_poll(db: Session, poll: Poll, account: AccountRef, option_position: int) -> str:
    """Cast the account holder's secret ballot for option number ``option_position``; returns the tracker."""
    person_id = _voter(db, account)
    _open_window(poll.opens_at, poll.closes_at)
    if not any(o.position == option_position for o in poll.options):
        raise DomainError("unknown_option", N_("Choose one of the options, from 1 to {n}."), field="option",
                          n=len(poll.options))
    return _cast(db, poll, person_id, [int(o.position == option_position) for o in poll.options])


def results_published(db: Session, box: Box) -> bool:
    """Whether the box's result is out: it has closed and its tally is decrypted."""
    return published_tally(db, box) is not None


def published_tally(db: Session, box: Box) -> Tally | None:
    """The box's decrypted tally once it is published; None before."""
    if now() < box.closes_at:
        return None
    tally = db.get(Tally, (kind_of(box), box.id))
    return tally if tally is not None and tally.published_at is not None else None


def _result(db: Session, box: Box) -> list[int]:
    """Votes per option (position order): the decrypted counts plus any ballots counted before encryption."""
    if now() < box.closes_at:
        raise Conflict("results_hidden", N_("Results are published when voting closes."))
    tally = published_tally(db, box)
    if tally is None:
        raise Conflict("results_counting", N_("Voting has closed; the result is published as soon as the trustees "
                                              "have decrypted the tally."))
    return tally_result(tally, option_count(box))


def tally_result(tally: Tally, options: int) -> list[int]:
    """Votes per option: the decrypted counts plus any counted before ballots were encrypted."""
    counts = tally.counts or [0] * options
    legacy = tally.legacy_counts or [0] * options
    return [int(c) + int(x) for c, x in zip(counts, legacy, strict=True)]


def poll_results(db: Session, poll: Poll) -> dict[str, Any]:
    """Votes per option, published once the poll has closed and its tally is decrypted."""
    votes = _result(db, poll)
    return {"total": sum(votes),
            "options": [{"position": o.position, "option_id": o.id, "votes": n} for o, n in zip(poll.options, votes,
                                                                                                strict=True)]}


def _check_budget(total: int, projects: Sequence[tuple[str, str, int]]) -> None:
    """A budget's total and its projects' costs are above zero, and it has a project (new or corrected)."""
    if total <= 0:
        raise DomainError("invalid_total", N_("This value is too small."), field="total")
    if not projects:
        raise DomainError("no_projects", N_("Give at least one project."), field="projects")
    if any(cost <= 0 for _fa, _en, cost in projects):
        raise DomainError("invalid_cost", N_("Every project needs a cost above zero."), field="projects")


def create_budget(db: Session, *, organization: OrganizationRef, slug: str, title_fa: str, title_en: str, total: int,
                  style: BudgetStyle | str, projects: Sequence[tuple[str, str, int]], opens_at: dt.datetime,
                  closes_at: dt.datetime, max_choices: int | None = None, actor_id: int | None = None) -> Budget:
    """A participatory budget with projects ``(title_fa, title_en, cost)``, under the current election key."""
    _check_budget(total, projects)
    _check_window(opens_at, closes_at)
    if db.scalar(select(Budget.id).where(Budget.slug == slug)):
        raise Conflict("duplicate_slug", N_("This short name is taken."), field="slug")
    budget = Budget(slug=slug, organization_id=organization.id, title_fa=title_fa, title_en=title_en, total=total,
                    style=BudgetStyle(style), max_choices=max_choices, opens_at=opens_at, closes_at=closes_at,
                    election_key=current_election_key(db), created_at=now())
    for i, (fa, en, cost) in enumerate(projects, start=1):
        budget.projects.append(BudgetProject(position=i, title_fa=fa, title_en=en, cost=cost))
    db.add(budget)
    db.flush()
    events.publish(db, BUDGET_CREATED, actor_id=actor_id, budget_id=budget.id, style=budget.style.value)
    return budget


def budget_by_ref(db: Session, ref: str | int) -> Budget:
    """A participatory budget by id or short name."""
    budget = _by_ref(db, Budget, ref)
    if budget is None:
        raise NotFound("budget", field="budget")
    return budget


def _costs(budget: Budget) -> list[budgeting.ProjectCost]:
    return [budgeting.ProjectCost(p.id, p.position, p.cost) for p in budget.projects]


def vote_in_budget(db: Session, budget: Budget, account: AccountRef, project_ids: Sequence[int]) -> str:
    """Cast a secret ballot for a set of projects under the budget's style; returns the tracker.

    The style's rule (at most ``max_choices``, or the cost within the budget) is checked here, on the
    plaintext, before it is encrypted; the ballot's proofs show publicly that each project is 0 or 1
    and how many were chosen is allowed (the README says what this leaves to the server).
    """
    person_id = _voter(db, account)
    _open_window(budget.opens_at, budget.closes_at)
    chosen = set(budgeting.check_ballot(budget.style.value, budget.total, budget.max_choices, _costs(budget),
                                        project_ids))
    return _cast(db, budget, person_id, [int(p.id in chosen) for p in budget.projects])


def budget_results(db: Session, budget: Budget) -> list[budgeting.ResultLine]:
    """Funded and unfunded projects with the reason for each, once the tally is decrypted."""
    votes = _result(db, budget)
    return budgeting.allocate(budget.total, _costs(budget),
                              Counter({p.id: n for p, n in zip(budget.projects, votes, strict=True)}))


# --------------------------------------------------------------------------- staff: edit before opening, close early


def _editable(db: Session, box: Box) -> None:
    """A box is edited only before it opens and while nobody has voted (a ballot is bound to its options)."""
    voted = db.scalar(select(Voter.person_id).where(Voter.box_kind == kind_of(box), Voter.box_id == box.id).limit(1))
    if now() >= box.opens_at or voted is not None:
        raise Conflict("already_open", N_("Voting has started; the question and options can no longer change."))


def _future_window(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    _check_window(opens_at, closes_at)
    if closes_at <= now():
        raise DomainError("invalid_dates", N_("The closing time must be in the future."), field="closes_at")


def update_poll(db: Session, poll: Poll, *, question_fa: str, question_en: str, options: Sequence[tuple[str, str]],
                opens_at: dt.datetime, closes_at: dt.datetime, actor_id: int | None) -> Poll:
    """Correct a poll before it opens: the options are replaced, numbered from 1 in the given order."""
    _editable(db, poll)
    if len(options) < 2:
        raise DomainError("few_options", N_("Give at least two options."), field="options")
    _future_window(opens_at, closes_at)
    poll.question_fa, poll.question_en = question_fa, question_en
    poll.opens_at, poll.closes_at = opens_at, closes_at
    poll.options.clear()
    db.flush()  # the old positions go before the new ones take them (unique per poll)
    for i, (fa, en) in enumerate(options, start=1):
        poll.options.append(PollOption(position=i, label_fa=fa, label_en=en))
    db.flush()
    events.publish(db, POLL_UPDATED, actor_id=actor_id, poll_id=poll.id, options=len(options))
    return poll


def update_budget(db: Session, budget: Budget, *, title_fa: str, title_en: str, total: int,
                  style: BudgetStyle | str, projects: Sequence[tuple[str, str, int]], opens_at: dt.datetime,
                  closes_at: dt.datetime, max_choices: int | None = None, actor_id: int | None) -> Budget:
    """Correct a participatory budget before it opens: the projects are replaced in the given order."""
    _editable(db, budget)
    _check_budget(total, projects)
    _future_window(opens_at, closes_at)
    budget.title_fa, budget.title_en, budget.total = title_fa, title_en, total
    budget.style, budget.max_choices = BudgetStyle(style), max_choices
    budget.opens_at, budget.closes_at = opens_at, closes_at
    budget.projects.clear()
    db.flush()
    for i, (fa, en, cost) in enumerate(projects, start=1):
        budget.projects.append(BudgetProject(position=i, title_fa=fa, title_en=en, cost=cost))
    db.flush()
    events.publish(db, BUDGET_UPDATED, actor_id=actor_id, budget_id=budget.id, projects=len(projects))
    return budget


def close_voting(db: Session, box: Box, *, actor_id: int | None) -> Box:
    """Close an open box now rather than at its planned time; the count follows as for any closed box.

    The row is locked first, so a vote that already passed the window check is within ``TALLY_GRACE``
    of the new closing time and is counted.
    """
    lock(db, box)
    if now() < box.opens_at:
        raise Conflict("not_open_yet", N_("Voting has not started yet."))
    if now() >= box.closes_at:
        raise Conflict("closed", N_("Voting has closed."))
    planned = box.closes_at
    box.closes_at = now()
    db.flush()
    events.publish(db, VOTING_CLOSED, actor_id=actor_id, box_kind=kind_of(box), box_id=box.id,
                   planned_close=planned.isoformat())
    return box
