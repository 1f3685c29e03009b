"""Which contacts belong to which account as the CRM says: each pulled contact's links replace its stored ones.

`ContactRecord.accounts` is the CRM's whole word on a contact (Salesforce Contact.AccountId or a converted lead's
ConvertedAccountId, HubSpot's contact -> company associations), so a contact's CRM links are replaced by it when it
differs. A CRM link replaces any match ScoreBridge made itself (`account_matching.py`). A link to an account the
store does not hold is left out and counted (`unlinked`): accounts are pulled before contacts, so that is an
account the mapping does not read, or one the CRM deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.engine import Connection

from connector.crm import AccountLink, ContactRecord
from connector.store.account_writer import ACCOUNT_LINK_TABLE, ACCOUNT_TABLE
from connector.store.contact_ids import LOOKUP_KEYS, ContactIds, chunked
from connector.store.rescore_queue import queue_for_rescore
from connector.store.storable import is_storable

#: How the CRM itself links a contact to an account (connector.crm.AccountLink.matched_by).
CRM_LINKS = ("account", "converted", "association")

#: A contact's links: account id -> (primary, matched_by).
Links = dict[int, tuple[bool, str]]


class CrmLinks:
    """Replaces the CRM links of the contacts one upsert writes, chunk by chunk, for one source and instance."""

    def __init__(self, connection: Connection, source: str, instance: str) -> None:
        self._connection = connection
        self._source = source
        self._instance = instance
        # Asked once per upsert: a connection that reads no accounts has no link to keep, and none can be made.
        self._active = _holds_accounts(connection, source, instance)

    def replace(self, records: Sequence[ContactRecord], ids: ContactIds) -> int:
        """Make the stored CRM links of these (live) contacts exactly what the records say; returns how many links
        named an account the store does not hold."""
        latest = {
            (record.object_type, record.crm_id): record
            for record in records
            if not record.deleted and is_storable(record.object_type + record.crm_id)  # the writer rejected the others
        }
        if not self._active:
            return sum(len(record.accounts) for record in latest.values())
        contact_ids = ids.resolve(latest)
        named = {link.account_crm_id for record in latest.values() for link in record.accounts}
        accounts = _account_ids_by_crm_id(self._connection, self._source, self._instance, named)
        wanted: dict[int, Links] = {}
        unlinked = 0
        for key, record in latest.items():
            contact_id = contact_ids.get(key)
            if contact_id is None:
                continue  # refused by the contact writer (an id the store cannot hold)
            known = [link for link in record.accounts if link.account_crm_id in accounts]
            unlinked += len(record.accounts) - len(known)
            wanted[contact_id] = _by_account(known, accounts)
        stored = _stored_crm_links(self._connection, list(wanted))
        changed = [contact_id for contact_id, links in wanted.items() if links != stored.get(contact_id, {})]
        _replace(self._connection, {contact_id: wanted[contact_id] for contact_id in changed})
        return unlinked


def _holds_accounts(connection: Connection, source: str, instance: str) -> bool:
    if not inspect(connection).has_table(ACCOUNT_TABLE.name):
        return False  # a store not upgraded to accounts yet (migration 0006) keeps no links
    a = ACCOUNT_TABLE.c
    query = select(a.id).where(a.source == source, a.instance == instance).limit(1)
    return connection.execute(query).first() is not None


def _by_account(links: Iterable[AccountLink], accounts: dict[str, int]) -> Links:
    """Links by stored account: the same account named twice makes one link, primary if either is."""
    merged: Links = {}
    for link in links:
        account_id = accounts[link.account_crm_id]
        primary, matched_by = merged.get(account_id, (False, link.matched_by))
        merged[account_id] = (primary or link.primary, matched_by)
    return merged


def _account_ids_by_crm_id(connection: Connection, source: str, instance: str, crm_ids: set[str]) -> dict[str, int]:
    """CRM id -> stored account id. A link names the account by CRM id alone: a mapping reads one account object."""
    a = ACCOUNT_TABLE.c
    found: dict[str, int] = {}
    for batch in chunked(sorted(crm_id for crm_id in crm_ids if is_storable(crm_id)), LOOKUP_KEYS):
        query = select(a.id, a.crm_id).where(a.source == source, a.instance == instance, a.crm_id.in_(batch))
        found.update({row.crm_id: row.id for row in connection.execute(query)})
    return found


def _stored_crm_links(connection: Connection, contact_ids: list[int]) -> dict[int, Links]:
    link = ACCOUNT_LINK_TABLE.c
    stored: dict[int, Links] = {}
    for batch in chunked(contact_ids, LOOKUP_KEYS):
        query = select(link.contact_id, link.account_id, link.is_primary, link.matched_by).where(
            link.contact_id.in_(batch), link.matched_by.in_(CRM_LINKS)
        )
        for row in connection.execute(query):
            stored.setdefault(row.contact_id, {})[row.account_id] = (row.is_primary, row.matched_by)
    return stored


def _replace(connection: Connection, links: dict[int, Links]) -> None:
    """Delete the changed contacts' CRM links (and, where the CRM now links them, ScoreBridge's own matches) and
    insert the new ones; the contacts are queued for a rescore, as conditions may read their account."""
    link = ACCOUNT_LINK_TABLE.c
    linked = [contact_id for contact_id, wanted in links.items() if wanted]
    unlinked = [contact_id for contact_id, wanted in links.items() if not wanted]
    for batch in chunked(linked, LOOKUP_KEYS):
        connection.execute(delete(ACCOUNT_LINK_TABLE).where(link.contact_id.in_(batch)))
    for batch in chunked(unlinked, LOOKUP_KEYS):
        connection.execute(delete(ACCOUNT_LINK_TABLE).where(link.contact_id.in_(batch), link.matched_by.in_(CRM_LINKS)))
    rows = [
        {"contact_id": contact_id, "account_id": account_id, "is_primary": primary, "matched_by": matched_by}
        for contact_id, wanted in links.items()
        for account_id, (primary, matched_by) in wanted.items()
    ]
    if rows:
        connection.execute(insert(ACCOUNT_LINK_TABLE), rows)
    queue_for_rescore(connection, list(links))
