"""Contact ids by where a contact lives in its CRM: (object type, CRM id) within one source and instance."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Row

from connector.store.tables import Contact

CONTACT_TABLE: Table = Contact.__table__  # type: ignore[attr-defined]
#: Keys per `IN (...)` lookup; well under SQLite's limit on bound parameters.
LOOKUP_KEYS = 900
#: Unknown contact keys in one chunk above which all contacts of the source and instance are loaded at once.
PRELOAD_AFTER_KEYS = 5_000

#: A contact as activities name it: (object type, CRM id).
ContactKey = tuple[str, str]
T = TypeVar("T")


class ContactIds:
    """Contact ids by (object type, CRM id) for one source and instance, looked up in batches and remembered."""

    def __init__(self, connection: Connection, source: str, instance: str) -> None:
        self._connection = connection
        self._source = source
        self._instance = instance
        self._ids: dict[ContactKey, int | None] = {}
        self._holds_all = False
        #: Keys stored since `load_all`, whose ids must be looked up again.
        self._added: set[ContactKey] = set()

    def resolve(self, keys: Iterable[ContactKey]) -> dict[ContactKey, int | None]:
        """Make sure every key is known (None for contacts not in the store); returns the whole cache."""
        missing = [key for key in keys if key not in self._ids]
        if len(missing) > PRELOAD_AFTER_KEYS:
            self.load_all()
            missing = [key for key in missing if key not in self._ids]
        lookup = [key for key in missing if key in self._added] if self._holds_all else missing
        self._ids.update(dict.fromkeys(missing))
        self._ids.update({key: row.id for key, row in self.stored(lookup).items()})
        return self._ids

    def forget(self, keys: Iterable[ContactKey]) -> None:
        """Keys just stored without learning their ids: looked up again when next asked for."""
        for key in keys:
            self._ids.pop(key, None)
            self._added.add(key)

    def load_all(self) -> dict[ContactKey, int | None]:
        """Every contact of the source and instance; a bulk import names most of them anyway, and one scan beats
        a hundred IN lookups."""
        if not self._holds_all:
            c = CONTACT_TABLE.c
            query = select(c.id, c.object_type, c.crm_id).where(c.source == self._source, c.instance == self._instance)
            self._ids.update({(row.object_type, row.crm_id): row.id for row in self._connection.execute(query).all()})
            self._holds_all = True
            self._added.clear()
        return self._ids

    def stored(self, keys: Sequence[ContactKey], *columns) -> dict[ContactKey, Row]:
        """The stored rows (id first, then ``columns``) of those keys that are in the store."""
        c = CONTACT_TABLE.c
        found: dict[ContactKey, Row] = {}
        for object_type, batch in crm_ids_by_type(keys):
            # Naming the object type lets the lookup use the whole (source, instance, object_type, crm_id) index.
            query = select(c.id, c.crm_id, *columns).where(
                c.source == self._source,
                c.instance == self._instance,
                c.object_type == object_type,
                c.crm_id.in_(batch),
            )
            found.update({(object_type, row.crm_id): row for row in self._connection.execute(query).all()})
        return found


def crm_ids_by_type(keys: Iterable[ContactKey]) -> Iterator[tuple[str, list[str]]]:
    """(object type, a batch of its CRM ids) covering ``keys``, each batch small enough for one IN list."""
    by_type: dict[str, list[str]] = {}
    for object_type, crm_id in keys:
        by_type.setdefault(object_type, []).append(crm_id)
    for object_type, crm_ids in by_type.items():
        for batch in chunked(crm_ids, LOOKUP_KEYS):
            yield object_type, batch


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to ``size`` items, in order."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
