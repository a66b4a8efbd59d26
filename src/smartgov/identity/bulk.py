"""People and employers by the million: identity's surface for a population import.

Another module (``insurance.bulkimport``) reads a registry file, checks each row with
:func:`person_row` / :func:`employer_row` — the same rules ``create_person`` and
``create_organization`` apply, in the same functions — and hands the clean rows to
:func:`add_people` / :func:`add_employers`, which store them in the caller's transaction, skipping
national codes (organization codes) already known, so a re-run or a resumed file adds nothing
twice. :func:`person_ids` and :func:`employer_ids` give back the ids for the caller's own rows.
Identity's tables stay identity's: the caller never names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import String, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from smartgov import bulkcopy, clock, digits
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import nationalcode
from smartgov.identity.models import Organization, OrgKind, Person

GENDERS = frozenset({"f", "m"})
_LOOKUP_BATCH = 5_000  # SQLite's bound on parameters per statement is 32766; PostgreSQL gets one array


class PersonRow(NamedTuple):
    """A registry row as identity stores it: canonical code, names, birth date, optional fields."""

    national_code: str
    first_name_fa: str
    last_name_fa: str
    first_name_en: str
    last_name_en: str
    birth_date: dt.date
    gender: str | None
    province: str | None
    phone: str | None


class EmployerRow(NamedTuple):
    """An employer organization as identity stores it."""

    code: str
    registration_number: str
    name_fa: str
    name_en: str
    province: str | None


def plausible_birth_date(birth_date: dt.date) -> None:
    """A birth date no later than today and no earlier than 1900 (422 on ``birth_date`` otherwise)."""
    if birth_date > clock.today() or birth_date.year < 1900:
        raise DomainError("invalid_birth_date", N_("The birth date is not plausible."), field="birth_date")


def name(value: str, field: str, limit: int) -> str:
    """A name as stored: trimmed, present, at most ``limit`` characters (422 on ``field`` otherwise)."""
    text = value.strip()
    if not text or len(text) > limit or "\x00" in text:
        raise DomainError("invalid_name", N_("A name is missing or too long."), field=field)
    return text


def birth_date(value: str) -> dt.date:
    """A typed birth date (Jalali or ISO, any accepted digits), plausible (422 on ``birth_date``)."""
    try:
        day = digits.date(value, "birth_date")
    except digits.DigitsRefused:
        raise
    except ValueError:
        raise DomainError("invalid_date", N_("Enter a real date, like 1403/05/12 or 2024-08-02."),
                          field="birth_date") from None
    plausible_birth_date(day)
    return day


def person_row(national_code: str, first_name_fa: str, last_name_fa: str, first_name_en: str, last_name_en: str,
               birth: str, gender: str = "", province: str = "", phone: str = "") -> PersonRow:
    """One person as typed in a registry file, checked by identity's rules (a ``DomainError`` naming
    the field otherwise): the national code's check digit, names, a real and plausible birth date."""
    sex = gender.strip().lower()
    if sex and sex not in GENDERS:
        raise DomainError("invalid_gender", N_("Gender must be f or m."), field="gender")
    return PersonRow(
        nationalcode.check(national_code), name(first_name_fa, "first_name_fa", 100),
        name(last_name_fa, "last_name_fa", 100), name(first_name_en, "first_name_en", 100),
        name(last_name_en, "last_name_en", 100), birth_date(birth), sex or None, province.strip() or None,
        digits.phone(phone) if phone.strip() else None)


def employer_row(code: str, registration_number: str, name_fa: str, name_en: str, province: str = "") -> EmployerRow:
    """An employer as typed in a workshops file: a code, a registration number of digits, names."""
    org_code = code.strip()
    if not org_code or len(org_code) > 40 or "\x00" in org_code:
        raise DomainError("invalid_organization_code", N_("The employer's code is missing or too long."),
                          field="employer_code")
    registration = digits.code(registration_number, "employer_registration")
    if not digits.is_ascii_digits(registration) or len(registration) > 30:
        raise DomainError("registration_required", N_("Employers need a registration number."),
                          field="employer_registration")
    return EmployerRow(org_code, registration, name(name_fa, "employer_name_fa", 200),
                       name(name_en, "employer_name_en", 200), province.strip() or None)


_PERSON_COLUMNS = (*PersonRow._fields, "registry_mobile", "created_at")


def add_people(db: Session, rows: Sequence[PersonRow]) -> int:
    """Store checked people (the registry's mobile is the phone given); national codes already known
    are skipped. Returns how many were new."""
    now = clock.now()
    return bulkcopy.insert_ignoring(db, Person.__table__, _PERSON_COLUMNS,  # type: ignore[arg-type]
                                    [(*row, row.phone, now) for row in rows])


_EMPLOYER_COLUMNS = ("code", "kind", "registration_number", "name_fa", "name_en", "province", "created_at")


def add_employers(db: Session, rows: Sequence[EmployerRow]) -> int:
    """Store employer organizations; codes (or registration numbers) already known are skipped."""
    now = clock.now()
    kind = OrgKind.EMPLOYER.name  # the enum is stored by name (native_enum=False)
    return bulkcopy.insert_ignoring(db, Organization.__table__, _EMPLOYER_COLUMNS,  # type: ignore[arg-type]
                                    [(r.code, kind, r.registration_number, r.name_fa, r.name_en, r.province, now)
                                     for r in rows])


def _in(db: Session, key: Any, values: list[str]) -> Iterable[Any]:
    """``key IN values`` in statements of a bounded size: one array on PostgreSQL, batches on SQLite."""
    if db.get_bind().dialect.name == "postgresql":
        yield key == any_(literal(values, ARRAY(String)))
        return
    for start in range(0, len(values), _LOOKUP_BATCH):
        yield key.in_(values[start:start + _LOOKUP_BATCH])


def person_ids(db: Session, national_codes: Iterable[str]) -> dict[str, int]:
    """National code → person id, for the canonical codes given that are known."""
    found: dict[str, int] = {}
    for condition in _in(db, Person.national_code, sorted(set(national_codes))):
        found.update(db.execute(select(Person.national_code, Person.id).where(condition)).tuples().all())
    return found


def employer_ids(db: Session, codes: Iterable[str]) -> dict[str, int]:
    """Organization code → id, for the codes given that are known employers."""
    found: dict[str, int] = {}
    for condition in _in(db, Organization.code, sorted(set(codes))):
        found.update(db.execute(select(Organization.code, Organization.id).where(
            condition, Organization.kind == OrgKind.EMPLOYER)).tuples().all())
    return found
