"""An employer's monthly wage report (لیست حقوق و دستمزد) as CSV: parse, validate every cell, all or nothing.

Format (UTF-8, with or without a BOM; comma-separated; the first row is the header):

=================  ==========================================================================
column             content
=================  ==========================================================================
national_code      the worker's 10-digit national code; 8-9 digits are left-padded with zeros
                   (spreadsheets drop leading zeros); dashes and spaces are ignored
first_name         given name, letters only (Persian or Latin), up to 60 characters
last_name          family name, same rule
start_date         Jalali date the worker started at this workshop: ``1402/07/01`` or
                   ``1402-07-01``; not after the end of the reported month
days_worked        0-31, at most the days of the reported month (and since the start date)
daily_wage         rial per day, whole number; the month's wage is daily_wage × days_worked
  *or* monthly_wage  the month's wage in rial — give exactly one of the two columns
=================  ==========================================================================

Column order is free; names are case-insensitive and may also be the Persian labels
(کد ملی، نام، نام خانوادگی، تاریخ شروع، روزهای کارکرد، دستمزد روزانه، دستمزد ماهانه).
Numbers, codes and dates may use Persian or Arabic-Indic digits (``smartgov.digits``; a cell with
digits of any other script is refused by name) and thousands separators (``1,250,000`` in a
quoted cell, or ``۱٬۲۵۰٬۰۰۰``). A wage must reach the minimum wage for the days worked and
stay below the typo guard; a row with 0 days must report 0 wage. Blank lines are skipped.

Rows are numbered as a spreadsheet shows them (header = row 1), and every error names
``row N, column C``. If anything is wrong, nothing is returned: :class:`ValidationFailed`
carries every error (up to ``max_errors``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jdatetime

from smartgov import digits, files
from smartgov.digits import jalali_to_gregorian
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_
from smartgov.identity import nationalcode

from .parameters import DEFAULT_PARAMETERS, InsuranceParameters

COLUMNS = (
    "national_code",
    "first_name",
    "last_name",
    "start_date",
    "days_worked",
    "daily_wage",
    "monthly_wage",
)
WAGE_COLUMNS = ("daily_wage", "monthly_wage")
REQUIRED = COLUMNS[:5]
ALIASES = {
    "کد ملی": "national_code",
    "کدملی": "national_code",
    "نام": "first_name",
    "نام خانوادگی": "last_name",
    "تاریخ شروع": "start_date",
    "روزهای کارکرد": "days_worked",
    "دستمزد روزانه": "daily_wage",
    "دستمزد ماهانه": "monthly_wage",
}
MAX_NAME = 60
MAX_ROWS = 200_000
LIMITS = files.Limits(max_rows=MAX_ROWS + 1, max_columns=100)  # + 1: the header

_NUMBER = re.compile(r"[0-9]+|[0-9]{1,3}(?:[,٬][0-9]{3})+")
_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u064b-\u065f\u0670\u200c '\-.])*")
_ARABIC_TO_PERSIAN = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class WageRow:
    row: int
    national_code: str
    first_name: str
    last_name: str
    start_date: dt.date
    days_worked: int
    daily_wage: int | None
    monthly_wage: int


@dataclass(frozen=True, slots=True)
class WageReport:
    year: int
    month: int
    rows: list[WageRow]


def month_length(year: int, month: int) -> int:
    """Days in a Jalali month: 31 for the first six, 30 for the next five, 29 or 30 for Esfand."""
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jdatetime.date(year, 12, 1).isleap() else 29


class _Errors:
    """Collects errors up to a limit, counting the rest so the caller knows how many were hidden."""

    def __init__(self, limit: int) -> None:
        self.items: list[DomainError] = []
        self.limit = limit
        self.hidden = 0

    def add(self, code: str, message: str, field: str, **params: Any) -> None:
        if len(self.items) < self.limit:
            self.items.append(DomainError(code, message, field=field, **params))
        else:
            self.hidden += 1

    def raise_if_any(self) -> None:
        if self.hidden:
            self.items.append(
                DomainError("too_many_errors", N_("{count} more errors are not shown."), field=None, count=self.hidden)
            )
        if self.items:
            raise ValidationFailed(self.items)


def _header(cells: list[str], errors: _Errors) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, raw in enumerate(cells):
        name = _SPACES.sub(" ", raw.strip().translate(_ARABIC_TO_PERSIAN)).lower()
        name = ALIASES.get(name, name.replace(" ", "_"))
        where = f"row 1, column {i + 1}"
        if name not in COLUMNS:
            errors.add("unknown_column", N_("Unknown column {column}."), where, column=raw.strip())
        elif name in index:
            errors.add("duplicate_column", N_("Column {column} appears more than once."), where, column=name)
        else:
            index[name] = i
    for name in REQUIRED:
        if name not in index:
            errors.add("missing_column", N_("Required column {column} is missing."), "header", column=name)
    if sum(name in index for name in WAGE_COLUMNS) != 1:
        errors.add("wage_column", N_("Give exactly one of the columns daily_wage or monthly_wage."), "header")
    return index


def _number(text: str | None) -> int | None:
    if text is None or not _NUMBER.fullmatch(text := text.strip()) or len(text) > 24:
        return None
    return int(text.replace(",", "").replace("٬", ""))


def parse_wage_report(
    data: bytes | str,
    *,
    year: int,
    month: int,
    params: InsuranceParameters = DEFAULT_PARAMETERS,
    max_errors: int = 1000,
) -> WageReport:
    """Parse and check the report for Jalali ``year``/``month``; any error raises ValidationFailed."""
    if not (1300 <= year <= 1500 and 1 <= month <= 12):
        raise ValueError("report period must be a Jalali year and month")
    errors = _Errors(max_errors)
    reader = _records(files.csv_records(data, field="file", limits=LIMITS), errors)
    index, width = _read_header(reader, errors)
    checker = _RowChecker(index, width, _Period.of(year, month, params), errors)
    rows: list[WageRow] = []
    for number, cells in enumerate(reader, start=2):  # row 1 is the header, as a spreadsheet shows it
        row = checker.check(number, cells)
        if row is not None:
            rows.append(row)
    if not rows and not errors.items:
        errors.add("no_rows", N_("The report has no rows of workers."), "file")
    errors.raise_if_any()
    return WageReport(year, month, rows)


def _read_header(reader: Iterator[list[str]], errors: _Errors) -> tuple[dict[str, int], int]:
    """The first non-blank record as column → position, and its width; raises when it is unusable
    (without a usable header every row would be noise)."""
    header = next(reader, None)
    while header is not None and not any(c.strip() for c in header):
        header = next(reader, None)
    if header is None:
        errors.add("empty", N_("The file is empty."), "file")
        errors.raise_if_any()
    assert header is not None
    index = _header(header, errors)
    errors.raise_if_any()
    return index, len(header)


@dataclass(frozen=True, slots=True)
class _Period:
    """The reported month and the wage rules every row is checked against."""

    days: int
    start: dt.date
    end: dt.date
    min_monthly: int
    days_per_month: int
    guard: int  # the typo guard: no monthly wage above this

    @classmethod
    def of(cls, year: int, month: int, params: InsuranceParameters) -> _Period:
        days = month_length(year, month)
        return cls(days, jdatetime.date(year, month, 1).togregorian(), jdatetime.date(year, month, days).togregorian(),
                   params.min_insurable_monthly_wage, params.days_per_month, params.max_reported_monthly_wage)


class _RowChecker:
    """Checks the rows one at a time, cell by cell, recording every error with its row and column.

    Keeps what spans rows: the national codes already seen (a duplicate names the first row) and
    the start dates already parsed (a report repeats a few dates many times).
    """

    def __init__(self, index: dict[str, int], width: int, period: _Period, errors: _Errors) -> None:
        self.wage_col = "daily_wage" if "daily_wage" in index else "monthly_wage"
        self.at = {col: index[col] for col in (*REQUIRED, self.wage_col)}
        self.width, self.period, self.errors = width, period, errors
        self.dates: dict[str, dt.date | None] = {}
        self.seen: dict[str, int] = {}
        self.number = 0
        self.ok = True

    def fail(self, code: str, message: str, column: str, **params: Any) -> None:
        """Record an error in this row's ``column``; the row is not kept."""
        self.errors.add(code, message, f"row {self.number}, column {column}", **params)
        self.ok = False

    def check(self, number: int, cells: list[str]) -> WageRow | None:
        """The row, or None when it is blank or wrong (its errors recorded) or an earlier row was wrong."""
        self.number, self.ok = number, True
        if len(cells) != self.width:
            if any(c.strip() for c in cells):
                self.errors.add("row_width", N_("This row has {found} values but the header has {expected}."),
                                f"row {number}", found=len(cells), expected=self.width)
            return None
        latin = self._digit_cells(cells)
        code = self._national_code(latin["national_code"])
        first_name = self._name(cells, "first_name")
        last_name = self._name(cells, "last_name")
        start = self._start_date(latin["start_date"])
        days = self._days_worked(latin["days_worked"], start)
        daily, monthly = self._wage(latin[self.wage_col], days)
        if not self.ok or self.errors.items:
            return None
        assert code is not None and start is not None and days is not None and monthly is not None
        return WageRow(number, code, first_name, last_name, start, days, daily, monthly)

    def _digit_cells(self, cells: list[str]) -> dict[str, str | None]:
        """The digit-bearing cells, read once: accepted digits as ASCII, any other script refused by cell."""
        latin: dict[str, str | None] = {}
        for col in ("national_code", "start_date", "days_worked", self.wage_col):
            try:
                latin[col] = digits.to_latin(cells[self.at[col]])
            except digits.DigitsRefused as exc:
                self.fail(exc.code, exc.message, col)
                latin[col] = None
        return latin

    def _national_code(self, text: str | None) -> str | None:
        """Ten digits with a valid check digit (8-9 digits left-padded), once per report."""
        if text is None:
            return None
        code = nationalcode.normalize(text)
        if digits.is_ascii_digits(code) and 8 <= len(code) < 10:
            code = code.zfill(10)
        if not code:
            self.fail("required", N_("This value is required."), "national_code")
        elif not nationalcode.is_valid(code):
            self.fail("national_code_invalid",
                      N_("Not a valid national code (ten digits with a correct check digit)."), "national_code")
        elif code in self.seen:
            self.fail("duplicate_national_code", N_("This national code already appears in row {first}."),
                      "national_code", first=self.seen[code])
        else:
            self.seen[code] = self.number
        return code

    def _name(self, cells: list[str], col: str) -> str:
        """Letters (Persian or Latin), spaces and hyphens, Arabic letter forms made Persian."""
        name = _SPACES.sub(" ", cells[self.at[col]].strip().translate(_ARABIC_TO_PERSIAN))
        if not name:
            self.fail("required", N_("This value is required."), col)
        elif len(name) > MAX_NAME or not _NAME.fullmatch(name):
            self.fail("name_invalid", N_("Use letters, spaces and hyphens only, at most {max} characters."), col,
                      max=MAX_NAME)
        return name

    def _start_date(self, text: str | None) -> dt.date | None:
        """A Jalali date not after the reported month (a date after it is returned, and refused)."""
        raw = (text or "").strip()
        if raw not in self.dates:
            try:
                self.dates[raw] = _jalali(raw)
            except ValueError:
                self.dates[raw] = None
        start = self.dates[raw]
        if text is None:
            return None
        if not raw:
            self.fail("required", N_("This value is required."), "start_date")
        elif start is None:
            self.fail("date_invalid", N_("Not a valid Jalali date (YYYY/MM/DD)."), "start_date")
        elif start > self.period.end:
            self.fail("date_after_period", N_("The start date is after the end of the reported month."), "start_date")
        return start

    def _days_worked(self, text: str | None, start: dt.date | None) -> int | None:
        """0-31 and at most the days of the month since the start date (a number over that is returned)."""
        if text is None:
            return None
        days = _number(text)
        period = self.period
        max_days = period.days
        if start is not None and period.start <= start <= period.end:
            max_days = (period.end - start).days + 1
        if days is None or days > 31:
            self.fail("days_invalid", N_("Days worked must be a whole number from 0 to 31."), "days_worked")
            return None
        if days > max_days:
            self.fail("days_exceed_month", N_("Days worked exceed the {max} days available in the reported month."),
                      "days_worked", max=max_days)
        return days

    def _wage(self, text: str | None, days: int | None) -> tuple[int | None, int | None]:
        """(daily wage or None, monthly wage): the month's wage reaches the minimum for the days worked,
        stays under the typo guard, and is 0 for 0 days."""
        col = self.wage_col
        if text is None:
            return None, None
        amount = _number(text)
        if amount is None:
            self.fail("amount_invalid", N_("Amount must be a whole number of rials."), col)
            return None, None
        if days is None:
            return None, None
        daily = amount if col == "daily_wage" else None
        monthly = amount * days if daily is not None else amount
        period = self.period
        minimum = -(-period.min_monthly * days // period.days_per_month)
        if days == 0 and monthly != 0:
            self.fail("wage_without_days", N_("A wage is reported for zero days worked."), col)
        elif monthly < minimum:
            self.fail("wage_below_minimum", N_("The wage is below the minimum of {minimum} rials for {days} days."),
                      col, minimum=minimum, days=days)
        elif monthly > period.guard:
            self.fail("wage_above_limit",
                      N_("The monthly wage is above {maximum} rials; check for a typing mistake."), col,
                      maximum=period.guard)
        return daily, monthly


def _records(records: Iterator[list[str]], errors: _Errors) -> Iterator[list[str]]:
    """CSV records; a malformed file (e.g. an unclosed quote) or one past the limits (``smartgov.files``)
    ends the file with an error, not a crash."""
    row = 0
    try:
        for record in records:
            row += 1
            yield record
    except csv.Error:
        errors.add("csv_invalid", N_("The file is not valid CSV from this row on."), f"row {row + 1}")
    except files.FileRefused as exc:
        errors.add(exc.code, exc.message, f"row {exc.line}" if exc.code != "encoding" else "file", **exc.params)


def _jalali(text: str) -> dt.date:
    """A Jalali date in the CSV, refusing years no living worker can have started in."""
    day = jalali_to_gregorian(text)
    if not dt.date(1921, 3, 21) <= day:  # 1300/01/01
        raise ValueError(text)
    return day
