from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartgov.services import DefinitionInvalid, bundled_definitions, load_definition, parse_definition
from smartgov.services.definitions import GroupField, Transition

from .conftest import MINIMAL


def line_of(text: str, snippet: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    return lines[occurrence - 1]


def refuse(text: str) -> DefinitionInvalid:
    with pytest.raises(DefinitionInvalid) as info:
        parse_definition(text, "svc.yaml")
    return info.value


def test_minimal_definition_loads() -> None:
    defn = parse_definition(MINIMAL, "svc.yaml")
    assert defn.key == "permit@2"
    assert [f.name for f in defn.form] == ["workers", "wage"]
    assert defn.fee is not None and defn.fee.formula is not None
    assert defn.fee.formula.source == "floor(answers.wage * 7 / 100)"
    assert defn.workflow.transitions[0].from_ == ("submitted",)


def test_bundled_address_change_is_valid_and_bilingual() -> None:
    defs = bundled_definitions()
    defn = defs["address-change@1"]
    assert defn.relationship == "G2C"
    assert defn.title("fa") == "اعلام تغییر نشانی"
    assert defn.title("en") == "Notify a change of address"
    province = defn.fields_by_name["province"]
    assert len(province.options) == 31  # type: ignore[union-attr]
    household = defn.fields_by_name["household"]
    assert isinstance(household, GroupField) and household.when is not None
    withdraw = next(t for t in defn.workflow.transitions if t.action == "withdraw")
    assert isinstance(withdraw, Transition)
    assert set(withdraw.from_) == {"submitted", "in_review", "awaiting_applicant"}
    for item in [defn, *defn.form, *defn.workflow.states]:
        for attr in ("title", "label"):
            fa, en = getattr(item, f"{attr}_fa", None), getattr(item, f"{attr}_en", None)
            assert (fa is None) == (en is None)
            if fa is not None:
                assert fa != en


def test_load_definition_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "permit.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load_definition(path).id == "permit"
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("version: 2", "version: two"), encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as info:
        load_definition(bad)
    assert str(info.value).startswith(f"{bad}:2: version:")
    with pytest.raises(DefinitionInvalid):
        load_definition(tmp_path / "missing.yaml")


def test_wrong_type_names_file_line_and_field() -> None:
    text = MINIMAL.replace("sla_hours: 24", "sla_hours: soon")
    err = refuse(text)
    (issue,) = err.issues
    assert issue.source == "svc.yaml"
    assert issue.line == line_of(text, "sla_hours: soon")
    assert issue.field == "workflow.states[0].sla_hours"
    assert f"svc.yaml:{issue.line}: workflow.states[0].sla_hours:" in str(err)
    assert err.code == "definition_invalid"
    assert "svc.yaml" in err.localized("fa") and "تعریف خدمت نامعتبر است" in err.localized("fa")


def test_unknown_key_is_refused_at_its_line() -> None:
    text = MINIMAL.replace("    integer: true\n", "    integer: true\n    maximum: 5\n")
    (issue,) = refuse(text).issues
    assert issue.field == "form[0].maximum"
    assert issue.line == line_of(text, "maximum: 5")
    assert "Extra inputs" in issue.message


def test_missing_key_points_at_its_parent() -> None:
    text = MINIMAL.replace("    label_en: Wage\n", "")
    (issue,) = refuse(text).issues
    assert issue.field == "form[1].label_en"
    assert issue.line == line_of(text, "- name: wage")


def test_unknown_field_type_is_named() -> None:
    text = MINIMAL.replace("type: money", "type: currency")
    (issue,) = refuse(text).issues
    assert issue.field == "form[1]"
    assert "currency" in issue.message


def test_bad_expression_is_refused_with_its_position() -> None:
    text = MINIMAL.replace("floor(answers.wage * 7 / 100)", "floor(answers.wage * )")
    (issue,) = refuse(text).issues
    assert issue.field == "fee.formula"
    assert issue.line == line_of(text, "formula:")
    assert "position" in issue.message


def test_transition_to_unknown_state() -> None:
    text = MINIMAL.replace("to: done", "to: finished")
    issue, unreachable = refuse(text).issues
    assert unreachable.message == "state 'done' cannot be reached from 'submitted'"
    assert issue.field == "workflow.transitions[0].to"
    assert issue.line == line_of(text, "to: finished")
    assert "finished" in issue.message


def test_exactly_one_initial_state() -> None:
    text = MINIMAL.replace("{id: done, terminal: true,", "{id: done, initial: false, terminal: true,")
    parse_definition(text)  # explicit false is fine
    none = refuse(MINIMAL.replace("initial: true, ", ""))
    assert any("exactly one state must be initial (found 0)" in i.message for i in none.issues)
    extra = MINIMAL.replace(
        "    - {id: done,",
        "    - {id: other, initial: true, label_fa: دیگر, label_en: Other}\n    - {id: done,",
    )
    assert any("(found 2)" in i.message for i in refuse(extra).issues)


def test_unreachable_and_dead_end_states() -> None:
    text = MINIMAL.replace(
        "    - {id: done,",
        "    - {id: limbo, sla_hours: 5, label_fa: برزخ, label_en: Limbo}\n    - {id: done,",
    )
    messages = {i.message: i for i in refuse(text).issues}
    assert "state 'limbo' cannot be reached from 'submitted'" in messages
    assert "state 'limbo' is not terminal but has no way out" in messages
    assert messages["state 'limbo' cannot be reached from 'submitted'"].line == line_of(text, "id: limbo")


def test_terminal_states_have_no_exit_and_no_sla() -> None:
    text = MINIMAL.replace("{id: done, terminal: true,", "{id: done, terminal: true, sla_hours: 4,")
    assert "a terminal state has no SLA" in refuse(text).issues[0].message
    text = MINIMAL + (
        "    - from: done\n      to: submitted\n      action: reopen\n      roles: [officer]\n"
        "      label_fa: بازگشایی\n      label_en: Reopen\n"
    )
    assert any("terminal" in i.message for i in refuse(text).issues)


def test_automatic_transitions_need_a_condition_and_no_roles() -> None:
    auto = MINIMAL.replace("      roles: [officer]\n", "      automatic: true\n")
    assert "needs a condition" in refuse(auto).issues[0].message
    both = MINIMAL.replace(
        "      roles: [officer]\n", "      roles: [officer]\n      automatic: true\n      condition: true\n"
    )
    assert "remove roles" in refuse(both).issues[0].message
    manual_condition = MINIMAL.replace(
        "      roles: [officer]\n", "      roles: [officer]\n      condition: true\n"
    )
    assert "only automatic" in refuse(manual_condition).issues[0].message


def test_automatic_loops_are_refused() -> None:
    text = MINIMAL.replace(
        "    - {id: done,",
        "    - {id: checking, label_fa: بررسی, label_en: Checking}\n    - {id: done,",
    ) + (
        "    - from: submitted\n      to: checking\n      action: check\n      automatic: true\n"
        "      condition: answers.wage > 0\n      label_fa: الف\n      label_en: A\n"
        "    - from: checking\n      to: submitted\n      action: back\n      automatic: true\n"
        "      condition: answers.wage > 0\n      label_fa: ب\n      label_en: B\n"
    )
    messages = [i.message for i in refuse(text).issues]
    assert any(m.startswith("automatic transitions form a loop") for m in messages)


def test_duplicate_action_from_one_state() -> None:
    text = MINIMAL + (
        "    - from: submitted\n      to: done\n      action: approve\n      roles: [boss]\n"
        "      label_fa: تأیید\n      label_en: Approve\n"
    )
    (issue,) = refuse(text).issues
    assert issue.field == "workflow.transitions[1].action"


def test_field_names_must_be_unique() -> None:
    text = MINIMAL.replace("name: wage", "name: workers")
    issue = refuse(text).issues[0]
    assert issue.field == "form[1].name"
    assert issue.line == line_of(text, "name: workers", 2)


def test_when_must_reference_an_earlier_field() -> None:
    later = MINIMAL.replace(
        "    label_en: Number of workers\n",
        "    label_en: Number of workers\n    when: answers.wage > 0\n",
    )
    (issue,) = refuse(later).issues
    assert issue.field == "form[0].when"
    assert "answers.wage" in issue.message
    typo = MINIMAL.replace("    label_en: Wage\n", "    label_en: Wage\n    when: answers.worker > 0\n")
    assert "answers.worker" in refuse(typo).issues[0].message
    root = MINIMAL.replace(
        "    label_en: Wage\n", "    label_en: Wage\n    when: applicant.age > 0 and me.x\n"
    )
    assert "unknown name 'me'" in refuse(root).issues[0].message
    fine = MINIMAL.replace("    label_en: Wage\n", "    label_en: Wage\n    when: answers.workers > 0\n")
    assert parse_definition(fine).form[1].when is not None


def test_group_rows_reference_earlier_row_fields() -> None:
    group = """\
  - name: kids
    type: group
    label_fa: فرزندان
    label_en: Children
    fields:
      - {name: age, type: number, label_fa: سن, label_en: Age}
      - {name: school, type: text, label_fa: مدرسه, label_en: School, when: row.age >= 7}
      - {name: bad, type: text, label_fa: بد, label_en: Bad, when: row.nope == 1}
"""
    text = MINIMAL.replace("fee:", group + "fee:")
    (issue,) = refuse(text).issues
    assert issue.field == "form[2].fields[2].when"
    assert issue.line == line_of(text, "name: bad")


def test_fee_needs_exactly_one_of_amount_and_formula() -> None:
    text = MINIMAL.replace("  formula: floor", "  amount: 5000\n  formula: floor")
    assert "exactly one" in refuse(text).issues[0].message
    assert parse_definition(MINIMAL.replace("  formula: floor(answers.wage * 7 / 100)", "  amount: 5000")).fee


def test_fee_and_rules_may_only_read_known_fields() -> None:
    text = MINIMAL.replace("answers.wage * 7", "answers.salary * 7")
    (issue,) = refuse(text).issues
    assert issue.field == "fee.formula"
    rules = MINIMAL + (
        "eligibility:\n  - id: old\n    rule: applicant.age >= 60 and answers.salary > 0\n"
        "    message_fa: پیر\n    message_en: Old\n"
    )
    assert refuse(rules).issues[0].field == "eligibility[0].rule"


def test_choice_option_values_unique() -> None:
    choice = """\
  - name: kind
    type: choice
    label_fa: نوع
    label_en: Kind
    options:
      - {value: a, label_fa: الف, label_en: A}
      - {value: a, label_fa: ب, label_en: B}
"""
    (issue,) = refuse(MINIMAL.replace("fee:", choice + "fee:")).issues
    assert issue.field == "form[2]" and "unique" in issue.message


def test_yaml_problems_are_reported_with_lines() -> None:
    (syntax,) = refuse("id: a\ntitle_fa: [unclosed\n").issues
    assert syntax.line >= 2 and "not valid YAML" in syntax.message
    (dup,) = refuse(MINIMAL + "version: 3\n").issues
    assert dup.message == "duplicate key" and dup.line == line_of(MINIMAL + "version: 3\n", "version: 3")
    aliases = refuse("a: &x [1, 2]\nb: *x\n").issues
    assert "anchors and aliases" in aliases[0].message
    assert "empty" in refuse("").issues[0].message
    (control,) = refuse("id: a\ntitle_fa: \x08\n").issues
    assert control.line == 2 and "not allowed" in control.message
    assert "nested too deeply" in refuse("[" * 5000).issues[0].message
    top = refuse("- just\n- a list\n").issues[0]
    assert top.field == "" and "dictionary" in top.message.lower()


def test_many_errors_are_reported_together() -> None:
    text = MINIMAL.replace("version: 2", "version: 0").replace("relationship: G2B", "relationship: B2B")
    fields = {i.field for i in refuse(text).issues}
    assert fields == {"version", "relationship"}


BUNDLED_TEXT = (
    Path(__file__).parents[2] / "src/smartgov/services/definitions/address-change.yaml"
).read_text("utf-8")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_definitions_are_refused_cleanly(data: st.DataObject) -> None:
    """Dropping, repeating or swapping lines of a valid file never crashes the loader."""
    lines = BUNDLED_TEXT.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "repeat", "swap", "garble"]))
        if action == "drop":
            del lines[i]
        elif action == "repeat":
            lines.insert(i, lines[i])
        elif action == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif action == "garble":
            lines[i] = data.draw(st.text(max_size=30)) + "\n"
    try:
        parse_definition("".join(lines), "damaged.yaml")
    except DefinitionInvalid as exc:
        assert exc.issues
        assert all(i.source == "damaged.yaml" and i.line >= 0 and i.message for i in exc.issues)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_random_text_is_refused_cleanly(text: str) -> None:
    with pytest.raises(DefinitionInvalid):
        parse_definition(text, "random.yaml")
