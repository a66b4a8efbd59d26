"""Check a submission's answers against a definition's form, and show them back.

Cleaning is the one place outside input becomes trusted data: Persian digits become
Latin, Jalali dates become ISO Gregorian, money becomes an integer rial amount, and
answers to questions the applicant never saw (their ``when`` is false) are dropped so
they cannot leak into rules or documents. Every problem is reported at once, each with
the path of its field (``household[2].national_code``; row indexes count from 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from smartgov import digits
from smartgov.digits import jalali_to_gregorian, to_latin_digits
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, format_date, format_number, gettext, localize_digits
from smartgov.identity.nationalcode import is_valid as national_code_is_valid
from smartgov.identity.nationalcode import normalize as normalize_national_code

from .definitions import (
    ChoiceField,
    DocumentSpec,
    FileField,
    FormField,
    GroupField,
    JalaliDateField,
    MoneyField,
    NationalCodeField,
    NumberField,
    ServiceDefinition,
    SubField,
    TextField,
    YesNoField,
)
from .expressions import Expression

MAX_FILE_NAME = 255
_YES = frozenset({"yes", "true", "1", "y", "بله", "آری", "بلی"})
_NO = frozenset({"no", "false", "0", "n", "خیر", "نه"})
JALALI_YEARS = range(1200, 1501)
"""Jalali years we accept; keeps ISO Gregorian text from being misread as a Jalali date."""


def _error(code: str, message: str, path: str, **params: Any) -> DomainError:
    return DomainError(code, message, field=path, **params)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


def is_visible(
    condition: Expression | None,
    variables: Mapping[str, Any],
    today: dt.date,
) -> bool:
    """Whether a conditional question is asked.

    A condition that cannot be evaluated (it reads an earlier answer that is missing or
    invalid) hides the question: the applicant sees it once the earlier answer is fixed.
    """
    if condition is None:
        return True
    try:
        return condition.evaluate_bool(variables, today=today)
    except DomainError:
        return False


# --------------------------------------------------------------------------- per type


def _clean_text(field: TextField, value: Any, path: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _error("text_invalid", N_("Enter text."), path)
    text = str(value).replace("\x00", "").strip()
    if not field.multiline:
        text = " ".join(text.split())
    if field.digits_only:
        text = digits.code(text, path)
        if not digits.is_ascii_digits(text):
            raise _error("text_digits", N_("Use digits only."), path)
    if len(text) < field.min_length:
        raise _error("text_too_short", N_("Enter at least {min} characters."), path, min=field.min_length)
    if len(text) > field.max_length:
        raise _error("text_too_long", N_("Enter no more than {max} characters."), path, max=field.max_length)
    return text


def _parse_decimal(value: Any, path: str) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        return digits.decimal_number(value, path)
    return None


def _clean_number(field: NumberField, value: Any, path: str) -> int | float:
    number = _parse_decimal(value, path)
    if number is None:
        raise _error("number_invalid", N_("Enter a number."), path)
    integral = number == number.to_integral_value()
    if field.integer and not integral:
        raise _error("number_not_whole", N_("Enter a whole number."), path)
    if field.min is not None and number < field.min:
        raise _error("number_too_small", N_("Enter a number of at least {min}."), path, min=_plain(field.min))
    if field.max is not None and number > field.max:
        raise _error("number_too_large", N_("Enter a number of at most {max}."), path, max=_plain(field.max))
    return int(number) if integral else float(number)


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _clean_money(field: MoneyField, value: Any, path: str) -> int:
    number = _parse_decimal(value, path)
    if number is None or number != number.to_integral_value() or number < 0:
        raise _error("money_invalid", N_("Enter an amount in rial as a whole number, like 1500000."), path)
    amount = int(number)
    if amount < field.min:
        raise _error("money_too_small", N_("The amount must be at least {min} rial."), path, min=field.min)
    if field.max is not None and amount > field.max:
        raise _error("money_too_large", N_("The amount must be at most {max} rial."), path, max=field.max)
    return amount


def _clean_date(field: JalaliDateField, value: Any, path: str, today: dt.date) -> str:
    day: dt.date | None = None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str):
        text = digits.to_latin(value, path).strip()
        year = text.replace("-", "/").split("/")[0]
        if len(year) == 4 and digits.is_ascii_digits(year) and int(year) in JALALI_YEARS:
            try:
                day = jalali_to_gregorian(text)
            except ValueError:
                day = None
    if day is None:
        raise _error("date_invalid", N_("Enter a real date in the form 1403/05/12."), path)
    if field.not_in_future and day > today:
        raise _error("date_in_future", N_("The date cannot be in the future."), path)
    if field.not_in_past and day < today:
        raise _error("date_in_past", N_("The date cannot be in the past."), path)
    return day.isoformat()


def _clean_national_code(value: Any, path: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _error("national_code_invalid", N_("Enter a valid 10-digit national code."), path)
    # a JSON number loses leading zeros: 12345679 is the code 0012345679
    code = str(value).zfill(10) if isinstance(value, int) else normalize_national_code(value, path)
    if not national_code_is_valid(code):
        raise _error("national_code_invalid", N_("Enter a valid 10-digit national code."), path)
    return code


def _clean_choice(field: ChoiceField, value: Any, path: str) -> str | list[str]:
    allowed = {o.value for o in field.options}
    if field.multiple:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not all(
            isinstance(v, str) and v in allowed for v in values
        ):
            raise _error("choice_invalid", N_("Choose from the options given."), path)
        chosen = set(values)
        return [o.value for o in field.options if o.value in chosen]  # definition order, no repeats
    if not isinstance(value, str) or value not in allowed:
        raise _error("choice_invalid", N_("Choose one of the options given."), path)
    return value


def _clean_yes_no(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = to_latin_digits(value).strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise _error("yes_no_invalid", N_("Answer yes or no."), path)


def _clean_file(field: FileField | DocumentSpec, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _error("file_invalid", N_("Upload a file."), path)
    name, mime, size = value.get("name"), value.get("mime"), value.get("size")
    if not isinstance(name, str) or not isinstance(mime, str):
        raise _error("file_invalid", N_("Upload a file."), path)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _error("file_invalid", N_("Upload a file."), path)
    # browsers on Windows send full paths; only the last part is the file's name
    name = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()
    if not name or len(name) > MAX_FILE_NAME:
        raise _error("file_invalid", N_("Upload a file."), path)
    if size == 0:
        raise _error("file_empty", N_("The selected file is empty."), path)
    mime = mime.split(";")[0].strip().lower()
    if mime not in field.mime_types:
        raise _error(
            "file_type",
            N_("The file must be one of these types: {types}."),
            path,
            types=", ".join(field.mime_types),
        )
    if size > field.max_size_bytes:
        raise _error(
            "file_too_large",
            N_("The file must be no larger than {limit} KB."),
            path,
            limit=field.max_size_bytes // 1024,
        )
    cleaned: dict[str, Any] = {"name": name, "mime": mime, "size": size}
    ref = value.get("ref")
    if isinstance(ref, str) and 0 < len(ref) <= 200:
        cleaned["ref"] = ref  # the storage key, set by the upload endpoint
    return cleaned


def _clean_value(field: FormField | SubField, value: Any, path: str, today: dt.date) -> Any:
    if isinstance(field, TextField):
        return _clean_text(field, value, path)
    if isinstance(field, NumberField):
        return _clean_number(field, value, path)
    if isinstance(field, MoneyField):
        return _clean_money(field, value, path)
    if isinstance(field, JalaliDateField):
        return _clean_date(field, value, path, today)
    if isinstance(field, NationalCodeField):
        return _clean_national_code(value, path)
    if isinstance(field, ChoiceField):
        return _clean_choice(field, value, path)
    if isinstance(field, YesNoField):
        return _clean_yes_no(value, path)
    if isinstance(field, FileField):
        return _clean_file(field, value, path)
    raise AssertionError(f"unhandled field type {field.type}")  # pragma: no cover


# --------------------------------------------------------------------------- form


def _required(path: str) -> DomainError:
    return _error("required", N_("This field is required."), path)


def _clean_group(
    group: GroupField,
    value: Any,
    answers: dict[str, Any],
    applicant: Mapping[str, Any],
    today: dt.date,
    errors: list[DomainError],
) -> list[dict[str, Any]]:
    rows = [] if _is_blank(value) else value
    if not isinstance(rows, list | tuple) or not all(isinstance(r, Mapping) for r in rows):
        errors.append(_error("group_invalid", N_("Each entry must be a set of answers."), group.name))
        return []
    minimum = max(group.min_items, 1) if group.required else (group.min_items if rows else 0)
    if len(rows) < minimum:
        errors.append(_error("group_too_few", N_("Add at least {min} entries."), group.name, min=minimum))
    if len(rows) > group.max_items:
        errors.append(
            _error("group_too_many", N_("Add no more than {max} entries."), group.name, max=group.max_items)
        )
        return []
    cleaned_rows: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        cleaned: dict[str, Any] = {}
        for sub in group.fields:
            path = f"{group.name}[{index}].{sub.name}"
            variables = {"answers": answers, "applicant": applicant, "row": cleaned}
            if not is_visible(sub.when, variables, today):
                continue
            raw = row.get(sub.name)
            if _is_blank(raw):
                if sub.required:
                    errors.append(_required(path))
                continue
            try:
                cleaned[sub.name] = _clean_value(sub, raw, path, today)
            except DomainError as exc:
                errors.append(exc)
        cleaned_rows.append(cleaned)
    return cleaned_rows


def clean_answers(
    definition: ServiceDefinition,
    answers: Mapping[str, Any],
    *,
    today: dt.date,
    applicant: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Validated, normalized answers, or :class:`ValidationFailed` with one error per field.

    Keys not in the form and answers to hidden questions are dropped; unanswered optional
    questions are left out, except visible groups, which are always a (maybe empty) list.
    """
    if not isinstance(answers, Mapping):
        raise ValidationFailed(
            [_error("answers_invalid", N_("The answers must be a set of fields."), "answers")]
        )
    applicant = applicant or {}
    cleaned: dict[str, Any] = {}
    errors: list[DomainError] = []
    for field in definition.form:
        if not is_visible(field.when, {"answers": cleaned, "applicant": applicant}, today):
            continue
        raw = answers.get(field.name)
        if isinstance(field, GroupField):
            cleaned[field.name] = _clean_group(field, raw, cleaned, applicant, today, errors)
            continue
        if _is_blank(raw):
            if field.required:
                errors.append(_required(field.name))
            continue
        try:
            cleaned[field.name] = _clean_value(field, raw, field.name, today)
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def clean_documents(
    definition: ServiceDefinition,
    uploads: Mapping[str, Any],
    *,
    answers: Mapping[str, Any],
    today: dt.date,
    applicant: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Supporting documents' metadata by document id, checked against the definition's list.

    Errors use the path ``documents.<id>``; documents whose ``when`` is false are dropped.
    """
    if not isinstance(uploads, Mapping):
        raise ValidationFailed(
            [_error("answers_invalid", N_("The answers must be a set of fields."), "documents")]
        )
    variables = {"answers": answers, "applicant": applicant or {}}
    cleaned: dict[str, dict[str, Any]] = {}
    errors: list[DomainError] = []
    for doc in definition.documents:
        if not is_visible(doc.when, variables, today):
            continue
        path = f"documents.{doc.id}"
        raw = uploads.get(doc.id)
        if _is_blank(raw):
            if doc.required:
                errors.append(_required(path))
            continue
        try:
            cleaned[doc.id] = _clean_file(doc, raw, path)
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


# --------------------------------------------------------------------------- check your answers


@dataclass(frozen=True)
class SummaryItem:
    """One line of the "check your answers" page: a question and the answer as shown."""

    name: str
    label: str
    value: str
    rows: tuple[tuple[SummaryItem, ...], ...] = ()


def display_value(field: FormField | SubField, value: Any, lang: str) -> str:
    """An answer as the applicant should read it: Persian digits, Jalali dates, option labels."""
    if value is None:
        return gettext("Not provided", lang)
    if isinstance(field, MoneyField):
        return gettext("{amount} rial", lang, amount=format_number(value, lang))
    if isinstance(field, NumberField):
        return format_number(value, lang) if isinstance(value, int | float) else localize_digits(str(value), lang)
    if isinstance(field, JalaliDateField):
        return format_date(dt.date.fromisoformat(value), lang)
    if isinstance(field, ChoiceField):
        values = value if isinstance(value, list) else [value]
        labels = [opt.label(lang) if (opt := field.option(v)) else v for v in values]
        return ("، " if lang == "fa" else ", ").join(labels)
    if isinstance(field, YesNoField):
        return gettext("Yes", lang) if value else gettext("No", lang)
    if isinstance(field, FileField):
        kb = max(1, -(-int(value["size"]) // 1024))
        return gettext("{name} ({size} KB)", lang, name=value["name"], size=kb)
    return localize_digits(str(value), lang)


def summarize(
    definition: ServiceDefinition,
    cleaned: Mapping[str, Any],
    *,
    lang: str,
    today: dt.date,
    applicant: Mapping[str, Any] | None = None,
) -> list[SummaryItem]:
    """Every question the applicant was asked, with their answer, in form order."""
    applicant = applicant or {}
    items: list[SummaryItem] = []
    for field in definition.form:
        if not is_visible(field.when, {"answers": cleaned, "applicant": applicant}, today):
            continue
        value = cleaned.get(field.name)
        if isinstance(field, GroupField):
            rows = tuple(
                _summarize_row(field, index, row, cleaned, applicant, lang, today)
                for index, row in enumerate(value or [])
            )
            count = gettext("{count} entries", lang, count=len(rows))
            items.append(SummaryItem(field.name, field.label(lang), count, rows))
            continue
        items.append(SummaryItem(field.name, field.label(lang), display_value(field, value, lang)))
    return items


def _summarize_row(
    group: GroupField,
    index: int,
    row: Mapping[str, Any],
    answers: Mapping[str, Any],
    applicant: Mapping[str, Any],
    lang: str,
    today: dt.date,
) -> tuple[SummaryItem, ...]:
    shown: list[SummaryItem] = []
    for sub in group.fields:
        if is_visible(sub.when, {"answers": answers, "applicant": applicant, "row": row}, today):
            path = f"{group.name}[{index}].{sub.name}"
            shown.append(SummaryItem(path, sub.label(lang), display_value(sub, row.get(sub.name), lang)))
    return tuple(shown)
