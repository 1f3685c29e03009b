"""Writing accounts, contacts, activities and outcomes into the store: the set-based upserts shared by
`scorebridge import` and the sync.

Contacts are keyed by where they live (source, instance, object type, CRM id). An activity is attached to its
contact through (object type, CRM id), points at the `ActivityKind` for its (type, attributes) pair, and is keyed
by (contact, source id), so pulling or importing it again never adds a row. An outcome is keyed like a contact and
linked to the contacts it belongs to (see `outcome_writer.py`). Accounts are keyed like contacts too
(`account_writer.py`); each pull replaces a contact's CRM links to its accounts (`account_links.py`). Work goes to
the database in chunks through executemany; the only per-row Python work is building parameter tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from connector.crm import AccountRecord, ActivityRecord, ContactRecord, OutcomeRecord
from connector.store.account_links import CrmLinks
from connector.store.account_writer import AccountWriter
from connector.store.activity_writer import (
    ActivityRow,
    ActivityWriter,
    KindKey,
    kind_fingerprint,
    kind_key,
)
from connector.store.contact_ids import LOOKUP_KEYS, PRELOAD_AFTER_KEYS, ContactKey, chunked
from connector.store.contact_writer import ContactWriter
from connector.store.counts import UpsertCounts
from connector.store.outcome_writer import OutcomeWriter
from connector.store.page_cache import bulk_page_cache
from connector.store.storable import Screened
from connector.store.types import to_epoch

#: Distinct activity kinds whose keys a process remembers (a kind is a type and its attribute values).
KIND_KEYS_REMEMBERED = 4096

__all__ = [
    "CHUNK_ROWS",
    "PRELOAD_AFTER_KEYS",
    "ActivityRow",
    "ActivityWriter",
    "ContactKey",
    "KindKey",
    "UpsertCounts",
    "bulk_page_cache",
    "chunked",
    "kind_fingerprint",
    "kind_key",
    "upsert_accounts",
    "upsert_activities",
    "upsert_contacts",
    "upsert_outcomes",
]

#: Activity rows per executemany: big enough to amortize round trips, small enough to keep memory flat.
CHUNK_ROWS = 20_000

StoreTarget = Engine | Connection | Session


def upsert_contacts(target: StoreTarget, source: str, instance: str, records: Iterable[ContactRecord]) -> UpsertCounts:
    """Insert new contacts, update changed ones, flag deleted ones; changed contacts are queued for a rescore.
    Each live contact's CRM links to accounts become its record's `accounts`; links to accounts not in the store
    are left out and counted (`unlinked`).

    Runs in one transaction when given an engine; in the caller's transaction for a connection or session.
    """
    counts = UpsertCounts()
    with _connection(target) as connection:
        writer = ContactWriter(connection, source, instance)
        links = CrmLinks(connection, source, instance)
        for chunk in chunked(records, LOOKUP_KEYS):
            counts += writer.write(chunk)
            counts += UpsertCounts(unlinked=links.replace(chunk, writer.ids))
        writer.link_merged()
    return counts


def upsert_accounts(target: StoreTarget, source: str, instance: str, records: Iterable[AccountRecord]) -> UpsertCounts:
    """Insert new accounts, update changed ones, flag deleted ones, and hand a merged account's contacts to the
    account it was merged into. Contacts of a changed account are queued for a rescore (their conditions may read it).
    """
    counts = UpsertCounts()
    with _connection(target) as connection:
        writer = AccountWriter(connection, source, instance)
        for chunk in chunked(records, LOOKUP_KEYS):
            counts += writer.write(chunk)
        writer.link_merged()
    return counts


def upsert_activities(
    target: StoreTarget, source: str, instance: str, records: Iterable[ActivityRecord]
) -> UpsertCounts:
    """Add activities not stored yet and remove deleted ones; their contacts are queued for a rescore.

    Activities whose contact is not in the store are skipped and counted: pull or import contacts first.
    """
    counts = UpsertCounts()
    with _connection(target) as connection:
        writer = ActivityWriter(connection, source, instance)
        for chunk in chunked(records, CHUNK_ROWS):
            screened = Screened()
            chunk = screened.activities(chunk)
            counts += UpsertCounts(read=screened.rejected, skipped=screened.rejected, cleaned=screened.cleaned)
            removed = [record for record in chunk if record.deleted]
            counts += writer.write([_activity_row(record) for record in chunk if not record.deleted])
            if removed:
                counts += writer.remove([((r.contact_object_type, r.contact_crm_id), r.source_id) for r in removed])
    return counts


def upsert_outcomes(target: StoreTarget, source: str, instance: str, records: Iterable[OutcomeRecord]) -> UpsertCounts:
    """Insert new outcomes, update changed ones and their contact links, flag deleted ones.

    Links to contacts not in the store are left out and counted (`unlinked`): pull or import contacts first.
    """
    counts = UpsertCounts()
    with _connection(target) as connection:
        writer = OutcomeWriter(connection, source, instance)
        for chunk in chunked(records, LOOKUP_KEYS):
            counts += writer.write(chunk)
    return counts


def _activity_row(record: ActivityRecord) -> ActivityRow:
    contact = (record.contact_object_type, record.contact_crm_id)
    return contact, _record_kind_key(record), to_epoch(record.occurred_at), record.source_id


def _record_kind_key(record: ActivityRecord) -> KindKey:
    """The record's kind key; a page's activities share a handful of kinds, so each is built once."""
    attributes = tuple(record.attributes.items())
    try:
        return _known_kind_key(record.type, attributes)
    except TypeError:  # an unhashable attribute value: no memo, the same key
        return kind_key(record.type, attributes)


@lru_cache(maxsize=KIND_KEYS_REMEMBERED)
def _known_kind_key(activity_type: str, attributes: tuple[tuple[str, object], ...]) -> KindKey:
    return kind_key(activity_type, attributes)


@contextmanager
def _connection(target: StoreTarget) -> Iterator[Connection]:
    if isinstance(target, Engine):
        with target.begin() as connection:
            yield connection
    elif isinstance(target, Session):
        yield target.connection()
    else:
        yield target
