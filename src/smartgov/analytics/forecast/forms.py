"""Reading the admins' forms (a scenario's assumptions, a holiday) into validated values, every
refusal a localized message naming its field."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from smartgov import digits
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_

from .fund import Assumptions, MortalityBand

BP = 10_000
CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
# form field → (assumption, kind): "bp" is typed in percent, "int" a whole number, "signed" may be negative
ASSUMPTION_FIELDS: dict[str, tuple[str, str]] = {
    "start_year": ("start_year", "int"), "years": ("years", "int"),
    "opening_balance": ("opening_balance", "signed"),
    "employer_rate": ("employer_rate_bp", "bp"), "insured_rate": ("insured_rate_bp", "bp"),
    "government_rate": ("government_rate_bp", "bp"),
    "retirement_age_shift": ("retirement_age_shift", "signed"),
    "wage_growth": ("wage_growth_bp", "bp"), "inflation": ("inflation_bp", "bp"), "return_rate": ("return_bp", "bp"),
    "entrants_per_year": ("entrants_per_year", "int"), "entry_age": ("entry_age", "int"),
    "entry_wage": ("entry_wage", "int"),
}
FIELD_OF = {name: field for field, (name, _k) in ASSUMPTION_FIELDS.items()}


def form_values(a: Assumptions) -> dict[str, str]:
    """An assumption set as the form shows it (percent for rates, the life table one band a line)."""
    out: dict[str, str] = {}
    for field, (name, kind) in ASSUMPTION_FIELDS.items():
        value = getattr(a, name)
        out[field] = str(Decimal(value) / 100) if kind == "bp" else str(value)
    out["mortality"] = "\n".join(f"{b.age_from} {b.q}" for b in a.mortality)
    return out


def _number(text: str, field: str, kind: str) -> int:
    value = digits.decimal_number(text.strip(), field) if text.strip() else None
    if value is None:
        raise DomainError("number_invalid", N_("Enter a number."), field=field, status=422)
    if kind == "bp":
        scaled = value * 100
        if scaled != scaled.to_integral_value():
            raise DomainError("too_precise", N_("Enter a percentage with at most two decimals."), field=field,
                              status=422)
        return int(scaled)
    if value != value.to_integral_value():
        raise DomainError("whole_number", N_("Enter a whole number."), field=field, status=422)
    if kind == "int" and value < 0:
        raise DomainError("negative", N_("Enter zero or more."), field=field, status=422)
    if abs(value) > 10**18:
        raise DomainError("too_large", N_("The number is too large."), field=field, status=422)
    return int(value)


def _mortality(text: str) -> list[dict[str, Any]]:
    bands = []
    for line in text.strip().splitlines():
        parts = digits.to_latin(line, "mortality").replace(",", " ").split()
        if not parts:
            continue
        age = digits.integer(parts[0], "mortality") if len(parts) == 2 else None
        q = digits.decimal_number(parts[1], "mortality") if len(parts) == 2 else None
        if age is None or q is None or not 0 <= q <= 1:
            raise DomainError("life_table_invalid", N_("Each line of the life table is an age and a probability "
                                                       "of death between 0 and 1, like: 60 0.01"),
                              field="mortality", status=422)
        bands.append({"age_from": age, "q": float(q)})
    return bands


def read_assumptions(form: dict[str, str]) -> Assumptions:
    """The posted assumptions, validated by :class:`Assumptions`; every error names its field."""
    errors: list[DomainError] = []
    data: dict[str, Any] = {}
    for field, (name, kind) in ASSUMPTION_FIELDS.items():
        try:
            data[name] = _number(form.get(field, ""), field, kind)
        except DomainError as exc:
            errors.append(exc)
    try:
        data["mortality"] = [MortalityBand(**b) for b in _mortality(form.get("mortality", ""))]
    except (DomainError, ValidationError) as exc:
        errors.append(exc if isinstance(exc, DomainError) else DomainError(
            "life_table_invalid", N_("Each line of the life table is an age and a probability of death between 0 "
                                     "and 1, like: 60 0.01"), field="mortality", status=422))
    if errors:
        raise ValidationFailed(errors)
    try:
        return Assumptions(**data)
    except ValidationError as exc:
        raise ValidationFailed([_refusal(e) for e in exc.errors()]) from None


def _refusal(error: Any) -> DomainError:
    loc = error.get("loc") or ()
    name = str(loc[0]) if loc else ""
    if name == "mortality" or "life table" in error.get("msg", ""):
        return DomainError("life_table_invalid", N_("The life table starts at age 0 and its ages increase."),
                           field="mortality", status=422)
    if "rates add up" in error.get("msg", ""):
        return DomainError("rates_too_high", N_("The contribution rates add up to more than 100 %."),
                           field="employer_rate", status=422)
    return DomainError("out_of_range", N_("This value is outside the accepted range."),
                       field=FIELD_OF.get(name, name or None), status=422)


def read_text(form: dict[str, str], field: str, *, most: int = 120) -> str:
    value = (form.get(field) or "").strip()
    if not value:
        raise DomainError("required", N_("This field is required."), field=field, status=422)
    if len(value) > most:
        raise DomainError("too_long", N_("At most {most} characters."), field=field, status=422, most=most)
    return value


def read_day(form: dict[str, str], field: str = "day") -> dt.date:
    text = (form.get(field) or "").strip()
    try:
        return digits.date(text, field)
    except ValueError:
        raise DomainError("date_invalid", N_("Enter a date like 1404/01/01."), field=field, status=422) from None
