"""Incremental reads of a stream (contacts, activities, outcomes, accounts) that may span several Salesforce objects.

Each object is queried in ascending (SystemModstamp, Id) order and the objects are merged in that same order, so
one bookmark covers the whole stream and every page's bookmark is safe to commit once the page is stored.
Incremental reads use queryAll, so deleted rows arrive in the same call, flagged by IsDeleted.
The first page of every object of a stream comes from one Composite call (five queries a call), so a sync where
nothing changed costs one API call per stream; only objects whose first page is not done page on with
nextRecordsUrl, one call a page. The COUNT() queries that pick Bulk API objects share Composite calls too, across
streams (counts.py).
An incremental read that reaches the end of every object ends with an empty page bookmarked at the moment the read
began (with a lookback only), so a quiet org's next read starts from there minus the lookback instead of from the
last record it ever saw: without it, every sync re-reads the lookback before our own last write-back.
A first sync of a large object goes through Bulk API 2.0 instead; its order is not guaranteed, so that stream
commits one bookmark only after its last page (a crash restarts the backfill, it never skips).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, Generic, TypeVar

from adapters.salesforce import soql
from adapters.salesforce.bulk import bulk_query
from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.composite import Query, QueryResult, first_pages, pages_from
from adapters.salesforce.counts import SharedCounts
from adapters.salesforce.mapping import PullOptions
from adapters.salesforce.normalize import field_value, parse_timestamp
from connector.crm import AccountRecord, ActivityRecord, Bookmark, ContactRecord, Page

RecordT = TypeVar("RecordT", ContactRecord, ActivityRecord, AccountRecord)
Row = Mapping[str, Any]
#: A row with its place in the stream's order.
Keyed = tuple[tuple[datetime, str], Row, "StreamObject[Any]"]


@dataclass(frozen=True)
class StreamObject(Generic[RecordT]):
    """One object read as part of a stream: what to select, which rows, and how a row becomes a record."""

    name: str
    fields: tuple[str, ...]
    to_record: Callable[[Row], RecordT | None]
    #: Filters applied on every read (e.g. the activity rules' conditions).
    conditions: tuple[str, ...] = ()
    #: Filters applied only on the first sync (e.g. unconverted leads only).
    backfill_conditions: tuple[str, ...] = ()

    def select(self, since: Bookmark | None, lookback: timedelta) -> str:
        where = [*self.conditions, *(self.backfill_conditions if since is None else ())]
        where.append(soql.cursor_condition(since, lookback))
        return soql.select(self.name, self.fields, where, order_by=(soql.CURSOR_FIELD, "Id"))

    def count(self) -> str:
        return soql.count(self.name, [*self.conditions, *self.backfill_conditions])


class StreamReader:
    def __init__(
        self,
        client: SalesforceClient,
        options: PullOptions,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        counts: SharedCounts | None = None,
    ) -> None:
        self._client = client
        self._options = options
        self._now = now
        self._counts = counts or SharedCounts(client)

    def pages(self, stream: str, objects: Sequence[StreamObject[RecordT]], since: Bookmark | None) -> Iterator[Page]:
        bulk = self._bulk_objects(objects) if since is None else set()
        if bulk:
            yield from self._unordered_pages(stream, objects, bulk)
        else:
            yield from self._ordered_pages(stream, objects, since)

    def _bulk_objects(self, objects: Sequence[StreamObject[Any]]) -> set[str]:
        """Objects big enough for Bulk API 2.0 on a first sync (their COUNT() queries share Composite calls, with
        the counts of later streams: counts.py)."""
        threshold = self._options.bulk_threshold
        if threshold is None:
            return set()
        counts = self._counts.counts([item.count() for item in objects])
        return {item.name for item, count in zip(objects, counts, strict=True) if count >= threshold}

    # -- ordered: REST queries merged by (SystemModstamp, Id) ------------------------------------------------------

    def _ordered_pages(
        self, stream: str, objects: Sequence[StreamObject[Any]], since: Bookmark | None
    ) -> Iterator[Page]:
        started_at = self._now().replace(microsecond=0)  # bookmarks hold whole seconds; earlier is the safe side
        lookback = timedelta(seconds=self._options.lookback_seconds)
        queries = [
            Query(item.select(since, lookback), f"query of {item.name}", include_deleted=since is not None)
            for item in objects
        ]
        firsts = first_pages(self._client, queries, batch_size=self._options.page_size)
        rows = (self._paged_rows(item, first) for item, first in zip(objects, firsts, strict=True))
        merged = heapq.merge(*rows, key=lambda keyed: keyed[0])
        last = since
        for batch in _batches(merged, self._options.page_size):
            (stamp, last_id), _, _ = batch[-1]
            records, skipped = _records(batch)
            last = Bookmark(stream, stamp, last_id)
            yield Page(records=records, bookmark=last, skipped=skipped)
        if since is not None and last is not None and lookback > timedelta(0):
            yield from _read_to_the_end(Bookmark(stream, started_at), last)

    def _paged_rows(self, item: StreamObject[Any], first: QueryResult) -> Iterator[Keyed]:
        """Rows of an object from its first page on; later pages are fetched only as the merge reaches them."""
        pages = pages_from(self._client, first, what=f"query of {item.name}", batch_size=self._options.page_size)
        for page in pages:
            for row in page:
                yield _key(row), row, item

    def _rest_rows(self, item: StreamObject[Any], since: Bookmark | None) -> Iterator[Keyed]:
        lookback = timedelta(seconds=self._options.lookback_seconds)
        pages = self._client.query_pages(
            item.select(since, lookback),
            what=f"query of {item.name}",
            include_deleted=since is not None,
            batch_size=self._options.page_size,
        )
        for page in pages:
            for row in page:
                yield _key(row), row, item

    # -- unordered: a first sync with Bulk API 2.0 for the big objects ---------------------------------------------

    def _unordered_pages(self, stream: str, objects: Sequence[StreamObject[Any]], bulk: set[str]) -> Iterator[Page]:
        newest: tuple[datetime, str] | None = None
        for item in objects:
            rows = self._bulk_rows(item) if item.name in bulk else self._rest_rows(item, None)
            for batch in _batches(rows, self._options.page_size):
                keys = [key for key, _, _ in batch]
                newest = max(keys if newest is None else [newest, *keys])
                records, skipped = _records(batch)
                yield Page(records=records, bookmark=None, skipped=skipped)
        if newest is not None:
            yield Page(records=[], bookmark=Bookmark(stream, newest[0], newest[1]))

    def _bulk_rows(self, item: StreamObject[Any]) -> Iterator[Keyed]:
        statement = soql.select(item.name, item.fields, [*item.conditions, *item.backfill_conditions])
        rows = bulk_query(
            self._client,
            statement,
            object_name=item.name,
            page_size=self._options.bulk_page_size,
            poll_seconds=self._options.bulk_poll_seconds,
        )
        for row in rows:
            yield _key(row), row, item


def _read_to_the_end(anchor: Bookmark, last: Bookmark) -> Iterator[Page]:
    """The empty page that moves the bookmark up to when the read began, if that is past the last row read.

    Every row stamped before the read began and committed by then was in it; the next read starts at the anchor
    minus the lookback, which still catches late commits and clock skew between us and the org up to the lookback.
    So without a lookback there is no anchor: our clock alone would decide what the next read skips. A first sync
    keeps its last row's bookmark, as before: its filters (unconverted leads only) differ from later reads', and
    one re-read on the next sync costs less than reasoning about what those filters left out.
    """
    if (anchor.modified_at, anchor.last_id) > (last.modified_at, last.last_id):
        yield Page(records=[], bookmark=anchor)


def _key(row: Row) -> tuple[datetime, str]:
    stamp = parse_timestamp(field_value(row, soql.CURSOR_FIELD))
    assert stamp is not None, "every stream selects SystemModstamp"
    return stamp, str(row["Id"])


def _batches(items: Iterable[Keyed], size: int) -> Iterator[list[Keyed]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _records(batch: Sequence[Keyed]) -> tuple[list[Any], int]:
    """Records of a batch, each Id once; rows that make no record (no lead or contact) are counted as skipped.

    Re-reads across runs (the lookback window) are de-duplicated by the store's upsert on the same Id.
    """
    seen: set[str] = set()
    records, skipped = [], 0
    for (_, record_id), row, item in batch:
        if record_id in seen:
            continue
        seen.add(record_id)
        record = item.to_record(row)
        if record is None:
            skipped += 1
        else:
            records.append(record)
    return records, skipped
