"""Iranian national code (کد ملی): ten digits whose last digit is a check digit.

The canonical form, the one stored and compared, is ten ASCII digits; :func:`normalize` is the
only way a typed code becomes it (``smartgov.digits`` decides which scripts are accepted).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo

from smartgov import digits
from smartgov.errors import DomainError
from smartgov.i18n import N_


def normalize(value: str, field: str = "national_code") -> str:
    """The code as stored: accepted digits as ASCII, spaces, dashes and invisible marks dropped.

    Raises ``digits.DigitsRefused`` (422 on ``field``) for digits of any other script.
    """
    return digits.code(value, field)


def is_valid(value: str) -> bool:
    """Check digit rule: s = Σ d[i]·(10-i) for i<9; r = s mod 11; check = r if r<2 else 11-r.

    Codes made of one repeated digit pass the arithmetic but are never issued. A code written
    with digits of a script we do not accept is not valid (never a crash).
    """
    try:
        code = normalize(value)
    except digits.DigitsRefused:
        return False
    if len(code) != 10 or not digits.is_ascii_digits(code) or len(set(code)) == 1:
        return False
    return _check_digit(code[:9]) == code[9]


def _check_digit(prefix9: str) -> str:
    s = sum(int(prefix9[i]) * (10 - i) for i in range(9))
    r = s % 11
    return str(r if r < 2 else 11 - r)


def make(prefix9: str) -> str:
    """Complete nine digits with their check digit (for demo data and tests)."""
    if len(prefix9) != 9 or not digits.is_ascii_digits(prefix9):
        raise ValueError(prefix9)
    return prefix9 + _check_digit(prefix9)


def check(value: str, field: str = "national_code") -> str:
    """The canonical code of a typed one, or a 422 naming ``field``."""
    code = normalize(value, field)
    if not is_valid(code):
        raise DomainError(
            "invalid_national_code",
            N_("The national code is not valid: it must be 10 digits with a correct check digit."),
            field=field,
            status=422,
        )
    return code


def _validate(value: Any, info: ValidationInfo) -> Any:
    return check(value, info.field_name or "national_code") if isinstance(value, str) else value


NationalCode = Annotated[str, BeforeValidator(_validate)]
"""A national code in a JSON body or query: stored as ten ASCII digits, refused (422) otherwise."""
