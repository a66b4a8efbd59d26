"""The one rule for personal records: an account sees or acts on them only once it proved its person.

A file of its own so that both the checks (``permissions``) and the use cases (``service``: a
person's contact details) apply it without importing each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from smartgov.errors import DomainError
from smartgov.i18n import N_


class Proof(Protocol):
    """What the rule reads: an ``Account``, or a row that selected ``Account.proven_at`` (the fast paths)."""

    @property
    def proven_at(self) -> dt.datetime | None: ...


def can_use_personal_records(account: Proof) -> bool:
    """May this account see or act on personal records? Only once its holder was shown to be its
    person (a code sent to the registry's mobile, an official, or an administrator who created it).

    Until then it may browse, start drafts and look after the account itself. The one rule for
    every route that shows or acts on personal records: ``web.deps.CurrentPrincipal`` applies it
    to every signed-in route, the submission's and the status read's fast paths and
    participation's verification levels ask it too.
    """
    return account.proven_at is not None


class PersonNotProven(DomainError):
    """403 ``person_not_proven``: pages add a link to the proof step."""

    status = 403

    def __init__(self) -> None:
        super().__init__("person_not_proven", N_(
            "First prove that this account is yours: we send a code to the mobile number the population "
            "registry holds for your national code, or an official checks your national card at any office."))


def require_personal_records(account: Proof) -> None:
    """:func:`can_use_personal_records`, raising :class:`PersonNotProven`."""
    if not can_use_personal_records(account):
        raise PersonNotProven()
