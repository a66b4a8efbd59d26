"""Answers: a respondent's answers saved and submitted, and responses imported from a file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import clock, digits, events, files
from smartgov.assessment.events import RESPONSE_SUBMITTED, RESPONSES_IMPORTED
from smartgov.assessment.models import AssessmentRound, Invitation, ResponseStatus, RoundStatus, SurveyResponse
from smartgov.errors import Conflict, DomainError, ValidationFailed
from smartgov.i18n import N_

from .invitations import response_for

#: Largest import accepted (bytes); a national survey is far below this.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
IMPORT_LIMITS = files.Limits(max_rows=100_000, max_columns=1_000, max_cells=1_000_000)
"""A round's responses: respondents × items (the file is read by ``smartgov.files``, within these)."""
RESPONDENT_COLUMNS = ("respondent", "respondent_id", "id")


def _likert(value: Any, top: int) -> int | None:
    """A whole number 1..top from a form/JSON/CSV value; ``None`` if blank; ValueError if bad."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("bool")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        typed = digits.decimal_number(text)  # DigitsRefused (a ValueError) for digits of other scripts
        if typed is None:
            raise ValueError("not a number")
        number = float(typed)
    if not np.isfinite(number):
        raise ValueError("not finite")
    if number != round(number) or not 1 <= number <= top:
        raise OverflowError(str(value))
    return int(number)


def save_answers(
    db: Session, rnd: AssessmentRound, inv: Invitation, answers: Mapping[str, Any], *, submit: bool
) -> SurveyResponse:
    """Save progress, or submit (every item answered); submitting uses the invitation up."""
    if rnd.status != RoundStatus.OPEN:
        raise Conflict("round_not_open", N_("This round is not accepting answers."))
    if inv.used_at is not None:
        raise DomainError("invitation_used", N_("This link has already been used to submit answers."), status=410)
    items = rnd.instrument.items
    known = {i.code for i in items}
    errors: list[DomainError] = []
    clean: dict[str, int] = {}
    for code, raw in answers.items():
        if code not in known:
            errors.append(DomainError("unknown_item", N_("Unknown item: {item}."), field=code, item=code))
            continue
        try:
            value = _likert(raw, rnd.instrument.scale_points)
        except digits.DigitsRefused:
            errors.append(digits.DigitsRefused(code))
            continue
        except (ValueError, OverflowError):
            errors.append(
                DomainError(
                    "out_of_range", N_("Choose a value from 1 to {top}."), field=code, top=rnd.instrument.scale_points
                )
            )
            continue
        if value is not None:
            clean[code] = value
    response = response_for(db, inv)
    merged = {**(response.answers if response else {}), **clean}
    if submit and not errors:
        errors = [
            DomainError("required", N_("Answer this statement."), field=i.code) for i in items if i.code not in merged
        ]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    if response is None:
        response = SurveyResponse(
            round_id=rnd.id,
            respondent_key=f"inv-{inv.id}" if rnd.anonymous or not inv.label else inv.label[:80],
            invitation_id=inv.id,
            account_id=None if rnd.anonymous else inv.account_id,
            answers=merged,
            status=ResponseStatus.IN_PROGRESS,
            source="web",
            created_at=now,
            updated_at=now,
        )
        db.add(response)
    response.answers = merged
    response.updated_at = now
    if submit:
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = now
        inv.used_at = now
    db.flush()
    if submit:
        events.publish(db, RESPONSE_SUBMITTED, round_id=rnd.id, response_id=response.id)
    return response


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class CellProblem:
    row: int
    column: str
    error: DomainError


class ImportFailed(ValidationFailed):
    """Every problem of an uploaded file, each at a spreadsheet row (header = row 1) and column."""

    def __init__(self, problems: list[CellProblem]) -> None:
        super().__init__([p.error for p in problems])
        self.problems = problems


def _read_table(filename: str, content: bytes) -> list[list[Any]]:
    if len(content) > MAX_IMPORT_BYTES:
        raise DomainError(
            "file_too_large",
            N_("The file is larger than {mb} MB."),
            field="file",
            status=413,
            mb=MAX_IMPORT_BYTES // (1024 * 1024),
        )
    return files.read_table(filename, content, field="file", limits=IMPORT_LIMITS)


_FOREIGN_DIGITS = N_(
    "Row {row}, column {column}: write the digits with 0–9 or ۰–۹; digits of other scripts are not accepted.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def add_imported(db: Session, rnd: AssessmentRound, rows: Iterable[tuple[str, dict[str, int]]]) -> None:
    """Store ``(respondent key, answers)`` rows, already checked, as responses submitted by import."""
    now = clock.now()
    for key, answers in rows:
        db.add(
            SurveyResponse(
                round_id=rnd.id,
                respondent_key=key,
                answers=answers,
                status=ResponseStatus.SUBMITTED,
                source="import",
                created_at=now,
                updated_at=now,
                submitted_at=now,
            )
        )
    db.flush()


def import_responses(db: Session, rnd: AssessmentRound, filename: str, content: bytes) -> int:
    """Add submitted responses from CSV/XLSX: one row per respondent, a ``respondent`` column and
    one column per item code. All cells are checked first; on any problem nothing is stored."""
    if rnd.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", N_("This round is closed."))
    rows = [r for r in _read_table(filename, content) if any(_cell(v) for v in r)]
    if not rows:
        raise DomainError("file_empty", N_("The file is empty."), field="file")
    header = [_cell(h) for h in rows[0]]
    items = {i.code for i in rnd.instrument.items}
    top = rnd.instrument.scale_points
    problems: list[CellProblem] = []

    def problem(row: int, column: str, code: str, message: str, **params: Any) -> None:
        problems.append(
            CellProblem(row, column, DomainError(code, message, field=column, row=row, column=column, **params))
        )

    id_col = next((i for i, h in enumerate(header) if h.lower() in RESPONDENT_COLUMNS), None)
    if id_col is None:
        problem(1, "respondent", "no_respondent_column", N_("Row {row}: the file has no {column} column."))
    columns: dict[int, str] = {}
    for i, name in enumerate(header):
        if i == id_col:
            continue
        if name in items:
            if name in columns.values():
                problem(1, name, "duplicate_column", N_("Row {row}, column {column}: the column appears twice."))
            columns[i] = name
        else:
            problem(
                1,
                name or f"#{i + 1}",
                "unknown_item",
                N_("Row {row}, column {column}: there is no item with this code in the questionnaire."),
            )
    for code in sorted(items - set(columns.values())):
        problem(1, code, "missing_column", N_("Row {row}, column {column}: this item's column is missing."))
    existing = set(db.scalars(select(SurveyResponse.respondent_key).where(SurveyResponse.round_id == rnd.id)))
    seen: dict[str, int] = {}
    parsed: list[tuple[str, dict[str, int]]] = []
    for number, row in enumerate(rows[1:], start=2):
        key = _cell(row[id_col]) if id_col is not None and id_col < len(row) else ""
        try:
            key, foreign = digits.to_latin(key)[:80], False
        except digits.DigitsRefused:
            key, foreign = key[:80], True
        if id_col is not None:
            if foreign:
                problem(number, header[id_col], "digits_script", _FOREIGN_DIGITS)
            elif not key:
                problem(
                    number, header[id_col], "no_respondent", N_("Row {row}, column {column}: the respondent is empty.")
                )
            elif key in seen:
                problem(
                    number,
                    header[id_col],
                    "duplicate_respondent",
                    N_("Row {row}, column {column}: respondent {respondent} already appears in row {first}."),
                    respondent=key,
                    first=seen[key],
                )
            elif key in existing:
                problem(
                    number,
                    header[id_col],
                    "respondent_exists",
                    N_("Row {row}, column {column}: respondent {respondent} already has answers in this round."),
                    respondent=key,
                )
            seen.setdefault(key, number)
        answers: dict[str, int] = {}
        for i, code in columns.items():
            raw = row[i] if i < len(row) else None
            try:
                value = _likert(raw, top)
            except digits.DigitsRefused:
                problem(number, code, "digits_script", _FOREIGN_DIGITS)
                continue
            except ValueError:
                problem(number, code, "not_numeric", N_("Row {row}, column {column}: the value is not a number."))
                continue
            except OverflowError:
                problem(
                    number,
                    code,
                    "out_of_range",
                    N_("Row {row}, column {column}: {value} is not a whole number from 1 to {top}."),
                    value=_cell(raw),
                    top=top,
                )
                continue
            if value is not None:
                answers[code] = value
        parsed.append((key, answers))
    if problems:
        raise ImportFailed(problems)
    if not parsed:
        raise DomainError("file_empty", N_("The file is empty."), field="file")
    add_imported(db, rnd, parsed)
    events.publish(db, RESPONSES_IMPORTED, round_id=rnd.id, count=len(parsed))
    return len(parsed)


def counts(db: Session, rnd: AssessmentRound) -> dict[str, int]:
    rows = db.execute(
        select(SurveyResponse.status, func.count())
        .where(SurveyResponse.round_id == rnd.id)
        .group_by(SurveyResponse.status)
    ).all()
    found = {str(status): int(n) for status, n in rows}
    return {
        "submitted": found.get(ResponseStatus.SUBMITTED, 0),
        "in_progress": found.get(ResponseStatus.IN_PROGRESS, 0),
    }
