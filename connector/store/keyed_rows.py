"""Records keyed like contacts, by where they live (source, instance, object type, CRM id): their stored rows, and
a chunk of them classified against those rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from connector.store.contact_ids import crm_ids_by_type
from connector.store.counts import UpsertCounts

#: A record as such a table keys it within one source and instance: (object type, CRM id).
RecordKey = tuple[str, str]


def stored_values(
    connection: Connection, table: Table, columns: Sequence[str], source: str, instance: str, keys: Iterable[RecordKey]
) -> dict[RecordKey, tuple[int, dict]]:
    """(id, values of `columns`) of the records among ``keys`` that are in `table` (outcome, account)."""
    t = table.c
    found = {}
    for object_type, crm_ids in crm_ids_by_type(keys):
        # Naming the object type lets the lookup use the whole (source, instance, object_type, crm_id) index.
        query = select(t.id, t.crm_id, *(t[name] for name in columns)).where(
            t.source == source, t.instance == instance, t.object_type == object_type, t.crm_id.in_(crm_ids)
        )
        for row in connection.execute(query):
            found[(object_type, row.crm_id)] = (row.id, {name: getattr(row, name) for name in columns})
    return found


@dataclass(frozen=True)
class Classified:
    """A chunk of records against the store: new rows, changed rows (id, values, whether more than bookkeeping
    changed), and counts."""

    new: list[dict]
    changed: list[tuple[int, dict, bool]]
    deleted: int
    skipped: int

    def counts(self, read: int, distinct: int, **more: int) -> UpsertCounts:
        return UpsertCounts.classified(
            read=read,
            distinct=distinct,
            inserted=len(self.new),
            changed=len(self.changed),
            deleted=self.deleted,
            skipped=self.skipped,
            **more,
        )


def classify(
    latest: Mapping[RecordKey, Any],
    stored: Mapping[RecordKey, tuple[int, dict]],
    values_of: Callable[[Any, tuple[int, dict] | None], dict],
    bookkeeping: frozenset[str],
) -> Classified:
    """Each record (by key, last wins) as new, changed or unchanged; a deletion of a record never stored is skipped.
    `values_of(record, stored)` gives the column values a record stands for; `bookkeeping` columns alone changing
    (the CRM's modification time) do not make a change that matters."""
    new, changed, deleted, skipped = [], [], 0, 0
    for key, record in latest.items():
        before = stored.get(key)
        values = values_of(record, before)
        if before is None and record.deleted:
            skipped += 1  # nothing to flag: the CRM deleted a record we never stored
        elif before is None:
            new.append({"object_type": key[0], "crm_id": key[1], **values})
        elif values != before[1]:
            matters = any(values[name] != before[1][name] for name in values if name not in bookkeeping)
            changed.append((before[0], values, matters))
            deleted += record.deleted and not before[1]["deleted"]
    return Classified(new, changed, deleted, skipped)
