"""One spelling for every digit-bearing value: Latin, Persian and Arabic-Indic digits are read,
every other character Unicode calls a digit or a number is refused, never crashes, never differs.

The Unicode tables are walked whole (every code point up to ``sys.maxunicode``); hypothesis mixes
scripts, invisible marks and separators inside one value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartgov import digits, i18n
from smartgov.errors import DomainError
from smartgov.identity import nationalcode

ND = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Nd"]
"""Every decimal digit of every script (about 70 scripts, ten digits each)."""
ZEROS = [c for c in ND if unicodedata.decimal(c) == 0]
NUMERIC_NOT_ND = [chr(c) for c in range(sys.maxunicode + 1)
                  if unicodedata.numeric(chr(c), None) is not None and unicodedata.category(chr(c)) != "Nd"]
"""Superscripts, subscripts, circled and parenthesized digits, fractions, Roman numerals, CJK numerals …"""
ACCEPTED = {zero: [chr(ord(zero) + i) for i in range(10)] for zero in digits.ACCEPTED_ZEROS}
CODE = "0012345679"  # a valid national code
INVISIBLE = sorted(digits.INVISIBLE)
SEPARATORS = [" ", "-", "\u00a0", "\u2009", "\u2013"]


def script(zero: str) -> list[str]:
    return [chr(ord(zero) + i) for i in range(10)]


def written(text: str, zero: str) -> str:
    """``text`` with its ASCII digits written in the script whose zero is ``zero``."""
    return "".join(script(zero)[int(c)] if c.isascii() and c.isdigit() else c for c in text)


def test_the_tables_are_what_we_think() -> None:
    assert len(ZEROS) >= 60 and len(ND) == 10 * len(ZEROS)
    assert len(NUMERIC_NOT_ND) > 500 and "²" in NUMERIC_NOT_ND and "①" in NUMERIC_NOT_ND


@pytest.mark.parametrize("zero", ZEROS, ids=[f"U+{ord(z):04X}" for z in ZEROS])
def test_every_script_is_read_or_refused(zero: str) -> None:
    """Each of the ~70 scripts: a national code, an amount, a date, a phone written in it."""
    accepted = zero in digits.ACCEPTED_ZEROS
    values = [
        (lambda t: nationalcode.check(t), CODE, CODE),
        (lambda t: digits.whole_number(t), "1,250,000", 1_250_000),
        (lambda t: digits.date(t), "1403/05/12", dt.date(2024, 8, 2)),
        (lambda t: digits.date(t), "2024-08-02", dt.date(2024, 8, 2)),
        (lambda t: digits.phone(t), "0912 123 4567", "09121234567"),
        (lambda t: digits.postal_code(t), "12345-67890", "1234567890"),
        (lambda t: digits.jalali_to_gregorian(t), "1403/05/12", dt.date(2024, 8, 2)),
    ]
    for read, text, value in values:
        if accepted:
            assert read(written(text, zero)) == value
        else:
            with pytest.raises(digits.DigitsRefused) as refused:
                read(written(text, zero))
            assert refused.value.status == 422 and refused.value.code == "digits_script"
    assert nationalcode.is_valid(written(CODE, zero)) is accepted


@pytest.mark.parametrize("char", [*NUMERIC_NOT_ND[::7], "²", "¹", "①", "Ⅻ", "½", "๓", "五"])
def test_other_numeric_characters_are_refused_wherever_digits_are_read(char: str) -> None:
    for read in (nationalcode.check, digits.whole_number, digits.decimal_number, digits.date, digits.phone,
                 digits.to_latin, digits.code):
        with pytest.raises(digits.DigitsRefused):
            read("001234567" + char)
    assert nationalcode.is_valid("001234567" + char) is False


def test_invisible_marks_and_separators_never_change_an_identifier() -> None:
    for mark in INVISIBLE + SEPARATORS:
        assert nationalcode.check(f"{mark}001{mark}234567{mark}9{mark}") == CODE
    assert digits.whole_number("\u200f۱٬۲۵۰٬۰۰۰\u200e") == 1_250_000
    assert digits.decimal_number("−۱۲٫۵") == digits.decimal_number("-12.5")


def test_ids_typed_in_forms() -> None:
    assert digits.integer(" ۱۲ ") == 12 and digits.integer("٣") == 3
    for text in ("", "1,2", "-1", "1.0", "1" * 19, "7" * 5_000, "abc"):
        assert digits.integer(text) is None, text  # never int() of 5,000 digits (ValueError past 4,300)
    with pytest.raises(digits.DigitsRefused):
        digits.integer("５")


def test_the_canonical_phone() -> None:
    for typed in ("09121234567", "+98 912 123 4567", "0098-912-123-4567", "989121234567", "912 123 4567",
                  "۰۹۱۲۱۲۳۴۵۶۷", "(0912) 123-4567"):
        assert digits.phone(typed) == "09121234567", typed
    assert digits.phone("+44 20 7946 0958") == "+442079460958"
    assert digits.phone("021 8888 7777") == "02188887777"
    for bad in ("12345", "0912123456789012", "0912-abc-4567", "++989121234567"):
        with pytest.raises(DomainError) as refused:
            digits.phone(bad)
        assert refused.value.status == 422 and refused.value.field == "phone"


noise = st.sampled_from(INVISIBLE + SEPARATORS)


@st.composite
def spelled(draw: st.DrawFn, text: str, *, with_noise: bool = True) -> str:
    """``text`` with each ASCII digit in a script drawn per digit, marks and separators sprinkled in."""
    out = []
    for c in text:
        if c.isascii() and c.isdigit():
            out.append(draw(st.sampled_from([x for x in ND if unicodedata.decimal(x) == int(c)])))
        else:
            out.append(c)
        if with_noise and draw(st.integers(0, 5)) == 0:
            out.append(draw(noise))
    return "".join(out)


ACCEPTED_CHARS = frozenset(c for chars in ACCEPTED.values() for c in chars)


def _all_accepted(text: str) -> bool:
    return all(c in ACCEPTED_CHARS for c in text if unicodedata.category(c) == "Nd")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**8 - 1).map(lambda n: nationalcode.make(f"{n + 10**8:09d}")).flatmap(
    lambda code: st.tuples(st.just(code), spelled(code))))
def test_a_national_code_in_any_mix_of_scripts_is_the_same_code_or_refused(case: tuple[str, str]) -> None:
    code, typed = case
    try:
        assert nationalcode.check(typed) == code
        assert _all_accepted(typed)
    except digits.DigitsRefused as refused:
        assert not _all_accepted(typed) and refused.status == 422 and refused.field == "national_code"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**15).flatmap(lambda n: st.tuples(st.just(n), spelled(f"{n:,}", with_noise=False))))
def test_an_amount_in_any_mix_of_scripts_is_the_same_amount_or_refused(case: tuple[int, str]) -> None:
    amount, typed = case
    try:
        assert digits.whole_number(typed, "amount") == amount
        assert _all_accepted(typed)
    except digits.DigitsRefused as refused:
        assert not _all_accepted(typed) and refused.field == "amount"


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(1922, 1, 1), dt.date(2100, 12, 31)).flatmap(
    lambda d: st.tuples(st.just(d), st.one_of(spelled(i18n.gregorian_to_jalali(d), with_noise=False),
                                              spelled(d.isoformat(), with_noise=False)))))
def test_a_date_in_any_mix_of_scripts_is_the_same_day_or_refused(case: tuple[dt.date, str]) -> None:
    day, typed = case
    try:
        assert digits.date(typed) == day
        assert _all_accepted(typed)
    except digits.DigitsRefused:
        assert not _all_accepted(typed)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_no_text_makes_a_reader_crash(text: str) -> None:
    """Any text at all: a value, ``None`` for "not one", or a refusal that names the field — nothing else."""
    for read in (digits.whole_number, digits.decimal_number, digits.to_latin, digits.code):
        try:
            read(text, "f")
        except digits.DigitsRefused as refused:
            assert refused.field == "f"
    for check in (nationalcode.check, digits.phone, digits.postal_code):
        try:
            check(text, "f")
        except DomainError as refused:
            assert refused.status == 422 and refused.field == "f"
    with contextlib.suppress(ValueError):
        digits.date(text, "f")
    assert isinstance(nationalcode.is_valid(text), bool)
