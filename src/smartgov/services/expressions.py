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
from smartgov.errors import DomainError
from smartgov.i18n import N_, to_latin_digits

MAX_LENGTH = 2000
"""Longest expression accepted; definitions are human-written, so this is generous."""
MAX_DEPTH = 32
"""Deepest nesting of parentheses, calls, lists and unary operators."""
MAX_NUMBER_DIGITS = 30
"""Longest number literal; bigger than any rial amount, small enough to stay cheap."""
MAX_LIST_LENGTH = 1000
"""Longest list literal or list argument the language handles."""

ROUND_DIGITS_LIMIT = 18

Number = int | Fraction


class ExpressionError(DomainError):
    """A rule that cannot be parsed or evaluated; ``position`` is 1-based (0 when unknown)."""

    def __init__(self, code: str, message: str, *, position: int = 0, **params: Any) -> None:
        super().__init__(code, message, position=position, **params)
        self.position = position


# --------------------------------------------------------------------------- tokens

_PUNCT = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", ",", "[", "]", ".")
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_DIGITS = frozenset("0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩")
_DECIMAL_POINTS = frozenset(".٫")
_ESCAPES = {"n": "\n", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "str", "name", "kw", "op", "end"
    value: Any
    pos: int  # 1-based


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_name_char(ch: str) -> bool:
    return _is_name_start(ch) or ("0" <= ch <= "9")


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; Persian and Arabic-Indic digits are read as numbers."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch in _DIGITS:
            while i < n and text[i] in _DIGITS:
                i += 1
            if i + 1 < n and text[i] in _DECIMAL_POINTS and text[i + 1] in _DIGITS:
                i += 1
                while i < n and text[i] in _DIGITS:
                    i += 1
            literal = to_latin_digits(text[start:i]).replace("٫", ".")
            if len(literal) > MAX_NUMBER_DIGITS:
                raise ExpressionError(
                    "expression_syntax", N_("Number too long at position {position}."), position=start + 1
                )
            if i < n and _is_name_char(text[i]):
                raise _unexpected_char(text[i], i)
            value: Number = int(literal) if "." not in literal else Fraction(literal)
            tokens.append(Token("num", value, start + 1))
            continue
        if _is_name_start(ch):
            while i < n and _is_name_char(text[i]):
                i += 1
            word = text[start:i]
            tokens.append(Token("kw" if word in _KEYWORDS else "name", word, start + 1))
            continue
        if ch in "'\"":
            i += 1
            chars: list[str] = []
            while i < n and text[i] != ch:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                    chars.append(_ESCAPES.get(text[i], text[i]))
                else:
                    chars.append(text[i])
                i += 1
            if i >= n:
                raise ExpressionError(
                    "expression_syntax",
                    N_("Unterminated text starting at position {position}."),
                    position=start + 1,
                )
            i += 1
            tokens.append(Token("str", "".join(chars), start + 1))
            continue
        for op in _PUNCT:
            if text.startswith(op, i):
                tokens.append(Token("op", op, start + 1))
                i += len(op)
                break
        else:
            raise _unexpected_char(ch, i)
    tokens.append(Token("end", None, n + 1))
    return tokens


def _unexpected_char(ch: str, index: int) -> ExpressionError:
    return ExpressionError(
        "expression_syntax",
        N_("Unexpected character “{char}” at position {position}."),
        position=index + 1,
        char=ch,
    )


# --------------------------------------------------------------------------- tree


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    pos: int


@dataclass(frozen=True, slots=True)
class Path:
    parts: tuple[str, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "-" or "not"
    operand: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Chain:
    """``a + b - c`` or ``a * b / c``: n-ary so long chains never recurse deeply."""

    first: Node
    rest: tuple[tuple[str, Node, int], ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Logic:
    op: str  # "and" / "or"
    operands: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >= in "not in"
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int


Node = Literal | Path | ListLit | Unary | Chain | Logic | Compare | Call


# name → (min args, max args or None)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "if": (3, 3),
    "floor": (1, 2),
    "round": (1, 2),
    "min": (1, None),
    "max": (1, None),
    "sum": (1, 1),
    "len": (1, 1),
    "count": (1, 2),
    "years_between": (2, 2),
    "days_between": (2, 2),
    "today": (0, 0),
    "date": (1, 1),
}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.paths: list[Path] = []

    # helpers
    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def at(self, kind: str, value: Any = None) -> bool:
        tok = self.peek()
        return tok.kind == kind and (value is None or tok.value == value)

    def expect_op(self, value: str) -> Token:
        if not self.at("op", value):
            raise self.unexpected(self.peek())
        return self.next()

    def unexpected(self, tok: Token) -> ExpressionError:
        if tok.kind == "end":
            return ExpressionError(
                "expression_syntax",
                N_("Unexpected end of expression at position {position}."),
                position=tok.pos,
            )
        shown = tok.value if tok.kind != "str" else repr(tok.value)
        return ExpressionError(
            "expression_syntax",
            N_("Unexpected “{token}” at position {position}."),
            position=tok.pos,
            token=str(shown)[:40],
        )

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                "expression_too_deep",
                N_("Expression is nested too deeply (more than {limit} levels) at position {position}."),
                position=pos,
                limit=MAX_DEPTH,
            )

    # grammar
    def parse(self) -> Node:
        node = self.expression()
        if not self.at("end"):
            raise self.unexpected(self.peek())
        return node

    def expression(self) -> Node:
        self.enter(self.peek().pos)
        try:
            return self.logic("or", self.and_expr)
        finally:
            self.depth -= 1

    def and_expr(self) -> Node:
        return self.logic("and", self.not_expr)

    def logic(self, op: str, operand: Callable[[], Node]) -> Node:
        pos = self.peek().pos
        items = [operand()]
        while self.at("kw", op):
            self.next()
            items.append(operand())
        return items[0] if len(items) == 1 else Logic(op, tuple(items), pos)

    def not_expr(self) -> Node:
        if self.at("kw", "not"):
            tok = self.next()
            self.enter(tok.pos)
            try:
                return Unary("not", self.not_expr(), tok.pos)
            finally:
                self.depth -= 1
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        op = self.comparison_op()
        if op is None:
            return left
        op_text, pos = op
        right = self.additive()
        if self.comparison_op() is not None:
            raise ExpressionError(
                "expression_syntax",
                N_("Comparisons cannot be chained (position {position}); join them with “and”."),
                position=pos,
            )
        return Compare(op_text, left, right, pos)

    def comparison_op(self) -> tuple[str, int] | None:
        tok = self.peek()
        if tok.kind == "op" and tok.value in ("==", "!=", "<", "<=", ">", ">="):
            self.next()
            return tok.value, tok.pos
        if tok.kind == "kw" and tok.value == "in":
            self.next()
            return "in", tok.pos
        if tok.kind == "kw" and tok.value == "not" and self.tokens[self.i + 1].value == "in":
            self.next()
            self.next()
            return "not in", tok.pos
        return None

    def additive(self) -> Node:
        return self.chain(("+", "-"), self.multiplicative)

    def multiplicative(self) -> Node:
        return self.chain(("*", "/"), self.unary)

    def chain(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        pos = self.peek().pos
        first = operand()
        rest: list[tuple[str, Node, int]] = []
        while self.peek().kind == "op" and self.peek().value in ops:
            tok = self.next()
            rest.append((tok.value, operand(), tok.pos))
        return first if not rest else Chain(first, tuple(rest), pos)

    def unary(self) -> Node:
        if self.at("op", "-") or self.at("op", "+"):
            tok = self.next()
            self.enter(tok.pos)
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            return operand if tok.value == "+" else Unary("-", operand, tok.pos)
        return self.primary()

    def primary(self) -> Node:
        tok = self.next()
        if tok.kind in ("num", "str"):
            return Literal(tok.value, tok.pos)
        if tok.kind == "kw" and tok.value in ("true", "false", "null"):
            return Literal({"true": True, "false": False, "null": None}[tok.value], tok.pos)
        if tok.kind == "op" and tok.value == "(":
            node = self.expression()
            self.expect_op(")")
            return node
        if tok.kind == "op" and tok.value == "[":
            items = self.arguments("]", tok.pos)
            if len(items) > MAX_LIST_LENGTH:
                raise ExpressionError(
                    "expression_syntax", N_("List too long at position {position}."), position=tok.pos
                )
            return ListLit(tuple(items), tok.pos)
        if tok.kind == "name":
            if self.at("op", "("):
                return self.call(tok)
            parts = [tok.value]
            while self.at("op", "."):
                self.next()
                part = self.next()
                if part.kind not in ("name", "kw"):
                    raise self.unexpected(part)
                parts.append(part.value)
            path = Path(tuple(parts), tok.pos)
            self.paths.append(path)
            return path
        raise self.unexpected(tok)

    def call(self, name_tok: Token) -> Node:
        name = name_tok.value
        if name not in FUNCTIONS:
            raise ExpressionError(
                "expression_unknown_function",
                N_("Unknown function “{name}” at position {position}."),
                position=name_tok.pos,
                name=name,
            )
        self.next()  # "("
        args = self.arguments(")", name_tok.pos)
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            raise ExpressionError(
                "expression_arguments",
                N_("Wrong number of arguments for “{name}” at position {position}."),
                position=name_tok.pos,
                name=name,
            )
        return Call(name, tuple(args), name_tok.pos)

    def arguments(self, closer: str, pos: int) -> list[Node]:
        self.enter(pos)
        try:
            args: list[Node] = []
            if self.at("op", closer):
                self.next()
                return args
            while True:
                args.append(self.expression())
                if self.at("op", ","):
                    self.next()
                    continue
                self.expect_op(closer)
                return args
        finally:
            self.depth -= 1


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
