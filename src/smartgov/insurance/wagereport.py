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
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, jalali_to_gregorian
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
    header = next(reader, None)
    while header is not None and not any(c.strip() for c in header):
        header = next(reader, None)
    if header is None:
        errors.add("empty", N_("The file is empty."), "file")
        errors.raise_if_any()
    assert header is not None
    index = _header(header, errors)
    errors.raise_if_any()  # without a usable header every row would be noise

    days_in_month = month_length(year, month)
    period_start = jdatetime.date(year, month, 1).togregorian()
    period_end = jdatetime.date(year, month, days_in_month).togregorian()
    min_monthly, per_month = params.min_insurable_monthly_wage, params.days_per_month
    guard = params.max_reported_monthly_wage
    wage_col = "daily_wage" if "daily_wage" in index else "monthly_wage"
    i_code, i_first, i_last = index["national_code"], index["first_name"], index["last_name"]
    i_start, i_days, i_wage = index["start_date"], index["days_worked"], index[wage_col]
    width = len(header)
    dates: dict[str, dt.date | None] = {}
    seen: dict[str, int] = {}
    rows: list[WageRow] = []
    add = errors.add
    number = 1
    for cells in reader:
        number += 1
        if len(cells) != width:
            if not any(c.strip() for c in cells):
                continue
            add(
                "row_width",
                N_("This row has {found} values but the header has {expected}."),
                f"row {number}",
                found=len(cells),
                expected=width,
            )
            continue
        ok = True
        # The digit-bearing cells, read once: accepted digits as ASCII, any other script refused by cell.
        latin: dict[str, str | None] = {}
        for col, i in (("national_code", i_code), ("start_date", i_start), ("days_worked", i_days),
                       (wage_col, i_wage)):
            try:
                latin[col] = digits.to_latin(cells[i])
            except digits.DigitsRefused as exc:
                add(exc.code, exc.message, f"row {number}, column {col}")
                latin[col] = None
                ok = False

        code = nationalcode.normalize(latin["national_code"]) if latin["national_code"] is not None else None
        if code is not None and digits.is_ascii_digits(code) and 8 <= len(code) < 10:
            code = code.zfill(10)
        if code is None:
            pass
        elif not code:
            add("required", N_("This value is required."), f"row {number}, column national_code")
            ok = False
        elif not nationalcode.is_valid(code):
            add(
                "national_code_invalid",
                N_("Not a valid national code (ten digits with a correct check digit)."),
                f"row {number}, column national_code",
            )
            ok = False
        elif code in seen:
            add(
                "duplicate_national_code",
                N_("This national code already appears in row {first}."),
                f"row {number}, column national_code",
                first=seen[code],
            )
            ok = False
        else:
            seen[code] = number

        names = []
        for col, i in (("first_name", i_first), ("last_name", i_last)):
            name = _SPACES.sub(" ", cells[i].strip().translate(_ARABIC_TO_PERSIAN))
            if not name:
                add("required", N_("This value is required."), f"row {number}, column {col}")
                ok = False
            elif len(name) > MAX_NAME or not _NAME.fullmatch(name):
                add(
                    "name_invalid",
                    N_("Use letters, spaces and hyphens only, at most {max} characters."),
                    f"row {number}, column {col}",
                    max=MAX_NAME,
                )
                ok = False
            names.append(name)

        raw_date = (latin["start_date"] or "").strip()
        if raw_date in dates:
            start = dates[raw_date]
        else:
            try:
                start = _jalali(raw_date)
            except ValueError:
                start = None
            dates[raw_date] = start
        if latin["start_date"] is None:
            start = None
        elif not raw_date:
            add("required", N_("This value is required."), f"row {number}, column start_date")
            ok = False
        elif start is None:
            add(
                "date_invalid",
                N_("Not a valid Jalali date (YYYY/MM/DD)."),
                f"row {number}, column start_date",
            )
            ok = False
        elif start > period_end:
            add(
                "date_after_period",
                N_("The start date is after the end of the reported month."),
                f"row {number}, column start_date",
            )
            ok = False

        days = _number(latin["days_worked"])
        max_days = days_in_month
        if start is not None and period_start <= start <= period_end:
            max_days = (period_end - start).days + 1
        if latin["days_worked"] is None:
            days = None
        elif days is None or days > 31:
            add(
                "days_invalid",
                N_("Days worked must be a whole number from 0 to 31."),
                f"row {number}, column days_worked",
            )
            ok = False
            days = None
        elif days > max_days:
            add(
                "days_exceed_month",
                N_("Days worked exceed the {max} days available in the reported month."),
                f"row {number}, column days_worked",
                max=max_days,
            )
            ok = False

        amount = _number(latin[wage_col])
        monthly: int | None = None
        where = f"row {number}, column {wage_col}"
        if latin[wage_col] is None:
            pass
        elif amount is None:
            add("amount_invalid", N_("Amount must be a whole number of rials."), where)
            ok = False
        elif days is not None:
            monthly = amount * days if wage_col == "daily_wage" else amount
            minimum = -(-min_monthly * days // per_month)
            if days == 0 and monthly != 0:
                add("wage_without_days", N_("A wage is reported for zero days worked."), where)
                ok = False
            elif monthly < minimum:
                add(
                    "wage_below_minimum",
                    N_("The wage is below the minimum of {minimum} rials for {days} days."),
                    where,
                    minimum=minimum,
                    days=days,
                )
                ok = False
            elif monthly > guard:
                add(
                    "wage_above_limit",
                    N_("The monthly wage is above {maximum} rials; check for a typing mistake."),
                    where,
                    maximum=guard,
                )
                ok = False

        if ok and not errors.items:
            assert code is not None and start is not None and days is not None and monthly is not None
            rows.append(
                WageRow(
                    number,
                    code,
                    names[0],
                    names[1],
                    start,
                    days,
                    amount if wage_col == "daily_wage" else None,
                    monthly,
                )
            )
    if not rows and not errors.items:
        add("no_rows", N_("The report has no rows of workers."), "file")
    errors.raise_if_any()
    return WageReport(year, month, rows)


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
