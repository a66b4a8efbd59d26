"""Employer wage-report CSV: every cell checked, errors named by row and column, all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io

import jdatetime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartgov.errors import ValidationFailed
from smartgov.identity import nationalcode
from smartgov.insurance import WageReport, parse_wage_report, premium_invoice

HEADER = "national_code,first_name,last_name,start_date,days_worked,daily_wage"
GOOD = [
    "0084575948,علی,رضایی,1400/01/01,31,2400000",
    "1234567891,Sara,Ahmadi-Nejad,1399/12/29,31,3000000",
    "0010350829,مریم,کریمی,1402/05/20,20,2500000",
]


def code(i: int) -> str:
    return nationalcode.make(f"{100_000_000 + 7 * i:09d}")


def parse(*lines: str, header: str = HEADER, year: int = 1403, month: int = 1, **kw) -> WageReport:  # type: ignore[no-untyped-def]
    return parse_wage_report("\n".join([header, *lines]) + "\n", year=year, month=month, **kw)


def errors_of(*lines: str, **kw) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as err:
        parse(*lines, **kw)
    return [(e.code, e.field) for e in err.value.errors]


def test_valid_report_is_parsed() -> None:
    report = parse(*GOOD)
    assert (report.year, report.month, len(report.rows)) == (1403, 1, 3)
    first = report.rows[0]
    assert (first.row, first.national_code, first.first_name, first.last_name) == (
        2,
        "0084575948",
        "علی",
        "رضایی",
    )
    assert first.start_date == dt.date(2021, 3, 21)
    assert (first.days_worked, first.daily_wage, first.monthly_wage) == (31, 2_400_000, 74_400_000)
    assert report.rows[2].monthly_wage == 50_000_000


def test_bom_persian_digits_persian_header_separators_and_dropped_zeros() -> None:
    text = (
        "\ufeffکد ملی,نام,نام خانوادگی,تاریخ شروع,روزهای کارکرد,دستمزد ماهانه\r\n"
        "۰۰۸۴۵۷۵۹۴۸,علي,رضايي,۱۴۰۰/۰۱/۰۱,۳۰,۱۰۰٬۰۰۰٬۰۰۰\r\n"
        '84575956,Reza,Karimi,1401-7-1,30,"90,000,000"\r\n'
        "\r\n"
    )
    report = parse_wage_report(text.encode("utf-8"), year=1403, month=7)
    a, b = report.rows
    assert (a.national_code, a.first_name, a.last_name, a.monthly_wage, a.daily_wage) == (
        "0084575948",
        "علی",  # Arabic yeh normalized to Persian
        "رضایی",
        100_000_000,
        None,
    )
    assert (b.national_code, b.start_date, b.monthly_wage) == ("0084575956", dt.date(2022, 9, 23), 90_000_000)
    assert nationalcode.is_valid("0084575956")


def test_errors_are_reported_per_row_and_column() -> None:
    found = errors_of(
        GOOD[0],
        "0084575949,Ali,Ahmadi,1400/01/01,31,2400000",  # row 3: wrong check digit
        "1234567891,Sara,,1403/02/01,31,2400000",  # row 4: no last name; starts after 1403/01
        "0010350829,Ma7am,Karimi,1400/13/01,32,2400000",  # row 5: digit in name, month 13, 32 days
        "0084575948,Ali,Rezaei,1400/01/01,31,-5",  # row 6: duplicate of row 2, negative wage
        "1111111111,Ali,Rezaei,1400/01/01,10,2000000",  # row 7: never-issued code, wage below minimum
        "0074524739,Ali,Rezaei,1400/01/01,0,2000000",  # row 8: fine, a daily rate earns 0 in 0 days
        "0074524739,Ali",  # row 9: too few values
    )
    assert found == [
        ("national_code_invalid", "row 3, column national_code"),
        ("required", "row 4, column last_name"),
        ("date_after_period", "row 4, column start_date"),
        ("name_invalid", "row 5, column first_name"),
        ("date_invalid", "row 5, column start_date"),
        ("days_invalid", "row 5, column days_worked"),
        ("duplicate_national_code", "row 6, column national_code"),
        ("amount_invalid", "row 6, column daily_wage"),
        ("national_code_invalid", "row 7, column national_code"),
        ("wage_below_minimum", "row 7, column daily_wage"),
        ("row_width", "row 9"),
    ]


def test_error_messages_carry_their_numbers_in_both_languages() -> None:
    with pytest.raises(ValidationFailed) as err:
        parse(GOOD[0], "0084575948,Ali,Ahmadi,1400/01/01,10,2000000")
    dup, low = err.value.errors
    assert dup.localized("en") == "This national code already appears in row 2."
    assert dup.localized("fa") == "این کد ملی پیش‌تر در ردیف ۲ آمده است."
    # 71,661,840 × 10 ÷ 30 = 23,887,280 rial for ten days: an amount, grouped in each language.
    assert low.localized("en") == "The wage is below the minimum of 23,887,280 rials for 10 days."
    assert low.localized("fa") == "دستمزد از حداقل ۲۳٬۸۸۷٬۲۸۰ ریال برای ۱۰ روز کمتر است."
    assert err.value.status == 422


def test_nothing_is_returned_if_one_row_of_many_is_bad() -> None:
    lines = [f"{code(i)},Ali,Rezaei,1400/01/01,31,2400000" for i in range(500)]
    lines[321] = lines[321].replace("2400000", "24OOOOO")
    assert errors_of(*lines) == [("amount_invalid", "row 323, column daily_wage")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "national_code,first_name,start_date,days_worked",
            [("missing_column", "header"), ("wage_column", "header")],
        ),
        (
            "national_code,first_name,last_name,start_date,days_worked,daily_wage,monthly_wage",
            [("wage_column", "header")],
        ),
        (
            "national_code,first_name,last_name,start_date,days_worked,daily_wage,salary",
            [("unknown_column", "row 1, column 7")],
        ),
        (
            "national_code,first_name,last_name,start_date,Days_Worked,days_worked,daily_wage",
            [("duplicate_column", "row 1, column 6")],
        ),
    ],
)
def test_header_problems(header: str, expected: list[tuple[str, str]]) -> None:
    assert errors_of(GOOD[0], header=header) == expected


def test_empty_not_utf8_and_no_rows() -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_wage_report(b"", year=1403, month=1)
    assert err.value.code == "empty"
    with pytest.raises(ValidationFailed) as err:
        parse_wage_report("national_code,نام\n".encode("cp1256"), year=1403, month=1)
    assert (err.value.code, err.value.field) == ("encoding", "file")
    with pytest.raises(ValidationFailed) as err:
        parse_wage_report(HEADER + "\n\n", year=1403, month=1)
    assert err.value.code == "no_rows"


def test_malformed_csv_is_an_error_not_a_crash() -> None:
    huge = '"' + "x" * 200_000
    assert errors_of(GOOD[0], f"0010350829,{huge}") == [("csv_invalid", "row 3")]


def test_days_are_limited_by_the_month_and_the_start_date() -> None:
    # Esfand has 30 days in 1403 (a leap year) and 29 in 1402.
    assert len(parse("0084575948,Ali,Rezaei,1400/01/01,30,2400000", year=1403, month=12).rows) == 1
    assert errors_of("0084575948,Ali,Rezaei,1400/01/01,30,2400000", year=1402, month=12) == [
        ("days_exceed_month", "row 2, column days_worked")
    ]
    # Mehr has 30 days; someone who started on the 20th can have worked 11 of them.
    assert len(parse("0084575948,Ali,Rezaei,1403/07/20,11,2400000", month=7).rows) == 1
    with pytest.raises(ValidationFailed) as err:
        parse("0084575948,Ali,Rezaei,1403/07/20,12,2400000", month=7)
    assert err.value.errors[0].params == {"max": 11}


def test_monthly_wage_bounds() -> None:
    header = HEADER.replace("daily_wage", "monthly_wage")
    assert parse("0084575948,Ali,Rezaei,1400/01/01,30,71661840", header=header).rows[0].monthly_wage == 71_661_840
    assert errors_of("0084575948,Ali,Rezaei,1400/01/01,30,71661839", header=header) == [
        ("wage_below_minimum", "row 2, column monthly_wage")
    ]
    assert errors_of("0084575948,Ali,Rezaei,1400/01/01,0,5000000", header=header) == [
        ("wage_without_days", "row 2, column monthly_wage")
    ]
    assert parse("0084575948,Ali,Rezaei,1400/01/01,0,0", header=header).rows[0].monthly_wage == 0
    assert errors_of("0084575948,Ali,Rezaei,1400/01/01,30,100000000001", header=header) == [
        ("wage_above_limit", "row 2, column monthly_wage")
    ]
    for bad in ("12.5", "1e6", "0x10", '"1,2345"', "", "۱۲٫۵"):
        assert errors_of(f"0084575948,Ali,Rezaei,1400/01/01,30,{bad}", header=header) == [
            ("amount_invalid", "row 2, column monthly_wage")
        ], bad


def test_error_list_is_capped_with_a_count_of_the_rest() -> None:
    lines = [f"{code(i)},Ali,Rezaei,1400/01/01,99,2400000" for i in range(30)]
    with pytest.raises(ValidationFailed) as err:
        parse(*lines, max_errors=10)
    assert len(err.value.errors) == 11
    assert err.value.errors[-1].code == "too_many_errors"
    assert err.value.errors[-1].localized("en") == "20 more errors are not shown."


def test_fifty_thousand_rows() -> None:
    out = io.StringIO()
    out.write("\ufeff" + HEADER.replace("daily_wage", "monthly_wage") + "\n")
    for i in range(50_000):
        start = f"{1390 + i % 13}/{1 + i % 12:02d}/{1 + i % 29:02d}"
        out.write(f"{code(i)},نام{'ا' * (i % 3)},خانواده,{start},{1 + i % 31},{75_000_000 + i}\n")
    report = parse_wage_report(out.getvalue().encode(), year=1404, month=1)
    assert len(report.rows) == 50_000
    assert report.rows[0].row == 2 and report.rows[-1].row == 50_001
    assert len({r.national_code for r in report.rows}) == 50_000
    assert sum(r.monthly_wage for r in report.rows) == 75_000_000 * 50_000 + 49_999 * 50_000 // 2
    assert (
        report.rows[12_345].start_date
        == jdatetime.date(1390 + 12_345 % 13, 1 + 12_345 % 12, 1 + 12_345 % 29).togregorian()
    )
    invoice = premium_invoice(report)
    assert invoice.employer_share + invoice.insured_share + invoice.government_share == sum(
        line.split.total for line in invoice.lines
    )


names = st.text(alphabet="ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیABCxyz", min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            names,
            names,
            st.integers(1380, 1402),
            st.integers(1, 12),
            st.integers(1, 29),
            st.integers(1, 31),
            st.integers(2_388_728, 30_000_000),
        ),
        min_size=1,
        max_size=40,
    ),
    persian=st.booleans(),
)
def test_property_written_rows_read_back(rows: list[tuple[str, str, int, int, int, int, int]], persian: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER.split(","))
    digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹") if persian else str.maketrans("", "")
    for i, (first, last, y, m, d, days, daily) in enumerate(rows):
        writer.writerow(
            [
                code(i).translate(digits),
                first,
                last,
                f"{y}/{m:02d}/{d:02d}".translate(digits),
                str(days).translate(digits),
                str(daily).translate(digits),
            ]
        )
    report = parse_wage_report(out.getvalue().encode(), year=1403, month=1)
    got = [(r.first_name, r.last_name, r.days_worked, r.daily_wage, r.monthly_wage) for r in report.rows]
    assert got == [(f, la, days, daily, daily * days) for f, la, _, _, _, days, daily in rows]
