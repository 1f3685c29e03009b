"""Building SOQL: literals and escaping, the incremental cursor condition, and SELECT statements.

Literal rules: https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm
(strings in single quotes with backslash escapes) and .../sforce_api_calls_soql_select_dateformats.htm
(dateTime literals unquoted, `YYYY-MM-DDThh:mm:ssZ`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from connector.crm import Bookmark

#: The field every incremental stream is ordered and filtered by; it also moves on system updates.
CURSOR_FIELD = "SystemModstamp"

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def quote(text: str) -> str:
    return "'" + "".join(_ESCAPES.get(char, char) for char in text) + "'"


def datetime_literal(moment: datetime) -> str:
    """UTC, to the second; naive datetimes are taken as UTC. Truncation only ever widens `>=` filters."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return value.isoformat()
    return quote(str(value))


def cursor_condition(since: Bookmark | None, lookback: timedelta) -> str | None:
    """Where an incremental read starts.

    With a lookback window we re-read from ``modified_at - lookback`` (records commit after their stamp, so the
    window catches late arrivals; duplicates are removed by Id). Without one we resume exactly after the last
    record seen, using the composite cursor so many records sharing one stamp cannot stall the stream.
    """
    if since is None:
        return None
    if lookback > timedelta(0) or not since.last_id:
        return f"{CURSOR_FIELD} >= {datetime_literal(since.modified_at - lookback)}"
    stamp = datetime_literal(since.modified_at)
    return f"({CURSOR_FIELD} > {stamp} OR ({CURSOR_FIELD} = {stamp} AND Id > {quote(since.last_id)}))"


def in_condition(field: str, values: Iterable[object]) -> str:
    return f"{field} IN ({', '.join(literal(value) for value in values)})"


def select(
    object_name: str,
    fields: Iterable[str],
    where: Sequence[str | None] = (),
    *,
    order_by: Sequence[str] = (),
) -> str:
    """A SELECT with fields de-duplicated in order and the non-empty conditions ANDed, each parenthesized."""
    columns = ", ".join(dict.fromkeys(fields))
    statement = f"SELECT {columns} FROM {object_name}"
    conditions = [condition for condition in where if condition]
    if conditions:
        statement += " WHERE " + " AND ".join(
            condition if len(conditions) == 1 else f"({condition})" for condition in conditions
        )
    if order_by:
        statement += " ORDER BY " + ", ".join(order_by)
    return statement


def count(object_name: str, where: Sequence[str | None] = ()) -> str:
    return select(object_name, ["COUNT()"], where)


def chunked(items: Sequence[object], size: int) -> Iterable[Sequence[object]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def like_prefix(prefix: str) -> str:
    """A LIKE pattern matching values that start with ``prefix``; its own % and _ match literally."""
    return quote(prefix)[:-1].replace("%", "\\%").replace("_", "\\_") + "%'"


def like_anywhere(text: str) -> str:
    """A LIKE pattern matching values that hold ``text`` anywhere; its own % and _ match literally."""
    return "'%" + like_prefix(text)[1:]
