"""The e-services rooms import each other one way: no cycle, lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import smartgov

SRC = Path(smartgov.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every ``smartgov`` module ``path`` imports, at the top or inside a function (``from . import x`` names x)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("smartgov.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if not target.startswith("smartgov"):
                continue
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}  # ``from . import service``
    return found


def graph(package: str) -> dict[str, set[str]]:
    """Imports among the modules of ``package`` (``smartgov.services``): module → modules it imports."""
    folder = SRC.joinpath(*package.split(".")[1:])
    modules = {module_name(p): p for p in folder.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name and m != package}
            for name, path in modules.items() if name != package}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_services_rooms_have_no_import_cycle() -> None:
    edges = graph("smartgov.services")
    assert "smartgov.services.service" in edges and edges["smartgov.services.payments"]  # the walk sees them
    assert cycles(edges) == []


def test_the_walk_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_facade_imports_the_rooms_above_it() -> None:
    """``service`` names what the rooms offer; no room imports it (that was the old cycle's way back)."""
    edges = graph("smartgov.services")
    importers = sorted(m for m, targets in edges.items() if "smartgov.services.service" in targets)
    rooms = {"catalog", "applicants", "uploads", "numbers", "cases", "casework", "submission", "payments",
             "documents", "pipeline"}
    assert not [m for m in importers if m.rsplit(".", 1)[1] in rooms]
