from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartgov.errors import DomainError
from smartgov.services.expressions import MAX_DEPTH, MAX_LENGTH, ExpressionError, parse

DATA = {
    "applicant": {"age": 34, "birth_date": "1990-05-01", "national_code": "0012345679", "name": "مریم"},
    "answers": {
        "wage": 123_456_789,
        "married": True,
        "children": [{"age": 3, "name": "Ali"}, {"age": 7, "name": "Sara"}, {"age": None, "name": "x"}],
        "moved_on": "2024-08-02",
    },
}
TODAY = dt.date(2024, 9, 1)


def ev(text: str, data: dict | None = None) -> object:
    return parse(text).evaluate(DATA if data is None else data, today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),  # left-associative
        ("2 * 3 / 4", Fraction(3, 2)),
        ("۱۲ + ٣", 15),  # Persian and Arabic-Indic digits
        ("۱٫۵ * 2", 3),  # Persian decimal separator
        ("-3 + +2", -1),
        ("1/3 + 1/3 + 1/3", 1),  # exact, not 0.9999…
        ("0.1 + 0.2 == 0.3", True),
        ("'a' + \"b\"", "ab"),
        ("'it\\'s'", "it's"),
        ("true and not false", True),
        ("false or 1 < 2", True),
        ("not 1 == 2", True),  # not binds looser than comparison
        ("null == null", True),
        ("1 == true", False),  # booleans are not numbers
        ("'1' == 1", False),
        ("[1, 2] == [1, 2]", True),
        ("2 in [1, 2, 3]", True),
        ("'x' not in ['a', 'b']", True),
        ("'ران' in 'ایران'", True),
        ("if(true, 1, 1 / 0)", 1),  # only the chosen branch runs
        ("if(false, 1 / 0, 'b')", "b"),
        ("false and 1 / 0 == 1", False),  # short circuit
        ("floor(7 / 2)", 3),
        ("floor(-7 / 2)", -4),
        ("round(5 / 2)", 3),  # half away from zero, not banker's rounding
        ("round(-5 / 2)", -3),
        ("round(1234567, -3)", 1_235_000),
        ("floor(1999, -3)", 1000),
        ("round(2 / 3, 2)", Fraction(67, 100)),
        ("min(3, 1, 2)", 1),
        ("max([3, 9, 2])", 9),
        ("sum([1, 2, 3])", 6),
        ("len('سلام')", 4),
        ("len([])", 0),
        ("count([1, null, 3])", 2),
        ("count(['a', 'b', 'a'], 'a')", 2),
        ("date('1403/05/12') == date('2024-08-02')", True),
        ("days_between('2024-01-01', '2024-03-01')", 60),
        ("today() == date('2024-09-01')", True),
    ],
)
def test_evaluates(text: str, expected: object) -> None:
    assert ev(text) == expected


def test_fee_arithmetic_stays_integer_exact() -> None:
    # 7% of a large wage: a float would give 8641975.229999999
    assert ev("answers.wage * 7 / 100") == Fraction(864197523, 100)
    assert ev("floor(answers.wage * 0.07)") == 8_641_975
    big = {"answers": {"wage": 10**17 + 1}}
    assert parse("answers.wage * 3 - answers.wage * 2").evaluate(big) == 10**17 + 1


def test_paths_and_projection_over_rows() -> None:
    assert ev("applicant.age >= 18") is True
    assert ev("answers.missing == null") is True  # an unanswered optional question reads as null
    assert ev("answers.missing.deeper == null") is True
    assert ev("sum(answers.children.age)") == 10  # null ages are skipped
    assert ev("count(answers.children.age)") == 2
    assert ev("max(answers.children.age) < 18") is True
    assert ev("'Sara' in answers.children.name") is True
    assert ev("len(answers.children)") == 3


def test_dates() -> None:
    assert ev("years_between(applicant.birth_date, today())") == 34
    assert ev("years_between('2000-09-02', today())") == 23  # birthday tomorrow
    assert ev("years_between('2000-09-01', today())") == 24
    assert ev("answers.moved_on <= today()") is True  # ISO text compared as a date
    assert ev("date('1403/06/11') == today()") is True
    native = {"answers": {"d": dt.datetime(2024, 1, 1, 12, 0)}}
    assert parse("years_between(answers.d, '2025-01-01')").evaluate(native) == 1


def test_outside_numbers_are_read_exactly() -> None:
    from decimal import Decimal

    data = {"answers": {"rate": 0.07, "d": Decimal("2.5"), "bad": float("nan")}}
    assert parse("answers.rate * 100 == 7").evaluate(data) is True
    assert parse("answers.d * 2").evaluate(data) == 5
    assert parse("answers.bad == null").evaluate(data) is True


def test_evaluate_bool_insists_on_a_boolean() -> None:
    assert parse("1 < 2").evaluate_bool({}) is True
    with pytest.raises(ExpressionError) as info:
        parse("1 + 1").evaluate_bool({})
    assert info.value.code == "expression_type"


def test_roots_lists_the_names_read() -> None:
    assert parse("applicant.age > 1 and answers.x == sum(answers.y)").roots() == {"applicant", "answers"}


@pytest.mark.parametrize(
    ("text", "code", "position"),
    [
        ("1 +", "expression_syntax", 4),
        ("(1 + 2", "expression_syntax", 7),
        ("1 2", "expression_syntax", 3),
        ("a = 1", "expression_syntax", 3),
        ("'open", "expression_syntax", 1),
        ("1 < 2 < 3", "expression_syntax", 3),
        ("12abc", "expression_syntax", 3),
        ("a.", "expression_syntax", 3),
        ("__import__('os')", "expression_unknown_function", 1),
        ("eval('1')", "expression_unknown_function", 1),
        ("  exec('1')", "expression_unknown_function", 3),
        ("if(true, 1)", "expression_arguments", 1),
        ("today(1)", "expression_arguments", 1),
    ],
)
def test_syntax_errors_name_the_position(text: str, code: str, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.code == code
    assert info.value.position == position
    assert str(position) in info.value.localized("en")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("nobody.age > 1", "expression_unknown_name"),
        ("1 / 0", "expression_division_by_zero"),
        ("5 / (2 - 2)", "expression_division_by_zero"),
        ("'a' + 1", "expression_type"),
        ("true + 1", "expression_type"),
        ("1 and true", "expression_type"),
        ("not 1", "expression_type"),
        ("-'a'", "expression_type"),
        ("null < 1", "expression_type"),
        ("answers.wage.x", "expression_type"),
        ("1 in 2", "expression_type"),
        ("if(1, 2, 3)", "expression_type"),
        ("sum(1)", "expression_arguments"),
        ("sum(['a'])", "expression_arguments"),
        ("min([])", "expression_arguments"),
        ("round(1, 0.5)", "expression_arguments"),
        ("round(1, 99)", "expression_arguments"),
        ("years_between('yesterday', today())", "expression_arguments"),
        ("date('1403/13/01')", "expression_arguments"),
    ],
)
def test_evaluation_errors_are_domain_errors(text: str, code: str) -> None:
    with pytest.raises(ExpressionError) as info:
        ev(text)
    assert info.value.code == code
    assert isinstance(info.value, DomainError)


def test_today_needs_a_clock() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("today()").evaluate({})
    assert info.value.code == "expression_no_clock"


def test_messages_are_translated_to_persian() -> None:
    with pytest.raises(ExpressionError) as info:
        ev("1 / 0")
    assert info.value.localized("fa") == "تقسیم بر صفر در موقعیت ۳."


def test_length_and_depth_are_bounded() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("1" + " + 1" * (MAX_LENGTH // 4 + 1))
    assert info.value.code == "expression_too_long"
    with pytest.raises(ExpressionError) as info:
        parse("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))
    assert info.value.code == "expression_too_deep"
    with pytest.raises(ExpressionError) as info:
        parse("-" * (MAX_DEPTH + 1) + "1")
    assert info.value.code == "expression_too_deep"
    with pytest.raises(ExpressionError) as info:
        parse("not " * (MAX_DEPTH + 1) + "true")
    assert info.value.code == "expression_too_deep"


def test_long_flat_chains_do_not_recurse() -> None:
    # 900 operands in one chain: evaluation must not hit Python's recursion limit
    text = "+".join(["1"] * 900)
    assert len(text) < MAX_LENGTH
    assert parse(text).evaluate({}) == 900
    assert parse(" and ".join(["true"] * 200)).evaluate({}) is True


def test_non_text_is_refused() -> None:
    with pytest.raises(ExpressionError):
        parse(42)  # type: ignore[arg-type]


ALPHABET = st.sampled_from(
    [
        *"0123456789۰۹.,()[]+-*/<>=!'\" _abxyz",
        "and ",
        "or ",
        "not ",
        "in ",
        "true",
        "false",
        "null",
        "if(",
        "floor(",
        "round(",
        "min(",
        "max(",
        "sum(",
        "len(",
        "count(",
        "years_between(",
        "days_between(",
        "today()",
        "date(",
        "answers.",
        "applicant.",
        "wage",
        "children",
        "age",
        "birth_date",
        " == ",
        " / 0",
        "٫",
    ]
)


def run_anything(text: str) -> None:
    """Any input either evaluates to a plain value or fails with a translatable DomainError."""
    try:
        value = parse(text).evaluate(DATA, today=TODAY)
    except DomainError as exc:
        assert exc.code.startswith("expression_")
        assert exc.localized("fa") and exc.localized("en")  # the message formats in both languages
        return
    assert value is None or isinstance(value, bool | int | Fraction | str | list | dict | dt.date)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_random_text_only_ever_raises_domain_errors(text: str) -> None:
    run_anything(text)


@settings(max_examples=600, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_random_token_soup_only_ever_raises_domain_errors(text: str) -> None:
    run_anything(text)
