"""The case state machine, built from a definition's ``workflow`` section.

Pure: it answers "what may this role do now?" and "where does this action lead?" and
leaves recording the step (who, when, from → to, reason) to the caller's transaction.
Time is always passed in (``now``), so tests move the clock instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from smartgov import clock
from smartgov.errors import Conflict, DomainError, Forbidden
from smartgov.i18n import N_

from .definitions import ServiceDefinition, State, Transition, WorkflowSpec

_BUILT: dict[int, tuple[WorkflowSpec, Workflow]] = {}

MAX_REASON_LENGTH = 2000
MAX_AUTOMATIC_STEPS = 50
"""Safety net only: definitions with loops of automatic steps are refused at load."""


class Workflow:
    """States and transitions of one service version, indexed for quick lookups."""

    def __init__(self, spec: WorkflowSpec) -> None:
        self.spec = spec
        self.states: dict[str, State] = {s.id: s for s in spec.states}
        self.initial: str = next(s.id for s in spec.states if s.initial)
        self._outgoing: dict[str, list[Transition]] = {s: [] for s in self.states}
        for tr in spec.transitions:
            for source in tr.from_:
                self._outgoing[source].append(tr)

    @classmethod
    def from_definition(cls, definition: ServiceDefinition) -> Workflow:
        """Built once per parsed definition (a status read asked for it three times)."""
        spec = definition.workflow
        found = _BUILT.get(id(spec))
        if found is None or found[0] is not spec:  # the spec is kept in the entry, so its id is not reused
            if len(_BUILT) >= 1000:
                _BUILT.clear()
            found = _BUILT[id(spec)] = (spec, cls(spec))
        return found[1]

    def state(self, state_id: str) -> State:
        """The state called ``state_id``; an unknown id means stored data and definition disagree."""
        try:
            return self.states[state_id]
        except KeyError:
            raise DomainError(
                "workflow_unknown_state", N_("Unknown case state “{state}”."), state=state_id
            ) from None

    def is_terminal(self, state_id: str) -> bool:
        return self.state(state_id).terminal

    def available_actions(self, state_id: str, role: str) -> list[Transition]:
        """Manual actions ``role`` may take in this state, in definition order (the inbox's buttons)."""
        return [tr for tr in self._outgoing[self.state(state_id).id] if not tr.automatic and role in tr.roles]

    def apply(self, state_id: str, action: str, role: str, reason: str | None = None) -> str:
        """The state after ``role`` takes ``action``; refuses closed cases, wrong roles, missing reasons."""
        state = self.state(state_id)
        if state.terminal:
            raise Conflict("workflow_closed", N_("This case is closed; no further action is possible."))
        transition = next(
            (tr for tr in self._outgoing[state.id] if tr.action == action and not tr.automatic), None
        )
        if transition is None:
            raise Conflict(
                "workflow_action_unavailable", N_("“{action}” is not possible at this stage."), action=action
            )
        if role not in transition.roles:
            raise Forbidden(N_("You are not allowed to take this action."))
        text = (reason or "").strip()
        if transition.requires_reason and not text:
            raise DomainError("reason_required", N_("Give a reason for this decision."), field="reason")
        if len(text) > MAX_REASON_LENGTH:
            raise DomainError(
                "reason_too_long",
                N_("Enter no more than {max} characters."),
                field="reason",
                max=MAX_REASON_LENGTH,
            )
        return transition.to

    def automatic_step(self, state_id: str, data: Mapping[str, Any], now: dt.datetime) -> Transition | None:
        """The first automatic transition out of this state whose condition holds, if any.

        ``data`` holds ``answers``, ``applicant`` and ``application``. A condition that
        cannot be evaluated does not hold: when in doubt, a person decides.
        """
        state = self.state(state_id)
        if state.terminal:
            return None
        for tr in self._outgoing[state.id]:
            if not tr.automatic or tr.condition is None:
                continue
            try:
                if tr.condition.evaluate_bool(data, today=clock.local(now).date()):
                    return tr
            except DomainError:
                continue
        return None

    def settle(self, state_id: str, data: Mapping[str, Any], now: dt.datetime) -> list[Transition]:
        """Every automatic step taken one after another from ``state_id`` until none applies."""
        steps: list[Transition] = []
        current = state_id
        while len(steps) < MAX_AUTOMATIC_STEPS and (step := self.automatic_step(current, data, now)):
            steps.append(step)
            current = step.to
        return steps

    def sla_deadline(self, entered_at: dt.datetime, state_id: str) -> dt.datetime | None:
        """When a case that entered ``state_id`` at ``entered_at`` must have moved on (None: no SLA).

        Hours are calendar hours; working-day calendars are a later refinement.
        """
        hours = self.state(state_id).sla_hours
        return None if hours is None else entered_at + dt.timedelta(hours=hours)


def is_breached(deadline: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether ``now`` is past the deadline; a state without SLA is never breached."""
    return deadline is not None and now > deadline


def time_left(deadline: dt.datetime | None, now: dt.datetime) -> dt.timedelta | None:
    """What the inbox counts down (negative once breached); None without an SLA."""
    return None if deadline is None else deadline - now
