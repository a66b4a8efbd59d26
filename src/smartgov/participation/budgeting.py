"""Participatory-budget arithmetic: ballot rules per voting style and explained results.

Both styles fund projects the same way once ballots are counted: projects are ranked by
votes (ties: the cheaper first, then the earlier listed), and each is funded if its cost fits
what is left of the budget; a project that does not fit is skipped and the next one tried.
Every project's line in the result says which rule decided it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from smartgov.errors import DomainError
from smartgov.i18n import N_


@dataclass(frozen=True)
class ProjectCost:
    id: int
    position: int
    cost: int


@dataclass(frozen=True)
class ResultLine:
    """One project in the result: its rank, votes, whether it was funded and why."""

    project_id: int
    rank: int
    votes: int
    cost: int
    funded: bool
    remaining_before: int
    reason: str  # funded | does_not_fit | no_votes


def check_ballot(style: str, total: int, max_choices: int | None, projects: Sequence[ProjectCost],
                 selection: Sequence[int]) -> list[int]:
    """Validate one voter's selection for ``style``; returns it sorted and de-duplicated."""
    by_id = {p.id: p for p in projects}
    chosen = sorted(set(selection))
    if not chosen:
        raise DomainError("empty_ballot", N_("Choose at least one project."), field="projects")
    if len(chosen) != len(selection) or any(pid not in by_id for pid in chosen):
        raise DomainError("unknown_project", N_("Choose only projects of this budget, each once."), field="projects")
    if style == "approval":
        if max_choices is not None and len(chosen) > max_choices:
            raise DomainError("too_many_projects", N_("Choose at most {n} projects."), field="projects",
                              n=max_choices)
    else:
        spent = sum(by_id[pid].cost for pid in chosen)
        if spent > total:
            raise DomainError("over_budget", N_("Your choices cost {spent} rial, more than the budget of {total}."),
                              field="projects", spent=spent, total=total)
    return chosen


def tally(ballots: Iterable[Sequence[int]]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for ballot in ballots:
        counts.update(set(ballot))
    return counts


def allocate(total: int, projects: Sequence[ProjectCost], votes: Counter[int]) -> list[ResultLine]:
    """Greedy allocation by votes; see the module docstring for the rule and tie-breaks."""
    ranked = sorted(projects, key=lambda p: (-votes.get(p.id, 0), p.cost, p.position))
    remaining = total
    lines = []
    for rank, project in enumerate(ranked, start=1):
        n = votes.get(project.id, 0)
        if n == 0:
            lines.append(ResultLine(project.id, rank, 0, project.cost, False, remaining, "no_votes"))
        elif project.cost <= remaining:
            lines.append(ResultLine(project.id, rank, n, project.cost, True, remaining, "funded"))
            remaining -= project.cost
        else:
            lines.append(ResultLine(project.id, rank, n, project.cost, False, remaining, "does_not_fit"))
    return lines
