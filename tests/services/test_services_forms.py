from __future__ import annotations

from typing import Any

import pytest

from smartgov.errors import ValidationFailed
from smartgov.services import bundled_definitions, clean_answers, clean_documents, summarize

from .conftest import TODAY, definition_with

FORM = """\
  - {name: full_name, type: text, max_length: 20, label_fa: نام, label_en: Name}
  - {name: postal_code, type: text, digits_only: true, min_length: 10, max_length: 10,
     label_fa: کد پستی, label_en: Postcode}
  - {name: rooms, type: number, integer: true, min: 1, max: 20, label_fa: اتاق, label_en: Rooms}
  - {name: area, type: number, min: 0.5, label_fa: مساحت, label_en: Area}
  - {name: rent, type: money, max: 900000000, label_fa: اجاره, label_en: Rent}
  - {name: born, type: jalali_date, not_in_future: true, label_fa: تولد, label_en: Born}
  - {name: visit, type: jalali_date, not_in_past: true, required: false, label_fa: بازدید, label_en: Visit}
  - {name: code, type: national_code, label_fa: کد ملی, label_en: National code}
  - name: kind
    type: choice
    label_fa: نوع
    label_en: Kind
    options:
      - {value: flat, label_fa: آپارتمان, label_en: Flat}
      - {value: house, label_fa: خانه, label_en: House}
  - name: extras
    type: choice
    multiple: true
    required: false
    label_fa: امکانات
    label_en: Extras
    options:
      - {value: lift, label_fa: آسانسور, label_en: Lift}
      - {value: parking, label_fa: پارکینگ, label_en: Parking}
  - {name: married, type: yes_no, label_fa: متأهل, label_en: Married}
  - {name: spouse_code, type: national_code, when: answers.married,
     label_fa: کد ملی همسر, label_en: Spouse code}
  - name: deed
    type: file
    mime_types: [application/pdf]
    max_size_bytes: 1048576
    when: answers.kind == 'house'
    label_fa: سند
    label_en: Deed
  - name: children
    type: group
    required: false
    min_items: 2
    max_items: 3
    label_fa: فرزندان
    label_en: Children
    fields:
      - {name: name, type: text, label_fa: نام, label_en: Name}
      - {name: birth_date, type: jalali_date, not_in_future: true, label_fa: تاریخ تولد, label_en: Birth date}
      - {name: student, type: yes_no, required: false, label_fa: دانش‌آموز, label_en: Student}
      - {name: school, type: text, when: row.student == true, label_fa: مدرسه, label_en: School}
  - {name: note, type: text, required: false, multiline: true, label_fa: توضیح, label_en: Note}
"""
DEFN = definition_with(FORM)


def good(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "full_name": "  مریم   احمدی ",
        "postal_code": "۱۲۳۴۵-۶۷۸۹۰",
        "rooms": "۳",
        "area": "۷۵٫۵",
        "rent": "۱۲٬۰۰۰٬۰۰۰",
        "born": "۱۳۶۹/۰۲/۱۱",
        "code": "۰۰۱۲۳۴۵۶۷۹",
        "kind": "flat",
        "married": "خیر",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not ...}


def errors_of(answers: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        clean_answers(DEFN, answers, today=TODAY)
    return {e.field or "": e.code for e in info.value.errors}


def test_clean_normalizes_every_type() -> None:
    cleaned = clean_answers(DEFN, good(), today=TODAY)
    assert cleaned == {
        "full_name": "مریم احمدی",
        "postal_code": "1234567890",
        "rooms": 3,
        "area": 75.5,
        "rent": 12_000_000,
        "born": "1990-05-01",
        "code": "0012345679",
        "kind": "flat",
        "married": False,
        "children": [],
    }


def test_unknown_keys_are_dropped() -> None:
    assert "admin" not in clean_answers(DEFN, good(admin=True), today=TODAY)


def test_required_fields_are_reported_together() -> None:
    errs = errors_of({"full_name": "  "})
    assert errs == {
        name: "required"
        for name in ("full_name", "postal_code", "rooms", "area", "rent", "born", "code", "kind", "married")
    }


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("full_name", "x" * 21, "text_too_long"),
        ("full_name", ["list"], "text_invalid"),
        ("postal_code", "12345", "text_too_short"),
        ("postal_code", "12345abcde", "text_digits"),
        ("rooms", "two", "number_invalid"),
        ("rooms", "2.5", "number_not_whole"),
        ("rooms", 0, "number_too_small"),
        ("rooms", "21", "number_too_large"),
        ("rooms", True, "number_invalid"),
        ("rooms", "1e3", "number_invalid"),
        ("area", "0.4", "number_too_small"),
        ("rent", "-5", "money_invalid"),
        ("rent", "12.5", "money_invalid"),
        ("rent", 1.5, "money_invalid"),
        ("rent", "یک میلیون", "money_invalid"),
        ("rent", 900_000_001, "money_too_large"),
        ("born", "1403/13/01", "date_invalid"),
        ("born", "1402/12/30", "date_invalid"),  # 1402 is not a leap year in the Jalali calendar
        ("born", "2024-08-02", "date_invalid"),  # Gregorian text is not mistaken for a Jalali date
        ("born", "1403/06/12", "date_in_future"),  # tomorrow
        ("visit", "1403/06/10", "date_in_past"),
        ("code", "0012345678", "national_code_invalid"),
        ("code", "1111111111", "national_code_invalid"),
        ("kind", "castle", "choice_invalid"),
        ("extras", ["lift", "pool"], "choice_invalid"),
        ("married", "maybe", "yes_no_invalid"),
    ],
)
def test_invalid_values_name_their_field(field: str, value: Any, code: str) -> None:
    assert errors_of(good(**{field: value})) == {field: code}


def test_accepted_spellings() -> None:
    cleaned = clean_answers(
        DEFN,
        good(
            rooms=4,
            rent=5_000_000.0,
            married="yes",
            spouse_code=1234567891,
            visit="1403-06-11",
            extras=["parking", "lift", "lift"],
        ),
        today=TODAY,
    )
    assert cleaned["rooms"] == 4 and cleaned["rent"] == 5_000_000
    assert cleaned["visit"] == "2024-09-01"  # today is not in the past
    assert cleaned["extras"] == ["lift", "parking"]  # definition order, no repeats
    assert cleaned["married"] is True and cleaned["spouse_code"] == "1234567891"
    assert clean_answers(DEFN, good(code=12345679), today=TODAY)["code"] == "0012345679"


def test_conditional_field_is_required_only_when_shown() -> None:
    assert errors_of(good(married="بله")) == {"spouse_code": "required"}
    cleaned = clean_answers(DEFN, good(married=True, spouse_code="1234567891"), today=TODAY)
    assert cleaned["spouse_code"] == "1234567891"


def test_hidden_answers_are_dropped_even_if_invalid() -> None:
    cleaned = clean_answers(DEFN, good(married=False, spouse_code="not a code", deed="junk"), today=TODAY)
    assert "spouse_code" not in cleaned and "deed" not in cleaned


def test_condition_on_an_invalid_answer_hides_the_question() -> None:
    # married is invalid, so its follow-up is not asked yet: one error, not two
    assert errors_of(good(married="perhaps", spouse_code="")) == {"married": "yes_no_invalid"}


def test_file_metadata_against_limits() -> None:
    pdf = {
        "name": "C:\\Users\\me\\deed.pdf",
        "mime": "application/PDF; charset=binary",
        "size": 2048,
        "ref": "u/1",
    }
    cleaned = clean_answers(DEFN, good(kind="house", deed=pdf), today=TODAY)
    assert cleaned["deed"] == {"name": "deed.pdf", "mime": "application/pdf", "size": 2048, "ref": "u/1"}
    assert errors_of(good(kind="house")) == {"deed": "required"}
    for bad, code in [
        ({**pdf, "mime": "image/png"}, "file_type"),
        ({**pdf, "size": 1048577}, "file_too_large"),
        ({**pdf, "size": 0}, "file_empty"),
        ({**pdf, "size": "2048"}, "file_invalid"),
        ({**pdf, "name": "/"}, "file_invalid"),
        ("deed.pdf", "file_invalid"),
    ]:
        assert errors_of(good(kind="house", deed=bad)) == {"deed": code}


def test_repeating_group_rows_and_paths() -> None:
    rows = [
        {"name": "علی", "birth_date": "۱۳۹۵/۰۱/۰۱", "student": "yes", "school": "فردوسی"},
        {"name": "سارا", "birth_date": "1398/07/20", "school": "ignored because not a student"},
    ]
    cleaned = clean_answers(DEFN, good(children=rows), today=TODAY)
    assert cleaned["children"] == [
        {"name": "علی", "birth_date": "2016-03-20", "student": True, "school": "فردوسی"},
        {"name": "سارا", "birth_date": "2019-10-12"},
    ]
    bad_rows = [
        rows[0],
        {"name": "", "birth_date": "1398/07/20"},
        {"name": "x", "birth_date": "1410/01/01", "student": True},
    ]
    assert errors_of(good(children=bad_rows)) == {
        "children[1].name": "required",
        "children[2].birth_date": "date_in_future",
        "children[2].school": "required",
    }


def test_group_size_limits() -> None:
    row = {"name": "x", "birth_date": "1398/07/20"}
    assert errors_of(good(children=[row])) == {"children": "group_too_few"}
    assert errors_of(good(children=[row] * 4)) == {"children": "group_too_many"}
    assert errors_of(good(children="x")) == {"children": "group_invalid"}
    assert errors_of(good(children=[row, "x"])) == {"children": "group_invalid"}


def test_error_messages_are_localized() -> None:
    with pytest.raises(ValidationFailed) as info:
        clean_answers(DEFN, good(rooms="50"), today=TODAY)
    (err,) = info.value.errors
    assert err.localized("en") == "Enter a number of at most 20."
    assert err.localized("fa") == "عددی برابر یا کمتر از ۲۰ وارد کنید."


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(ValidationFailed):
        clean_answers(DEFN, ["not", "a", "dict"], today=TODAY)  # type: ignore[arg-type]


def test_check_your_answers_in_persian_and_english() -> None:
    cleaned = clean_answers(
        DEFN,
        good(
            kind="house",
            deed={"name": "deed.pdf", "mime": "application/pdf", "size": 3000},
            extras=["lift", "parking"],
            children=[
                {"name": "علی", "birth_date": "1395/01/01", "student": True, "school": "فردوسی"},
                {"name": "سارا", "birth_date": "1398/07/20"},
            ],
        ),
        today=TODAY,
    )
    fa = {item.name: item for item in summarize(DEFN, cleaned, lang="fa", today=TODAY)}
    assert "spouse_code" not in fa  # not asked, so not shown
    assert fa["rent"].label == "اجاره" and fa["rent"].value == "۱۲٬۰۰۰٬۰۰۰ ریال"
    assert fa["born"].value == "۱۱ اردیبهشت ۱۳۶۹"
    assert fa["kind"].value == "خانه"
    assert fa["extras"].value == "آسانسور، پارکینگ"
    assert fa["married"].value == "خیر"
    assert fa["deed"].value == "deed.pdf (۳ کیلوبایت)"
    assert fa["note"].value == "وارد نشده"
    assert fa["children"].value == "۲ ردیف"
    first, second = fa["children"].rows
    assert [i.name for i in first] == [
        "children[0].name",
        "children[0].birth_date",
        "children[0].student",
        "children[0].school",
    ]
    assert [i.name for i in second] == ["children[1].name", "children[1].birth_date", "children[1].student"]
    en = {item.name: item for item in summarize(DEFN, cleaned, lang="en", today=TODAY)}
    assert en["rent"].label == "Rent" and en["rent"].value == "12,000,000 rial"
    assert en["born"].value == "1 May 1990"
    assert en["married"].value == "No"
    assert en["area"].value == "75.5"
    assert en["note"].value == "Not provided"
    assert list(en) == list(fa)  # form order in both languages


def test_bundled_address_change_journey() -> None:
    defn = bundled_definitions()["address-change@1"]
    answers = {
        "national_code": "0012345679",
        "province": "tehran",
        "city": "تهران",
        "address": "خیابان آزادی، کوچه پنجم، پلاک ۱۲",
        "postal_code": "1234567890",
        "moved_on": "1403/05/12",
        "owns_home": "yes",
        "lease_contract": {"name": "lease.pdf", "mime": "application/pdf", "size": 10},
        "household_moved": "no",
    }
    cleaned = clean_answers(defn, answers, today=TODAY)
    assert "lease_contract" not in cleaned and "household" not in cleaned
    assert cleaned["moved_on"] == "2024-08-02"


def test_supporting_documents_against_the_definition() -> None:
    defn = definition_with(
        FORM,
        documents=(
            "  - {id: bill, title_fa: قبض, title_en: Bill,\n"
            "     mime_types: [application/pdf], max_size_bytes: 1000}\n"
            "  - {id: marriage, title_fa: عقدنامه, title_en: Marriage certificate, when: answers.married}\n"
            "  - {id: photo, title_fa: عکس, title_en: Photo, required: false}\n"
        ),
    )
    bill = {"name": "bill.pdf", "mime": "application/pdf", "size": 900}
    single = {"married": False}
    assert clean_documents(defn, {"bill": bill, "marriage": bill}, answers=single, today=TODAY) == {
        "bill": bill
    }
    with pytest.raises(ValidationFailed) as info:
        clean_documents(defn, {"bill": {**bill, "size": 1001}}, answers={"married": True}, today=TODAY)
    assert {e.field: e.code for e in info.value.errors} == {
        "documents.bill": "file_too_large",
        "documents.marriage": "required",
    }
