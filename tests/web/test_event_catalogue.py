"""Event names are declared by the module that publishes them; nobody listens for a name nobody publishes.

A subscriber or an indicator reading a misspelt or retired name would wait for ever without an error
(``assessment/indicators.py`` once read ``services.rating_given``, which nothing published, so the
satisfaction indicator could never move). These tests make that a failure.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import smartgov
from smartgov import events

SRC = Path(smartgov.__file__).parent
DOCS = SRC.parent.parent / "docs" / "events.md"


def _modules() -> Iterator[tuple[ModuleType, ast.Module]]:
    """Every module of the package (migrations aside), imported, with its syntax tree."""
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        yield importlib.import_module(name), ast.parse(path.read_text(encoding="utf-8"))


def _name_argument(call: ast.Call, namespace: dict[str, Any]) -> ast.expr | None:
    """The event-name argument of ``events.publish(db, NAME, ...)`` or ``events.Event(NAME, ...)``."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        target = getattr(namespace.get(func.value.id), func.attr, None)
    elif isinstance(func, ast.Name):
        target = namespace.get(func.id)
    else:
        return None
    if target is events.publish and len(call.args) >= 2:
        return call.args[1]
    if target is events.Event and call.args:
        return call.args[0]
    return None


def _values(expr: ast.expr, namespace: dict[str, Any]) -> set[str] | None:
    """The names an argument can be: a literal, a constant, or any value of a constant mapping."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.Subscript):
        expr = expr.value
    try:
        value = eval(compile(ast.Expression(expr), "<name>", "eval"), dict(namespace))  # noqa: S307 - our own source
    except Exception:
        return None  # a local variable: the call site passes a name it was given
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    return {v for v in value if isinstance(v, str)} if isinstance(value, list | tuple | set | frozenset) else None


def _published() -> dict[str, set[str]]:
    """Every name some call site in ``src/`` publishes, with the modules that publish it."""
    found: dict[str, set[str]] = {}
    for module, tree in _modules():
        namespace = vars(module)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (arg := _name_argument(node, namespace)) is not None:
                for name in _values(arg, namespace) or ():
                    found.setdefault(name, set()).add(module.__name__)
    return found


@pytest.fixture(scope="module")
def published() -> dict[str, set[str]]:
    return _published()  # imports every module first, so every declaration and subscriber is registered


def _ours(who: str) -> bool:
    return who.startswith("smartgov.")


def test_every_name_listened_for_is_declared(published: dict[str, set[str]]) -> None:
    declared = {d.name for d in events.catalogue()}
    missing = {name: sorted(who) for name, who in events.listened().items()
               if any(map(_ours, who)) and name not in declared}
    assert missing == {}, "listened for, never declared (so never published)"


def test_every_published_name_is_declared_and_every_declared_name_is_published(
        published: dict[str, set[str]]) -> None:
    declared = {d.name for d in events.catalogue() if _ours(d.module)}
    assert {n: sorted(m) for n, m in published.items() if n not in declared} == {}, "published, not declared"
    assert sorted(declared - published.keys()) == [], "declared, published nowhere"
    assert {"services.application_rated", "identity.login_failed", "privacy.person_data_accessed"} <= declared


def test_the_satisfaction_indicator_reads_what_services_publishes(published: dict[str, set[str]]) -> None:
    from smartgov.assessment import indicators
    from smartgov.services import events as service_events

    assert "smartgov.services.casework" in published[service_events.RATED]
    assert "smartgov.assessment.indicators" in events.listened()[service_events.RATED]
    assert not hasattr(indicators, "rating_given") and "services.rating_given" not in events.listened()


def test_publish_refuses_a_name_nobody_declared(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(events.UndeclaredEvent):
        events.publish(db, "services.rating_given", score=5)
    assert not db.new


def test_the_group_writers_rows_refuse_a_name_nobody_declared() -> None:
    """``events.rows`` builds the rows ``publish`` stores and the services' group writer sends as JSON:
    an undeclared name is refused there too, before any row exists."""
    from smartgov import clock
    from smartgov.services import events as service_events

    row, _outbox = events.rows(events.Event(name=service_events.SUBMITTED, data={}, occurred_at=clock.now()))
    assert row["name"] == "services.application_submitted"
    with pytest.raises(events.UndeclaredEvent):
        events.rows(events.Event(name="services.application_sent", data={}, occurred_at=clock.now()))


def test_a_name_is_declared_once_in_the_module_shape() -> None:
    with pytest.raises(ValueError, match=r"already declared by smartgov\.services\.events"):
        events.declare("services.application_rated", "Someone else's meaning.")
    for bad in ("rated", "Services.rated", "services.rated!", "services." + "x" * 100):
        with pytest.raises(ValueError, match=r"module\.thing_happened"):
            events.declare(bad, "Not a name.")
    assert events.declare("test.declared_twice", "Same module again.") == "test.declared_twice"
    assert events.declare("test.declared_twice", "Same module again.") == "test.declared_twice"


def test_the_docs_show_the_current_catalogue(published: dict[str, set[str]]) -> None:
    assert DOCS.read_text(encoding="utf-8") == events.catalogue_markdown(), (
        "docs/events.md is stale: run `smartgov events > docs/events.md`")
