from hypothesis import given
from hypothesis import strategies as st

from smartgov.identity import nationalcode


def test_known_codes() -> None:
    assert nationalcode.is_valid("0012345679")
    assert nationalcode.is_valid("۰۰۱۲۳۴۵۶۷۹")  # Persian digits typed by users
    assert nationalcode.is_valid("001-234567-9")
    assert not nationalcode.is_valid("0012345678")  # wrong check digit
    assert not nationalcode.is_valid("1111111111")  # repeated digit: passes arithmetic, never issued
    assert not nationalcode.is_valid("12345")
    assert not nationalcode.is_valid("abcdefghij")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_made_codes_are_valid_and_one_digit_change_breaks_them(prefix: str) -> None:
    code = nationalcode.make(prefix)
    if len(set(code)) == 1:
        return
    assert nationalcode.is_valid(code)
    wrong = code[:9] + str((int(code[9]) + 1) % 10)
    assert not nationalcode.is_valid(wrong)
