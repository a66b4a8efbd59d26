"""Identity's directory for other modules: who a token is, people's public profiles, organisations
and the agency tree, staff — frozen read models and SQL pieces, never identity's rows.

Other modules use these through ``smartgov.identity``; identity's tables stay its own
(``tests/test_architecture.py``). Kept apart from ``service.py`` (accounts, sign-in, sessions,
tokens, MFA, reset), which writes those tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import pyotp
from sqlalchemy import ColumnElement, Integer, Select, String, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from smartgov.db import keep, scalar_or_not_found
from smartgov.identity import nationalcode
from smartgov.identity.models import Account, ApiToken, Organization, OrgKind, Person, Role
from smartgov.identity.service import Principal, accounts_in, list_organizations
from smartgov.identity.views import AccountView, OrganizationView, PersonProfile


def token_caller_select(*person_columns: str) -> Select[Any]:
    """Token → account (→ person) as labelled columns, for the paths that read the caller with their own
    facts in one statement (the submission, the status read) and never build a ``Principal``.

    Columns: ``token_id``, ``revoked_at``, ``expires_at``, ``last_used_at``, ``scopes``, ``account_id``,
    ``username``, ``language``, ``is_active``, ``proven_at``, ``person_id`` and the ``person_columns``
    asked for (names of :class:`PersonProfile` fields). The token is ``bindparam("token_hash")``
    (:func:`sha256` of the raw token); judge the row with :func:`token_live`, store its use with
    :func:`store_token_use`. The caller's statement joins its own tables on the ``account_id`` column.
    """
    unknown = set(person_columns) - set(PersonProfile.__dataclass_fields__)
    if unknown:
        raise ValueError(f"not a person's public column: {sorted(unknown)}")
    stmt = (select(ApiToken.id.label("token_id"), ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at,
                   ApiToken.scopes, Account.id.label("account_id"), Account.username, Account.language,
                   Account.is_active, Account.proven_at, Account.person_id,
                   *(getattr(Person, c) for c in person_columns))
            .select_from(ApiToken)
            .join(Account, Account.id == ApiToken.account_id))
    if person_columns:
        stmt = stmt.outerjoin(Person, Person.id == Account.person_id)
    return stmt.where(ApiToken.token_hash == bindparam("token_hash"))


#: Levels below an agency searched for the branch serving a province (a guard: the tree is shallow).
BRANCH_DEPTH = 8


def province_key(value: Any) -> Any:
    """How provinces compare, in SQL: trimmed and lower-cased on both sides (``Tehran`` is ``tehran``)."""
    return func.lower(func.trim(value))


def branch_serving(agency_id: Any, province: Any) -> ColumnElement[Any]:
    """The agency serving ``province`` in the subtree of ``agency_id``, as a scalar subquery.

    ``agency_id`` and ``province`` are SQL expressions: bound values or columns of an enclosing query
    (the submission reads it in the same statement as the applicant). The nearest such agency wins
    (a provincial office before its sub-offices), then the lowest id; ``NULL`` when none serves it.
    """
    org = aliased(Organization)
    child = aliased(Organization)
    tree = (select(org.id.label("id"), literal(0, Integer).label("depth"))
            .where(org.id == agency_id).correlate_except(org).cte("branch_tree", recursive=True, nesting=True))
    tree = tree.union_all(select(child.id, tree.c.depth + 1)
                          .where(child.parent_id == tree.c.id, tree.c.depth < BRANCH_DEPTH))
    branch = aliased(Organization)
    # The kind as stored (the enum's name), as a plain string: ``db.HotReads`` sends a statement's
    # own values as they are, without the column type's conversion (an ``OrgKind`` is its value).
    agency = literal(OrgKind.AGENCY.name, String)
    return (select(branch.id).join(tree, tree.c.id == branch.id)
            .where(branch.kind == agency, province_key(branch.province) == province_key(province))
            .order_by(tree.c.depth, branch.id).limit(1).scalar_subquery())


def organization_code_of(org_id: Any) -> Any:
    """The code of the organization ``org_id`` (a column of the caller's statement), as a scalar subquery."""
    return select(Organization.code).where(Organization.id == org_id).correlate_except(Organization).scalar_subquery()


def organization_name_of(org_id: Any, lang: str) -> Any:
    """The name (``lang``: ``fa`` or ``en``) of the organization ``org_id`` (a column of the caller's
    statement), as a scalar subquery: what a document signed without a session names."""
    column = {"fa": Organization.name_fa, "en": Organization.name_en}[lang]
    return select(column).where(Organization.id == org_id).correlate_except(Organization).scalar_subquery()


# --------------------------------------------------------------------------- lookups for other modules


def organization_view(db: Session, org_id: int | None) -> OrganizationView | None:
    """The organization ``org_id`` (``None`` if there is none)."""
    row = db.get(Organization, org_id) if org_id is not None else None
    return OrganizationView.of(row) if row is not None else None


def organization_views(db: Session, ids: Iterable[int]) -> dict[int, OrganizationView]:
    """Organizations by id, read in one query and kept in the session (later lookups need none)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = list(db.scalars(select(Organization).where(Organization.id.in_(wanted))))
    keep(db, *rows)
    return {o.id: OrganizationView.of(o) for o in rows}


def organization_code(db: Session, org_id: int | None) -> str | None:
    """The code of organization ``org_id`` (``None`` if it is gone)."""
    found = organization_view(db, org_id)
    return found.code if found else None


def agency_subtree(db: Session, org_id: int) -> set[int]:
    """``org_id`` and every organization below it (agency admins manage their subtree)."""
    ids = {org_id}
    frontier = [org_id]
    while frontier:
        children = list(db.scalars(select(Organization.id).where(Organization.parent_id.in_(frontier))))
        frontier = [c for c in children if c not in ids]
        ids.update(frontier)
    return ids


def agency_ancestors(db: Session, org_id: int) -> list[int]:
    """The organizations above ``org_id``, nearest first."""
    above: list[int] = []
    row = db.get(Organization, org_id)
    parent = row.parent_id if row else None
    while parent is not None and parent not in above and parent != org_id:
        above.append(parent)
        row = db.get(Organization, parent)
        parent = row.parent_id if row else None
    return above


def agencies(db: Session) -> list[OrganizationView]:
    """Every agency, by code."""
    return list_organizations(db, OrgKind.AGENCY)


def person_profile(db: Session, person_id: int | None) -> PersonProfile | None:
    """The person ``person_id`` (``None`` if there is none)."""
    row = db.get(Person, person_id) if person_id is not None else None
    return PersonProfile.of(row) if row is not None else None


def account_view(db: Session, account_id: int | None) -> AccountView | None:
    """The account ``account_id`` (``None`` if there is none)."""
    row = db.get(Account, account_id) if account_id is not None else None
    return AccountView.of(row) if row is not None else None


def account_views(db: Session, ids: Iterable[int]) -> dict[int, AccountView]:
    """Accounts by id, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {a.id: AccountView.of(a) for a in db.scalars(select(Account).where(Account.id.in_(wanted)))}


def account_view_by_username(db: Session, username: str) -> AccountView | None:
    """The account called ``username`` (usernames are stored lower-case)."""
    row = db.scalar(select(Account).where(Account.username == username.strip().lower()))
    return AccountView.of(row) if row is not None else None


def accounts_of_people_reached_at(db: Session, phones: Iterable[str]) -> list[AccountView]:
    """Active accounts whose person gave one of ``phones`` (spellings of one number), by id."""
    people = select(Person.id).where(Person.phone.in_(list(phones)))
    rows = db.scalars(select(Account).where(Account.person_id.in_(people), Account.is_active.is_(True))
                      .order_by(Account.id))
    return [AccountView.of(a) for a in rows]


def principal_of(db: Session, account_id: int) -> Principal | None:
    """An active account acting by itself (a worker's or the demo's step, an official assigned a case)."""
    row = db.get(Account, account_id)
    return Principal(account=row) if row is not None and row.is_active else None


def registry_mobile(db: Session, national_code: str) -> str | None:
    """The mobile number the population registry holds for a person (404 ``person`` if unknown).

    Only the registry's answer to the exchange (service ``person-mobile``) reads it: it is where a
    proof code goes, so it is not part of the person's profile.
    """
    row = scalar_or_not_found(db, select(Person).where(Person.national_code == nationalcode.normalize(national_code)),
                              "person", field="person")
    return row.registry_mobile


def people_for_registers(db: Session) -> Iterator[tuple[int, str, dt.date]]:
    """Every person's id, national code and birth date, by id: for a register that covers the whole
    population (the insurance fund's), streamed so a national population is not held at once."""
    stmt = select(Person.id, Person.national_code, Person.birth_date).order_by(Person.id)
    for row in db.execute(stmt.execution_options(yield_per=10_000)):
        yield row.id, row.national_code, row.birth_date


def person_demographics(db: Session, person_ids: Any) -> list[tuple[int, str | None, dt.date, str | None]]:
    """Id, province, birth date and gender of the people ``person_ids`` (ids, or a statement selecting
    them): what participation statistics count, small cells suppressed by the caller."""
    return [(r.id, r.province, r.birth_date, r.gender) for r in db.execute(
        select(Person.id, Person.province, Person.birth_date, Person.gender).where(Person.id.in_(person_ids)))]


def people_without_account(db: Session) -> list[PersonProfile]:
    """People no account is linked to, by id (the demo gives them accounts)."""
    linked = select(Account.person_id).where(Account.person_id.is_not(None))
    return [PersonProfile.of(p) for p in db.scalars(select(Person).where(Person.id.not_in(linked)).order_by(Person.id))]


def staff_of(db: Session, org_id: int, roles: Iterable[Role]) -> list[AccountView]:
    """Accounts holding any of ``roles`` in organization ``org_id`` or below it, by username."""
    wanted = set(roles)
    return [AccountView.of(a) for a in accounts_in(db, agency_subtree(db, org_id)) if a.roles & wanted]


def count_people(db: Session) -> int:
    """How many people the platform knows (the demo tops the population up to a size)."""
    return db.scalar(select(func.count()).select_from(Person)) or 0


def current_totp(db: Session, username: str) -> str | None:
    """The TOTP code an account's authenticator shows now (``smartgov user totp``: demo and support);
    ``None`` if there is no such account or its second factor was never started."""
    row = db.scalar(select(Account).where(Account.username == username.strip().lower()))
    if row is None or not row.mfa_secret:
        return None
    return pyotp.TOTP(row.mfa_secret).now()


def people_matching(text: str, limit: int = 500) -> Select[Any]:
    """Ids of the people a staff search names: a whole national code (typed in any digits), or
    every word found in their Persian or English names (``digits.search_text``'s one reading).

    A statement, not rows: the caller puts it in its own ``IN (…)`` and scopes it (an inbox
    searches only its branch's cases), so this finds nobody the caller could not already see.
    """
    from smartgov.digits import search_text

    query = search_text(text)[:200]
    if query.isdigit():
        return select(Person.id).where(Person.national_code == query).limit(limit)
    words = query.split()
    if not words:
        return select(Person.id).where(literal(False)).limit(limit)

    def normalized(column: Any) -> Any:
        return func.replace(func.replace(func.lower(column), "\u200c", ""), "ي", "ی")

    names = [Person.first_name_fa, Person.last_name_fa, Person.first_name_en, Person.last_name_en]
    stmt = select(Person.id)
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(*(normalized(c).like(pattern, escape="\\") for c in names)))
    return stmt.limit(limit)
