"""Who read my data: the mandatory per-person access log, citizens' flags, confidential hiding.

Every exchange call that touches a person is recorded here by the exchange itself. Every
other module records an official's view of a person's data, in the same transaction, either
by calling :func:`record_access` or by publishing ``privacy.person_data_accessed`` (see the
package docstring). Functions take a Session and never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.db import get_or_not_found
from smartgov.errors import Conflict, DomainError, NotFound
from smartgov.exchange.events import ACCESS_FLAG_RESOLVED, ACCESS_FLAGGED, ACCESS_HIDDEN, PERSON_DATA_ACCESSED
from smartgov.exchange.models import AccessFlag, PersonDataAccess
from smartgov.exchange.purposes import ensure_purpose
from smartgov.i18n import N_
from smartgov.identity import nationalcode

#: The event other modules publish instead of importing this module.
ACCESS_EVENT = PERSON_DATA_ACCESSED


def _national_code(db: Session, person: int | str) -> str:
    if isinstance(person, int):
        found = identity.person_profile(db, person)
        if found is None:
            raise NotFound("person", field="person")
        return found.national_code
    code = nationalcode.normalize(person)
    if not nationalcode.is_valid(code):
        raise DomainError("invalid_national_code", N_("The person's national code is not valid."), field="person")
    return code


def record_access(db: Session, person: int | str, actor_account_id: int | None, agency_code: str | None,
                  what: str, purpose: str, *, source: str = "view", actor_label: str | None = None,
                  message_id: str | None = None, what_fa: str | None = None,
                  what_en: str | None = None) -> PersonDataAccess:
    """Record that ``agency_code`` (through account ``actor_account_id``) read ``what`` about a person
    (a person id or national code) for ``purpose``. Mandatory for every read of a person's data.

    ``what`` is a code; ``what_fa``/``what_en`` say what it is in words the person understands
    (e.g. "Application SG-1405-000003"); exchange services are named from the registry instead.
    """
    if not what.strip() or not purpose.strip():
        raise DomainError("access_incomplete", N_("Say what was read and why."), field="purpose")
    row = PersonDataAccess(
        national_code=_national_code(db, person), at=clock.now(), source=source[:20], agency_code=agency_code,
        actor_account_id=actor_account_id, actor_label=(actor_label or "")[:200] or None, what=what.strip()[:200],
        purpose=purpose.strip()[:200], message_id=message_id,
        what_fa=(what_fa or "")[:200] or None, what_en=(what_en or "")[:200] or None,
    )
    db.add(row)
    db.flush()
    return row


def _on_access_event(db: Session, event: events.Event) -> None:
    """The event form of :func:`record_access`; ``purpose_fa``/``purpose_en`` register a new purpose."""
    data = event.data
    person = data.get("person_id") if data.get("person_id") is not None else data.get("national_code")
    if person is None:
        raise DomainError("access_incomplete", N_("Say what was read and why."), field="person")
    purpose = str(data.get("purpose") or "")
    if purpose and data.get("purpose_fa") and data.get("purpose_en"):
        ensure_purpose(db, purpose, str(data["purpose_fa"]), str(data["purpose_en"]))
    record_access(db, int(person) if isinstance(person, int) else str(person), event.actor_id,
                  data.get("agency_code"), str(data.get("what") or data.get("service") or ""),
                  purpose, source=str(data.get("source") or "view"),
                  what_fa=data.get("what_fa"), what_en=data.get("what_en"))


events.subscribe(ACCESS_EVENT, _on_access_event)


# --------------------------------------------------------------------------- the citizen's view


def visible_accesses_stmt(national_code: str, now: dt.datetime | None = None) -> Select[Any]:
    """A person's accesses as the person may see them: hidden ones only once their date has passed."""
    now = now or clock.now()
    return (select(PersonDataAccess)
            .where(PersonDataAccess.national_code == national_code,
                   or_(PersonDataAccess.hidden_until.is_(None), PersonDataAccess.hidden_until <= now))
            .order_by(PersonDataAccess.at.desc(), PersonDataAccess.id.desc()))


#: What makes repeated reads one line: the same reader (agency and account) of the same record for the same purpose.
GROUP_KEY = ("source", "agency_code", "actor_account_id", "what", "purpose")


def grouped_accesses_stmt(national_code: str, account_id: int | None = None,
                          now: dt.datetime | None = None) -> Select[Any]:
    """A person's visible accesses, one row per reader and record (:data:`GROUP_KEY`), latest read first.

    Grouped in SQL (the person's rows come by ``ix_exchange_person_access_person_at``), so a page
    costs one aggregate however often an official reopened a case. Each row has ``reads``,
    ``first_at``, ``last_at``, ``last_id`` (the read a report is filed against) and, with
    ``account_id``, ``flag_id``: the latest report that account filed on any read of the group.
    """
    now = now or clock.now()
    keys = [getattr(PersonDataAccess, k) for k in GROUP_KEY]
    stmt = (select(*keys, func.count(PersonDataAccess.id).label("reads"),
                   func.min(PersonDataAccess.at).label("first_at"), func.max(PersonDataAccess.at).label("last_at"),
                   func.max(PersonDataAccess.id).label("last_id"),
                   func.max(PersonDataAccess.what_fa).label("what_fa"),
                   func.max(PersonDataAccess.what_en).label("what_en"))
            .where(PersonDataAccess.national_code == national_code,
                   or_(PersonDataAccess.hidden_until.is_(None), PersonDataAccess.hidden_until <= now))
            .group_by(*keys)
            .order_by(func.max(PersonDataAccess.at).desc(), func.max(PersonDataAccess.id).desc()))
    if account_id is None:
        return stmt
    # at most one report per read and account (unique), so the join never repeats a read
    return (stmt.outerjoin(AccessFlag, and_(AccessFlag.access_id == PersonDataAccess.id,
                                            AccessFlag.account_id == account_id))
            .add_columns(func.max(AccessFlag.id).label("flag_id")))


def all_accesses_stmt(national_code: str) -> Select[Any]:
    """Every access to a person, hidden or not (auditors and the data-protection officer)."""
    return (select(PersonDataAccess).where(PersonDataAccess.national_code == national_code)
            .order_by(PersonDataAccess.at.desc(), PersonDataAccess.id.desc()))


def hidden_accesses(db: Session) -> list[PersonDataAccess]:
    """Accesses that are or were hidden, with who hid them and why (auditors)."""
    return list(db.scalars(select(PersonDataAccess).where(PersonDataAccess.hidden_reason.is_not(None))
                           .order_by(PersonDataAccess.hidden_until.desc(), PersonDataAccess.id.desc())))


def visible_access(db: Session, national_code: str, access_id: int) -> PersonDataAccess:
    """One access the person may see; another person's (or a still-hidden) row is simply not found."""
    row = db.scalar(visible_accesses_stmt(national_code).where(PersonDataAccess.id == access_id))
    if row is None:
        raise NotFound("access")
    return row


def flags_by(db: Session, account_id: int) -> dict[int, AccessFlag]:
    """The account's flags by access id."""
    return {f.access_id: f for f in db.scalars(select(AccessFlag).where(AccessFlag.account_id == account_id))}


def flag_access(db: Session, account_id: int, national_code: str, access_id: int, reason: str) -> AccessFlag:
    """A citizen objects to one access to their data: opens a case for the data-protection officer."""
    access = visible_access(db, national_code, access_id)
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", N_("Say why you think this access was wrong."), field="reason")
    if len(reason) > 2000:
        raise DomainError("reason_too_long", N_("Use at most {n} characters."), field="reason", n=2000)
    if db.scalar(select(AccessFlag.id).where(AccessFlag.access_id == access.id, AccessFlag.account_id == account_id)):
        raise Conflict("already_flagged", N_("You have already flagged this access."), field="reason")
    flag = AccessFlag(access_id=access.id, account_id=account_id, reason=reason, status="open",
                      created_at=clock.now())
    try:
        with db.begin_nested():
            db.add(flag)
    except IntegrityError:
        raise Conflict("already_flagged", N_("You have already flagged this access."), field="reason") from None
    events.publish(db, ACCESS_FLAGGED, actor_id=account_id, flag_id=flag.id, access_id=access.id,
                   agency=access.agency_code, what=access.what)
    return flag


# --------------------------------------------------------------------------- data-protection officer


def flags_stmt(status: str | None = None) -> Select[Any]:
    stmt = select(AccessFlag).order_by(AccessFlag.status.desc(), AccessFlag.created_at.desc(), AccessFlag.id.desc())
    if status:
        stmt = stmt.where(AccessFlag.status == status)
    return stmt


def resolve_flag(db: Session, flag_id: int, resolution: str, actor_id: int) -> AccessFlag:
    """Close a case with the officer's finding, which the citizen then sees."""
    flag = get_or_not_found(db, AccessFlag, flag_id, "flag")
    if flag.status == "resolved":
        raise Conflict("already_resolved", N_("This case is already resolved."))
    resolution = resolution.strip()
    if not resolution:
        raise DomainError("resolution_required", N_("Write the finding."), field="resolution")
    flag.status = "resolved"
    flag.resolution = resolution[:4000]
    flag.resolved_by = actor_id
    flag.resolved_at = clock.now()
    events.publish(db, ACCESS_FLAG_RESOLVED, actor_id=actor_id, flag_id=flag.id, access_id=flag.access_id)
    return flag


def hide_access(db: Session, access_id: int, until: dt.datetime, reason: str, actor_id: int) -> PersonDataAccess:
    """Keep a confidential investigative access from the citizen until ``until``; the hiding is an event."""
    row = get_or_not_found(db, PersonDataAccess, access_id, "access")
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", N_("State the reason for hiding."), field="reason")
    if until <= clock.now():
        raise DomainError("date_in_past", N_("Choose a date in the future."), field="hidden_until")
    if until - clock.now() > dt.timedelta(days=5 * 366):
        raise DomainError("hidden_too_long", N_("An access can be hidden for at most five years."),
                          field="hidden_until")
    row.hidden_until = until
    row.hidden_reason = reason[:2000]
    row.hidden_by = actor_id
    events.publish(db, ACCESS_HIDDEN, actor_id=actor_id, access_id=row.id, agency=row.agency_code,
                   hidden_until=until.isoformat(), reason=row.hidden_reason)
    return row
