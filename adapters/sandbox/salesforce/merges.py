"""Merging accounts, as a rep does with duplicates between two ScoreBridge runs.

Salesforce's `merge` (https://developer.salesforce.com/docs/platform/api/guide/sforce-api-calls-merge.html;
SOAP or Apex, no REST route, so the stand-in offers it through `SalesforceApp.merge_accounts` only) takes a master
and up to two other records of one object: the others are deleted with MasterRecordId set to the master, and their
related records move to the master (a Contact's AccountId, an Opportunity's AccountId, an activity's WhatId), each
re-parented record stamped as modified, so an incremental read sees the move.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.sandbox.salesforce.records import RecordStore

#: Records merged into the master in one call, beyond the master itself.
MAX_MERGED = 2
#: The children that follow a merged account to its master: (object, field naming the account).
REPARENTED = (("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Task", "WhatId"), ("Event", "WhatId"))


def merge_accounts(store: RecordStore, master_id: str, merged_ids: Sequence[str]) -> None:
    """Merge `merged_ids` into the account `master_id`; raises ValueError for what Salesforce refuses."""
    if not 1 <= len(merged_ids) <= MAX_MERGED:
        raise ValueError(f"merge takes 1 to {MAX_MERGED} records besides the master, got {len(merged_ids)}")
    ids = [master_id, *merged_ids]
    if any(store.get(record_id) is None or store.object_of(record_id) != "Account" for record_id in ids):
        raise ValueError(f"{', '.join(ids)}: every record of a merge must be a live Account")
    master = store.get(master_id)
    assert master is not None
    losers = {store.get(record_id)["Id"] for record_id in merged_ids}  # type: ignore[index]
    for object_name, field in REPARENTED:
        for row in store.rows(object_name):
            if row.get(field) in losers:
                store.update(object_name, row["Id"], {field: master["Id"]}, trusted=True)
    for loser in losers:
        store.update("Account", loser, {"MasterRecordId": master["Id"]}, trusted=True)
        store.delete("Account", loser)
    store.update("Account", master["Id"], {}, trusted=True)
