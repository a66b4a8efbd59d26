"""Reading cases: one case and its facts, timelines, the officials' inbox, statistics."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from smartgov import clock, events, identity
from smartgov.db import keep
from smartgov.digits import search_text
from smartgov.errors import NotFound
from smartgov.i18n import N_, gettext, localize_digits
from smartgov.identity import Principal

from . import pipeline
from .catalog import definition_of
from .events import PERSON_DATA_ACCESSED
from .models import (
    Application,
    Definition,
    DefinitionStatus,
    InfoRequest,
    Invoice,
    InvoiceStatus,
    IssuedDocument,
    Rating,
    TransitionLog,
)
from .permissions import can_see_all, case_branch_ids
from .workflow import Workflow, is_breached, time_left

log = logging.getLogger(__name__)

APPLICANT = "applicant"
"""The one workflow role the engine knows: the person who applied. Every other role named in a
definition (``registry_clerk``, ``officer``…) is held by the staff of the branch the case was routed to."""
REQUEST_INFORMATION = "request_information"
RESPOND = "respond"
WITHDRAW = pipeline.WITHDRAW
SORTS = ("deadline", "newest", "oldest", "reference")
TRANSFER = "transfer"  # the action a case's move to another branch is logged with


# --------------------------------------------------------------------------- reading cases


def application_by_reference(db: Session, reference: str) -> Application:
    """The case, with its definition version and agency fetched in the same round trip.

    Both are kept in the session, so the permission checks and the response that follow find
    them with ``Session.get`` instead of two more SELECTs (status reads are the hottest route).
    """
    return _load_case(db, reference)[0]


@dataclass(frozen=True)
class CaseFacts:
    """What a status answer shows beside the case row: the open question, whether documents exist."""

    open_question: str | None
    has_documents: bool


def fact_columns() -> tuple[Any, Any]:
    """The case's open question and whether it has issued documents, as subqueries of a case query."""
    question = (select(InfoRequest.question)
                .where(InfoRequest.application_id == Application.id, InfoRequest.answered_at.is_(None))
                .order_by(InfoRequest.id.desc()).limit(1).correlate(Application).scalar_subquery())
    documents = select(IssuedDocument.id).where(IssuedDocument.application_id == Application.id).exists()
    return question, documents


# The status read's statements are built once: a prebuilt statement also keeps its cache key, so
# executing it costs neither the construction nor the key (a tenth of a read's Python time).
@functools.cache
def _facts_query() -> Select[Any]:
    return select(*fact_columns()).select_from(Application).where(Application.id == bindparam("id"))


@functools.cache
def _case_query(with_facts: bool) -> Select[Any]:
    return (select(Application, Definition, *(fact_columns() if with_facts else ()))
            .join(Definition, Definition.id == Application.definition_id)
            .where(Application.reference == bindparam("reference")))


def case_facts(db: Session, app: Application) -> CaseFacts:
    """The facts of a case already loaded, in one round trip."""
    found = db.execute(_facts_query(), {"id": app.id}).one()
    return CaseFacts(open_question=found[0], has_documents=bool(found[1]))


def case_facts_for(db: Session, apps: list[Application]) -> dict[int, CaseFacts]:
    """``case_facts`` for a page of cases in one round trip, by case id."""
    if not apps:
        return {}
    rows = db.execute(select(Application.id, *fact_columns()).where(Application.id.in_([a.id for a in apps])))
    return {row[0]: CaseFacts(open_question=row[1], has_documents=bool(row[2])) for row in rows}


def load_case_refs(db: Session, apps: list[Application]) -> None:
    """Load the definition versions and agencies a page of cases refers to, in two queries, and keep them.

    Shaping each case looks both up by key (``definition_row``, the agency's code); without this
    that was two SELECTs per case, since the identity map holds rows only while something does.
    """
    if apps:
        keep(db, *db.scalars(select(Definition).where(Definition.id.in_({a.definition_id for a in apps}))))
        identity.organization_views(db, {a.agency_id for a in apps})  # read once and kept


def fresh_case_facts(db: Session, app: Application) -> CaseFacts:
    """The facts of a case created in this session, without a query.

    Only an official's ``request_information`` asks a question, so a new case has none; its
    documents, if any, were issued in this session (``issue_document`` notes them).
    """
    issued = db.info.get("issued_documents", [])
    return CaseFacts(open_question=None, has_documents=any(d.application_id == app.id for d in issued))


def application_with_facts(db: Session, reference: str) -> tuple[Application, CaseFacts]:
    """The case and its facts in one round trip (a status read is this and the token's)."""
    app, extra = _load_case(db, reference, with_facts=True)
    return app, CaseFacts(open_question=extra[0], has_documents=bool(extra[1]))


def _load_case(db: Session, reference: str, *, with_facts: bool = False) -> tuple[Application, tuple[Any, ...]]:
    found = db.execute(_case_query(with_facts), {"reference": reference.strip().upper()}).first()
    if found is None:
        raise NotFound("application")
    app, definition, *rest = found
    keep(db, definition)
    identity.organization_views(db, {app.agency_id})  # read once and kept
    return app, tuple(rest)


def my_applications_query(principal: Principal) -> Select[Any]:
    return (select(Application).where(Application.applicant_id == principal.id)
            .order_by(Application.submitted_at.desc(), Application.id.desc()))


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # submit | transition | request | answer | assign
    from_state: str | None
    to_state: str | None
    action: str
    automatic: bool
    actor_id: int | None
    text: str | None


def timeline(db: Session, app: Application, *, internal: bool = False) -> list[TimelineEntry]:
    """Every step of the case in order (assignments only for officials)."""
    entries: list[TimelineEntry] = []
    stmt = select(TransitionLog).where(TransitionLog.application_id == app.id)
    if not internal:
        stmt = stmt.where(TransitionLog.internal == false())
    for t in db.scalars(stmt.order_by(TransitionLog.id)):
        kind = ("submit" if t.from_state is None else TRANSFER if t.action == TRANSFER
                else "assign" if t.internal else "transition")
        entries.append(TimelineEntry(t.at, kind, t.from_state, t.to_state, t.action, t.automatic, t.actor_id,
                                     t.reason))
    for r in db.scalars(select(InfoRequest).where(InfoRequest.application_id == app.id)):
        if r.answered_at is not None:
            entries.append(TimelineEntry(r.answered_at, "answer", None, None, RESPOND, False, app.applicant_id,
                                         r.answer))
    entries.sort(key=lambda e: e.at)
    return entries


def info_requests(db: Session, app: Application) -> list[InfoRequest]:
    return list(db.scalars(select(InfoRequest).where(InfoRequest.application_id == app.id)
                           .order_by(InfoRequest.id)))


def sla(app: Any, now: dt.datetime | None = None) -> tuple[dt.timedelta | None, bool]:
    """Time left in the current state (negative once late) and whether the SLA is breached."""
    now = now or clock.now()
    if app.terminal:
        return None, False
    return time_left(app.sla_deadline, now), is_breached(app.sla_deadline, now)


# --------------------------------------------------------------------------- inbox


def inbox_query(
    db: Session, principal: Principal, *, state: str | None = None, service_id: str | None = None,
    breached: bool | None = None, mine: bool = False, role: str | None = None, include_closed: bool = False,
    sort: str = "deadline", q: str | None = None,
) -> Select[Any]:
    """Cases of the caller's branches (``permissions``), filtered and sorted (deadline: most urgent first).

    ``q`` finds cases by reference, or by the applicant's national code (any digits) or name,
    open or closed: an official looking someone up wants their history too.
    """
    stmt = select(Application)
    if q and q.strip():
        stmt = stmt.where(_found_by(q))
        include_closed = True
    if not can_see_all(principal):
        stmt = stmt.where(Application.branch_id.in_(case_branch_ids(db, principal) or {-1}))
    if not include_closed and not state:
        stmt = stmt.where(Application.terminal == false())
    if state:
        stmt = stmt.where(Application.state == state)
    if service_id:
        stmt = stmt.where(Application.service_id == service_id)
    now = clock.now()
    if breached is True:
        stmt = stmt.where(Application.terminal == false(), Application.sla_deadline < now)
    elif breached is False:
        stmt = stmt.where(or_(Application.sla_deadline.is_(None), Application.sla_deadline >= now))
    if mine:
        stmt = stmt.where(Application.assignee_id == principal.id)
    if role:
        stmt = stmt.where(_states_for_role(db, role))
    if sort == "newest":
        stmt = stmt.order_by(Application.submitted_at.desc(), Application.id.desc())
    elif sort == "oldest":
        stmt = stmt.order_by(Application.submitted_at, Application.id)
    elif sort == "reference":
        stmt = stmt.order_by(Application.reference)
    else:
        stmt = stmt.order_by(Application.sla_deadline.is_(None), Application.sla_deadline, Application.id)
    return stmt


def _found_by(q: str) -> Any:
    """Reference (a part of it, any digits and case) or the applicant, by identity's one search."""
    text = search_text(q)[:200]
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(func.lower(Application.reference).like(pattern, escape="\\"),
               Application.person_id.in_(identity.people_matching(q)))


def _states_for_role(db: Session, role: str) -> Any:
    """Cases waiting in a state where ``role`` has something to do, across service versions."""
    clauses = []
    for row in db.scalars(select(Definition).where(Definition.status != DefinitionStatus.DRAFT)):
        wf = Workflow.from_definition(definition_of(row))
        states = [s for s in wf.states if wf.available_actions(s, role)]
        if states:
            clauses.append(and_(Application.definition_id == row.id, Application.state.in_(states)))
    return or_(*clauses) if clauses else false()


@dataclass(frozen=True)
class ServiceStats:
    service_id: str
    total: int
    closed: int
    automatic: int
    breached: int
    mean_rating: float | None

    @property
    def automatic_share(self) -> float | None:
        """Share of finished cases decided without a person (None before any case finished)."""
        return None if not self.closed else self.automatic / self.closed


def service_stats(db: Session, branch_ids: set[int] | None = None) -> list[ServiceStats]:
    """Per service: cases, finished cases, how many were decided automatically, SLA breaches, rating
    (of the cases of ``branch_ids``, if given)."""
    now = clock.now()
    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    stmt = select(
        Application.service_id, func.count(),
        count_if(Application.terminal == true()),
        count_if(and_(Application.terminal == true(), Application.decided_automatically == true())),
        count_if(and_(Application.terminal == false(), Application.sla_deadline < now)),
    ).group_by(Application.service_id).order_by(Application.service_id)
    if branch_ids is not None:
        stmt = stmt.where(Application.branch_id.in_(branch_ids or {-1}))
    ratings = dict(db.execute(select(Rating.service_id, func.avg(Rating.score)).group_by(Rating.service_id)).all())
    return [ServiceStats(sid, int(total), int(closed or 0), int(auto or 0), int(late or 0),
                         float(ratings[sid]) if ratings.get(sid) is not None else None)
            for sid, total, closed, auto, late in db.execute(stmt).all()]


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(18)


def invoices_of(db: Session, app: Application) -> list[Invoice]:
    return invoices_for(db, [app.id]).get(app.id, [])


def invoices_for(db: Session, case_ids: list[int]) -> dict[int, list[Invoice]]:
    """The invoices of several cases in one query, by case id."""
    found: dict[int, list[Invoice]] = {}
    if case_ids:
        for inv in db.scalars(select(Invoice).where(Invoice.application_id.in_(case_ids)).order_by(Invoice.id)):
            found.setdefault(inv.application_id, []).append(inv)
    return found


def open_invoice(db: Session, app: Application) -> Invoice | None:
    return db.scalar(select(Invoice).where(Invoice.application_id == app.id, Invoice.status == InvoiceStatus.OPEN)
                     .limit(1))


def record_official_view(db: Session, principal: Principal, app: Application) -> None:
    """An official looking at someone's application is recorded in that person's "who read my data".

    Published as ``privacy.person_data_accessed`` (the exchange module keeps the per-person log), so
    the engine needs no import of it; the caller commits.
    """
    if app.applicant_id == principal.id:
        return
    applicant = identity.account_view(db, app.applicant_id)
    if applicant is None or applicant.person_id is None:
        return
    agency = identity.organization_view(db, app.agency_id)
    label = N_("Application {reference}")
    events.publish(db, PERSON_DATA_ACCESSED, actor_id=principal.id, person_id=applicant.person_id,
                   agency_code=agency.code if agency else None, what=f"services.application:{app.reference}",
                   what_fa=gettext(label, "fa", reference=localize_digits(app.reference, "fa")),
                   what_en=gettext(label, "en", reference=app.reference),
                   purpose="case-handling", purpose_fa="رسیدگی به درخواست", purpose_en="Handling the application")


def my_applications(db: Session, principal: Principal, limit: int = 200) -> list[Application]:
    """The caller's latest cases (the page shows the newest ``limit``)."""
    return list(db.scalars(my_applications_query(principal).limit(limit)))


def rating_of(db: Session, app: Application) -> Rating | None:
    """The applicant's rating of a finished case, if given."""
    return db.scalar(select(Rating).where(Rating.application_id == app.id))


# --------------------------------------------------------------------------- the cases behind a number

#: What a dashboard number counts, and so which cases stand behind it: submitted in the period,
#: decided in it (a final decision: withdrawals are no decision), open at its end, or paid in it.
CASE_BASES = ("submitted", "decided", "open", "paid")


@dataclass(frozen=True)
class CaseRow:
    """One case as a drill-down list shows it: enough to recognise it and open it in the inbox."""

    reference: str
    service_id: str
    state: str
    terminal: bool
    branch_id: int | None
    submitted_at: dt.datetime
    closed_at: dt.datetime | None
    sla_deadline: dt.datetime | None


def cases_behind_query(
    db: Session, principal: Principal, *, basis: str, start: dt.date, end: dt.date, service_id: str | None = None,
    agency_id: int | None = None, branch_id: int | None = None,
) -> Select[Any]:
    """The cases behind a dashboard number over the local days ``start``..``end``, newest first: of the
    caller's branches only, by the inbox's rule (``permissions.branch_scope``), so a number's drill-down
    never shows a case its reader could not open."""
    if basis not in CASE_BASES:
        raise ValueError(basis)
    since, until = clock.day_start(start), clock.day_start(end + dt.timedelta(days=1))
    stmt = select(Application.reference, Application.service_id, Application.state, Application.terminal,
                  Application.branch_id, Application.submitted_at, Application.closed_at, Application.sla_deadline)
    if not can_see_all(principal):
        stmt = stmt.where(Application.branch_id.in_(case_branch_ids(db, principal) or {-1}))
    if basis == "submitted":
        stmt = stmt.where(Application.submitted_at >= since, Application.submitted_at < until)
    elif basis == "decided":
        withdrawn = select(TransitionLog.id).where(TransitionLog.application_id == Application.id,
                                                   TransitionLog.action == WITHDRAW).exists()
        stmt = stmt.where(Application.terminal == true(), Application.closed_at >= since,
                          Application.closed_at < until, ~withdrawn)
    elif basis == "open":
        stmt = stmt.where(Application.submitted_at < until,
                          or_(Application.closed_at.is_(None), Application.closed_at >= until))
    else:
        stmt = stmt.where(Application.paid_at >= since, Application.paid_at < until)
    if service_id:
        stmt = stmt.where(Application.service_id == service_id)
    if agency_id is not None:
        stmt = stmt.where(Application.agency_id == agency_id)
    if branch_id is not None:
        # a case routed before branches existed is its agency's (as the rollups count it)
        stmt = stmt.where(or_(Application.branch_id == branch_id,
                              and_(Application.branch_id.is_(None), Application.agency_id == branch_id)))
    return stmt.order_by(Application.submitted_at.desc(), Application.id.desc())


def cases_behind(db: Session, principal: Principal, *, limit: int, offset: int = 0, **filters: Any) -> \
        tuple[list[CaseRow], int]:
    """A page of :func:`cases_behind_query` (``filters``: its keywords) and how many there are in all."""
    stmt = cases_behind_query(db, principal, **filters)
    total = int(db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    rows = db.execute(stmt.limit(limit).offset(offset)).all()
    return [CaseRow(*row) for row in rows], total
