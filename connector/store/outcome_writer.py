"""Writing outcomes: each chunk of opportunities / deals classified against the store, and linked to the live
contacts it belongs to.

Outcomes are keyed like contacts, by where they live (source, instance, object type, CRM id). The contacts an
outcome names are looked up within the same source and instance; one that was converted or merged into another
(a converted Salesforce lead, `merged_into_id`) stands for the contact it became, so the outcome joins the history
that scoring now keeps under that contact. A link to a contact the store does not know is left out and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from connector.crm import OutcomeContact, OutcomeRecord
from connector.store.contact_ids import (
    CONTACT_TABLE,
    LOOKUP_KEYS,
    ContactIds,
    ContactKey,
    chunked,
)
from connector.store.counts import UpsertCounts
from connector.store.keyed_rows import stored_values
from connector.store.storable import Screened, is_storable
from connector.store.tables import Outcome
from connector.store.tables import OutcomeContact as OutcomeContactRow
from connector.store.types import from_epoch, to_epoch

OUTCOME_TABLE: Table = Outcome.__table__  # type: ignore[attr-defined]
LINK_TABLE: Table = OutcomeContactRow.__table__  # type: ignore[attr-defined]
#: Outcome columns an upsert writes and compares.
OUTCOME_VALUE_COLUMNS = (
    "stage",
    "pipeline",
    "closed",
    "won",
    "amount",
    "currency",
    "created_at",
    "closed_at",
    "lead_source",
    "modified_at",
    "deleted",
)
#: Salesforce's CurrencyIsoCode and HubSpot's deal_currency_code are ISO 4217 codes: three letters. Anything else
#: is no currency the store could name (and would not fit its column).
CURRENCY_CODE_LENGTH = 3
#: Merges followed from a named contact to the one it lives on as (a converted lead whose contact was merged).
MAX_MERGE_HOPS = 5

#: An outcome as the store keys it within one source and instance: (object type, CRM id).
OutcomeKey = tuple[str, str]
#: The contacts of one outcome: live contact id -> (role, primary).
Links = dict[int, tuple[str | None, bool]]


class OutcomeWriter:
    """Upserts chunks of outcome records of one source and instance, replacing their contact links when they change."""

    def __init__(self, connection: Connection, source: str, instance: str) -> None:
        self._connection = connection
        self._source = source
        self._instance = instance
        self.contacts = ContactIds(connection, source, instance)

    def write(self, records: Sequence[OutcomeRecord]) -> UpsertCounts:
        screened = Screened()
        latest = {(record.object_type, record.crm_id): record for record in screened.outcomes(records)}  # last wins
        stored = self._stored_values(latest)
        links, unlinked = self._links([record for record in latest.values() if not record.deleted])
        stored_links = self._stored_links([outcome_id for outcome_id, _ in stored.values()])
        new, changed, relinked, flagged_deleted, skipped = [], [], [], 0, 0
        for key, record in latest.items():
            before = stored.get(key)
            values = _outcome_values(record, before)
            if before is None and record.deleted:
                skipped += 1  # nothing to flag: the CRM deleted an outcome we never stored
            elif before is None:
                new.append({"object_type": key[0], "crm_id": key[1], **values})
            else:
                if values != before[1]:
                    changed.append({"outcome_id": before[0], **values})
                    flagged_deleted += record.deleted and not before[1]["deleted"]
                if not record.deleted and links[key] != stored_links.get(before[0], {}):
                    relinked.append(key)
        self._insert(new)
        self._update(changed)
        self._replace_links(links, [*relinked, *((row["object_type"], row["crm_id"]) for row in new)])
        updated = len({row["outcome_id"] for row in changed} | {stored[key][0] for key in relinked})
        return UpsertCounts.classified(
            read=len(records),
            distinct=len(latest),
            inserted=len(new),
            changed=updated,
            deleted=flagged_deleted,
            skipped=skipped,
            cleaned=screened.cleaned,
            unlinked=unlinked,
        )

    def _stored_values(self, keys: Iterable[OutcomeKey]) -> dict[OutcomeKey, tuple[int, dict]]:
        """(id, column values) of the outcomes among ``keys`` that are in the store."""
        return stored_values(self._connection, OUTCOME_TABLE, OUTCOME_VALUE_COLUMNS, self._source, self._instance, keys)

    def _links(self, records: Sequence[OutcomeRecord]) -> tuple[dict[OutcomeKey, Links], int]:
        """Each outcome's links by live contact id, and how many links named a contact the store does not know."""
        named = {(link.object_type, link.crm_id) for record in records for link in record.contacts}
        live = self._live_contact_ids([key for key in named if is_storable(key[0]) and is_storable(key[1])])
        links: dict[OutcomeKey, Links] = {}
        unlinked = 0
        for record in records:
            known = [link for link in record.contacts if (link.object_type, link.crm_id) in live]
            unlinked += len(record.contacts) - len(known)
            links[(record.object_type, record.crm_id)] = _by_contact(known, live)
        return links, unlinked

    def _live_contact_ids(self, keys: Sequence[ContactKey]) -> dict[ContactKey, int]:
        """The stored contact each key stands for today: itself, or the contact it was converted or merged into."""
        ids = self.contacts.resolve(keys)
        live = {key: ids[key] for key in keys if ids[key] is not None}
        for _ in range(MAX_MERGE_HOPS):
            onward = self._merged_into(set(live.values()))
            if not onward:
                break
            live = {key: onward.get(contact_id, contact_id) for key, contact_id in live.items()}
        return live

    def _merged_into(self, contact_ids: set[int]) -> dict[int, int]:
        """Contact id -> the contact it was merged into, for those of ``contact_ids`` that were."""
        c = CONTACT_TABLE.c
        merged: dict[int, int] = {}
        for batch in chunked(sorted(contact_ids), LOOKUP_KEYS):
            query = select(c.id, c.merged_into_id).where(c.id.in_(batch), c.merged_into_id.is_not(None))
            merged.update({row.id: row.merged_into_id for row in self._connection.execute(query)})
        return merged

    def _stored_links(self, outcome_ids: Sequence[int]) -> dict[int, Links]:
        oc = LINK_TABLE.c
        links: dict[int, Links] = {}
        for batch in chunked(outcome_ids, LOOKUP_KEYS):
            query = select(oc.outcome_id, oc.contact_id, oc.role, oc.is_primary).where(oc.outcome_id.in_(batch))
            for row in self._connection.execute(query):
                links.setdefault(row.outcome_id, {})[row.contact_id] = (row.role, row.is_primary)
        return links

    def _insert(self, rows: list[dict]) -> None:
        if rows:
            fixed = {"source": self._source, "instance": self._instance}
            self._connection.execute(insert(OUTCOME_TABLE), [{**fixed, **row} for row in rows])

    def _update(self, rows: list[dict]) -> None:
        if rows:
            statement = update(OUTCOME_TABLE).where(OUTCOME_TABLE.c.id == bindparam("outcome_id"))
            self._connection.execute(statement, rows)

    def _replace_links(self, links: dict[OutcomeKey, Links], keys: Sequence[OutcomeKey]) -> None:
        """The stored links of these outcomes become exactly ``links``: a contact list that changed in the CRM
        replaces the old one."""
        ids = {key: outcome_id for key, (outcome_id, _) in self._stored_values(keys).items()}
        oc = LINK_TABLE.c
        for batch in chunked([ids[key] for key in keys], LOOKUP_KEYS):
            self._connection.execute(delete(LINK_TABLE).where(oc.outcome_id.in_(batch)))
        rows = [
            {"outcome_id": ids[key], "contact_id": contact_id, "role": role, "is_primary": primary}
            for key in keys
            for contact_id, (role, primary) in links[key].items()
        ]
        if rows:
            self._connection.execute(insert(LINK_TABLE), rows)


def _by_contact(links: Iterable[OutcomeContact], live: dict[ContactKey, int]) -> Links:
    """Links by live contact: a lead and the contact it became, both named, make one link, primary if either is."""
    merged: Links = {}
    for link in sorted(links, key=lambda link: not link.primary):  # a primary link's role wins
        contact_id = live[(link.object_type, link.crm_id)]
        role, primary = merged.get(contact_id, (None, False))
        merged[contact_id] = (role or link.role, primary or link.primary)
    return merged


def _outcome_values(record: OutcomeRecord, before: tuple[int, dict] | None) -> dict:
    """The column values a record stands for; a deletion keeps the stored values and only sets the flag."""
    if record.deleted and before is not None:
        return {**before[1], "deleted": True}
    values = {name: getattr(record, name) for name in OUTCOME_VALUE_COLUMNS}
    for name in ("created_at", "closed_at", "modified_at"):  # the store keeps whole seconds; compare like with like
        if values[name] is not None:
            values[name] = from_epoch(to_epoch(values[name]))
    currency = values["currency"]
    values["currency"] = currency.upper() if currency and len(currency) == CURRENCY_CODE_LENGTH else None
    return values
