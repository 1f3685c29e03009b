"""Upserting contacts: each chunk of records classified as new, changed or unchanged against the store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from connector.crm import CONTACT_FIELDS, ContactRecord
from connector.store.contact_ids import CONTACT_TABLE, LOOKUP_KEYS, ContactIds, ContactKey
from connector.store.counts import UpsertCounts
from connector.store.keyed_rows import classify
from connector.store.rescore_queue import queue_for_rescore
from connector.store.storable import Screened
from connector.store.types import from_epoch, to_epoch

#: Contact columns an upsert writes and compares.
CONTACT_VALUE_COLUMNS = (*CONTACT_FIELDS, "created_at", "modified_at", "extra", "deleted")
#: Columns that only record when the CRM last touched a record: a change here alone (our own write-back coming
#: back on the next pull, say) is stored but never makes the contact worth rescoring.
BOOKKEEPING_COLUMNS = frozenset({"modified_at"})


class ContactWriter:
    """Classifies chunks of contact records as new, changed or unchanged against the store and writes them."""

    def __init__(self, connection: Connection, source: str, instance: str) -> None:
        self._connection = connection
        self._source = source
        self._instance = instance
        self.ids = ContactIds(connection, source, instance)
        self._merges: dict[tuple[str, str], tuple[str, str]] = {}

    def write(self, records: Sequence[ContactRecord]) -> UpsertCounts:
        screened = Screened()
        latest = {(record.object_type, record.crm_id): record for record in screened.contacts(records)}  # last wins
        if len(latest) >= LOOKUP_KEYS:
            # A full chunk means a bulk load: one scan of the instance's contacts serves every later chunk.
            self.ids.load_all()
        ids = self.ids.resolve(latest)
        stored = self._stored_values({key: ids[key] for key in latest if ids[key] is not None})
        self._merges.update({key: _merge_target(r.merged_into) for key, r in latest.items() if r.merged_into})
        chunk = classify(latest, stored, _contact_values, BOOKKEEPING_COLUMNS)
        self._insert(chunk.new)
        self._update([{"contact_id": i, **values} for i, values, _ in chunk.changed])
        queue_for_rescore(self._connection, [i for i, _, matters in chunk.changed if matters])
        return chunk.counts(len(records), len(latest), cleaned=screened.cleaned)

    def link_merged(self) -> None:
        """Point merged records (a converted Salesforce lead) at the contact their history now belongs to."""
        if not self._merges:
            return
        ids = self.ids.resolve([*self._merges, *self._merges.values()])
        links = [
            {"contact_id": ids[key], "target_id": ids[target]}
            for key, target in self._merges.items()
            if ids.get(key) is not None and ids.get(target) is not None
        ]
        c = CONTACT_TABLE.c
        statement = (
            update(CONTACT_TABLE)
            .where(c.id == bindparam("contact_id"), c.merged_into_id.is_distinct_from(bindparam("target_id")))
            .values(merged_into_id=bindparam("target_id"))
        )
        if links:
            self._connection.execute(statement, links)
            # every linked contact, moved or not: which ones the update moved, it does not say, and merges are few
            queue_for_rescore(self._connection, sorted({link["contact_id"] for link in links}))

    def _stored_values(self, ids: dict[ContactKey, int]) -> dict[ContactKey, tuple[int, dict]]:
        # By primary key: a lookup by CRM id right after a bulk insert (no planner statistics yet) makes
        # PostgreSQL filter the whole instance for every chunk.
        c = CONTACT_TABLE.c
        query = select(c.id, *(c[name] for name in CONTACT_VALUE_COLUMNS)).where(c.id.in_(list(ids.values())))
        rows = {row.id: row for row in self._connection.execute(query).all()} if ids else {}
        return {
            key: (contact_id, {name: getattr(rows[contact_id], name) for name in CONTACT_VALUE_COLUMNS})
            for key, contact_id in ids.items()
        }

    def _insert(self, rows: list[dict]) -> None:
        if rows:
            fixed = {"source": self._source, "instance": self._instance}
            c = CONTACT_TABLE.c
            highest_before = self._connection.execute(select(func.coalesce(func.max(c.id), 0))).scalar_one()
            # Plain executemany: on PostgreSQL it is several times faster than INSERT ... RETURNING in batches;
            # the few callers that need the new ids (a key repeated in a later chunk, merges) look them up.
            self._connection.execute(insert(CONTACT_TABLE), [{**fixed, **row} for row in rows])
            self.ids.forget((row["object_type"], row["crm_id"]) for row in rows)
            # New contacts are never scored: queued. Ids only grow, so those above the old highest id are this
            # chunk's (on PostgreSQL perhaps also another writer's, committed meanwhile: queueing them is harmless).
            queue_for_rescore(self._connection, select(c.id).where(c.id > highest_before))

    def _update(self, rows: list[dict]) -> None:
        if rows:
            self._connection.execute(update(CONTACT_TABLE).where(CONTACT_TABLE.c.id == bindparam("contact_id")), rows)


def _contact_values(record: ContactRecord, before: tuple[int, dict] | None) -> dict:
    """The column values a record stands for; a deletion keeps the stored fields and only sets the flag."""
    if record.deleted and before is not None:
        return {**before[1], "deleted": True}
    values = {name: getattr(record, name) for name in CONTACT_VALUE_COLUMNS}
    values["extra"] = dict(record.extra)
    for name in ("created_at", "modified_at"):  # the store keeps whole seconds; compare like with like
        if values[name] is not None:
            values[name] = from_epoch(to_epoch(values[name]))
    return values


def _merge_target(merged_into: str) -> tuple[str, str]:
    object_type, _, crm_id = merged_into.partition(":")
    return (object_type, crm_id) if crm_id else ("Contact", object_type)
