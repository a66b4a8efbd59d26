"""The expression language's syntax: limits, errors, tokens, the tree and the parser (``expressions``
evaluates what this parses)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from smartgov.digits import to_latin_digits
from smartgov.errors import DomainError
from smartgov.i18n import N_

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
