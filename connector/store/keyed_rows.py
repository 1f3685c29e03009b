"""Stored rows of the tables keyed like contacts, by where a record lives: (source, instance, object type, CRM id)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from connector.store.contact_ids import crm_ids_by_type

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
