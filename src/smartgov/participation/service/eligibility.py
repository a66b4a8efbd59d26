"""Who may vote in a poll: a rule in the services engine's safe expression language over ``voter.*``.

The agency writes the rule (``voter.province == "tehran" and voter.age >= 18``) and the plain words a
refused voter reads ("Only residents of Tehran aged 18 or over"). The rule is parsed and tried on
sample voters when the poll is saved, so a typo is refused with the field named, never at vote time.
At vote time a rule that cannot be evaluated for someone (no province on record) refuses them:
nobody is let through on missing data, as with a service's eligibility.

Every voter has proven their person already (level 2, ``common.require_level``), so "a proven
account" needs no rule of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from smartgov import identity, services
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, get_language, gettext
from smartgov.identity import AccountRef
from smartgov.participation.models import Poll

from .common import today

#: The facts a rule may read about the voter.
VOTER_FACTS = ("province", "age", "birth_date", "gender")
NOTE_MAX = 300
#: Sample voters a new rule is tried on: a rule that fails to evaluate on them has a mistake in it.
_SAMPLES = (
    {"province": "tehran", "age": 30, "birth_date": dt.date(1995, 3, 21), "gender": "f"},
    {"province": "isfahan", "age": 17, "birth_date": dt.date(2008, 9, 1), "gender": "m"},
)


@dataclass(frozen=True)
class Eligibility:
    """A poll's rule and the words shown to a voter it refuses."""

    rule: str
    note_fa: str
    note_en: str


def checked_eligibility(rule: str, note_fa: str, note_en: str) -> Eligibility | None:
    """The rule, parsed and tried, with its two notes; ``None`` when no rule is given (everyone votes).

    Refuses with every problem named on its field: ``eligibility``, ``eligibility_note_fa``/``_en``.
    """
    rule, note_fa, note_en = rule.strip(), note_fa.strip(), note_en.strip()
    if not rule:
        return None
    errors: list[DomainError] = []
    try:
        expression = services.parse_expression(rule)
        unknown = [".".join(p.parts) for p in expression.paths
                   if p.parts[0] != "voter" or len(p.parts) != 2 or p.parts[1] not in VOTER_FACTS]
        if unknown:
            raise DomainError("unknown_fact", N_("The rule may read only {names}; it reads {unknown}."),
                              names=", ".join(f"voter.{f}" for f in VOTER_FACTS), unknown=", ".join(unknown))
        for sample in _SAMPLES:
            expression.evaluate_bool({"voter": sample}, today=today())
    except DomainError as exc:
        errors.append(DomainError(exc.code, exc.message, field="eligibility", **exc.params))
    for name, note in (("eligibility_note_fa", note_fa), ("eligibility_note_en", note_en)):
        if not note:
            errors.append(DomainError("required", N_("Say in plain words who may vote; a refused voter reads it."),
                                      field=name))
        elif len(note) > NOTE_MAX:
            errors.append(DomainError("too_long", N_("Use at most {n} characters."), field=name, n=NOTE_MAX))
    if errors:
        raise ValidationFailed(errors)
    return Eligibility(rule, note_fa, note_en)


def apply_eligibility(poll: Poll, eligibility: Eligibility | None) -> None:
    """Store the rule and its notes on the poll (or clear them)."""
    poll.eligibility = eligibility.rule if eligibility else None
    poll.eligibility_note_fa = eligibility.note_fa if eligibility else None
    poll.eligibility_note_en = eligibility.note_en if eligibility else None


class NotEligibleToVote(DomainError):
    """The voter is outside the poll's rule; the message is the agency's own words in the reader's language."""

    status = 403

    def __init__(self, poll: Poll) -> None:
        super().__init__("not_eligible", N_("You cannot vote in this poll. Who may vote: {note}"), field="option")
        self.poll = poll

    def localized(self, lang: str | None = None) -> str:
        lang = lang or get_language()
        return gettext(self.message, lang, note=self.poll.eligibility_note(lang) or "")


def voter_facts(db: Session, person_id: int) -> dict[str, Any]:
    """What a rule reads about a person: province (trimmed, lower-case), age in full years, birth date, gender."""
    person = identity.person_profile(db, person_id)
    if person is None:
        return {}
    on = today()
    birth = person.birth_date
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day)) if birth else None
    province = (person.province or "").strip().lower() or None
    return {"province": province, "age": age, "birth_date": birth, "gender": person.gender}


def may_vote(db: Session, poll: Poll, person_id: int | None) -> bool:
    """Whether the person is within the poll's rule (always, for a poll without one)."""
    if not poll.eligibility:
        return True
    if person_id is None:
        return False
    try:
        return services.parse_expression(poll.eligibility).evaluate_bool({"voter": voter_facts(db, person_id)},
                                                                           today=today())
    except DomainError:
        return False


def ensure_may_vote(db: Session, poll: Poll, account: AccountRef) -> None:
    """Refuse (403, with the agency's words) a voter outside the poll's rule."""
    if not may_vote(db, poll, account.person_id):
        raise NotEligibleToVote(poll)
