"""A SOQL subset: tokenizer and parser into a small syntax tree.

Covers what sync connectors send: field lists with parent paths (``Account.Industry``), ``COUNT()``, WHERE with
comparisons, IN / NOT IN, LIKE, ``= null``, AND / OR / NOT and parentheses, unquoted date and dateTime literals,
ORDER BY with ASC/DESC and NULLS FIRST/LAST, LIMIT and OFFSET. As in Salesforce, mixing AND and OR at one level
without parentheses is a MALFORMED_QUERY. Binding names to the schema happens in `query_plan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.sandbox.salesforce.api_errors import ApiError

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
  | (?P<number>[+-]?\d+(?:\.\d+)?)(?![\w.])
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<relative>(?:LAST_N_DAYS|NEXT_N_DAYS|N_DAYS_AGO):\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
KEYWORDS = frozenset(
    {
        "select",
        "from",
        "where",
        "and",
        "or",
        "not",
        "in",
        "like",
        "order",
        "by",
        "asc",
        "desc",
        "nulls",
        "first",
        "last",
        "limit",
        "offset",
        "null",
        "true",
        "false",
        "count",
        "includes",
        "excludes",
        "group",
        "having",
    }
)
RELATIVE_DAYS = frozenset({"today", "yesterday", "tomorrow"})
STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: str  # datetime, date, number, string, op, punct, name, keyword, end
    text: str
    position: int

    @property
    def word(self) -> str:
        return self.text.lower()


@dataclass(frozen=True)
class FieldRef:
    path: str  # as written, e.g. "Account.Industry"
    position: int


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, datetime, date, boolean, null, relative (a date range such as LAST_N_DAYS:30)
    value: object
    text: str


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    operator: str  # = != < <= > >= like in notin
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class Junction:
    operator: str  # and / or
    operands: tuple[Condition, ...]


Condition = Comparison | Not | Junction


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    text: str
    fields: tuple[FieldRef, ...]
    count_only: bool
    object_name: str
    object_position: int
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None


def malformed(text: str, position: int, problem: str) -> ApiError:
    """MALFORMED_QUERY with Salesforce's caret-and-position message layout."""
    return ApiError(400, "MALFORMED_QUERY", located_message(text, position, problem))


def located_message(text: str, position: int, problem: str) -> str:
    snippet = text.replace("\n", " ")
    return f"\n{snippet}\n{' ' * position}^\nERROR at Row:1:Column:{position + 1}\n{problem}"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        found = TOKEN.match(text, position)
        if not found:
            raise malformed(text, position, f"unexpected token: '{text[position:].split()[0]}'")
        kind = found.lastgroup or "space"
        if kind != "space":
            word = found.group()
            if kind == "name" and word.lower() in KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, word, position))
        position = found.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def accept(self, *words: str) -> Token | None:
        token = self.current
        if token.kind in ("keyword", "punct", "op") and token.word in words:
            return self.advance()
        return None

    def expect(self, *words: str) -> Token:
        token = self.accept(*words)
        if token is None:
            raise self.unexpected()
        return token

    def unexpected(self) -> ApiError:
        token = self.current
        shown = token.text if token.kind != "end" else "<EOF>"
        return malformed(self.text, token.position, f"unexpected token: '{shown}'")

    def field(self) -> FieldRef:
        token = self.current
        if token.kind != "name":
            raise self.unexpected()
        self.advance()
        return FieldRef(token.text, token.position)

    def query(self) -> Query:
        self.expect("select")
        fields, count_only = self.select_list()
        self.expect("from")
        object_token = self.current
        if object_token.kind != "name" or "." in object_token.text:
            raise self.unexpected()
        self.advance()
        where = self.condition() if self.accept("where") else None
        order_by = self.order_by() if self.accept("order") else ()
        limit = self.integer() if self.accept("limit") else None
        offset = self.integer() if self.accept("offset") else None
        if self.current.kind != "end":
            raise self.unexpected()
        return Query(
            self.text, fields, count_only, object_token.text, object_token.position, where, order_by, limit, offset
        )

    def select_list(self) -> tuple[tuple[FieldRef, ...], bool]:
        if self.current.word == "count" and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.expect("(")
            self.expect(")")
            return (), True
        fields = [self.field()]
        while self.accept(","):
            fields.append(self.field())
        return tuple(fields), False

    def integer(self) -> int:
        token = self.current
        if token.kind != "number" or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        return int(token.text)

    def condition(self) -> Condition:
        first = self.unary()
        operands, operator = [first], None
        while self.current.word in ("and", "or") and self.current.kind == "keyword":
            token = self.advance()
            if operator not in (None, token.word):
                raise malformed(self.text, token.position, f"unexpected token: '{token.text}'")
            operator = token.word
            operands.append(self.unary())
        return Junction(operator, tuple(operands)) if operator else first

    def unary(self) -> Condition:
        if self.accept("not"):
            return Not(self.unary())
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        field = self.field()
        if self.accept("not"):
            self.expect("in")
            return Comparison(field, "notin", self.value_list())
        if self.accept("in"):
            return Comparison(field, "in", self.value_list())
        if self.accept("like"):
            return Comparison(field, "like", (self.literal(),))
        token = self.current
        if token.kind != "op":
            raise self.unexpected()
        self.advance()
        operator = "!=" if token.text == "<>" else token.text
        return Comparison(field, operator, (self.literal(),))

    def value_list(self) -> tuple[Literal, ...]:
        self.expect("(")
        values = [self.literal()]
        while self.accept(","):
            values.append(self.literal())
        self.expect(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.current
        if token.kind == "string":
            self.advance()
            return Literal("string", unescape(token.text[1:-1]), token.text)
        if token.kind in ("number", "datetime", "date"):
            self.advance()
            value = float(token.text) if token.kind == "number" else token.text
            return Literal(token.kind, value, token.text)
        if token.kind == "relative" or (token.kind == "name" and token.word in RELATIVE_DAYS):
            self.advance()
            name, _, days = token.text.upper().partition(":")
            return Literal("relative", (name, int(days or 0)), token.text)
        if token.kind == "keyword" and token.word in ("true", "false", "null"):
            self.advance()
            if token.word == "null":
                return Literal("null", None, token.text)
            return Literal("boolean", token.word == "true", token.text)
        raise self.unexpected()

    def order_by(self) -> tuple[OrderItem, ...]:
        self.expect("by")
        items = [self.order_item()]
        while self.accept(","):
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        field = self.field()
        descending = self.accept("desc") is not None
        if not descending:
            self.accept("asc")
        nulls_last = descending  # Salesforce's default: nulls first ascending, last descending
        if self.accept("nulls"):
            nulls_last = self.expect("first", "last").word == "last"
        return OrderItem(field, descending, nulls_last)


def unescape(body: str) -> str:
    r"""Resolve SOQL string escapes; ``\%`` and ``\_`` stay escaped for LIKE to read."""
    out, index = [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            out.append("\\" + following if following in "%_" else STRING_ESCAPES.get(following, following))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def parse(text: str) -> Query:
    """Parse a SOQL statement; raises ApiError(400, MALFORMED_QUERY) with Salesforce's message layout."""
    if not text or not text.strip():
        raise ApiError(400, "MALFORMED_QUERY", "SOQL statement cannot be empty")
    return _Parser(text).query()
