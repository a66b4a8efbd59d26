"""The engine's part of a person's home page: what waits on the applicant, their cases and
documents; for staff, their inbox's counts and the cases whose time runs out first.

Reads only the engine's own tables, scoped to the caller: an applicant's own cases (by account),
an official's branches (``permissions.branch_scope``), exactly as the inbox and "my applications" do.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.i18n import format_number, get_language, gettext
from smartgov.identity import Principal, Role
from smartgov.web.panels import Figure, Panel, Row

from . import cases, permissions
from .applicants import drafts_of
from .catalog import definition_of
from .models import Application, Definition, InfoRequest, Invoice, InvoiceStatus, IssuedDocument
from .workflow import Workflow

#: Cases whose state's deadline falls within this window are "at risk" on an official's home.
AT_RISK = dt.timedelta(hours=24)
SHOWN = 5


def _titles(db: Session, definition_ids: set[int]) -> dict[int, tuple[str, Workflow]]:
    """Each definition version's title in the page's language and its workflow (state names)."""
    lang = get_language()
    found: dict[int, tuple[str, Workflow]] = {}
    if definition_ids:
        for row in db.scalars(select(Definition).where(Definition.id.in_(definition_ids))):
            defn = definition_of(row)
            found[row.id] = (defn.title(lang), Workflow.from_definition(defn))
    return found


def _state(workflow: Workflow, state: str) -> str:
    s = workflow.state(state)
    return s.label_fa if get_language() == "fa" else s.label_en


def _applicant_panels(db: Session, principal: Principal) -> list[Panel]:
    apps = list(db.scalars(cases.my_applications_query(principal).limit(50)))
    drafts = drafts_of(db, principal.id)
    titles = _titles(db, {a.definition_id for a in apps} | {d.definition_id for d in drafts})
    ids = [a.id for a in apps]
    asked = {r.application_id: r for r in db.scalars(
        select(InfoRequest).where(InfoRequest.application_id.in_(ids or [-1]), InfoRequest.answered_at.is_(None)))}
    due = {i.application_id: i for i in db.scalars(
        select(Invoice).where(Invoice.application_id.in_(ids or [-1]), Invoice.status == InvoiceStatus.OPEN))}
    todo: list[Row] = []
    rows: list[Row] = []
    for a in apps:
        title, workflow = titles[a.definition_id]
        href = f"/services/applications/{a.reference}"
        if a.id in asked and not a.terminal:
            todo.append(Row(gettext("Answer the question about your application: {title}", title=title), href,
                            identifier=a.reference, when=asked[a.id].requested_at,
                            when_label=gettext("Asked on"), tone="warn"))
        if a.id in due and not a.terminal:
            invoice = due[a.id]
            todo.append(Row(gettext("Pay {amount} rial for {title}", amount=format_number(invoice.amount),
                                    title=title), f"{href}/pay", identifier=invoice.number, when=invoice.created_at,
                            when_label=gettext("Invoice of"), tone="warn"))
        if len(rows) < SHOWN:
            rows.append(Row(title, href, identifier=a.reference, status=_state(workflow, a.state),
                            when=a.submitted_at, when_label=gettext("Sent on"),
                            tone="ok" if a.terminal else ""))
    for d in drafts:
        title = titles[d.definition_id][0]
        todo.append(Row(gettext("Finish your application: {title}", title=title), f"/services/{d.service_id}/apply",
                        when=d.updated_at, when_label=gettext("Saved on")))
    documents = list(db.scalars(select(IssuedDocument).where(IssuedDocument.application_id.in_(ids or [-1]))
                                .order_by(IssuedDocument.issued_at.desc()).limit(SHOWN)))
    lang = get_language()
    doc_rows = [Row(str(doc.payload.get(f"title_{lang}") or doc.payload.get("title_en") or ""),
                    f"/api/v1/services/documents/{doc.id}/pdf", identifier=doc.id, when=doc.issued_at,
                    when_label=gettext("Issued on")) for doc in documents]
    return [
        Panel("applications", gettext("Your applications"), rows, todo,
              empty=gettext("You have not applied for anything yet."), more_href="/services/applications",
              more_text=gettext("All your applications"), order=20),
        Panel("documents", gettext("Your documents"), doc_rows,
              empty=gettext("No document has been issued to you yet."), order=30),
    ]


def _official_panel(db: Session, principal: Principal) -> Panel:
    scope = permissions.branch_scope(db, principal)
    now = clock.now()
    open_cases = select(Application).where(Application.terminal == false())
    if scope is not None:
        open_cases = open_cases.where(Application.branch_id.in_(scope or {-1}))
    sub = open_cases.subquery()

    def count(*conditions: object) -> int:
        return int(db.scalar(select(func.count()).select_from(sub).where(*conditions)) or 0)

    late = count(sub.c.sla_deadline < now)
    at_risk = count(and_(sub.c.sla_deadline >= now, sub.c.sla_deadline < now + AT_RISK))
    figures = [
        Figure(gettext("Open cases"), count(), "/services/inbox"),
        Figure(gettext("Assigned to you"), count(sub.c.assignee_id == principal.id), "/services/inbox?mine=1"),
        Figure(gettext("Past their deadline"), late, "/services/inbox?breached=yes", tone="warn" if late else ""),
        Figure(gettext("Due within a day"), at_risk, "/services/inbox?sort=deadline", tone="warn" if at_risk else ""),
    ]
    urgent = list(db.scalars(open_cases.where(Application.sla_deadline < now + AT_RISK)
                             .order_by(Application.sla_deadline, Application.id).limit(SHOWN)))
    titles = _titles(db, {a.definition_id for a in urgent})
    rows = [Row(titles[a.definition_id][0], f"/services/inbox/{a.reference}", identifier=a.reference,
                status=_state(titles[a.definition_id][1], a.state), when=a.sla_deadline,
                when_label=gettext("Deadline"), tone="warn") for a in urgent]
    return Panel("inbox", gettext("Your inbox"), rows, figures=figures,
                 empty=gettext("No case is late or due within a day."), more_href="/services/inbox",
                 more_text=gettext("Open the inbox"), order=10)


def home_panel(db: Session, principal: Principal) -> list[Panel]:
    """The engine's panels for ``principal``: an applicant's cases and documents, a case worker's inbox."""
    panels: list[Panel] = []
    if principal.roles & {Role.CITIZEN, Role.EMPLOYER}:
        panels += _applicant_panels(db, principal)
    if permissions.can_use_inbox(principal):
        panels.append(_official_panel(db, principal))
    return panels
