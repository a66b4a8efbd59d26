"""Declarative service definitions: the YAML an agency publishes instead of writing code.

A definition says what a service asks (form), needs (documents), allows (eligibility),
costs (fee), how a case moves (workflow with SLAs) and what it issues (output). Because
it is published without a code review, loading it is strict: unknown keys, bad types,
broken references, unreachable states and unparsable rules are all refused, each with
the file, line and field so the author can fix it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from smartgov.errors import DomainError
from smartgov.i18n import N_

from .expressions import Expression, ExpressionError, parse

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
MAX_DEFINITION_BYTES = 512 * 1024
"""Definitions are hand-written; anything bigger is a mistake or an attack on the loader."""

FORM_ROOTS = ("answers", "applicant")
ROW_ROOTS = ("answers", "applicant", "row")
WORKFLOW_ROOTS = ("answers", "applicant", "application")


# --------------------------------------------------------------------------- field types


def _to_expression(value: Any) -> Any:
    if isinstance(value, Expression):
        return value
    if isinstance(value, bool):  # YAML reads `condition: true` as a boolean
        value = "true" if value else "false"
    if not isinstance(value, str):
        raise ValueError("must be an expression written as text")
    try:
        return parse(value)
    except ExpressionError as exc:
        raise ValueError(exc.localized("en")) from exc


def _to_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


Expr = Annotated[Expression, BeforeValidator(_to_expression)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
"""Field, state, action and role names: usable as expression paths and in URLs."""
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
MimeType = Annotated[str, StringConstraints(pattern=r"^[a-z0-9.+-]+/[a-z0-9.+-]+$")]

MAX_UPLOAD_BYTES = 100 * 1024 * 1024


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class _FieldBase(_Model):
    name: Name
    label_fa: Text
    label_en: Text
    hint_fa: OptionalText = ""
    hint_en: OptionalText = ""
    required: bool = True
    when: Expr | None = None

    def label(self, lang: str) -> str:
        return self.label_fa if lang == "fa" else self.label_en


class TextField(_FieldBase):
    """Free text; ``digits_only`` covers postal codes and phone numbers without regexes."""

    type: Literal["text"]
    min_length: int = Field(0, ge=0)
    max_length: int = Field(500, ge=1, le=10_000)
    multiline: bool = False
    digits_only: bool = False

    @model_validator(mode="after")
    def _lengths(self) -> TextField:
        if self.min_length > self.max_length:
            raise ValueError("min_length is greater than max_length")
        return self


class NumberField(_FieldBase):
    type: Literal["number"]
    min: Decimal | None = None
    max: Decimal | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _bounds(self) -> NumberField:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class MoneyField(_FieldBase):
    """An amount in rial: a non-negative integer, never a float."""

    type: Literal["money"]
    min: int = Field(0, ge=0)
    max: int | None = Field(None, ge=0, le=10**18)

    @model_validator(mode="after")
    def _bounds(self) -> MoneyField:
        if self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class JalaliDateField(_FieldBase):
    """Typed as ``1403/05/12``; stored as ISO Gregorian so rules and databases agree."""

    type: Literal["jalali_date"]
    not_in_future: bool = False
    not_in_past: bool = False


class NationalCodeField(_FieldBase):
    type: Literal["national_code"]


class ChoiceOption(_Model):
    value: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    label_fa: Text
    label_en: Text

    def label(self, lang: str) -> str:
        return self.label_fa if lang == "fa" else self.label_en


class ChoiceField(_FieldBase):
    type: Literal["choice"]
    options: tuple[ChoiceOption, ...] = Field(min_length=1)
    multiple: bool = False

    @model_validator(mode="after")
    def _unique(self) -> ChoiceField:
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError("option values must be unique")
        return self

    def option(self, value: str) -> ChoiceOption | None:
        return next((o for o in self.options if o.value == value), None)


class YesNoField(_FieldBase):
    type: Literal["yes_no"]


class FileField(_FieldBase):
    """An upload's metadata (name, MIME type, size); the bytes live in file storage."""

    type: Literal["file"]
    mime_types: tuple[MimeType, ...] = Field(min_length=1)
    max_size_bytes: int = Field(5 * 1024 * 1024, gt=0, le=MAX_UPLOAD_BYTES)


SubField = Annotated[
    TextField
    | NumberField
    | MoneyField
    | JalaliDateField
    | NationalCodeField
    | ChoiceField
    | YesNoField
    | FileField,
    Field(discriminator="type"),
]


class GroupField(_FieldBase):
    """Repeating rows (e.g. children); one level deep so paths stay ``group[i].field``."""

    type: Literal["group"]
    fields: tuple[SubField, ...] = Field(min_length=1)
    min_items: int = Field(0, ge=0)
    max_items: int = Field(10, ge=1, le=200)

    @model_validator(mode="after")
    def _bounds(self) -> GroupField:
        if self.min_items > self.max_items:
            raise ValueError("min_items is greater than max_items")
        return self


FormField = Annotated[
    TextField
    | NumberField
    | MoneyField
    | JalaliDateField
    | NationalCodeField
    | ChoiceField
    | YesNoField
    | FileField
    | GroupField,
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- other parts


class DocumentSpec(_Model):
    """A supporting document listed on the start page and uploaded with the application."""

    id: Name
    title_fa: Text
    title_en: Text
    description_fa: OptionalText = ""
    description_en: OptionalText = ""
    required: bool = True
    mime_types: tuple[MimeType, ...] = ("application/pdf", "image/jpeg", "image/png")
    max_size_bytes: int = Field(5 * 1024 * 1024, gt=0, le=MAX_UPLOAD_BYTES)
    when: Expr | None = None


class EligibilityRule(_Model):
    """Must be true for the applicant to apply; otherwise its message says why not."""

    id: Name
    rule: Expr
    message_fa: Text
    message_en: Text


class Fee(_Model):
    """A fixed ``amount``, a ``formula`` (floored to an integer) or a named ``provider``, in rial.

    A provider is a function a domain module registers (``services.register_fee_provider``)
    for fees no formula over the answers can express, such as a premium computed from a file.
    """

    amount: int | None = Field(None, ge=0, le=10**18)
    formula: Expr | None = None
    provider: Ident | None = None
    description_fa: OptionalText = ""
    description_en: OptionalText = ""

    @model_validator(mode="after")
    def _one_of(self) -> Fee:
        if sum(x is not None for x in (self.amount, self.formula, self.provider)) != 1:
            raise ValueError("give exactly one of amount, formula or provider")
        return self


class State(_Model):
    id: Name
    label_fa: Text
    label_en: Text
    initial: bool = False
    terminal: bool = False
    sla_hours: int | None = Field(None, gt=0, le=24 * 365)

    @model_validator(mode="after")
    def _flags(self) -> State:
        if self.terminal and self.sla_hours is not None:
            raise ValueError("a terminal state has no SLA")
        if self.terminal and self.initial:
            raise ValueError("a state cannot be both initial and terminal")
        return self


class Transition(_Model):
    """A move ``from`` → ``to`` taken by a person with one of ``roles``, or automatically."""

    model_config = ConfigDict(populate_by_name=True)

    from_: Annotated[tuple[Name, ...], BeforeValidator(_to_tuple)] = Field(alias="from", min_length=1)
    to: Name
    action: Name
    label_fa: Text
    label_en: Text
    roles: Annotated[tuple[Name, ...], BeforeValidator(_to_tuple)] = ()
    requires_reason: bool = False
    automatic: bool = False
    condition: Expr | None = None
    actions: Annotated[tuple[Ident, ...], BeforeValidator(_to_tuple)] = ()
    """Named actions of domain modules run when the transition is taken (``services.register_action``)."""

    @model_validator(mode="after")
    def _kind(self) -> Transition:
        if self.automatic:
            if self.condition is None:
                raise ValueError("an automatic transition needs a condition")
            if self.roles:
                raise ValueError("an automatic transition is taken by the system; remove roles")
            if self.requires_reason:
                raise ValueError("an automatic transition cannot require a reason")
        else:
            if not self.roles:
                raise ValueError("a manual transition needs at least one role")
            if self.condition is not None:
                raise ValueError("only automatic transitions have a condition")
        return self


class WorkflowSpec(_Model):
    states: tuple[State, ...] = Field(min_length=1)
    transitions: tuple[Transition, ...] = ()
    sla_hours: int | None = Field(None, gt=0, le=24 * 365)
    """Whole-process target, shown to the applicant; per-state SLAs drive the inbox."""
    on_submit: Annotated[tuple[Ident, ...], BeforeValidator(_to_tuple)] = ()
    """Named actions run once when an application is submitted, before any automatic step."""


class Output(_Model):
    """The signed document issued when a case ends in one of ``states``.

    Without ``states``: every terminal state an official or an automatic step can lead to
    (a withdrawal by the applicant issues nothing).
    """

    template: Ident
    title_fa: Text
    title_en: Text
    states: Annotated[tuple[Name, ...], BeforeValidator(_to_tuple)] = ()


#: Routing rules the engine knows itself (``routing.py``); any other must be registered.
BUILT_IN_ROUTING = ("agency", "applicant_province")


class ServiceDefinition(_Model):
    """One version of one service, as published by its agency."""

    id: Ident
    version: int = Field(ge=1)
    title_fa: Text
    title_en: Text
    description_fa: OptionalText = ""
    description_en: OptionalText = ""
    agency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    relationship: Literal["G2C", "G2B", "G2E"]
    form: tuple[FormField, ...] = ()
    documents: tuple[DocumentSpec, ...] = ()
    eligibility: tuple[EligibilityRule, ...] = ()
    fee: Fee | None = None
    workflow: WorkflowSpec
    output: Output | None = None
    #: Which branch of the agency serves a case (``routing.py``): ``agency``, ``applicant_province``
    #: or a rule a domain module registered (insurance: ``workshop_branch``).
    routing: Ident = "agency"

    @cached_property
    def fields_by_name(self) -> dict[str, FormField]:
        return {f.name: f for f in self.form}

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en

    @property
    def key(self) -> str:
        """``id@version``: what an application records so old cases keep their rules."""
        return f"{self.id}@{self.version}"


# --------------------------------------------------------------------------- semantic checks

Loc = tuple[str | int, ...]


def _reference_issues(
    expr: Expression | None, loc: Loc, roots: tuple[str, ...], answers: set[str], row: set[str] | None = None
) -> Iterator[tuple[Loc, str]]:
    """Names an expression reads must exist: a typo would otherwise silently read null."""
    if expr is None:
        return
    for path in expr.paths:
        root = path.parts[0]
        if root not in roots:
            yield loc, f"unknown name {root!r} at position {path.pos}; use one of {', '.join(roots)}"
        elif root == "answers" and len(path.parts) > 1 and path.parts[1] not in answers:
            yield loc, f"'answers.{path.parts[1]}' is not an earlier field of this form"
        elif root == "row" and row is not None and len(path.parts) > 1 and path.parts[1] not in row:
            yield loc, f"'row.{path.parts[1]}' is not an earlier field of this group"


def _form_issues(defn: ServiceDefinition) -> Iterator[tuple[Loc, str]]:
    seen: set[str] = set()
    for i, fld in enumerate(defn.form):
        # `when` may only look back: questions are asked in order and cycles are impossible
        yield from _reference_issues(fld.when, ("form", i, "when"), FORM_ROOTS, set(seen))
        if fld.name in seen:
            yield ("form", i, "name"), f"field name {fld.name!r} is used twice"
        if isinstance(fld, GroupField):
            row_seen: set[str] = set()
            for j, sub in enumerate(fld.fields):
                loc: Loc = ("form", i, "fields", j)
                yield from _reference_issues(sub.when, (*loc, "when"), ROW_ROOTS, set(seen), row_seen)
                if sub.name in row_seen:
                    yield (*loc, "name"), f"field name {sub.name!r} is used twice in this group"
                row_seen.add(sub.name)
        seen.add(fld.name)


def _other_issues(defn: ServiceDefinition) -> Iterator[tuple[Loc, str]]:
    fields = set(defn.fields_by_name)
    doc_ids: set[str] = set()
    for i, doc in enumerate(defn.documents):
        if doc.id in doc_ids:
            yield ("documents", i, "id"), f"document id {doc.id!r} is used twice"
        doc_ids.add(doc.id)
        yield from _reference_issues(doc.when, ("documents", i, "when"), FORM_ROOTS, fields)
    rule_ids: set[str] = set()
    for i, rule in enumerate(defn.eligibility):
        if rule.id in rule_ids:
            yield ("eligibility", i, "id"), f"rule id {rule.id!r} is used twice"
        rule_ids.add(rule.id)
        yield from _reference_issues(rule.rule, ("eligibility", i, "rule"), FORM_ROOTS, fields)
    if defn.fee is not None:
        yield from _reference_issues(defn.fee.formula, ("fee", "formula"), FORM_ROOTS, fields)


def _workflow_issues(defn: ServiceDefinition) -> Iterator[tuple[Loc, str]]:
    wf = defn.workflow
    fields = set(defn.fields_by_name)
    states: dict[str, State] = {}
    for i, state in enumerate(wf.states):
        if state.id in states:
            yield ("workflow", "states", i, "id"), f"state {state.id!r} is defined twice"
        states[state.id] = state
    initial = [s.id for s in wf.states if s.initial]
    if len(initial) != 1:
        yield ("workflow", "states"), f"exactly one state must be initial (found {len(initial)})"
    if not any(s.terminal for s in wf.states):
        yield ("workflow", "states"), "at least one state must be terminal"

    outgoing: dict[str, list[Transition]] = {s: [] for s in states}
    actions: set[tuple[str, str]] = set()
    for i, tr in enumerate(wf.transitions):
        loc: Loc = ("workflow", "transitions", i)
        for source in tr.from_:
            if source not in states:
                yield (*loc, "from"), f"unknown state {source!r}"
                continue
            if states[source].terminal:
                yield (*loc, "from"), f"state {source!r} is terminal; nothing may leave it"
            if (source, tr.action) in actions:
                yield (*loc, "action"), f"action {tr.action!r} is defined twice from state {source!r}"
            actions.add((source, tr.action))
            outgoing[source].append(tr)
        if tr.to not in states:
            yield (*loc, "to"), f"unknown state {tr.to!r}"
        yield from _reference_issues(tr.condition, (*loc, "condition"), WORKFLOW_ROOTS, fields)

    for i, state in enumerate(wf.states):
        if not state.terminal and not outgoing.get(state.id):
            yield ("workflow", "states", i, "id"), f"state {state.id!r} is not terminal but has no way out"

    if len(initial) == 1:
        reached = {initial[0]}
        frontier = [initial[0]]
        while frontier:
            for tr in outgoing.get(frontier.pop(), []):
                if tr.to in states and tr.to not in reached:
                    reached.add(tr.to)
                    frontier.append(tr.to)
        for i, state in enumerate(wf.states):
            if state.id not in reached:
                yield (
                    ("workflow", "states", i, "id"),
                    f"state {state.id!r} cannot be reached from {initial[0]!r}",
                )

    if defn.output is not None:
        for i, state_id in enumerate(defn.output.states):
            if state_id not in states:
                yield ("output", "states", i), f"unknown state {state_id!r}"
            elif not states[state_id].terminal:
                yield ("output", "states", i), f"state {state_id!r} is not terminal"

    # automatic steps are run in a loop after every change: they must not go round in circles
    auto = {s: [t.to for t in trs if t.automatic] for s, trs in outgoing.items()}
    cycle = _find_cycle(auto)
    if cycle:
        yield ("workflow", "transitions"), f"automatic transitions form a loop: {' → '.join(cycle)}"


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for start in graph:
        if start not in colour and (found := visit(start)):
            return found
    return None


def semantic_issues(defn: ServiceDefinition) -> list[tuple[Loc, str]]:
    """What a schema cannot express: references, reachability, uniqueness."""
    return [*_form_issues(defn), *_other_issues(defn), *_workflow_issues(defn)]


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Issue:
    source: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.field or '(document)'}: {self.message}"


class DefinitionInvalid(DomainError):
    """A definition refused at load; ``issues`` name the file, line and field of each problem."""

    status = 422

    def __init__(self, issues: list[Issue]) -> None:
        details = "; ".join(str(i) for i in issues)
        super().__init__(
            "definition_invalid",
            N_("The service definition is invalid: {details}"),
            field=issues[0].field if issues else None,
            details=details,
        )
        self.issues = issues

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


def _field_path(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _locate(root: yaml.Node, loc: Loc) -> tuple[int, int, Loc]:
    """Follow ``loc`` through the YAML node tree: the line/column of the deepest match.

    Parts that are not in the document (the tag Pydantic adds for a union member) are
    skipped, and the matched parts are returned so the field path reads like the file.
    """
    node = root
    mark = root.start_mark
    matched: list[str | int] = []
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    node, mark = value, key.start_mark
                    matched.append(part)
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
            matched.append(part)
    return mark.line + 1, mark.column + 1, tuple(matched)


def _check_tree(root: yaml.Node, source: str) -> list[Issue]:
    """Refuse aliases (exponential expansion) and duplicate keys (YAML keeps the last, silently)."""
    issues: list[Issue] = []
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            m = node.start_mark
            issues.append(
                Issue(source, m.line + 1, m.column + 1, "", "YAML anchors and aliases are not allowed")
            )
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        m = key.start_mark
                        issues.append(Issue(source, m.line + 1, m.column + 1, key.value, "duplicate key"))
                    keys.add(key.value)
                todo.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
    return issues


def _compose(text: str, source: str) -> tuple[yaml.Node, Any]:
    """The node tree (for line numbers) and the plain data built from that same tree."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise DefinitionInvalid([Issue(source, 1, 1, "", "the file is empty")])
        problems = _check_tree(root, source)
        if problems:
            raise DefinitionInvalid(problems)
        return root, loader.construct_document(root)
    finally:
        loader.dispose()


def parse_definition(text: str, source: str = "<definition>") -> ServiceDefinition:
    """Validate YAML ``text`` into a definition or raise :class:`DefinitionInvalid`."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DEFINITION_BYTES:
        raise DefinitionInvalid(
            [Issue(source, 0, 0, "", f"file is larger than {MAX_DEFINITION_BYTES} bytes")]
        )
    try:
        root, data = _compose(text, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise DefinitionInvalid(
            [Issue(source, line, col, "", f"not valid YAML: {exc.problem or exc}")]
        ) from None
    except yaml.reader.ReaderError as exc:  # control characters, raised before any mark exists
        line = text[: exc.position].count("\n") + 1
        raise DefinitionInvalid(
            [Issue(source, line, 0, "", "not valid YAML: a character that is not allowed")]
        ) from None
    except yaml.YAMLError as exc:
        raise DefinitionInvalid([Issue(source, 0, 0, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise DefinitionInvalid([Issue(source, 0, 0, "", "the document is nested too deeply")]) from None

    try:
        defn = ServiceDefinition.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            line, col, matched = _locate(root, loc)
            if err["type"] == "missing" and isinstance(loc[-1], str):
                matched = (*matched, loc[-1])  # a missing key: name it, at its parent's line
            message = err["msg"].removeprefix("Value error, ")
            issues.append(Issue(source, line, col, _field_path(matched), message))
        raise DefinitionInvalid(issues) from None

    semantic = semantic_issues(defn)
    if semantic:
        issues = []
        for loc, message in semantic:
            line, col, _ = _locate(root, loc)
            issues.append(Issue(source, line, col, _field_path(loc), message))
        raise DefinitionInvalid(issues)
    return defn


def load_definition(path: str | Path) -> ServiceDefinition:
    """Read and validate one definition file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionInvalid([Issue(str(path), 0, 0, "", f"cannot read the file: {exc}")]) from None
    return parse_definition(text, str(path))


def bundled_definitions(folder: Path = DEFINITIONS_DIR) -> dict[str, ServiceDefinition]:
    """Every definition shipped in the package, by ``id@version``."""
    found: dict[str, ServiceDefinition] = {}
    for path in sorted(folder.glob("*.yaml")):
        defn = load_definition(path)
        found[defn.key] = defn
    return found


def issue_states(defn: ServiceDefinition) -> frozenset[str]:
    """Terminal states in which the definition's output document is issued (empty without output)."""
    if defn.output is None:
        return frozenset()
    if defn.output.states:
        return frozenset(defn.output.states)
    terminal = {s.id for s in defn.workflow.states if s.terminal}
    return frozenset(
        tr.to
        for tr in defn.workflow.transitions
        if tr.to in terminal and (tr.automatic or any(role != "applicant" for role in tr.roles))
    )


def named_hooks(defn: ServiceDefinition) -> list[tuple[Loc, str, str]]:
    """``(location, kind, name)`` of every action, fee provider and routing rule the definition refers to."""
    found: list[tuple[Loc, str, str]] = []
    for i, name in enumerate(defn.workflow.on_submit):
        found.append((("workflow", "on_submit", i), "action", name))
    for i, tr in enumerate(defn.workflow.transitions):
        for j, name in enumerate(tr.actions):
            found.append((("workflow", "transitions", i, "actions", j), "action", name))
    if defn.fee is not None and defn.fee.provider:
        found.append((("fee", "provider"), "fee provider", defn.fee.provider))
    if defn.routing not in BUILT_IN_ROUTING:
        found.append((("routing",), "routing rule", defn.routing))
    return found


def invalid_at(text: str, source: str, problems: list[tuple[Loc, str]]) -> DefinitionInvalid:
    """A :class:`DefinitionInvalid` for checks made outside the loader, with the same line numbers."""
    root, _ = _compose(text, source)
    issues = []
    for loc, message in problems:
        line, col, _ = _locate(root, loc)
        issues.append(Issue(source, line, col, _field_path(loc), message))
    return DefinitionInvalid(issues)
