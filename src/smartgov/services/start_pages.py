"""A service's start page, and "check before you fill": who cannot apply is told why before the form.

Two kinds of reason, both said on the start page and neither opening the long form:

* from facts the platform knows (rules over ``applicant.*`` and a domain module's
  ``register_eligibility_check``, e.g. the pension's age and contribution record);
* from answers: the questions the definition's eligibility rules read are asked first, on the
  start page, and judged at once by the same rules submission applies.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from smartgov import clock, identity
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.web.deps import AccountPrincipal, DbSession, OptionalPrincipal
from smartgov.web.forms import PostedForm
from smartgov.web.templating import render

from . import journey, service
from .definitions import ChoiceField, FormField, GroupField, ServiceDefinition
from .eligibility import failed_rules

router = APIRouter(include_in_schema=False)


def eligibility_questions(defn: ServiceDefinition) -> list[FormField]:
    """The questions an eligibility rule reads (always shown, not groups), in form order."""
    read = {p.parts[1] for rule in defn.eligibility for p in rule.rule.paths
            if p.parts[0] == "answers" and len(p.parts) > 1}
    return [f for f in defn.form if f.name in read and f.when is None and not isinstance(f, GroupField)]


def _rules_over(defn: ServiceDefinition, names: set[str]) -> set[str]:
    """Rules that read answers, and only answers among ``names`` (judged once those are given)."""
    out = set()
    for rule in defn.eligibility:
        read = {p.parts[1] for p in rule.rule.paths if p.parts[0] == "answers" and len(p.parts) > 1}
        if read and read <= names:
            out.add(rule.id)
    return out


def _known(db: Session, principal: Any, defn: ServiceDefinition) -> tuple[list[str], dict[str, Any], Any]:
    """Reasons known before any answer, the answers the platform can fill in, and the business applying."""
    try:
        org = service.applicant_organization(principal, defn, None, db)
        problems = [p.localized() for p in service.eligibility_problems(db, principal.account, defn, None, org)]
    except DomainError as exc:
        return [exc.localized()], {}, None
    return problems, service.applicant_context(db, principal.account, defn, org).answers, org


def cannot_apply(db: Session, principal: Any, defn: ServiceDefinition) -> bool:
    """Whether known facts already rule the caller out (the form is then not opened)."""
    return bool(_known(db, principal, defn)[0])


def _start(request: Request, db: Session, principal: Any, service_id: str, *, errors: dict[str, str] | None = None,
           answered: dict[str, Any] | None = None, refused: list[str] | None = None,
           status_code: int = 200) -> HTMLResponse:
    row = service.published(db, service_id)
    defn = service.definition_of(row)
    problems: list[str] = []
    draft, questions, values = None, [], dict(answered or {})
    if principal is not None:
        problems, known, _org = _known(db, principal, defn)
        draft = service.get_draft(db, principal.account, service_id)
        given = {**known, **(draft.answers if draft else {})}
        questions = [] if problems else [q for q in eligibility_questions(defn) if given.get(q.name) in (None, "")
                                         or q.name in values]
        for q in questions:
            values.setdefault(q.name, given.get(q.name))
        db.commit()  # keeps the exchange message log and the who-read-my-data records of the check
    return render(request, "services/start.html", {
        "row": row, "defn": defn, "agency": identity.organization_view(db, row.agency_id),
        "problems": problems + (refused or []), "draft": draft, "fee": defn.fee, "questions": questions,
        "errors": errors or {}, "values": values,
    }, status_code=status_code)


@router.post("/services/{service_id}/eligibility")
def answer_eligibility(service_id: str, request: Request, db: DbSession, principal: AccountPrincipal,
                       form: PostedForm) -> Response:
    """The questions eligibility depends on, answered first: refused at once with the reason, or on to the form."""
    defn = service.definition_of(service.published(db, service_id))
    problems, known, _org = _known(db, principal, defn)
    if problems:
        db.commit()
        return RedirectResponse(f"/services/{service_id}", status_code=303)
    questions = eligibility_questions(defn)
    raw = {q.name: form.get(q.name, "") for q in questions if not (isinstance(q, ChoiceField) and q.multiple)}
    facts = service.applicant_context(db, principal.account, defn, _org).applicant
    today = clock.today()
    cleaned = journey.lenient_answers(defn, {**known, **raw}, applicant=facts, today=today)
    missing = [DomainError("required", N_("Answer this question."), field=q.name) for q in questions
               if q.name in raw and q.name not in cleaned]
    if missing:
        db.commit()
        return _start(request, db, principal, service_id, errors={e.field or "_form": e.localized() for e in missing},
                      answered=raw, status_code=422)
    judged = _rules_over(defn, set(cleaned))
    refused = [f.localized() for f in failed_rules(defn, cleaned, today=today, applicant=facts) if f.rule.id in judged]
    service.save_draft(db, principal.account, service_id, {**known, **raw})  # kept either way: they may change it
    db.commit()
    if refused:
        return _start(request, db, principal, service_id, answered=raw, refused=refused, status_code=422)
    return RedirectResponse(f"/services/{service_id}/apply/1", status_code=303)


# --------------------------------------------------------------------------- start page (mounted last: a catch-all)


@router.get("/services/{service_id}", response_class=HTMLResponse)
def start_page(service_id: str, request: Request, db: DbSession, principal: OptionalPrincipal) -> HTMLResponse:
    """What the service is, what it costs, and whether the caller can use it, before any form."""
    return _start(request, db, principal, service_id)
