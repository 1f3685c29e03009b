"""Binds a parsed SOQL query to the org schema and runs it over the record store.

Binding checks every name the way Salesforce does (INVALID_TYPE, INVALID_FIELD, type of each filter value) and
compiles the WHERE clause to plain closures, so a query over tens of thousands of rows stays in the millisecond range.
Text comparisons are case-insensitive and ``!=`` matches nulls, as in SOQL.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.sandbox.salesforce.api_errors import ApiError
from adapters.sandbox.salesforce.ids import is_well_formed, to_18
from adapters.sandbox.salesforce.records import Record, RecordStore
from adapters.sandbox.salesforce.schema import NUMBER_TYPES, STRING_TYPES, FieldSpec, ObjectSchema
from adapters.sandbox.salesforce.soql import Comparison, FieldRef, Junction, Literal, Not, Query, located_message
from adapters.sandbox.salesforce.values import canonical_date, canonical_datetime, format_datetime

Getter = Callable[[Record], Any]
Predicate = Callable[[Record], bool]
#: Text compares case-insensitively in SOQL; ids are compared as their exact 18-character form.
CASE_INSENSITIVE_TYPES = STRING_TYPES - {"id", "reference"}
LITERAL_FOR_TYPE = {"boolean": "boolean", "date": "date", "datetime": "datetime"}
TYPE_WORDS = {"datetime": "dateTime", "date": "date", "boolean": "boolean"}


@dataclass(frozen=True)
class BoundField:
    """A selected or filtered field: canonical path parts, the leaf's spec, and how to read it from a row."""

    parts: tuple[str, ...]
    spec: FieldSpec
    read: Getter
    hops: tuple[str, ...] = ()  # the reference fields walked to reach the leaf, e.g. ("AccountId",)

    @property
    def name(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class QueryPlan:
    object_name: str
    fields: tuple[BoundField, ...]
    count_only: bool
    predicate: Predicate | None
    order: tuple[tuple[BoundField, bool, bool], ...]
    limit: int | None
    offset: int

    def run(self, store: RecordStore, *, include_deleted: bool) -> list[Record]:
        """Matching rows, ordered and cut by LIMIT / OFFSET."""
        rows = store.rows(self.object_name, include_deleted=include_deleted)
        if self.predicate is not None:
            rows = [row for row in rows if self.predicate(row)]
        rows = _ordered(rows, self.order)
        end = None if self.limit is None else self.offset + self.limit
        return rows[self.offset : end] if self.offset or end is not None else rows


def _ordered(rows: list[Record], order: tuple[tuple[BoundField, bool, bool], ...]) -> list[Record]:
    """ORDER BY in one sort when every item has the same direction (the usual case), else one stable sort per
    item from the last to the first."""
    if not order:
        return rows
    directions = {descending for _, descending, _ in order}
    groups = [order] if len(directions) == 1 else [(item,) for item in reversed(order)]
    for group in groups:
        descending = group[0][1]
        if all(_never_null_or_folded(field) for field, _, _ in group):
            # The incremental cursor's `ORDER BY SystemModstamp, Id` takes this path: a key made in C.
            rows = sorted(
                rows, key=operator.itemgetter(*(field.spec.name for field, _, _ in group)), reverse=descending
            )
            continue
        key = _sort_key([(_comparable(field), nulls_last != descending) for field, _, nulls_last in group])
        rows = sorted(rows, key=key, reverse=descending)
    return rows


def _never_null_or_folded(field: BoundField) -> bool:
    return not field.hops and not field.spec.nillable and field.spec.type not in CASE_INSENSITIVE_TYPES


def _comparable(field: BoundField) -> Getter:
    if field.spec.type in CASE_INSENSITIVE_TYPES:
        read = field.read
        return lambda row: value.lower() if isinstance(value := read(row), str) else value
    return field.read


def _sort_key(items: list[tuple[Getter, bool]]) -> Callable[[Record], tuple]:
    """A tuple key; each value is preceded by a rank that puts nulls where NULLS FIRST / LAST wants them once
    the sort direction is applied (nulls never compare with values: the ranks differ first)."""
    if len(items) == 1:
        ((read, nulls_high),) = items
        null_key = (2 if nulls_high else 0, None)
        return lambda row: null_key if (value := read(row)) is None else (1, value)

    def key(row: Record) -> tuple:
        parts: list[Any] = []
        for read, nulls_high in items:
            value = read(row)
            parts += (2 if nulls_high else 0, None) if value is None else (1, value)
        return tuple(parts)

    return key


def bind(query: Query, store: RecordStore) -> QueryPlan:
    obj = store.object_schema(query.object_name)
    if obj is None:
        raise ApiError(
            400,
            "INVALID_TYPE",
            located_message(
                query.text,
                query.object_position,
                f"sObject type '{query.object_name}' is not supported. If you are attempting to use a custom object, "
                "be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call "
                "for the appropriate names.",
            ),
        )
    binder = _Binder(query, obj, store)
    fields = tuple(binder.field(ref) for ref in query.fields)
    _reject_duplicates(query, fields)
    predicate = binder.condition(query.where) if query.where is not None else None
    order = tuple((binder.field(item.field), item.descending, item.nulls_last) for item in query.order_by)
    return QueryPlan(obj.name, fields, query.count_only, predicate, order, query.limit, query.offset or 0)


def _reject_duplicates(query: Query, fields: tuple[BoundField, ...]) -> None:
    seen: set[str] = set()
    for ref, field in zip(query.fields, fields, strict=True):
        if field.name.lower() in seen:
            raise ApiError(
                400,
                "MALFORMED_QUERY",
                located_message(query.text, ref.position, f"duplicate field selected: {field.name}"),
            )
        seen.add(field.name.lower())


class _Binder:
    def __init__(self, query: Query, obj: ObjectSchema, store: RecordStore) -> None:
        self.query = query
        self.obj = obj
        self.store = store

    def fail(self, ref: FieldRef, code: str, problem: str) -> ApiError:
        return ApiError(400, code, located_message(self.query.text, ref.position, problem))

    def field(self, ref: FieldRef) -> BoundField:
        *relations, leaf = ref.path.split(".")
        if relations and relations[0].lower() == self.obj.name.lower():
            relations = relations[1:]  # "Lead.Email" in a query on Lead names the object itself
        obj, parts, hops = self.obj, [], []
        for index, relation in enumerate(relations):
            ref_spec = obj.relationship(relation)
            if ref_spec is None:
                raise self.fail(
                    ref,
                    "INVALID_FIELD",
                    f"Didn't understand relationship '{relation}' in field path. If "
                    "you are attempting to use a custom relationship, be sure to append the '__r' after the custom "
                    "relationship name. Please reference your WSDL or the describe call for the appropriate names.",
                )
            parts.append(ref_spec.relationship_name)
            hops.append(ref_spec.name)
            if len(ref_spec.reference_to) > 1:
                if index != len(relations) - 1:
                    raise self.fail(
                        ref, "INVALID_FIELD", "polymorphic relationships are supported as the last hop only"
                    )
                return self._polymorphic(ref, ref_spec, tuple(parts), tuple(hops), leaf)
            obj = self.store.object_schema(ref_spec.reference_to[0])
        spec = obj.field(leaf)
        if spec is None:
            raise self.fail(
                ref,
                "INVALID_FIELD",
                f"No such column '{leaf}' on entity '{obj.name}'. If you are "
                "attempting to use a custom field, be sure to append the '__c' after the custom field name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )
        return BoundField((*parts, spec.name), spec, self._reader(tuple(hops), spec.name), tuple(hops))

    def _polymorphic(
        self, ref: FieldRef, ref_spec: FieldSpec, parts: tuple[str, ...], hops: tuple[str, ...], leaf: str
    ) -> BoundField:
        """`Who.Name`: the leaf must exist on one of the targets; `Type` names the target's object."""
        if leaf.lower() == "type":
            spec = FieldSpec("Type", "string", label="Type", length=40)
            name_type, parent_id = self.store.name_type, self._reader(hops[:-1], hops[-1])
            return BoundField((*parts, "Type"), spec, lambda row: name_type(parent_id(row) or ""), hops)
        specs = [self.store.object_schema(name).field(leaf) for name in ref_spec.reference_to]
        spec = next((found for found in specs if found is not None), None)
        if spec is None:
            raise self.fail(ref, "INVALID_FIELD", f"No such column '{leaf}' on entity 'Name'.")
        return BoundField((*parts, spec.name), spec, self._reader(hops, spec.name), hops)

    def _reader(self, hops: tuple[str, ...], leaf: str) -> Getter:
        if not hops:
            return lambda row: row.get(leaf)
        peek = self.store.peek

        def read(row: Record) -> Any:
            for hop in hops:
                row = peek(row.get(hop))
                if row is None:
                    return None
            return row.get(leaf)

        return read

    def condition(self, node: Comparison | Not | Junction) -> Predicate:
        if isinstance(node, Not):
            inner = self.condition(node.operand)
            return lambda row: not inner(row)
        if isinstance(node, Junction):
            operands = [self.condition(operand) for operand in node.operands]
            if node.operator == "and":
                return lambda row: all(check(row) for check in operands)
            return lambda row: any(check(row) for check in operands)
        return self.comparison(node)

    def comparison(self, node: Comparison) -> Predicate:
        field = self.field(node.field)
        if field.spec.type == "textarea":
            raise self.fail(
                node.field, "INVALID_FIELD", f"field '{field.spec.name}' can not be filtered in a query call"
            )
        values = [self.value(node.field, field.spec, literal, node.operator) for literal in node.values]
        read = field.read
        if field.spec.type in CASE_INSENSITIVE_TYPES:
            values = [value.lower() if isinstance(value, str) else value for value in values]

            def read(row: Record, _read: Getter = field.read) -> Any:
                value = _read(row)
                return value.lower() if isinstance(value, str) else value

        return _comparison(node.operator, read, values)

    def day_range(self, ref: FieldRef, spec: FieldSpec, literal: Literal) -> DayRange:
        """TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n (from the start of the day n days ago through the end of
        today), NEXT_N_DAYS:n, N_DAYS_AGO:n. Days are UTC days (Salesforce uses the user's time zone)."""
        name, days = literal.value
        today = self.store.clock().astimezone(UTC).date()
        first, last = {
            "TODAY": (today, today),
            "YESTERDAY": (today - timedelta(days=1), today - timedelta(days=1)),
            "TOMORROW": (today + timedelta(days=1), today + timedelta(days=1)),
            "LAST_N_DAYS": (today - timedelta(days=days), today),
            "NEXT_N_DAYS": (today + timedelta(days=1), today + timedelta(days=days)),
            "N_DAYS_AGO": (today - timedelta(days=days), today - timedelta(days=days)),
        }[name]
        after = last + timedelta(days=1)
        if spec.type == "date":
            return DayRange(first.isoformat(), after.isoformat())
        midnight = datetime.min.time()
        return DayRange(
            format_datetime(datetime.combine(first, midnight, UTC)),
            format_datetime(datetime.combine(after, midnight, UTC)),
        )

    def value(self, ref: FieldRef, spec: FieldSpec, literal: Literal, operator: str) -> Any:
        if literal.kind == "null":
            if operator not in ("=", "!=", "in", "notin"):
                raise self.fail(ref, "MALFORMED_QUERY", f"unexpected token: '{literal.text}'")
            return None
        expected = "string" if spec.type in STRING_TYPES else "number" if spec.type in NUMBER_TYPES else spec.type
        if operator == "like" and expected != "string":
            raise self.fail(ref, "INVALID_FIELD", f"invalid operator on {spec.type} field: LIKE")
        if literal.kind == "relative" and expected in ("date", "datetime") and operator not in ("like", "in", "notin"):
            pass
        elif literal.kind != LITERAL_FOR_TYPE.get(expected, expected):
            quoted = (
                "and should be enclosed in quotes" if expected == "string" else "and should not be enclosed in quotes"
            )
            word = TYPE_WORDS.get(spec.type, "number" if expected == "number" else "string")
            raise self.fail(
                ref,
                "INVALID_FIELD",
                f"value of filter criterion for field '{spec.name}' must be of type {word} {quoted}",
            )
        if spec.type in ("id", "reference") and operator != "like":
            if not is_well_formed(literal.value):
                raise self.fail(ref, "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {literal.value}")
            return to_18(literal.value)
        if literal.kind == "relative":
            return self.day_range(ref, spec, literal)
        if spec.type == "datetime":
            return canonical_datetime(literal.value)
        if spec.type == "date":
            return canonical_date(literal.value)
        return literal.value


def _comparison(operator: str, read: Getter, values: list[Any]) -> Predicate:
    value = values[0]
    if isinstance(value, DayRange):
        return _range_comparison(operator, read, value)
    if operator == "=":
        return lambda row: read(row) == value
    if operator == "!=":
        return lambda row: read(row) != value
    if operator in ("in", "notin"):
        members = frozenset(values)
        if operator == "in":
            return lambda row: read(row) in members
        return lambda row: read(row) not in members
    if operator == "like":
        pattern = like_pattern(value)
        return lambda row: isinstance(current := read(row), str) and pattern.fullmatch(current) is not None
    compare = {
        "<": lambda a: a < value,
        "<=": lambda a: a <= value,
        ">": lambda a: a > value,
        ">=": lambda a: a >= value,
    }[operator]
    return lambda row: (current := read(row)) is not None and compare(current)


@dataclass(frozen=True)
class DayRange:
    """A relative date literal resolved against the org clock: [start, end) in the field's stored form."""

    start: str
    end: str


def _range_comparison(operator: str, read: Getter, days: DayRange) -> Predicate:
    start, end = days.start, days.end
    if operator == "!=":
        return lambda row: (value := read(row)) is None or not start <= value < end
    test = {
        "=": lambda value: start <= value < end,
        "<": lambda value: value < start,
        "<=": lambda value: value < end,
        ">": lambda value: value >= end,
        ">=": lambda value: value >= start,
    }[operator]
    return lambda row: (value := read(row)) is not None and test(value)


def like_pattern(pattern: str) -> re.Pattern[str]:
    r"""SOQL LIKE: ``%`` any run, ``_`` one character, ``\%`` and ``\_`` literal; case-insensitive."""
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)
