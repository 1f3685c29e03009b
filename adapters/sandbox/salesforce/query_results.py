"""Query results as clients receive them: REST JSON rows with ``attributes`` and nested parents, Bulk 2.0 CSV,
and the server-side cursors behind ``nextRecordsUrl``."""

from __future__ import annotations

import csv
import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters.sandbox.salesforce.api_errors import ApiError
from adapters.sandbox.salesforce.ids import IdFactory
from adapters.sandbox.salesforce.query_plan import BoundField, QueryPlan
from adapters.sandbox.salesforce.records import Record, RecordStore

#: Salesforce keeps a query cursor for 15 minutes of inactivity.
CURSOR_IDLE_TIMEOUT = timedelta(minutes=15)
MAX_OPEN_CURSORS = 500


def attributes(object_name: str, record_id: str, version: str) -> dict[str, str]:
    return {"type": object_name, "url": f"/services/data/v{version}/sobjects/{object_name}/{record_id}"}


class RowShaper:
    """Turns stored records into the JSON rows of a query response."""

    def __init__(self, plan: QueryPlan, store: RecordStore, version: str) -> None:
        self.plan = plan
        self.store = store
        self.version = version

    def rows(self, records: Iterable[Record]) -> list[dict[str, Any]]:
        return [self.row(record) for record in records]

    def row(self, record: Record) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": attributes(self.plan.object_name, record["Id"], self.version)}
        for field in self.plan.fields:
            if field.hops:
                self._place_parent_field(out, record, field)
            else:
                out[field.spec.name] = record.get(field.spec.name)
        return out

    def _place_parent_field(self, out: dict[str, Any], record: Record, field: BoundField) -> None:
        container, current = out, record
        for relation, hop in zip(field.parts[:-1], field.hops, strict=True):
            parent_id = current.get(hop)
            parent = self.store.peek(parent_id)
            if parent is None:
                container.setdefault(relation, None)
                return
            nested = container.get(relation)
            if nested is None:
                object_name = self.store.type_of(parent_id) or ""
                nested = container[relation] = {"attributes": attributes(object_name, parent_id, self.version)}
            container, current = nested, parent
        container[field.parts[-1]] = field.read(record)


def csv_text(plan: QueryPlan, records: Iterable[Record]) -> str:
    """Bulk 2.0 CSV: a header of the field paths as written in the query, every value quoted, nulls empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([field.name for field in plan.fields])
    for record in records:
        writer.writerow([_csv_value(field.read(record)) for field in plan.fields])
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


@dataclass
class Cursor:
    """The rest of a query's result, waiting for its next page."""

    shaper: RowShaper
    records: list[Record]
    batch_size: int
    last_used: datetime


class QueryCursors:
    """Open cursors by locator (an id with the ``01g`` prefix, as Salesforce's are); bounded and expiring."""

    def __init__(self, clock: Callable[[], datetime], ids: IdFactory | None = None) -> None:
        self._clock = clock
        self._ids = ids or IdFactory()
        self._open: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, cursor: Cursor) -> str:
        locator = self._ids.new_id("01g")
        with self._lock:
            self._open[locator] = cursor
            while len(self._open) > MAX_OPEN_CURSORS:
                self._open.popitem(last=False)
        return locator

    def take(self, locator: str) -> Cursor:
        now = self._clock()
        with self._lock:
            cursor = self._open.get(locator)
            if cursor is None or now - cursor.last_used > CURSOR_IDLE_TIMEOUT:
                self._open.pop(locator, None)
                raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            cursor.last_used = now
            self._open.move_to_end(locator)
            return cursor

    def clear(self) -> None:
        with self._lock:
            self._open.clear()


def query_page(cursors: QueryCursors, cursor: Cursor, locator: str | None, offset: int, route: str) -> dict[str, Any]:
    """One page of a query response from `offset`; opens a cursor when more rows remain."""
    end = offset + cursor.batch_size
    page = cursor.shaper.rows(cursor.records[offset:end])
    body: dict[str, Any] = {"totalSize": len(cursor.records), "done": end >= len(cursor.records)}
    if not body["done"]:
        locator = locator or cursors.open(cursor)
        body["nextRecordsUrl"] = f"/services/data/v{cursor.shaper.version}/{route}/{locator}-{end}"
    body["records"] = page
    return body
