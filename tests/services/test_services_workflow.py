from __future__ import annotations

import datetime as dt

import pytest

from smartgov.errors import Conflict, DomainError, Forbidden
from smartgov.services import Workflow, bundled_definitions, is_breached, parse_definition, time_left

from .conftest import MINIMAL

DEFN = bundled_definitions()["address-change@1"]
WF = Workflow.from_definition(DEFN)
TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))
T0 = dt.datetime(2024, 9, 1, 9, 0, tzinfo=TEHRAN)


def test_initial_state_and_actions_per_role() -> None:
    assert WF.initial == "submitted"
    assert [t.action for t in WF.available_actions("submitted", "registry_clerk")] == ["start_review"]
    assert [t.action for t in WF.available_actions("submitted", "applicant")] == ["withdraw"]
    assert [t.action for t in WF.available_actions("in_review", "registry_clerk")] == [
        "approve",
        "reject",
        "request_information",
    ]
    assert WF.available_actions("in_review", "stranger") == []
    assert WF.available_actions("registered", "registry_clerk") == []
    # automatic steps are never offered as buttons
    assert all(not t.automatic for t in WF.available_actions("submitted", "registry_clerk"))


def test_a_whole_manual_journey() -> None:
    state = WF.apply("submitted", "start_review", "registry_clerk")
    assert state == "in_review"
    state = WF.apply(state, "request_information", "registry_clerk", reason="Send a clearer bill, please.")
    assert state == "awaiting_applicant"
    state = WF.apply(state, "respond", "applicant")
    assert state == "in_review"
    state = WF.apply(state, "approve", "registry_clerk")
    assert state == "registered" and WF.is_terminal(state)


def test_wrong_role_is_forbidden() -> None:
    with pytest.raises(Forbidden) as info:
        WF.apply("in_review", "approve", "applicant")
    assert info.value.status == 403


def test_unknown_or_misplaced_action_is_a_conflict() -> None:
    with pytest.raises(Conflict) as info:
        WF.apply("submitted", "approve", "registry_clerk")
    assert info.value.code == "workflow_action_unavailable"
    assert info.value.localized("fa") == "«approve» در این مرحله ممکن نیست."
    with pytest.raises(Conflict):
        WF.apply("submitted", "register_owner", "registry_clerk")  # automatic only


def test_terminal_states_refuse_everything() -> None:
    for state in ("registered", "rejected", "withdrawn"):
        with pytest.raises(Conflict) as info:
            WF.apply(state, "withdraw", "applicant")
        assert info.value.code == "workflow_closed"


def test_mandatory_reason() -> None:
    for reason in (None, "", "   "):
        with pytest.raises(DomainError) as info:
            WF.apply("in_review", "reject", "registry_clerk", reason=reason)
        assert info.value.code == "reason_required" and info.value.field == "reason"
    assert (
        WF.apply("in_review", "reject", "registry_clerk", reason="The bill is for another address.")
        == "rejected"
    )
    with pytest.raises(DomainError) as info:
        WF.apply("in_review", "reject", "registry_clerk", reason="x" * 2001)
    assert info.value.code == "reason_too_long"


def test_unknown_state() -> None:
    with pytest.raises(DomainError) as info:
        WF.apply("lost", "approve", "registry_clerk")
    assert info.value.code == "workflow_unknown_state"


def test_automatic_step_follows_its_condition() -> None:
    owner = {"answers": {"owns_home": True}, "applicant": {}, "application": {}}
    tenant = {"answers": {"owns_home": False}, "applicant": {}, "application": {}}
    step = WF.automatic_step("submitted", owner, T0)
    assert step is not None and step.to == "registered" and step.action == "register_owner"
    assert WF.automatic_step("submitted", tenant, T0) is None
    assert WF.automatic_step("in_review", owner, T0) is None  # no automatic exit there
    assert WF.automatic_step("registered", owner, T0) is None
    # missing data never decides automatically: a person does
    assert WF.automatic_step("submitted", {"applicant": {}}, T0) is None


def test_settle_chains_automatic_steps_and_uses_the_clock() -> None:
    text = MINIMAL.replace(
        "    - {id: done,",
        "    - {id: checked, label_fa: بررسی‌شده, label_en: Checked}\n    - {id: done,",
    ) + (
        "    - from: submitted\n      to: checked\n      action: check\n      automatic: true\n"
        "      condition: answers.wage > 0\n      label_fa: بررسی\n      label_en: Check\n"
        "    - from: checked\n      to: done\n      action: close_on_time\n      automatic: true\n"
        "      condition: today() < date('1403/07/01')\n      label_fa: بستن\n      label_en: Close\n"
        "    - from: checked\n      to: done\n      action: close_late\n      roles: [officer]\n"
        "      label_fa: بستن\n      label_en: Close\n"
    )
    wf = Workflow.from_definition(parse_definition(text))
    data = {"answers": {"wage": 10}, "applicant": {}, "application": {}}
    assert [t.action for t in wf.settle("submitted", data, T0)] == ["check", "close_on_time"]
    late = dt.datetime(2024, 10, 1, tzinfo=TEHRAN)  # 1403/07/10
    assert [t.action for t in wf.settle("submitted", data, late)] == ["check"]
    assert wf.settle("submitted", {"answers": {"wage": 0}}, T0) == []


def test_sla_deadline_and_breach_with_a_moved_clock() -> None:
    deadline = WF.sla_deadline(T0, "in_review")
    assert deadline == T0 + dt.timedelta(hours=72)
    assert not is_breached(deadline, T0 + dt.timedelta(hours=72))
    assert is_breached(deadline, T0 + dt.timedelta(hours=72, seconds=1))
    assert time_left(deadline, T0 + dt.timedelta(hours=70)) == dt.timedelta(hours=2)
    assert time_left(deadline, T0 + dt.timedelta(hours=73)) == dt.timedelta(hours=-1)
    assert WF.sla_deadline(T0, "registered") is None
    assert not is_breached(None, T0 + dt.timedelta(days=3650))
    assert time_left(None, T0) is None
