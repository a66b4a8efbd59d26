"""Maturity scores from survey answers, and the stage models of seeds 002 and 003.

Scores roll up the framework tree (items → components → dimensions → overall) with
configurable weights, so the same code scores the DG model, the CSF or Taghva's model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from smartgov.assessment.frameworks import Framework, Node, load_framework
from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_

SCALE_POINTS = (5, 7)


@dataclass(frozen=True)
class Item:
    """One Likert question: the response column, the component it measures, its direction."""

    id: str
    component: str
    reverse: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class Instrument:
    """A questionnaire built on a framework; ``weights`` maps node codes to roll-up weights."""

    framework: Framework
    items: tuple[Item, ...]
    scale_points: int = 5
    weights: Mapping[str, float] = field(default_factory=dict)
    component_level: str | None = None

    def __post_init__(self) -> None:
        if self.scale_points not in SCALE_POINTS:
            raise DomainError("scale_points", N_("A Likert scale must have 5 or 7 points."), field="scale_points")
        level = self.level
        codes = {n.code for n in self.framework.at_level(level)}
        for item in self.items:
            if item.component not in codes:
                raise DomainError(
                    "unknown_component",
                    N_("Item {item} refers to an unknown component {component}."),
                    field=item.id,
                    item=item.id,
                    component=item.component,
                )
            if not item.weight > 0:
                raise DomainError("bad_weight", N_("Weights must be positive numbers."), field=item.id)
        if len({i.id for i in self.items}) != len(self.items):
            raise DomainError("duplicate_item", N_("An item is listed more than once."), field="items")
        if any(not w > 0 for w in self.weights.values()):
            raise DomainError("bad_weight", N_("Weights must be positive numbers."), field="weights")

    @property
    def level(self) -> str:
        levels = self.framework.levels
        return self.component_level or (levels[1] if len(levels) > 1 else levels[0])


@dataclass(frozen=True)
class NodeScore:
    """Mean on the Likert scale and the same mean as 0–100 (for charts and comparisons)."""

    code: str
    mean: float
    percent: float
    n: int


@dataclass(frozen=True)
class MaturityScores:
    framework_id: str
    scale_points: int
    n_respondents: int
    components: dict[str, NodeScore]
    dimensions: dict[str, NodeScore]
    overall: NodeScore | None


def validate_responses(instrument: Instrument, responses: pd.DataFrame) -> pd.DataFrame:
    """Every cell numeric and on the scale; all problems at once, each naming row and column."""
    errors: list[DomainError] = []
    for item in instrument.items:
        if item.id not in responses.columns:
            errors.append(
                DomainError("missing_column", N_("Column {column} is missing."), field=item.id, column=item.id)
            )
    if errors:
        raise ValidationFailed(errors)
    frame = responses[[i.id for i in instrument.items]]
    numbers = frame.apply(pd.to_numeric, errors="coerce")
    top = instrument.scale_points
    for col in frame.columns:
        for row in np.flatnonzero((numbers[col].isna() & frame[col].notna()).to_numpy()):
            errors.append(
                DomainError(
                    "not_numeric",
                    N_("Row {row}, column {column}: the value is not a number."),
                    field=col,
                    row=int(row) + 1,
                    column=col,
                )
            )
        values = numbers[col].to_numpy(dtype=float)
        bad = ~np.isnan(values) & ((values < 1) | (values > top) | (values != np.round(values)))
        for row in np.flatnonzero(bad):
            errors.append(
                DomainError(
                    "out_of_range",
                    N_("Row {row}, column {column}: {value} is not a whole number from 1 to {top}."),
                    field=col,
                    row=int(row) + 1,
                    column=col,
                    value=str(frame[col].iloc[row]),
                    top=top,
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return numbers


def score(instrument: Instrument, responses: pd.DataFrame) -> MaturityScores:
    """Component, dimension and overall scores; reverse-coded items are flipped first.

    A respondent's component score is the weighted mean of the items they answered; the
    component's score is the mean over respondents; higher levels are weighted means of the
    level below (weight 1 unless ``instrument.weights`` says otherwise).
    """
    numbers = validate_responses(instrument, responses)
    top = instrument.scale_points
    for item in instrument.items:
        if item.reverse:
            numbers[item.id] = (top + 1) - numbers[item.id]
    components: dict[str, NodeScore] = {}
    for code in dict.fromkeys(i.component for i in instrument.items):
        members = [i for i in instrument.items if i.component == code]
        values = numbers[[i.id for i in members]].to_numpy(dtype=float)
        weights = np.array([i.weight for i in members])
        answered = ~np.isnan(values)
        total = (np.nan_to_num(values) * weights).sum(axis=1)
        wsum = (answered * weights).sum(axis=1)
        per_person = total[wsum > 0] / wsum[wsum > 0]
        if len(per_person):
            components[code] = _node_score(code, float(per_person.mean()), len(per_person), top)
    dimensions: dict[str, NodeScore] = {}
    fw = instrument.framework
    if instrument.level != fw.levels[0]:
        for dim in fw.nodes:
            parts = [components[n.code] for n in dim.walk() if n.code in components]
            if parts:
                dimensions[dim.code] = _weighted(dim.code, parts, instrument.weights, top)
    top_level = list(dimensions.values()) or list(components.values())
    overall = _weighted("overall", top_level, instrument.weights, top) if top_level else None
    return MaturityScores(fw.id, top, len(numbers), components, dimensions, overall)


def _node_score(code: str, mean: float, n: int, top: int) -> NodeScore:
    return NodeScore(code, mean, (mean - 1) / (top - 1) * 100, n)


def _weighted(code: str, parts: Sequence[NodeScore], weights: Mapping[str, float], top: int) -> NodeScore:
    w = np.array([weights.get(p.code, 1.0) for p in parts])
    mean = float((np.array([p.mean for p in parts]) * w).sum() / w.sum())
    return _node_score(code, mean, min(p.n for p in parts), top)


@dataclass(frozen=True)
class Change:
    code: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        return self.after - self.before


def compare_rounds(before: MaturityScores, after: MaturityScores) -> dict[str, Change]:
    """Percent-score change per component, dimension and overall between two rounds."""
    if before.framework_id != after.framework_id:
        raise DomainError("rounds_differ", N_("Only rounds of the same framework can be compared."))
    out: dict[str, Change] = {}
    for group in ("components", "dimensions"):
        old, new = getattr(before, group), getattr(after, group)
        for code in new:
            if code in old:
                out[code] = Change(code, old[code].percent, new[code].percent)
    if before.overall and after.overall:
        out["overall"] = Change("overall", before.overall.percent, after.overall.percent)
    return out


# --------------------------------------------------------------------------- stage models

TGOV_EXTERNAL_NEEDS_INTERNAL = N_(
    "Invalid T-Gov answers: a transformation cannot affect external relations without changing internal policy first."
)
TGOV_CONTEXT_NEEDS_EXTERNAL = N_(
    "Invalid T-Gov answers: a transformation cannot change the context without affecting external relations first."
)


def tgov_stage(internal: bool, external: bool, context: bool) -> Node:
    """T-Gov stage (seed 003, Table 1) from its three yes/no questions.

    Only 4 of the 8 combinations exist: external change needs internal change and context
    change needs external change; the other 4 are refused with the rule they break.
    """
    if external and not internal:
        raise DomainError("tgov_invalid", TGOV_EXTERNAL_NEEDS_INTERNAL, field="external")
    if context and not external:
        raise DomainError("tgov_invalid", TGOV_CONTEXT_NEEDS_EXTERNAL, field="context")
    wanted = {"internal": internal, "external": external, "context": context}
    for stage in load_framework("tgov").nodes:
        if dict(stage.attrs["answers"]) == wanted:
            return stage
    raise AssertionError("tgov.yaml does not cover a valid combination")  # pragma: no cover


@dataclass(frozen=True)
class GartnerResult:
    """The stage reached (0 = none) and the later stages claimed without their foundations."""

    stage: int
    node: Node | None
    unsupported: tuple[str, ...] = ()


def gartner_stage(presence: bool, interaction: bool, transaction: bool, transformation: bool) -> GartnerResult:
    """Gartner's stages are cumulative: a stage counts only if every earlier one is in place."""
    answers = (presence, interaction, transaction, transformation)
    reached = 0
    for done in answers:
        if not done:
            break
        reached += 1
    stages = load_framework("gartner").nodes
    unsupported = tuple(stages[i].code for i in range(reached, 4) if answers[i])
    return GartnerResult(reached, stages[reached - 1] if reached else None, unsupported)


def egdi(osi: float, tii: float, hci: float) -> float:
    """UN EGDI = (OSI + TII + HCI) / 3, each on 0..1."""
    for name, value in (("osi", osi), ("tii", tii), ("hci", hci)):
        if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1):
            raise DomainError("egdi_range", N_("{name} must be between 0 and 1."), field=name, name=name.upper())
    return (osi + tii + hci) / 3


def instrument_from_spec(framework_id: str, spec: Mapping[str, Any], **options: str) -> Instrument:
    """Build an instrument from a plain mapping (YAML/JSON): ``{scale_points, weights, items: [...]}``."""
    items = tuple(
        Item(str(i["id"]), str(i["component"]), bool(i.get("reverse", False)), float(i.get("weight", 1.0)))
        for i in spec.get("items", ())
    )
    return Instrument(
        load_framework(framework_id, **options),
        items,
        int(spec.get("scale_points", 5)),
        dict(spec.get("weights", {})),
    )
