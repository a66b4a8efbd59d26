"""Iranian national code (کد ملی): ten digits whose last digit is a check digit."""

from __future__ import annotations

from smartgov.i18n import to_latin_digits


def normalize(value: str) -> str:
    """Strip spaces and dashes and accept Persian digits."""
    return to_latin_digits(value).replace("-", "").replace(" ", "").strip()


def is_valid(value: str) -> bool:
    """Check digit rule: s = Σ d[i]·(10-i) for i<9; r = s mod 11; check = r if r<2 else 11-r.

    Codes made of one repeated digit pass the arithmetic but are never issued.
    """
    code = normalize(value)
    if len(code) != 10 or not code.isdigit() or len(set(code)) == 1:
        return False
    s = sum(int(code[i]) * (10 - i) for i in range(9))
    r = s % 11
    check = r if r < 2 else 11 - r
    return int(code[9]) == check


def make(prefix9: str) -> str:
    """Complete nine digits with their check digit (for demo data and tests)."""
    if len(prefix9) != 9 or not prefix9.isdigit():
        raise ValueError(prefix9)
    s = sum(int(prefix9[i]) * (10 - i) for i in range(9))
    r = s % 11
    return prefix9 + str(r if r < 2 else 11 - r)
