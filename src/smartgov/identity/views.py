"""Read models: what other modules see of identity's people, accounts and organizations.

Other modules never read identity's tables (``models.py``); they ask ``identity`` for these frozen
values, so identity can change how it stores a person without touching them, and a value handed
out can be kept after its session has closed (a page drawn after the request's session ends).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Protocol

from smartgov.identity.models import Account, Organization, OrgKind, Person, Role


@dataclasses.dataclass(frozen=True, slots=True)
class OrganizationView:
    """An agency (in its tree) or an employer, as other modules may show and use it."""

    id: int
    code: str
    kind: OrgKind
    name_fa: str
    name_en: str
    parent_id: int | None
    registration_number: str | None
    province: str | None

    def name(self, lang: str) -> str:
        return self.name_fa if lang == "fa" else self.name_en

    @property
    def is_agency(self) -> bool:
        return self.kind == OrgKind.AGENCY

    @classmethod
    def of(cls, row: Organization) -> OrganizationView:
        return cls(id=row.id, code=row.code, kind=row.kind, name_fa=row.name_fa, name_en=row.name_en,
                   parent_id=row.parent_id, registration_number=row.registration_number, province=row.province)


@dataclasses.dataclass(frozen=True, slots=True)
class PersonProfile:
    """A person as the services that act for them need them: names, birth, where, how to reach them.

    The registry's own mobile number (the proof's secret channel) is not part of it.
    """

    id: int
    national_code: str
    first_name_fa: str
    last_name_fa: str
    first_name_en: str
    last_name_en: str
    birth_date: dt.date
    gender: str | None
    province: str | None
    phone: str | None
    email: str | None

    def full_name(self, lang: str) -> str:
        if lang == "fa":
            return f"{self.first_name_fa} {self.last_name_fa}"
        return f"{self.first_name_en} {self.last_name_en}"

    @classmethod
    def of(cls, row: Person) -> PersonProfile:
        return cls(id=row.id, national_code=row.national_code, first_name_fa=row.first_name_fa,
                   last_name_fa=row.last_name_fa, first_name_en=row.first_name_en, last_name_en=row.last_name_en,
                   birth_date=row.birth_date, gender=row.gender, province=row.province, phone=row.phone,
                   email=row.email)


@dataclasses.dataclass(frozen=True, slots=True)
class AccountView:
    """An account as other modules see it: who, whose person, which language, proven or not, roles."""

    id: int
    username: str
    person_id: int | None
    language: str
    is_active: bool
    proven_at: dt.datetime | None
    roles: frozenset[Role]

    @classmethod
    def of(cls, row: Account) -> AccountView:
        return cls(id=row.id, username=row.username, person_id=row.person_id, language=row.language,
                   is_active=row.is_active, proven_at=row.proven_at, roles=frozenset(row.roles))


class AccountRef(Protocol):
    """What another module may read of an account it is handed: the caller's (``Principal.account``)
    or one it looked up (:class:`AccountView`). Both answer these, so a function takes either."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def person_id(self) -> int | None: ...

    @property
    def language(self) -> str: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def proven_at(self) -> dt.datetime | None: ...


class OrganizationRef(Protocol):
    """What another module may read of an organization it is handed (an :class:`OrganizationView`)."""

    @property
    def id(self) -> int: ...

    @property
    def code(self) -> str: ...

    @property
    def kind(self) -> OrgKind: ...

    @property
    def name_fa(self) -> str: ...

    @property
    def name_en(self) -> str: ...

    @property
    def parent_id(self) -> int | None: ...

    @property
    def registration_number(self) -> str | None: ...

    def name(self, lang: str) -> str: ...
