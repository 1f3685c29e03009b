"""Writing activities: kinds resolved once each, rows inserted in bulk, duplicates ignored, contacts queued."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from operator import itemgetter

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from connector.store.bulk import insert_ignoring_duplicates
from connector.store.contact_ids import CONTACT_TABLE, LOOKUP_KEYS, ContactIds, ContactKey, chunked
from connector.store.counts import UpsertCounts
from connector.store.rescore_queue import queue_for_rescore
from connector.store.storable import (
    CRM_ID_LIMIT,
    OBJECT_TYPE_LIMIT,
    SOURCE_ID_LIMIT,
    all_storable,
    storable_ids,
    storable_text,
    storable_value,
)
from connector.store.tables import Activity, ActivityKind
from connector.store.types import to_epoch

KIND_TABLE: Table = ActivityKind.__table__  # type: ignore[attr-defined]
ACTIVITY_TABLE: Table = Activity.__table__  # type: ignore[attr-defined]
ACTIVITY_COLUMNS = ("contact_id", "kind_id", "occurred_at", "source_id")

#: An activity kind's identity: canonical JSON of [type, {attribute: value}] (see `kind_key`). A string, so its
#: hash is computed once per distinct kind, however many million rows share it.
KindKey = str
#: One activity ready for the store: (contact key, kind key, occurred at in epoch seconds, source id). The
#: importer builds these straight from file rows; the sync gets them from `ActivityRecord`s.
ActivityRow = tuple[ContactKey, KindKey, int, str]


def kind_key(activity_type: str, attributes: Iterable[tuple[str, object]]) -> KindKey:
    """The identity of an activity kind; attributes with empty values do not distinguish kinds."""
    present = {name: str(value) for name, value in attributes if value not in (None, "")}
    if not all_storable((activity_type, *present, *present.values())):  # see storable.py
        activity_type, present = storable_text(activity_type), storable_value(present)
    return json.dumps([activity_type, present], sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def kind_fingerprint(key: KindKey) -> str:
    """What the store keeps unique per kind: sha256 of the canonical JSON key."""
    return hashlib.sha256(key.encode()).hexdigest()


class ActivityKinds:
    """Activity kind ids by kind key, created in the store on first sight and remembered."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._ids: dict[KindKey, int] = {}

    def resolve(self, keys: Iterable[KindKey]) -> dict[KindKey, int]:
        missing = {key for key in keys if key not in self._ids}
        for batch in chunked(list(missing), LOOKUP_KEYS):
            by_fingerprint = {kind_fingerprint(key): key for key in batch}
            new_kinds = [_kind_row(fingerprint, key) for fingerprint, key in by_fingerprint.items()]
            self._connection.execute(insert_ignoring_duplicates(self._connection, KIND_TABLE), new_kinds)
            query = select(KIND_TABLE.c.id, KIND_TABLE.c.fingerprint).where(
                KIND_TABLE.c.fingerprint.in_(by_fingerprint)
            )
            self._ids.update({by_fingerprint[row.fingerprint]: row.id for row in self._connection.execute(query)})
        return self._ids

    def ids_of(self, keys: Sequence[KindKey]) -> list[int]:
        """The ids of ``keys``, in their order."""
        known = self.resolve(keys)
        return [known[key] for key in keys]


class ActivityWriter:
    """Stores chunks of activity rows for one source and instance, remembering contacts and kinds across chunks."""

    def __init__(self, connection: Connection, source: str, instance: str) -> None:
        self._connection = connection
        self.contacts = ContactIds(connection, source, instance)
        self.kinds = ActivityKinds(connection)
        self._insert = BulkInsert(connection, ACTIVITY_TABLE, ACTIVITY_COLUMNS)

    def write(self, rows: Sequence[ActivityRow]) -> UpsertCounts:
        """Insert the rows not stored yet; contacts that got one are queued for a rescore."""
        rows, unstorable = _storable_contact_keys(rows)
        if not rows:
            return UpsertCounts(read=unstorable, skipped=unstorable)
        contact_ids = self.contacts.resolve({row[0] for row in rows})
        kind_ids = self.kinds.resolve({row[1] for row in rows})
        params = [
            (contact_id, kind_ids[kind], occurred_at, source_id)
            for contact, kind, occurred_at, source_id in rows
            if (contact_id := contact_ids[contact]) is not None
        ]
        # Sorted by contact, the rows land close together in the (contact, ...) indexes: far fewer page writes.
        params.sort(key=_by_contact)
        return self.insert_resolved(params, skipped=len(rows) - len(params) + unstorable)

    def insert_resolved(self, params: Sequence[tuple[int, int, int, str]], skipped: int = 0) -> UpsertCounts:
        """Insert (contact id, kind id, epoch seconds, source id) rows whose ids are known already.

        ``skipped`` counts rows the caller left out because their contact is not in the store.
        """
        params, unstorable = _storable_source_ids(params)
        skipped += unstorable
        inserted, updated = self._insert_new(params)
        unchanged = len(params) - inserted - updated
        return UpsertCounts(
            read=len(params) + skipped, inserted=inserted, updated=updated, unchanged=unchanged, skipped=skipped
        )

    def finish(self, unique_keys: bool = False) -> UpsertCounts:
        """Store whatever a writer holds back (see `activity_copy.CopyActivityWriter`); this one holds nothing.

        ``unique_keys`` says that no two rows written share (contact, source id), when the caller knows it.
        """
        return UpsertCounts()

    def remove(self, keys: Sequence[tuple[ContactKey, str]]) -> UpsertCounts:
        """Delete activities by (contact key, source id); their contacts get rescored.

        Deletions are rare (a CRM's recycle bin), so they go one statement each.
        """
        contact_ids = self.contacts.resolve({contact for contact, _ in keys})
        a = ACTIVITY_TABLE.c
        removed = skipped = 0
        for contact, source_id in keys:
            contact_id = contact_ids[contact]
            if contact_id is None:
                skipped += 1
                continue
            result = self._connection.execute(
                delete(ACTIVITY_TABLE).where(a.contact_id == contact_id, a.source_id == source_id)
            )
            if result.rowcount:
                removed += 1
                queue_for_rescore(self._connection, [contact_id])
        return UpsertCounts(read=len(keys), deleted=removed, unchanged=len(keys) - removed - skipped, skipped=skipped)

    def _insert_new(self, params: Sequence[tuple[int, int, int, str]]) -> tuple[int, int]:
        """(rows inserted, stored rows given a new kind or time)."""
        if not params:
            return 0, 0
        # Of two rows of one record, the later wins, as on the COPY path (activity_copy.py); ON CONFLICT DO NOTHING
        # alone would keep the first. A dict keeps each key where it first appeared, so the contact order holds.
        latest = {(row[0], row[3]): row for row in params}
        if len(latest) < len(params):
            params = list(latest.values())
        a = ACTIVITY_TABLE.c
        highest_before = self._connection.execute(select(func.coalesce(func.max(a.id), 0))).scalar_one()
        inserted = self._insert.run(params)
        if inserted == len(params):  # the usual case: every row was new
            queue_for_rescore(self._connection, sorted({row[0] for row in params}))
            return inserted, 0
        # Ids only grow, so the rows above the old highest id are the ones this chunk added (plus, on
        # PostgreSQL, rows other writers committed meanwhile: queueing their contacts too is harmless).
        queue_for_rescore(self._connection, select(a.contact_id).where(a.id > highest_before))
        return inserted, self._reclassify_stored(params, highest_before)

    def _reclassify_stored(self, params: Sequence[tuple[int, int, int, str]], highest_before: int) -> int:
        """Give rows stored before this chunk the kind and time the record has now; their contacts get rescored.

        The same CRM record can stand for another kind later: a webinar member moved from Registered to Attended,
        a meeting marked as a no-show, or a changed mapping that classifies it anew.
        """
        a = ACTIVITY_TABLE.c
        wanted = {(row[0], row[3]): (row[1], row[2]) for row in params}
        changed: list[dict[str, int]] = []
        contacts: set[int] = set()
        for batch in chunked(sorted(wanted), LOOKUP_KEYS):
            stored = self._connection.execute(
                select(a.id, a.contact_id, a.source_id, a.kind_id, a.occurred_at).where(
                    a.id <= highest_before,
                    a.contact_id.in_({contact for contact, _ in batch}),
                    a.source_id.in_({source for _, source in batch}),
                )
            )
            for row in stored:
                now = wanted.get((row.contact_id, row.source_id))
                if now is not None and now != (row.kind_id, to_epoch(row.occurred_at)):
                    changed.append({"row_id": row.id, "kind": now[0], "at": now[1]})
                    contacts.add(row.contact_id)
        if changed:
            statement = update(ACTIVITY_TABLE).where(a.id == bindparam("row_id"))
            self._connection.execute(statement.values(kind_id=bindparam("kind"), occurred_at=bindparam("at")), changed)
            queue_for_rescore(self._connection, sorted(contacts))
        return len(changed)


_by_contact = itemgetter(0)


def remove_unseen(connection: Connection, source: str, instance: str, seen: set[str]) -> int:
    """Delete the activities of one CRM instance's contacts whose source id a complete re-pull did not return
    (the mapping no longer selects them); their contacts get rescored. Returns how many were deleted."""
    a, c = ACTIVITY_TABLE.c, CONTACT_TABLE.c
    stored = connection.execute(
        select(a.id, a.contact_id, a.source_id)
        .join_from(ACTIVITY_TABLE, CONTACT_TABLE, a.contact_id == c.id)
        .where(c.source == source, c.instance == instance)
    )
    gone = [(row.id, row.contact_id) for row in stored if row.source_id not in seen]
    for batch in chunked(gone, LOOKUP_KEYS):
        connection.execute(delete(ACTIVITY_TABLE).where(a.id.in_([row_id for row_id, _ in batch])))
        queue_for_rescore(connection, sorted({contact_id for _, contact_id in batch}))
    return len(gone)


def _storable_contact_keys(rows: Sequence[ActivityRow]) -> tuple[Sequence[ActivityRow], int]:
    """Rows whose contact key the store can hold (see storable.py), and how many were left out."""
    if _storable_contacts(rows):  # the usual case, found in C-speed passes over the chunk
        return rows, 0
    kept = [row for row in rows if _storable_contacts((row,))]
    return kept, len(rows) - len(kept)


def _storable_contacts(rows: Sequence[ActivityRow]) -> bool:
    keys = list(map(_by_contact, rows))
    return storable_ids(map(_object_type, keys), OBJECT_TYPE_LIMIT) and storable_ids(map(_crm_id, keys), CRM_ID_LIMIT)


def _storable_source_ids(params: Sequence[tuple[int, int, int, str]]) -> tuple[Sequence[tuple], int]:
    """Rows whose source id the store can hold (see storable.py), and how many were left out."""
    kept = storable_source_ids(list(map(_source_id, params)))
    if kept is None:
        return params, 0
    return [params[position] for position in kept], len(params) - len(kept)


def storable_source_ids(source_ids: Sequence[str]) -> list[int] | None:
    """None when the store can hold every source id (the usual case, found in C-speed passes); else the positions
    of those it can hold."""
    if storable_ids(source_ids, SOURCE_ID_LIMIT):
        return None
    return [position for position, source_id in enumerate(source_ids) if storable_ids((source_id,), SOURCE_ID_LIMIT)]


_source_id = itemgetter(3)
_object_type, _crm_id = itemgetter(0), itemgetter(1)


class BulkInsert:
    """INSERT ... ON CONFLICT DO NOTHING compiled once by the dialect, then run through the driver's executemany.

    Plain tuples of ints and strings need no type processing, and Core's per-row parameter handling would cost
    about as much as SQLite's own work (2 of the 20 s budget for a 2,000,000-activity import). The statement still
    comes from the dialect's insert construct, and runs on the caller's connection and transaction.
    """

    def __init__(self, connection: Connection, table: Table, columns: tuple[str, ...]) -> None:
        statement = insert_ignoring_duplicates(connection, table).values({name: bindparam(name) for name in columns})
        compiled = statement.compile(dialect=connection.dialect)
        self._connection = connection
        self._sql = str(compiled)
        self._columns = columns
        self._positional = bool(compiled.positional)
        if self._positional and tuple(compiled.positiontup or ()) != columns:
            raise AssertionError(f"unexpected parameter order {compiled.positiontup} for {columns}")

    def run(self, rows: Sequence[tuple]) -> int:
        """Insert the rows; returns how many were new (both drivers sum an executemany's row counts)."""
        parameters = rows if self._positional else [dict(zip(self._columns, row, strict=True)) for row in rows]
        return self._connection.exec_driver_sql(self._sql, parameters).rowcount


def _kind_row(fingerprint: str, key: KindKey) -> dict:
    activity_type, attributes = json.loads(key)
    return {"fingerprint": fingerprint, "type": activity_type, "attributes": attributes}
