"""Surveys: the reusable part other modules use (services' satisfaction survey, for one)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import events
from smartgov.db import scalar_or_not_found
from smartgov.errors import Conflict, DomainError
from smartgov.i18n import N_
from smartgov.identity import AccountRef
from smartgov.participation.events import SURVEY_RESPONSE_SUBMITTED
from smartgov.participation.models import Survey, SurveyResponse

from .common import checked_text, now, today

QUESTION_KINDS = ("single", "multi", "scale", "text")


def define_survey(db: Session, *, key: str, title_fa: str, title_en: str, questions: Sequence[dict[str, Any]],
                  anonymous: bool = True) -> Survey:
    """Create the survey ``key`` or update it while it has no answers (idempotent for module start-up).

    A question is ``{"key", "kind": single|multi|scale|text, "text_fa", "text_en", "options":
    [{"fa", "en"}, …] (single/multi), "required": bool}``; scale questions take 1–5.
    """
    for i, q in enumerate(questions):
        if q.get("kind") not in QUESTION_KINDS or not q.get("key"):
            raise DomainError("invalid_question", N_("Choose one of the allowed values."), field=f"questions.{i}")
        if q["kind"] in ("single", "multi") and len(q.get("options", [])) < 2:
            raise DomainError("few_options", N_("Give at least two options."), field=f"questions.{i}.options")
    survey = db.scalar(select(Survey).where(Survey.key == key))
    if survey is None:
        survey = Survey(key=key, title_fa=title_fa, title_en=title_en, anonymous=anonymous,
                        questions=list(questions), created_at=now())
        db.add(survey)
    elif survey.questions != list(questions):
        if db.scalar(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id).limit(1)):
            raise Conflict("survey_answered", N_("This survey already has answers; define a new one instead."))
        survey.questions = list(questions)
        survey.title_fa, survey.title_en, survey.anonymous = title_fa, title_en, anonymous
    db.flush()
    return survey


def survey_by_key(db: Session, key: str) -> Survey:
    return scalar_or_not_found(db, select(Survey).where(Survey.key == key), "survey")


def submit_survey(db: Session, key: str, answers: dict[str, Any], *, account: AccountRef | None = None,
                  subject_ref: str | None = None, language: str = "fa") -> SurveyResponse:
    """Validate and store one response; anonymous surveys never store who answered."""
    survey = survey_by_key(db, key)
    clean: dict[str, Any] = {}
    for q in survey.questions:
        value = answers.get(q["key"])
        field = f"answers.{q['key']}"
        if value in (None, "", []):
            if q.get("required"):
                raise DomainError("required", N_("This field is required."), field=field)
            continue
        n_opts = len(q.get("options", []))
        try:
            if q["kind"] == "single":
                value = int(value)
                ok = 0 <= value < n_opts
            elif q["kind"] == "multi":
                value = sorted({int(v) for v in value})
                ok = all(0 <= v < n_opts for v in value)
            elif q["kind"] == "scale":
                value = int(value)
                ok = 1 <= value <= 5
            else:
                value = checked_text(str(value), field, min_len=1, max_len=2000)
                ok = True
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise DomainError("invalid_answer", N_("This value is not valid."), field=field)
        clean[q["key"]] = value
    unknown = set(answers) - {q["key"] for q in survey.questions}
    if unknown:
        raise DomainError("unknown_question", N_("This value is not valid."), field=f"answers.{sorted(unknown)[0]}")
    response = SurveyResponse(
        survey_id=survey.id, person_id=None if survey.anonymous or account is None else account.person_id,
        subject_ref=subject_ref, answers=clean, language=language if language in ("fa", "en") else "fa",
        submitted_on=today(),
    )
    db.add(response)
    db.flush()
    events.publish(db, SURVEY_RESPONSE_SUBMITTED, survey=key, subject_ref=subject_ref)
    return response


def survey_summary(db: Session, key: str, *, subject_ref: str | None = None) -> dict[str, Any]:
    """Counts per option, mean of scales and the number of text answers (never the texts themselves)."""
    survey = survey_by_key(db, key)
    stmt = select(SurveyResponse.answers).where(SurveyResponse.survey_id == survey.id)
    if subject_ref is not None:
        stmt = stmt.where(SurveyResponse.subject_ref == subject_ref)
    rows = list(db.scalars(stmt))
    out: dict[str, Any] = {"key": key, "responses": len(rows), "questions": {}}
    for q in survey.questions:
        values = [r[q["key"]] for r in rows if q["key"] in r]
        if q["kind"] == "single":
            counts = Counter(values)
            summary: dict[str, Any] = {"counts": [counts.get(i, 0) for i in range(len(q["options"]))]}
        elif q["kind"] == "multi":
            counts = Counter(v for vs in values for v in vs)
            summary = {"counts": [counts.get(i, 0) for i in range(len(q["options"]))]}
        elif q["kind"] == "scale":
            summary = {"mean": round(sum(values) / len(values), 2) if values else None,
                       "counts": [values.count(i) for i in range(1, 6)]}
        else:
            summary = {"answered": len(values)}
        out["questions"][q["key"]] = {"kind": q["kind"], "answered": len(values), **summary}
    return out
