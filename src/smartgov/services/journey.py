"""How a form is split into question pages, and what the applicant has answered so far.

Pure: the pages of the journey follow from the definition alone. A question whose ``when``
reads an answer on the same page starts a new page, so conditions work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smartgov.errors import DomainError

from .definitions import FormField, GroupField, ServiceDefinition
from .forms import _clean_value, is_visible

MAX_FIELDS_PER_PAGE = 4
DOCUMENTS_PAGE = "documents"


@dataclass(frozen=True)
class QuestionPage:
    """One page of questions (``fields``), or the supporting-documents page (``documents``)."""

    number: int
    fields: tuple[FormField, ...] = ()
    documents: bool = False

    @property
    def names(self) -> set[str]:
        return {f.name for f in self.fields} | ({DOCUMENTS_PAGE} if self.documents else set())


def question_pages(defn: ServiceDefinition) -> list[QuestionPage]:
    """The journey's pages, numbered from 1; groups get a page of their own."""
    chunks: list[list[FormField]] = []
    current: list[FormField] = []
    for fld in defn.form:
        reads = {p.parts[1] for p in fld.when.paths if p.parts[0] == "answers" and len(p.parts) > 1} \
            if fld.when else set()
        starts_new = (
            len(current) >= MAX_FIELDS_PER_PAGE
            or isinstance(fld, GroupField)
            or any(isinstance(c, GroupField) for c in current)
            or bool(reads & {c.name for c in current})
        )
        if current and starts_new:
            chunks.append(current)
            current = []
        current.append(fld)
    if current:
        chunks.append(current)
    pages = [QuestionPage(i + 1, tuple(chunk)) for i, chunk in enumerate(chunks)]
    if defn.documents:
        pages.append(QuestionPage(len(pages) + 1, (), documents=True))
    return pages


def lenient_answers(defn: ServiceDefinition, raw: Mapping[str, Any], *, applicant: Mapping[str, Any],
                    today: dt.date) -> dict[str, Any]:
    """The answers that are valid so far (others left out): enough to decide which questions show."""
    cleaned: dict[str, Any] = {}
    for fld in defn.form:
        if not is_visible(fld.when, {"answers": cleaned, "applicant": applicant}, today):
            continue
        value = raw.get(fld.name)
        if value in (None, "", []):
            continue
        if isinstance(fld, GroupField):
            cleaned[fld.name] = value if isinstance(value, list) else []
            continue
        try:
            cleaned[fld.name] = _clean_value(fld, value, fld.name, today)
        except DomainError:
            continue
    return cleaned


def page_is_shown(page: QuestionPage, defn: ServiceDefinition, answers: Mapping[str, Any],
                  applicant: Mapping[str, Any], today: dt.date) -> bool:
    """A page is skipped when every question on it is hidden (or, for documents, none applies)."""
    variables = {"answers": answers, "applicant": applicant}
    if page.documents:
        return any(is_visible(d.when, variables, today) for d in defn.documents)
    return any(is_visible(f.when, variables, today) for f in page.fields)


def page_of_field(pages: list[QuestionPage], path: str) -> QuestionPage | None:
    """The page asking the question an error path (``household[1].name``, ``documents.x``) points at."""
    root = path.split("[", 1)[0].split(".", 1)[0]
    for page in pages:
        if root in page.names:
            return page
    return None
