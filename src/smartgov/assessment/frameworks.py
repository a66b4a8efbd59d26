"""The seed papers' frameworks as versioned, bilingual master data.

Each framework is one YAML file in ``frameworks/``. Files are validated when loaded (unique
codes, both labels on every node, declared counts equal to the tree) so that a typo in master
data fails loudly at start-up instead of silently skewing every score computed from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_

FRAMEWORK_DIR = Path(__file__).parent / "frameworks"
# Level names come from the framework files and are shown as ``_(level)``; naming them here lets
# ``make messages`` extract them, so their translations are kept.
LEVEL_NAMES = (N_("dimension"), N_("component"), N_("indicator"), N_("overarching"), N_("organizing"), N_("basic"),
               N_("stage"), N_("aspect"), N_("trait"), N_("generation"))

_NODE_KEYS = frozenset({"code", "label_fa", "label_en", "description_fa", "description_en", "children"})
_FILE_KEYS = frozenset({"id", "version", "title_fa", "title_en", "source", "levels", "counts", "options", "nodes"})


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


class FrameworkFileError(DomainError):
    """A framework file that cannot be trusted; the message names the file and the node."""

    status = 422

    def __init__(self, message: str, *, file: str, node: str = "-", **params: Any) -> None:
        super().__init__("framework_invalid", message, file=file, node=node, **params)


@dataclass(frozen=True, eq=False)
class Node:
    """One theme / dimension / component / indicator / stage of a framework."""

    code: str
    label_fa: str
    label_en: str
    level: str
    description_fa: str | None = None
    description_en: str | None = None
    children: tuple[Node, ...] = ()
    attrs: Mapping[str, Any] = field(default_factory=_empty)

    def label(self, lang: str = "fa") -> str:
        return self.label_en if lang == "en" else self.label_fa

    def description(self, lang: str = "fa") -> str | None:
        return self.description_en if lang == "en" else self.description_fa

    def walk(self) -> Iterator[Node]:
        """This node and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> tuple[Node, ...]:
        return tuple(n for n in self.walk() if not n.children)


@dataclass(frozen=True, eq=False)
class Framework:
    """A whole framework: metadata, the level names and the tree of nodes."""

    id: str
    version: str
    title_fa: str
    title_en: str
    source: Mapping[str, Any]
    levels: tuple[str, ...]
    counts: Mapping[str, int]
    nodes: tuple[Node, ...]
    options: Mapping[str, str] = field(default_factory=_empty)
    attrs: Mapping[str, Any] = field(default_factory=_empty)

    def title(self, lang: str = "fa") -> str:
        return self.title_en if lang == "en" else self.title_fa

    def walk(self) -> Iterator[Node]:
        for node in self.nodes:
            yield from node.walk()

    def node(self, code: str) -> Node:
        for node in self.walk():
            if node.code == code:
                return node
        raise NotFound("framework node", field="code")

    def at_level(self, level: str) -> tuple[Node, ...]:
        return tuple(n for n in self.walk() if n.level == level)

    def parent_of(self, code: str) -> Node | None:
        for node in self.walk():
            if any(child.code == code for child in node.children):
                return node
        return None

    def leaves(self) -> tuple[Node, ...]:
        return tuple(n for n in self.walk() if not n.children)


def list_frameworks() -> tuple[str, ...]:
    """Ids of every framework shipped with the package, sorted."""
    return tuple(sorted(p.stem for p in FRAMEWORK_DIR.glob("*.yaml")))


def load_framework(framework_id: str, **options: str) -> Framework:
    """Load and validate a shipped framework; ``options`` pick configurable groupings."""
    path = FRAMEWORK_DIR / f"{framework_id}.yaml"
    if framework_id not in list_frameworks():
        raise DomainError(
            "framework_unknown",
            N_("Unknown framework: {framework}."),
            field="framework",
            status=404,
            framework=framework_id,
        )
    return _load_cached(str(path), tuple(sorted(options.items())))


@cache
def _load_cached(path: str, options: tuple[tuple[str, str], ...]) -> Framework:
    return load_framework_file(Path(path), **dict(options))


def load_framework_file(path: Path, **options: str) -> Framework:
    """Load and validate any framework file (used for shipped files and by tests)."""
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FrameworkFileError(
            N_("Framework file {file} cannot be read: {reason}."), file=name, reason=str(exc).splitlines()[0]
        ) from exc
    if not isinstance(raw, dict):
        raise FrameworkFileError(N_("Framework file {file} is not a mapping."), file=name)
    for key in ("id", "version", "title_fa", "title_en", "source", "levels", "counts", "nodes"):
        if not raw.get(key):
            raise FrameworkFileError(N_("Framework file {file} has no {key}."), file=name, key=key)
    levels = tuple(str(v) for v in raw["levels"])
    chosen = _apply_options(raw, options, name)
    nodes = tuple(_build(n, 0, levels, name) for n in raw["nodes"])
    framework = Framework(
        id=str(raw["id"]),
        version=str(raw["version"]),
        title_fa=raw["title_fa"],
        title_en=raw["title_en"],
        source=MappingProxyType(dict(raw["source"])),
        levels=levels,
        counts=MappingProxyType({str(k): int(v) for k, v in raw["counts"].items()}),
        nodes=nodes,
        options=MappingProxyType(chosen),
        attrs=MappingProxyType({k: v for k, v in raw.items() if k not in _FILE_KEYS}),
    )
    _validate(framework, name)
    return framework


def _apply_options(raw: dict[str, Any], options: Mapping[str, str], name: str) -> dict[str, str]:
    """Move configurable nodes under the parent each option names (e.g. DG "Empowerment")."""
    declared: dict[str, Any] = raw.get("options") or {}
    unknown = set(options) - set(declared)
    if unknown:
        raise FrameworkFileError(
            N_("Framework file {file} has no option {option}."), file=name, option=sorted(unknown)[0]
        )
    chosen: dict[str, str] = {}
    for option, spec in declared.items():
        value = str(options.get(option, spec["default"]))
        if value not in spec["choices"]:
            raise FrameworkFileError(
                N_("Framework file {file}: option {option} must be one of {choices}."),
                file=name,
                node=spec["node"],
                option=option,
                choices=", ".join(spec["choices"]),
            )
        chosen[option] = value
        _move(raw["nodes"], spec["node"], value, name)
    return chosen


def _move(nodes: list[dict[str, Any]], code: str, new_parent: str, name: str) -> None:
    found: dict[str, Any] | None = None
    target: dict[str, Any] | None = None
    stack = list(nodes)
    while stack:
        node = stack.pop()
        children = node.get("children") or []
        for child in list(children):
            if child.get("code") == code:
                found = child
                children.remove(child)
        if node.get("code") == new_parent:
            target = node
        stack.extend(children)
    if found is None or target is None:
        raise FrameworkFileError(
            N_("Framework file {file}: option refers to a missing node {node}."),
            file=name,
            node=code if found is None else new_parent,
        )
    target.setdefault("children", []).append(found)
    target["children"].sort(key=lambda c: str(c.get("code")))


def _build(raw: Any, depth: int, levels: tuple[str, ...], name: str) -> Node:
    if not isinstance(raw, dict) or not raw.get("code"):
        raise FrameworkFileError(
            N_("Framework file {file} has a node without a code."), file=name, node=f"depth {depth}"
        )
    code = str(raw["code"])
    if depth >= len(levels):
        raise FrameworkFileError(
            N_("Framework file {file}: node {node} is deeper than the declared levels."), file=name, node=code
        )
    for key in ("label_fa", "label_en"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise FrameworkFileError(
                N_("Framework file {file}: node {node} has no {key}."), file=name, node=code, key=key
            )
    children = tuple(_build(c, depth + 1, levels, name) for c in raw.get("children") or ())
    return Node(
        code=code,
        label_fa=raw["label_fa"].strip(),
        label_en=raw["label_en"].strip(),
        level=levels[depth],
        description_fa=raw.get("description_fa"),
        description_en=raw.get("description_en"),
        children=children,
        attrs=MappingProxyType({k: v for k, v in raw.items() if k not in _NODE_KEYS}),
    )


def _validate(framework: Framework, name: str) -> None:
    seen: set[str] = set()
    for node in framework.walk():
        if node.code in seen:
            raise FrameworkFileError(
                N_("Framework file {file}: code {node} is used more than once."), file=name, node=node.code
            )
        seen.add(node.code)
        declared = node.attrs.get("leaf_count")
        if declared is not None and int(declared) != len(node.leaves()):
            raise FrameworkFileError(
                N_("Framework file {file}: node {node} declares {declared} leaves but has {actual}."),
                file=name,
                node=node.code,
                declared=int(declared),
                actual=len(node.leaves()),
            )
    for level, declared in framework.counts.items():
        if level not in framework.levels:
            raise FrameworkFileError(
                N_("Framework file {file}: counts name an unknown level {level}."), file=name, level=level
            )
        actual = len(framework.at_level(level))
        if actual != declared:
            raise FrameworkFileError(
                N_("Framework file {file}: declared {declared} nodes at level {level} but the tree has {actual}."),
                file=name,
                level=level,
                declared=declared,
                actual=actual,
            )
