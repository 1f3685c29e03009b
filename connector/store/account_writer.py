"""Writing accounts: each chunk of accounts / companies classified against the store, deletions flagged, merges
followed to the surviving account.

Accounts are keyed like contacts, by where they live (source, instance, object type, CRM id). An account merged
into another (Salesforce MasterRecordId, HubSpot's merged company) points at the survivor (`merged_into_id`) and
hands its contacts over: their links move to the survivor, so the roll-up counts them there at the next run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from connector.crm import ACCOUNT_FIELDS, AccountRecord, bare_domain
from connector.store.contact_ids import LOOKUP_KEYS, chunked
from connector.store.counts import UpsertCounts
from connector.store.keyed_rows import classify, stored_values
from connector.store.rescore_queue import queue_for_rescore
from connector.store.storable import Screened
from connector.store.tables import Account, AccountContact
from connector.store.types import from_epoch, to_epoch

ACCOUNT_TABLE: Table = Account.__table__  # type: ignore[attr-defined]
ACCOUNT_LINK_TABLE: Table = AccountContact.__table__  # type: ignore[attr-defined]
#: Account columns an upsert writes and compares.
#: Where an account's `shown_stage` (the stage its CRM record shows) is kept: in `extra`, under this key.
SHOWN_STAGE = "shown_stage"
ACCOUNT_VALUE_COLUMNS = (*ACCOUNT_FIELDS, "created_at", "modified_at", "extra", "deleted")
#: Columns that only record when the CRM last touched the account: a change there alone moves no contact.
BOOKKEEPING_COLUMNS = frozenset({"modified_at"})

#: An account as the store keys it within one source and instance: (object type, CRM id).
AccountKey = tuple[str, str]


class AccountWriter:
    """Upserts chunks of account records of one source and instance and follows their merges."""

    def __init__(self, connection: Connection, source: str, instance: str) -> None:
        self._connection = connection
        self._source = source
        self._instance = instance
        self._merges: dict[AccountKey, str] = {}

    def write(self, records: Sequence[AccountRecord]) -> UpsertCounts:
        screened = Screened()
        latest = {(record.object_type, record.crm_id): record for record in screened.accounts(records)}  # last wins
        self._merges.update({key: r.merged_into for key, r in latest.items() if r.merged_into})
        chunk = classify(latest, self._stored_values(latest), _account_values, BOOKKEEPING_COLUMNS)
        self._insert(chunk.new)
        self._update([{"account_id": account_id, **values} for account_id, values, _ in chunk.changed])
        # the contacts of a changed account: their conditions may read the account's fields
        self._queue_contacts_of([account_id for account_id, _, matters in chunk.changed if matters])
        return chunk.counts(len(records), len(latest), cleaned=screened.cleaned)

    def link_merged(self) -> None:
        """Point merged accounts at their survivor, and move their contacts' links there."""
        if not self._merges:
            return
        merged = account_ids(self._connection, self._source, self._instance, self._merges)
        survivors = self._survivor_ids(self._merges.values())
        pairs = [
            (merged[key], survivors[crm_id])
            for key, crm_id in self._merges.items()
            if key in merged and crm_id in survivors and merged[key] != survivors[crm_id]
        ]
        a = ACCOUNT_TABLE.c
        statement = (
            update(ACCOUNT_TABLE)
            .where(a.id == bindparam("merged_id"), a.merged_into_id.is_distinct_from(bindparam("survivor_id")))
            .values(merged_into_id=bindparam("survivor_id"))
        )
        if pairs:
            self._connection.execute(statement, [{"merged_id": m, "survivor_id": s} for m, s in pairs])
        for merged_id, survivor_id in pairs:
            move_links(self._connection, merged_id, survivor_id)

    def _survivor_ids(self, crm_ids: Iterable[str]) -> dict[str, int]:
        """CRM id -> account id of the surviving accounts (merges name the survivor by CRM id alone)."""
        a = ACCOUNT_TABLE.c
        found: dict[str, int] = {}
        for batch in chunked(sorted(set(crm_ids)), LOOKUP_KEYS):
            query = select(a.id, a.crm_id).where(
                a.source == self._source, a.instance == self._instance, a.crm_id.in_(batch)
            )
            found.update({row.crm_id: row.id for row in self._connection.execute(query)})
        return found

    def _stored_values(self, keys: Iterable[AccountKey]) -> dict[AccountKey, tuple[int, dict]]:
        return stored_values(self._connection, ACCOUNT_TABLE, ACCOUNT_VALUE_COLUMNS, self._source, self._instance, keys)

    def _insert(self, rows: list[dict]) -> None:
        if rows:
            fixed = {"source": self._source, "instance": self._instance}
            self._connection.execute(insert(ACCOUNT_TABLE), [{**fixed, **row} for row in rows])

    def _update(self, rows: list[dict]) -> None:
        if rows:
            statement = update(ACCOUNT_TABLE).where(ACCOUNT_TABLE.c.id == bindparam("account_id"))
            self._connection.execute(statement, rows)

    def _queue_contacts_of(self, account_ids_: list[int]) -> None:
        link = ACCOUNT_LINK_TABLE.c
        for batch in chunked(account_ids_, LOOKUP_KEYS):
            queue_for_rescore(self._connection, select(link.contact_id).where(link.account_id.in_(batch)))


def account_ids(
    connection: Connection, source: str, instance: str, keys: Iterable[AccountKey]
) -> dict[AccountKey, int]:
    """The stored ids of those of ``keys`` that are in the store."""
    return {key: row[0] for key, row in stored_values(connection, ACCOUNT_TABLE, (), source, instance, keys).items()}


def move_links(connection: Connection, from_id: int, to_id: int) -> None:
    """The contacts of account `from_id` become contacts of `to_id` (a contact already there keeps its own link)."""
    link = ACCOUNT_LINK_TABLE.c
    held = select(link.contact_id).where(link.account_id == to_id)
    moving = select(link.contact_id).where(link.account_id == from_id)
    queue_for_rescore(connection, moving)
    connection.execute(
        update(ACCOUNT_LINK_TABLE)
        .where(link.account_id == from_id, link.contact_id.not_in(held.scalar_subquery()))
        .values(account_id=to_id)
    )
    connection.execute(delete(ACCOUNT_LINK_TABLE).where(link.account_id == from_id))


def _account_values(record: AccountRecord, before: tuple[int, dict] | None) -> dict:
    """The column values a record stands for; a deletion keeps the stored fields and only sets the flag."""
    if record.deleted and before is not None:
        return {**before[1], "deleted": True}
    values = {name: getattr(record, name) for name in ACCOUNT_VALUE_COLUMNS}
    values["extra"] = dict(record.extra)
    if record.shown_stage:
        values["extra"][SHOWN_STAGE] = record.shown_stage
    values["domain"] = (
        bare_domain(record.domain) if record.domain else None
    )  # adapters send it bare already; never trust a match key
    for name in ("created_at", "modified_at"):  # the store keeps whole seconds; compare like with like
        if values[name] is not None:
            values[name] = from_epoch(to_epoch(values[name]))
    return values
