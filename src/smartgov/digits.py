"""Digits as people type them, turned into the one form the platform stores and compares.

Every digit-bearing value that comes from outside — a national code, phone, postal or workshop
code, an amount, a typed date — passes through this module once, at the edge (forms, JSON
bodies, query strings, CSV/XLSX cells, SMS, exchange envelopes), so that one person, one amount
or one day has exactly one spelling inside: ASCII ``0-9``.

Which digits are accepted, and why:

* **Accepted and mapped** to ASCII: Latin ``0-9``, Persian ``۰-۹`` (U+06F0..U+06F9, what a
  Persian keyboard types) and Arabic-Indic ``٠-٩`` (U+0660..U+0669, what an Arabic keyboard
  and many phones type). These are the scripts people here write digits in.
* **Refused** with a 422 naming the field (:class:`DigitsRefused`): every other character Unicode
  gives a numeric value — fullwidth digits (U+FF10..), Devanagari and the ~65 other decimal
  (``Nd``) scripts, superscripts and subscripts, circled and parenthesized digits, Roman numerals,
  fractions, CJK numerals. Nobody here types them on purpose; Python's ``str.isdigit``/``int``
  accept many of them, so mapping or passing them on let one national code be written many ways
  (a second person) and let ``int('²')`` crash a request. Refusing is the safe answer: the
  person sees which field to retype.
* **Dropped** wherever digits are read: invisible marks that copying from right-to-left text
  carries along — LRM/RLM/ALM, the bidi embeddings, overrides and isolates, zero-width space,
  ZWNJ, ZWJ, word joiner, BOM, soft hyphen. They never change a value, so they are removed,
  never refused.
* In **identifiers** (codes made only of digits) spaces of any kind and dashes are dropped too:
  people group digits (``001-234567-9``, ``0912 123 4567``).

The pydantic types at the bottom (``Amount``, ``Phone``, ``PostalCode``, ``DigitCode``, ``Date``)
apply the same functions to JSON bodies and query strings; ``identity.NationalCode`` adds the
check digit. A refusal raised inside a pydantic validator keeps its code and localized message
(``web.errors``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any

import jdatetime
from pydantic import BeforeValidator, ValidationInfo

from smartgov.errors import DomainError
from smartgov.i18n import N_

ACCEPTED_ZEROS = ("0", "\u06f0", "\u0660")
"""The zero of each script we accept: Latin, Persian (Extended Arabic-Indic), Arabic-Indic."""

LATIN = {ord(zero) + i: ord("0") + i for zero in ACCEPTED_ZEROS[1:] for i in range(10)}
"""``str.translate`` table: Persian and Arabic-Indic digits to ASCII (free text keeps everything else)."""

INVISIBLE = frozenset(
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
"""Invisible marks (soft hyphen, bidi marks/embeddings/isolates, zero-width characters, BOM) dropped from digits."""

_TABLE = {**LATIN, **dict.fromkeys(map(ord, INVISIBLE))}
_GROUPING = re.compile(r"[\s,\u066c'_]+")  # thousands separators: 1,250,000 · ۱٬۲۵۰٬۰۰۰ · 1 250 000
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()/]+")  # what people put between the digits of a code
_WHOLE = re.compile(r"[0-9]{1,18}")  # 18 digits: every whole number fits a 64-bit column
_DECIMAL = re.compile(r"-?[0-9]{1,18}(?:\.[0-9]{1,18})?")
_MINUS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\u066b": "."})  # − and ٫ (Arabic decimal sep.)


class DigitsRefused(DomainError, ValueError):
    """A value written with digits of a script the platform does not accept (422, naming the field).

    A ``ValueError`` too, so parsers that catch ``ValueError`` and pydantic validators refuse it
    as bad input instead of crashing.
    """

    status = 422

    def __init__(self, field: str | None = None) -> None:
        super().__init__(
            "digits_script",
            N_("Write the digits with 0–9 or ۰–۹; digits of other scripts are not accepted."),
            field=field,
        )


def is_numeric_char(char: str) -> bool:
    """Whether Unicode gives ``char`` a numeric value (digits of any script, superscripts, fractions, …)."""
    return unicodedata.numeric(char, None) is not None


def to_latin(text: str, field: str | None = None) -> str:
    """``text`` with accepted digits as ASCII and invisible marks dropped; :class:`DigitsRefused`
    if any other numeric character is left (``²``, ``５``, ``५``, ``①`` …)."""
    out = text.translate(_TABLE)
    if not out.isascii() and any(is_numeric_char(c) for c in out if c > "\x7f"):
        raise DigitsRefused(field)
    return out


def is_ascii_digits(text: str) -> bool:
    """Only ``0-9`` (``str.isdigit`` alone also says yes to ``²``, ``５`` and ``٣``)."""
    return text.isascii() and text.isdigit()


def code(text: str, field: str | None = None) -> str:
    """An identifier made of digits (national, postal, workshop code; a phone without its ``+``):
    accepted digits as ASCII, spaces, dashes and invisible marks dropped.

    Other characters stay, for the caller's own rule to refuse with its own message
    (:func:`is_ascii_digits`); foreign digits raise :class:`DigitsRefused`.
    """
    return _SEPARATORS.sub("", to_latin(text, field))


def integer(text: str, field: str | None = None) -> int | None:
    """An id, count or choice typed as plain digits (up to 18, so ``int`` never sees 5,000 of them);
    ``None`` otherwise; :class:`DigitsRefused` for foreign digits."""
    clean = to_latin(text, field).strip()
    return int(clean) if _WHOLE.fullmatch(clean) else None


def whole_number(text: str, field: str | None = None) -> int | None:
    """A non-negative whole number as typed (amounts in rial, counts, years), thousands
    separators allowed; ``None`` if it is not one; :class:`DigitsRefused` for foreign digits."""
    clean = _GROUPING.sub("", to_latin(text, field))
    return int(clean) if _WHOLE.fullmatch(clean) else None


def decimal_number(text: str, field: str | None = None) -> Decimal | None:
    """A number as typed: optional minus (``-`` or ``−``), decimal point ``.`` or ``٫``, thousands
    separators; ``None`` if it is not one; :class:`DigitsRefused` for foreign digits."""
    clean = _GROUPING.sub("", to_latin(text, field).translate(_MINUS))
    return Decimal(clean) if _DECIMAL.fullmatch(clean) else None


def phone(text: str, field: str = "phone") -> str:
    """A phone number as stored and compared: digits with a leading ``+`` for international ones;
    an Iranian mobile in any usual form (``+98 912…``, ``0098912…``, ``98912…``, ``912…``) as ``09…``.

    422 if it is not 8-15 digits after spaces, dashes, dots and brackets are dropped.
    """
    typed = code(text, field)
    plus = typed.startswith("+")
    digits = typed[1:] if plus else typed
    if not is_ascii_digits(digits) or not 8 <= len(digits) <= 15:
        raise DomainError("invalid_phone", N_("Enter a phone number of 8–15 digits."), field=field, status=422)
    if digits.startswith("0098") and len(digits) == 14:
        digits = "0" + digits[4:]
    elif digits.startswith("98") and len(digits) == 12 and digits[2] == "9":
        digits = "0" + digits[2:]
    elif digits.startswith("9") and len(digits) == 10 and not plus:
        digits = "0" + digits
    elif plus:
        return "+" + digits
    return digits


def postal_code(text: str, field: str = "postal_code") -> str:
    """An Iranian postal code: ten digits (spaces and dashes allowed when typed)."""
    value = code(text, field)
    if not (is_ascii_digits(value) and len(value) == 10):
        raise DomainError("invalid_postal_code", N_("Enter the 10-digit postal code."), field=field, status=422)
    return value


def date(text: str, field: str | None = None) -> dt.date:
    """A typed date, Jalali (``1403/01/15``) or Gregorian ISO, in any accepted digits (:func:`parse_date`).

    ``ValueError`` if it is not a real date (:class:`DigitsRefused` for foreign digits).
    """
    return parse_date(to_latin(text, field))

def to_latin_digits(text: str) -> str:
    """Free text (a search, an SMS) with Persian or Arabic-Indic digits as Latin; nothing else changes.

    Digit-bearing values (codes, amounts, dates) go through the functions above instead, which also
    refuse digits of other scripts; the scripts accepted are decided here, once.
    """
    return text.translate(LATIN)

def jalali_to_gregorian(text: str) -> dt.date:
    """Parse ``1403/01/15`` (Persian or Latin digits, ``/`` or ``-``) into a Gregorian date.

    Raises ``ValueError`` for anything that is not a real Jalali date (:class:`DigitsRefused`,
    a ``ValueError`` too, for digits of other scripts).
    """
    parts = to_latin(text).strip().replace("-", "/").split("/")
    if len(parts) != 3 or not all(is_ascii_digits(p) and len(p) <= 4 for p in parts):
        raise ValueError(text)
    y, m, d = (int(p) for p in parts)
    return jdatetime.date(y, m, d).togregorian()

def parse_date(text: str) -> dt.date:
    """A typed date: Jalali when its year is 13xx/14xx (``1405/09/15``, ``1405-09-15``), else ISO.

    Raises ``ValueError`` for anything that is not a real date (digits of other scripts included).
    """
    text = to_latin(text).strip()
    if not text.isascii():  # fromisoformat reads any script's digits
        raise ValueError(text)
    return jalali_to_gregorian(text) if text[:2] in ("13", "14") else dt.date.fromisoformat(text)


# --------------------------------------------------------------------------- pydantic types


def _field(info: ValidationInfo) -> str | None:
    return info.field_name


def _amount(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        number = whole_number(value, _field(info))
        if number is None:
            raise DomainError("amount_invalid", N_("Enter an amount in rial as a whole number, like 1500000."),
                              field=_field(info), status=422)
        return number
    return value


def _code(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        found = code(value, _field(info))
        if not is_ascii_digits(found):
            raise DomainError("digits_only", N_("Use digits only."), field=_field(info), status=422)
        return found
    return value


def _phone(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        return phone(value, _field(info) or "phone") if value.strip() else ""  # blank: no phone
    return value


def _postal(value: Any, info: ValidationInfo) -> Any:
    return postal_code(value, _field(info) or "postal_code") if isinstance(value, str) else value


def _date(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        try:
            return date(value, _field(info))
        except DigitsRefused:
            raise
        except ValueError:
            raise DomainError("invalid_date", N_("Enter a real date, like 1403/05/12 or 2024-08-02."),
                              field=_field(info), status=422) from None
    return value


Amount = Annotated[int, BeforeValidator(_amount)]
"""Rial as a whole number: a JSON number, or text in accepted digits with thousands separators."""
DigitCode = Annotated[str, BeforeValidator(_code)]
"""A code made only of digits (workshop, insurance number…), stored in ASCII."""
Phone = Annotated[str, BeforeValidator(_phone)]
"""A phone number in its canonical form (:func:`phone`); blank text stays blank (no phone)."""
PostalCode = Annotated[str, BeforeValidator(_postal)]
"""Ten digits."""
Date = Annotated[dt.date, BeforeValidator(_date)]
"""A date: ISO, or Jalali text such as ``۱۴۰۳/۰۵/۱۲``, in accepted digits."""


# --------------------------------------------------------------------------- search


_SEARCH_LETTERS = str.maketrans({
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و",
    "\u0640": None,  # tatweel (kashida), a stretch of the line, not a letter
})


def search_text(text: str) -> str:
    """Text as searches compare it: the one normalization for every search box and search column.

    Arabic look-alikes become Persian letters (ي→ی, ك→ک …), ZWNJ and other joiners are dropped
    (people write «می‌خواهم», «میخواهم» or «می خواهم»: searched word by word as substrings, all
    three find each other), diacritics and tatweel are dropped, Persian and
    Arabic-Indic digits become Latin, letters are lower case and runs of spaces collapse; so a
    stored column and a typed query normalized here match however either was written.
    """
    text = unicodedata.normalize("NFKC", to_latin_digits(text)).translate(_SEARCH_LETTERS)
    text = text.replace("\u200c", "").replace("\u200d", "").replace("\u00ad", "")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(unicodedata.normalize("NFC", text).lower().split())
