"""A small, safe expression language for eligibility rules, conditions and fee formulas.

Service definitions are written by agency staff and published without code review, so
their rules must not be able to run code: this is a hand-written tokenizer, a
recursive-descent parser and a tree-walking evaluator over plain data. Nothing here
uses ``eval``, ``exec``, ``compile`` or the ``ast`` module.

Numbers are exact (``int`` or ``fractions.Fraction``), so money in rial never picks up
float rounding; ``floor``/``round`` turn a fraction back into an integer explicitly.
Every failure is an :class:`ExpressionError` (a ``DomainError``) with a message id.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jdatetime

from smartgov import clock
from smartgov.digits import to_latin_digits
from smartgov.i18n import N_

from .expression_syntax import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_LIST_LENGTH,
    ROUND_DIGITS_LIMIT,
    Call,
    Chain,
    Compare,
    ExpressionError,
    ListLit,
    Literal,
    Logic,
    Node,
    Number,
    Path,
    Unary,
    _Parser,
    tokenize,
)

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Expression", "ExpressionError", "Path", "check_names", "parse", "tokenize"]


@dataclass(frozen=True)
class Expression:
    """A parsed expression; parse once at load, evaluate many times."""

    source: str
    node: Node = field(repr=False, compare=False)
    paths: tuple[Path, ...] = field(repr=False, compare=False, default=())

    def evaluate(self, variables: Mapping[str, Any], *, today: dt.date | None = None) -> Any:
        """The value of the expression over ``variables`` (``today`` feeds ``today()``)."""
        return _export(_Evaluator(variables, today).eval(self.node))

    def evaluate_bool(self, variables: Mapping[str, Any], *, today: dt.date | None = None) -> bool:
        """Like :meth:`evaluate`, but a condition must come out true or false, never "truthy"."""
        value = _Evaluator(variables, today).eval(self.node)
        if not isinstance(value, bool):
            raise ExpressionError(
                "expression_type",
                N_("The condition must be true or false (position {position})."),
                position=_pos(self.node),
            )
        return value

    def roots(self) -> set[str]:
        """Top-level names the expression reads, e.g. ``{"answers", "applicant"}``."""
        return {p.parts[0] for p in self.paths}


def parse(text: str) -> Expression:
    """Parse ``text`` or raise :class:`ExpressionError` pointing at the position."""
    if not isinstance(text, str):
        raise ExpressionError("expression_type", N_("An expression must be text."))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            "expression_too_long",
            N_("Expression is too long (more than {limit} characters)."),
            limit=MAX_LENGTH,
        )
    parser = _Parser(tokenize(text))
    node = parser.parse()
    return Expression(text, node, tuple(parser.paths))


# --------------------------------------------------------------------------- evaluation


def _pos(node: Node) -> int:
    return node.pos


def _type_error(op: str, pos: int) -> ExpressionError:
    return ExpressionError(
        "expression_type",
        N_("“{op}” cannot be used with these values (position {position})."),
        position=pos,
        op=op,
    )


def _bad_argument(name: str, pos: int) -> ExpressionError:
    return ExpressionError(
        "expression_arguments",
        N_("Invalid argument for “{name}” at position {position}."),
        position=pos,
        name=name,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Fraction) and not isinstance(value, bool)


def _import(value: Any) -> Any:
    """Bring outside data into the language's value space (exact numbers, plain dates)."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str | Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return Fraction(repr(value))  # 0.07 means 7/100, not the nearest binary float
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, dt.datetime):
        return clock.local(value).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, Mapping | list | tuple):
        return value
    return None  # unknown objects are invisible to rules


def _export(value: Any) -> Any:
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    if isinstance(value, list):
        return [_export(v) for v in value]
    return value


def _as_date(value: Any) -> dt.date | None:
    """Dates arrive as ``date`` objects or ISO text (how cleaned forms store them)."""
    if isinstance(value, dt.datetime):
        return clock.local(value).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = to_latin_digits(value.strip())
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        parts = text.replace("-", "/").split("/")
        if len(parts) == 3 and all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts) and len(parts[0]) == 4:
            y, m, d = (int(p) for p in parts)
            if 1200 <= y <= 1500:  # a Jalali year; Gregorian ISO was handled above
                try:
                    return jdatetime.date(y, m, d).togregorian()
                except ValueError:
                    return None
    return None


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        da, db = _as_date(a), _as_date(b)
        return da is not None and da == db
    if type(a) is not type(b) and not (isinstance(a, list | tuple) and isinstance(b, list | tuple)):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_equal(_import(x), _import(y)) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _round_half_up(value: Fraction) -> int:
    """Half away from zero, the way people round money (Python's round is banker's)."""
    sign = -1 if value < 0 else 1
    return sign * math.floor(abs(value) + Fraction(1, 2))


def _full_years(start: dt.date, end: dt.date) -> int:
    """Completed years from ``start`` to ``end`` (an age); negative when ``end`` is earlier."""
    if end < start:
        return -_full_years(end, start)
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


class _Evaluator:
    def __init__(self, variables: Mapping[str, Any], today: dt.date | None) -> None:
        self.variables = variables
        self.today = today

    def eval(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Path):
            return self.lookup(node)
        if isinstance(node, ListLit):
            return [self.eval(item) for item in node.items]
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Chain):
            return self.chain(node)
        if isinstance(node, Logic):
            return self.logic(node)
        if isinstance(node, Compare):
            return self.compare(node)
        return self.call(node)

    def lookup(self, node: Path) -> Any:
        root = node.parts[0]
        if not isinstance(self.variables, Mapping) or root not in self.variables:
            raise ExpressionError(
                "expression_unknown_name",
                N_("Unknown name “{name}” at position {position}."),
                position=node.pos,
                name=root,
            )
        value = _import(self.variables[root])
        for part in node.parts[1:]:
            value = self.member(value, part, node)
        return value

    def member(self, value: Any, part: str, node: Path) -> Any:
        if value is None:
            return None  # an unanswered optional field reads as null all the way down
        if isinstance(value, Mapping):
            return _import(value.get(part))
        if isinstance(value, list | tuple):
            # answers.children.age → the ages of every row, for sum()/count()/min()
            if len(value) > MAX_LIST_LENGTH * 100:
                raise _type_error(".", node.pos)
            return [_import(row.get(part)) if isinstance(row, Mapping) else None for row in value]
        raise _type_error(".", node.pos)

    def unary(self, node: Unary) -> Any:
        value = self.eval(node.operand)
        if node.op == "not":
            if not isinstance(value, bool):
                raise _type_error("not", node.pos)
            return not value
        if not _is_number(value):
            raise _type_error("-", node.pos)
        return -value

    def chain(self, node: Chain) -> Any:
        acc = self.eval(node.first)
        for op, operand, pos in node.rest:
            right = self.eval(operand)
            acc = self.arith(op, acc, right, pos)
        return acc

    def arith(self, op: str, a: Any, b: Any, pos: int) -> Any:
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            if len(a) + len(b) > MAX_LENGTH * 50:
                raise _type_error(op, pos)
            return a + b
        if not (_is_number(a) and _is_number(b)):
            raise _type_error(op, pos)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            raise ExpressionError(
                "expression_division_by_zero", N_("Division by zero at position {position}."), position=pos
            )
        result = Fraction(a) / Fraction(b)
        return int(result) if result.denominator == 1 else result

    def logic(self, node: Logic) -> bool:
        short_circuit = node.op == "or"
        for operand in node.operands:
            value = self.eval(operand)
            if not isinstance(value, bool):
                raise _type_error(node.op, node.pos)
            if value is short_circuit:
                return value
        return not short_circuit

    def compare(self, node: Compare) -> bool:
        a, b = self.eval(node.left), self.eval(node.right)
        op = node.op
        if op == "==":
            return _equal(a, b)
        if op == "!=":
            return not _equal(a, b)
        if op in ("in", "not in"):
            found = self.contains(b, a, node.pos, op)
            return found if op == "in" else not found
        return self.order(op, a, b, node.pos)

    def contains(self, container: Any, item: Any, pos: int, op: str) -> bool:
        if isinstance(container, str):
            if not isinstance(item, str):
                raise _type_error(op, pos)
            return item in container
        if isinstance(container, list | tuple):
            return any(_equal(item, _import(x)) for x in container)
        if isinstance(container, Mapping):
            return isinstance(item, str) and item in container
        raise _type_error(op, pos)

    def order(self, op: str, a: Any, b: Any, pos: int) -> bool:
        left: Any
        right: Any
        if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            left, right = a, b
        elif isinstance(a, dt.date) or isinstance(b, dt.date):
            left, right = _as_date(a), _as_date(b)
            if left is None or right is None:
                raise _type_error(op, pos)
        else:
            raise _type_error(op, pos)
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)

    # functions -------------------------------------------------------------
    def call(self, node: Call) -> Any:
        name = node.name
        if name == "if":  # lazy: only the chosen branch is evaluated
            cond = self.eval(node.args[0])
            if not isinstance(cond, bool):
                raise _type_error("if", node.pos)
            return self.eval(node.args[1] if cond else node.args[2])
        if name == "today":
            if self.today is None:
                raise ExpressionError(
                    "expression_no_clock",
                    N_("“today()” is not available here (position {position})."),
                    position=node.pos,
                )
            return self.today
        args = [self.eval(arg) for arg in node.args]
        handler: Callable[[list[Any], int], Any] = getattr(self, f"fn_{name}")
        return handler(args, node.pos)

    def _number(self, value: Any, name: str, pos: int) -> Number:
        if not _is_number(value):
            raise _bad_argument(name, pos)
        return value  # type: ignore[no-any-return]

    def _digits(self, args: list[Any], name: str, pos: int) -> int:
        if len(args) < 2:
            return 0
        digits = args[1]
        if not isinstance(digits, int) or isinstance(digits, bool) or abs(digits) > ROUND_DIGITS_LIMIT:
            raise _bad_argument(name, pos)
        return digits

    def _numbers(self, value: Any, name: str, pos: int) -> list[Number]:
        if not isinstance(value, list | tuple) or len(value) > MAX_LIST_LENGTH * 100:
            raise _bad_argument(name, pos)
        numbers = [_import(v) for v in value]
        numbers = [v for v in numbers if v is not None]  # unanswered optional rows are skipped
        return [self._number(v, name, pos) for v in numbers]

    def fn_floor(self, args: list[Any], pos: int) -> int:
        value = Fraction(self._number(args[0], "floor", pos))
        digits = self._digits(args, "floor", pos)
        scale = Fraction(10) ** digits
        return _export(Fraction(math.floor(value * scale)) / scale)  # type: ignore[no-any-return]

    def fn_round(self, args: list[Any], pos: int) -> Number:
        value = Fraction(self._number(args[0], "round", pos))
        digits = self._digits(args, "round", pos)
        scale = Fraction(10) ** digits
        return _export(Fraction(_round_half_up(value * scale)) / scale)  # type: ignore[no-any-return]

    def _extreme(self, args: list[Any], name: str, pos: int) -> list[Number]:
        if len(args) == 1 and isinstance(args[0], list | tuple):
            values = self._numbers(args[0], name, pos)
        else:
            values = [self._number(v, name, pos) for v in args]
        if not values:
            raise _bad_argument(name, pos)
        return values

    def fn_min(self, args: list[Any], pos: int) -> Number:
        return min(self._extreme(args, "min", pos))

    def fn_max(self, args: list[Any], pos: int) -> Number:
        return max(self._extreme(args, "max", pos))

    def fn_sum(self, args: list[Any], pos: int) -> Number:
        return sum(self._numbers(args[0], "sum", pos), start=0)

    def fn_len(self, args: list[Any], pos: int) -> int:
        value = args[0]
        if value is None:
            return 0
        if not isinstance(value, str | list | tuple | Mapping):
            raise _bad_argument("len", pos)
        return len(value)

    def fn_count(self, args: list[Any], pos: int) -> int:
        items = args[0]
        if items is None:
            return 0
        if not isinstance(items, list | tuple):
            raise _bad_argument("count", pos)
        if len(args) == 1:
            return sum(1 for item in items if item is not None)
        return sum(1 for item in items if _equal(_import(item), args[1]))

    def _date_arg(self, value: Any, name: str, pos: int) -> dt.date:
        day = _as_date(value)
        if day is None:
            raise ExpressionError(
                "expression_arguments",
                N_("“{name}” needs a date (position {position})."),
                position=pos,
                name=name,
            )
        return day

    def fn_years_between(self, args: list[Any], pos: int) -> int:
        return _full_years(
            self._date_arg(args[0], "years_between", pos), self._date_arg(args[1], "years_between", pos)
        )

    def fn_days_between(self, args: list[Any], pos: int) -> int:
        start = self._date_arg(args[0], "days_between", pos)
        return (self._date_arg(args[1], "days_between", pos) - start).days

    def fn_date(self, args: list[Any], pos: int) -> dt.date:
        return self._date_arg(args[0], "date", pos)


def check_names(expression: Expression, allowed_roots: Sequence[str]) -> list[Path]:
    """Paths whose root is not one of ``allowed_roots`` (used when a definition is loaded)."""
    return [p for p in expression.paths if p.parts[0] not in allowed_roots]
