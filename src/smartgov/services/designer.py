"""The service designer's model: a definition as plain data, edited one item at a time, and its YAML.

Pure: no session, no clock. The builder's pages (``designer_pages``) read a draft's YAML into
plain data (:func:`to_data`), change one item with what a form posted (:func:`read_item`,
:func:`put_item`, :func:`move_item`, :func:`remove_item`), and check the result with the engine's
own loader (:func:`check`) before anything is stored. What the builder stores is :func:`dump_yaml`
of that data, so builder → YAML → builder gives the same definition (the property test).

The engine has no explicit pages: ``journey.question_pages`` splits the form (a question whose
condition reads an answer on the same page starts a new one), so the builder shows those pages.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml
from pydantic import BaseModel

from smartgov.digits import DigitsRefused, decimal_number, whole_number
from smartgov.errors import DomainError
from smartgov.i18n import N_, gettext

from .definitions import DefinitionInvalid, Issue, ServiceDefinition, parse_definition
from .expressions import Expression, ExpressionError, parse

#: Field types of the engine, in the order the builder offers them (``definitions.FormField``).
FIELD_TYPES: dict[str, str] = {
    "text": N_("Text"),
    "number": N_("A number"),
    "money": N_("Amount in rial"),
    "jalali_date": N_("Date"),
    "national_code": N_("National code"),
    "choice": N_("Choice"),
    "yes_no": N_("Yes or no"),
    "file": N_("File upload"),
    "group": N_("Repeating group"),
}
SUB_FIELD_TYPES = tuple(t for t in FIELD_TYPES if t != "group")

#: Lists of items the builder edits, by their path in the data.
COLLECTIONS = ("form", "documents", "eligibility", "workflow.states", "workflow.transitions")
#: Single items: ``general`` is the top of the definition.
SINGLES = ("general", "fee", "workflow", "output")
MAX_ITEMS = 200
_PATH = re.compile(r"^(general|fee|output|workflow|workflow\.(states|transitions)(\.\d{1,3})?|"
                   r"(documents|eligibility)(\.\d{1,3})?|form(\.\d{1,3}(\.fields(\.\d{1,3})?)?)?)$")


# --------------------------------------------------------------------------- data and YAML


def _plain(value: Any) -> Any:
    """Model values as YAML writes them: expressions as their text, decimals as numbers."""
    if isinstance(value, Expression):
        return value.source
    if isinstance(value, BaseModel):
        out = {}
        for name, info in type(value).model_fields.items():
            current = getattr(value, name)
            if not info.is_required() and current == info.default:
                continue
            out[info.alias or name] = _plain(current)
        return out
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_data(defn: ServiceDefinition) -> dict[str, Any]:
    """The definition as plain data, without the values that are the engine's defaults."""
    data: dict[str, Any] = _plain(defn)
    return data


def dump_yaml(data: Mapping[str, Any]) -> str:
    """YAML as the builder writes it: keys in the schema's order, Persian as written."""
    return yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=120)


def check(data: Mapping[str, Any], source: str = "designer") -> ServiceDefinition:
    """The engine's loader over the data's YAML: the one judge of what a definition may be."""
    return parse_definition(dump_yaml(data), source)


def builder_yaml(data: Mapping[str, Any]) -> str:
    """What the builder stores: the data checked by the engine, written in the schema's order."""
    return dump_yaml(to_data(check(data)))


def canonical(text: str, source: str = "designer") -> tuple[ServiceDefinition, dict[str, Any]]:
    """A YAML text read by the engine, and its plain data (raises :class:`DefinitionInvalid`)."""
    defn = parse_definition(text, source)
    return defn, to_data(defn)


def skeleton(service_id: str, agency: str, title_fa: str, title_en: str, relationship: str) -> dict[str, Any]:
    """A new service: no questions yet, and a workflow an official can end (approve or reject)."""
    return {
        "id": service_id, "version": 1, "title_fa": title_fa, "title_en": title_en, "agency": agency,
        "relationship": relationship,
        "workflow": {
            "states": [
                {"id": "submitted", "label_fa": "ثبت شده", "label_en": "Submitted", "initial": True, "sla_hours": 72},
                {"id": "approved", "label_fa": "پذیرفته شد", "label_en": "Approved", "terminal": True},
                {"id": "rejected", "label_fa": "پذیرفته نشد", "label_en": "Rejected", "terminal": True},
            ],
            "transitions": [
                {"from": ["submitted"], "to": "approved", "action": "approve", "label_fa": "پذیرش",
                 "label_en": "Approve", "roles": ["official"]},
                {"from": ["submitted"], "to": "rejected", "action": "reject", "label_fa": "رد",
                 "label_en": "Reject", "roles": ["official"], "requires_reason": True},
            ],
        },
    }


def from_template(template: ServiceDefinition, service_id: str, agency: str) -> dict[str, Any]:
    """A new service copied from another: its own id, version 1, owned by the caller's agency."""
    data = to_data(template)
    data.update(id=service_id, version=1, agency=agency)
    return data


def next_version(data: Mapping[str, Any], version: int) -> dict[str, Any]:
    """The same service as a new draft version."""
    new = copy.deepcopy(dict(data))
    new["version"] = version
    return new


def diff(old: str, new: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    """A readable line diff of two versions' YAML: ``(kind, line)``, kind one of ``+ - @ =``."""
    lines = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=2):
        if line.startswith(("+++", "---")):
            continue
        kind = line[:1] if line[:1] in "+-@" else "="
        lines.append((kind, line))
    return lines


# --------------------------------------------------------------------------- paths


def parse_path(text: str) -> tuple[str | int, ...]:
    """``form.2.fields.0`` → ``("form", 2, "fields", 0)``; anything else is refused (404 at the edge)."""
    if not _PATH.match(text or ""):
        raise DomainError("designer_path", N_("There is no such part of a definition."), field="at", status=404)
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def path_text(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def engine_field(path: tuple[str | int, ...]) -> str:
    """The loader's spelling of a path (``form[2].fields[0]``), to find its issues."""
    text = ""
    for part in path:
        if part == "general":
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _container(data: dict[str, Any], path: tuple[str | int, ...], *, create: bool = False) -> Any:
    node: Any = data
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                raise DomainError("designer_path", N_("There is no such part of a definition."), field="at",
                                  status=404)
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise DomainError("designer_path", N_("There is no such part of a definition."), field="at",
                                  status=404)
            if part not in node:
                if not create:
                    return None
                node[part] = [] if part in ("form", "documents", "eligibility", "states", "transitions",
                                            "fields") else {}
            node = node[part]
    return node


def item(data: Mapping[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    """The item at ``path`` (``general``: the top-level values), or an empty one."""
    if path == ("general",):
        return {k: v for k, v in data.items() if not isinstance(v, list | dict)}
    found = _container(dict(data), path)
    return dict(found) if isinstance(found, dict) else {}


def put_item(data: Mapping[str, Any], path: tuple[str | int, ...], values: Mapping[str, Any], *,
             add: bool = False) -> tuple[dict[str, Any], tuple[str | int, ...]]:
    """A copy of ``data`` with the item at ``path`` replaced (``add``: appended to the list at ``path``).

    Values the item has but the form does not edit (a group's fields, a state's position) are kept.
    """
    new = copy.deepcopy(dict(data))
    clean = {k: v for k, v in values.items() if v is not None}
    if path == ("general",):
        for key in [k for k, v in new.items() if not isinstance(v, list | dict)]:
            if key not in ("id", "version", "agency"):
                del new[key]
        new.update({k: v for k, v in clean.items() if k not in ("id", "version", "agency")})
        order = ["id", "version", "title_fa", "title_en", "description_fa", "description_en", "agency",
                 "relationship", "form", "documents", "eligibility", "fee", "workflow", "output", "routing"]
        return {k: new[k] for k in sorted(new, key=lambda k: order.index(k) if k in order else 99)}, path
    if add:
        target = _container(new, path, create=True)
        if len(target) >= MAX_ITEMS:
            raise DomainError("designer_full", N_("A list holds at most {n} items."), field="at", n=MAX_ITEMS)
        target.append(clean)
        return new, (*path, len(target) - 1)
    parent = _container(new, path[:-1], create=True)
    key = path[-1]
    old = parent[key] if isinstance(key, int) else parent.get(key)
    kept = {k: v for k, v in (old or {}).items() if k in ("fields", "states", "transitions")}
    if isinstance(parent, list):
        parent[key] = {**clean, **kept}  # type: ignore[index]
    else:
        parent[key] = {**clean, **kept}
    return new, path


def move_item(data: Mapping[str, Any], path: tuple[str | int, ...], delta: int) -> dict[str, Any]:
    """A copy with the list item at ``path`` moved up (-1) or down (+1); at an end, unchanged."""
    new = copy.deepcopy(dict(data))
    parent = _container(new, path[:-1])
    index = path[-1]
    if not isinstance(parent, list) or not isinstance(index, int) or not 0 <= index < len(parent):
        raise DomainError("designer_path", N_("There is no such part of a definition."), field="at", status=404)
    other = index + delta
    if 0 <= other < len(parent):
        parent[index], parent[other] = parent[other], parent[index]
    return new


def remove_item(data: Mapping[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    """A copy without the item at ``path`` (a list item, or the fee or output).

    Removing a state also removes the steps into and out of it: the loader then says what no longer holds.
    """
    new = copy.deepcopy(dict(data))
    parent = _container(new, path[:-1])
    key = path[-1]
    if isinstance(parent, list) and isinstance(key, int) and 0 <= key < len(parent):
        gone = parent.pop(key)
        if path[:2] == ("workflow", "states"):
            state = gone.get("id")
            wf = new["workflow"]
            wf["transitions"] = [t for t in wf.get("transitions", [])
                                 if t.get("to") != state and state not in _as_list(t.get("from"))]
        if not parent and path[-2] in ("form", "documents", "eligibility", "transitions"):
            del _container(new, path[:-2])[path[-2]]
        return new
    if path in (("fee",), ("output",)) and isinstance(parent, dict) and key in parent:
        del parent[key]
        return new
    raise DomainError("designer_path", N_("There is no such part of a definition."), field="at", status=404)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


# --------------------------------------------------------------------------- what a form edits


@dataclass(frozen=True)
class Prop:
    """One input of an item's form: ``kind`` says how it is shown and read."""

    key: str
    label: str
    kind: str = "text"  # text long bool int decimal expr list options select
    default: Any = None
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    required: bool = False


_LABELS = (Prop("label_fa", N_("Label in Persian"), required=True),
           Prop("label_en", N_("Label in English"), required=True))
_EXPR_HINT = N_("An expression, e.g. answers.age >= 18 and applicant.province == \"Tehran\".")
_FIELD_COMMON = (
    Prop("name", N_("Name (used in rules)"), required=True, hint=N_("Latin lower-case letters, digits and _.")),
    *_LABELS,
    Prop("hint_fa", N_("Hint in Persian"), "long"), Prop("hint_en", N_("Hint in English"), "long"),
    Prop("required", N_("An answer is required"), "bool", True),
    Prop("when", N_("Shown only if"), "expr", hint=_EXPR_HINT),
)
_MIME_HINT = N_("MIME types separated by commas, e.g. application/pdf, image/jpeg.")
_BY_TYPE: dict[str, tuple[Prop, ...]] = {
    "text": (Prop("min_length", N_("Shortest answer (characters)"), "int", 0),
             Prop("max_length", N_("Longest answer (characters)"), "int", 500),
             Prop("multiline", N_("Several lines"), "bool", False),
             Prop("digits_only", N_("Digits only"), "bool", False)),
    "number": (Prop("min", N_("Smallest"), "decimal"), Prop("max", N_("Largest"), "decimal"),
               Prop("integer", N_("Whole numbers only"), "bool", False)),
    "money": (Prop("min", N_("Smallest"), "int", 0), Prop("max", N_("Largest"), "int")),
    "jalali_date": (Prop("not_in_future", N_("Not in the future"), "bool", False),
                    Prop("not_in_past", N_("Not in the past"), "bool", False)),
    "national_code": (),
    "choice": (Prop("options", N_("Options"), "options", required=True,
                    hint=N_("One option a line: value | Persian label | English label.")),
               Prop("multiple", N_("Several may be chosen"), "bool", False)),
    "yes_no": (),
    "file": (Prop("mime_types", N_("Allowed file types"), "list", required=True, hint=_MIME_HINT),
             Prop("max_size_bytes", N_("Largest file (bytes)"), "int", 5 * 1024 * 1024)),
    "group": (Prop("min_items", N_("Fewest entries"), "int", 0), Prop("max_items", N_("Most entries"), "int", 10)),
}
_STATE_HINT = N_("State ids separated by commas.")
PROPS: dict[str, tuple[Prop, ...]] = {
    "general": (
        Prop("title_fa", N_("Title in Persian"), required=True),
        Prop("title_en", N_("Title in English"), required=True),
        Prop("description_fa", N_("Description in Persian"), "long"),
        Prop("description_en", N_("Description in English"), "long"),
        Prop("relationship", N_("Who applies"), "select", required=True,
             choices=(("G2C", N_("Citizens (G2C)")), ("G2B", N_("Businesses (G2B)")), ("G2E", N_("Employees (G2E)")))),
        Prop("routing", N_("Which branch serves a case"), "text", "agency",
             hint=N_("agency, applicant_province, or a rule a module registered.")),
    ),
    "documents": (
        Prop("id", N_("Id"), required=True), Prop("title_fa", N_("Title in Persian"), required=True),
        Prop("title_en", N_("Title in English"), required=True),
        Prop("description_fa", N_("Description in Persian"), "long"),
        Prop("description_en", N_("Description in English"), "long"),
        Prop("required", N_("Required"), "bool", True),
        Prop("mime_types", N_("Allowed file types"), "list", ("application/pdf", "image/jpeg", "image/png"),
             hint=_MIME_HINT),
        Prop("max_size_bytes", N_("Largest file (bytes)"), "int", 5 * 1024 * 1024),
        Prop("when", N_("Asked only if"), "expr", hint=_EXPR_HINT),
    ),
    "eligibility": (
        Prop("id", N_("Id"), required=True),
        Prop("rule", N_("Rule"), "expr", required=True, hint=N_("Must be true to apply, e.g. applicant.age >= 18.")),
        Prop("message_fa", N_("Message in Persian when not met"), required=True),
        Prop("message_en", N_("Message in English when not met"), required=True),
    ),
    "fee": (
        Prop("amount", N_("Fixed amount (rial)"), "int"),
        Prop("formula", N_("…or a formula"), "expr", hint=N_("e.g. floor(answers.wage * 7 / 100)")),
        Prop("provider", N_("…or a fee provider a module registered")),
        Prop("description_fa", N_("Description in Persian"), "long"),
        Prop("description_en", N_("Description in English"), "long"),
    ),
    "workflow": (
        Prop("sla_hours", N_("Whole-process target (hours)"), "int"),
        Prop("on_submit", N_("Actions run on submission"), "list", hint=N_("Names of actions a module registered.")),
    ),
    "workflow.states": (
        Prop("id", N_("Id"), required=True), *_LABELS,
        Prop("initial", N_("Initial state"), "bool", False), Prop("terminal", N_("Final state"), "bool", False),
        Prop("sla_hours", N_("Time allowed in this state (hours)"), "int"),
    ),
    "workflow.transitions": (
        Prop("from", N_("From states"), "list", required=True, hint=_STATE_HINT),
        Prop("to", N_("To state"), required=True), Prop("action", N_("Action name"), required=True), *_LABELS,
        Prop("roles", N_("Roles who may take it"), "list", hint=N_("e.g. official; empty for an automatic step.")),
        Prop("requires_reason", N_("A reason is required"), "bool", False),
        Prop("automatic", N_("Taken automatically"), "bool", False),
        Prop("condition", N_("Condition of an automatic step"), "expr",
             hint=N_("e.g. application.paid, or answers.amount < 1000000")),
        Prop("actions", N_("Actions run when taken"), "list", hint=N_("Names of actions a module registered.")),
    ),
    "output": (
        Prop("template", N_("Document template"), required=True, hint=N_("e.g. certificate")),
        Prop("title_fa", N_("Title in Persian"), required=True),
        Prop("title_en", N_("Title in English"), required=True),
        Prop("states", N_("Issued in states"), "list", hint=N_("Empty: every final state an official decides.")),
    ),
}


def kind_of(path: tuple[str | int, ...]) -> str:
    """Which :data:`PROPS` an item at ``path`` uses (``form`` items: by their type)."""
    named = tuple(p for p in path if isinstance(p, str))
    if named[:1] == ("form",):
        return "field"
    return ".".join(named)


def props(path: tuple[str | int, ...], field_type: str | None = None) -> tuple[Prop, ...]:
    kind = kind_of(path)
    if kind == "field":
        if field_type not in FIELD_TYPES:
            raise DomainError("designer_type", N_("Choose a field type."), field="type")
        return (*_FIELD_COMMON, *_BY_TYPE[field_type])
    return PROPS[kind]


def shown_value(prop: Prop, value: Any) -> Any:
    """The value as the form's input shows it."""
    if value is None:
        value = prop.default
    if prop.kind == "list":
        return ", ".join(_as_list(value))
    if prop.kind == "options":
        return "\n".join(f"{o.get('value', '')} | {o.get('label_fa', '')} | {o.get('label_en', '')}"
                         for o in value or [])
    if value is None:
        return ""
    return value


def _problem(errors: dict[str, str], key: str, message: str) -> None:
    errors.setdefault(key, message)


def read_item(item_props: tuple[Prop, ...], form: Mapping[str, Any], lang: str, *,
              field_type: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """What a builder form posted, as the item's data, and the errors by input (localized).

    Expressions are parsed here, so the engine's own message (with its position) is shown on
    the input; everything else is left to :func:`check`.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if field_type is not None:
        values["type"] = field_type
    for prop in item_props:
        raw = form.get(prop.key)
        text = raw.strip() if isinstance(raw, str) else ""
        if prop.kind == "bool":
            flag = raw == "yes"
            values[prop.key] = flag if flag != prop.default else None
            continue
        if not text:
            if prop.required:
                _problem(errors, prop.key, gettext("Enter {what}.", lang, what=gettext(prop.label, lang)))
            values[prop.key] = None
            continue
        try:
            values[prop.key] = _read(prop, text, lang)
        except (ValueError, DigitsRefused) as exc:
            _problem(errors, prop.key, str(exc))
        except ExpressionError as exc:
            _problem(errors, prop.key, exc.localized(lang))
        if values.get(prop.key) == prop.default and prop.kind != "select":
            values[prop.key] = None
    return values, errors


def _read(prop: Prop, text: str, lang: str) -> Any:
    if prop.kind in ("text", "long"):
        return text
    if prop.kind == "select":
        if text not in {c[0] for c in prop.choices}:
            raise ValueError(gettext("Choose one of the options.", lang))
        return text
    if prop.kind == "int":
        number = whole_number(text, prop.key)
        if number is None:
            raise ValueError(gettext("Enter a whole number.", lang))
        return number
    if prop.kind == "decimal":
        dec = decimal_number(text, prop.key)
        if dec is None:
            raise ValueError(gettext("Enter a number.", lang))
        return _plain(dec)
    if prop.kind == "expr":
        parse(text)  # raises ExpressionError with the position
        return text
    if prop.kind == "list":
        parts = [p for p in re.split(r"[,،\s]+", text) if p]
        return parts or None
    if prop.kind == "options":
        options = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            cells = [c.strip() for c in line.split("|")]
            if len(cells) != 3 or not all(cells):
                raise ValueError(gettext("Line {n}: write value | Persian label | English label.", lang, n=n))
            options.append({"value": cells[0], "label_fa": cells[1], "label_en": cells[2]})
        return options or None
    raise ValueError(prop.kind)  # pragma: no cover - PROPS only uses the kinds above


def issues_for(exc: DefinitionInvalid, path: tuple[str | int, ...],
               item_props: tuple[Prop, ...]) -> tuple[dict[str, str], list[Issue]]:
    """The loader's issues on the item at ``path`` by input name, and the others (named by field)."""
    prefix = engine_field(path)
    keys = {p.key for p in item_props}
    mine: dict[str, str] = {}
    others: list[Issue] = []
    for issue in exc.issues:
        rest = issue.field[len(prefix):] if prefix and issue.field.startswith(prefix) else None
        if not prefix:
            rest = "." + issue.field if issue.field else None
        key = re.split(r"[.\[]", rest.lstrip("."), maxsplit=1)[0] if rest is not None else ""
        if rest is not None and key in keys:
            mine.setdefault(key, issue.message)
        elif rest == "" or (rest is not None and not key):
            mine.setdefault("_item", issue.message)
        else:
            others.append(issue)
    return mine, others


def describe(value: Any) -> str:
    """A short text of a changed item for the audit trail."""
    return yaml.safe_dump(_plain(value), allow_unicode=True, sort_keys=False, width=200)[:500]
