"""HubSpot companies as ScoreBridge `AccountRecord`s: the first backfill, increments, archived and merged companies.

Companies are read as deals are (adapters/hubspot/outcomes.py): the list endpoint for the first backfill, then a
search on ``hs_lastmodifieddate`` with the (timestamp, id) tie-break past the 10,000 cap, so a quiet portal costs
one search. Archived companies never appear in search: they are listed at backfills, or every run if asked.

A merge leaves one company: HubSpot answers the merged-away id with the survivor (a read of the old id returns the
survivor's body) and lists it in the survivor's ``hs_merged_object_ids`` ("12;34", without its own id). A merge
changes the survivor, so the survivor's next read names the merged ids, and each becomes a record deleted and
`merged_into` the survivor. https://knowledge.hubspot.com/records/merge-records
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from adapters.hubspot.account_mapping import ACCOUNT_OBJECT, AccountMapping
from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.field_values import read_fields
from adapters.hubspot.pull import (
    archived_at,
    aware,
    list_pages,
    modified_at,
    parse_timestamp,
    read_start,
    search_modified_since,
)
from connector.crm import AccountRecord, Bookmark, Page, bare_domain

STREAM = "accounts"
MERGED_IDS = "hs_merged_object_ids"


class AccountReader:
    """Pulls companies for one portal with one mapping; yields nothing, and calls nothing, without `accounts:`."""

    def __init__(
        self,
        client: HubSpotClient,
        accounts: AccountMapping | None,
        *,
        lookback: timedelta,
        now: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.accounts = accounts
        self.lookback = lookback
        self.now = now

    def pull(self, since: Bookmark | None) -> Iterator[Page[AccountRecord]]:
        accounts = self.accounts
        if accounts is None:
            return
        run_start = self.now()
        if since is None:
            yield from self._backfill(accounts, run_start)
            return
        start, last, merged = since.modified_at - self.lookback, since, MergedIds()
        for objects, checkpoint in search_modified_since(self.client, ACCOUNT_OBJECT, start, _wanted(accounts)):
            last = Bookmark(STREAM, min(checkpoint.modified_at, run_start), checkpoint.last_id)
            yield Page(merged.noted(company_records(objects, accounts)), last)
        if accounts.archived == "every_run":
            yield from self._archived_since(accounts, start, merged)
        yield Page([], read_start(last, run_start))

    def _backfill(self, accounts: AccountMapping, run_start: datetime) -> Iterator[Page[AccountRecord]]:
        # The list endpoint reads the portal itself (not the search index) and sees archived companies too. Its
        # order is by id, so only the whole pass is a checkpoint: the next increment starts at the pass's start.
        merged = MergedIds()
        for objects in list_pages(self.client, ACCOUNT_OBJECT, _wanted(accounts)):
            yield Page(merged.noted(company_records(objects, accounts)), None)
        for objects in list_pages(self.client, ACCOUNT_OBJECT, _wanted(accounts), archived=True):
            yield Page(company_records(merged.left_out(objects), accounts, archived=True), None)
        yield Page([], Bookmark(STREAM, run_start))

    def _archived_since(
        self, accounts: AccountMapping, start: datetime, merged: MergedIds
    ) -> Iterator[Page[AccountRecord]]:
        # The archived list cannot be filtered: keep the companies archived since the increment's start.
        for objects in list_pages(self.client, ACCOUNT_OBJECT, _wanted(accounts), archived=True):
            recent = [obj for obj in merged.left_out(objects) if (archived_at(obj) or start) >= start]
            if recent:
                yield Page(company_records(recent, accounts, archived=True), None)


class MergedIds:
    """The companies one pull has already named as merged: should the archived list name them too, the record that
    says where their contacts went is the one to keep."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def noted(self, records: list[AccountRecord]) -> list[AccountRecord]:
        self.ids.update(record.crm_id for record in records if record.merged_into)
        return records

    def left_out(self, objects: list[Any]) -> list[Any]:
        return [obj for obj in objects if str(obj.id) not in self.ids]


def _wanted(accounts: AccountMapping) -> list[str]:
    return sorted({*accounts.properties(), MERGED_IDS})


def company_records(objects: list[Any], accounts: AccountMapping, *, archived: bool = False) -> list[AccountRecord]:
    """Each company, followed by a deleted record `merged_into` it for each company merged into it."""
    records: list[AccountRecord] = []
    for obj in objects:
        survivor = account_record(obj, accounts, deleted=archived)
        records.append(survivor)
        if not survivor.deleted:
            records += [_merged(merged_id, survivor) for merged_id in merged_ids(obj)]
    return records


def account_record(obj: Any, accounts: AccountMapping, *, deleted: bool = False) -> AccountRecord:
    """One HubSpot company in ScoreBridge's shape; unparsable values are left empty and named in warnings."""
    properties: Mapping[str, str | None] = obj.properties or {}
    values, warnings = read_fields(accounts.fields, accounts.values, properties)
    if "domain" in values:
        values["domain"] = bare_domain(str(values["domain"]))
    extra = {name: properties.get(name) for name in accounts.extra if properties.get(name) not in (None, "")}
    return AccountRecord(
        object_type=accounts.object,
        crm_id=str(obj.id),
        created_at=parse_timestamp(properties.get("createdate")) or aware(getattr(obj, "created_at", None)),
        modified_at=modified_at(obj),
        extra=extra,
        deleted=deleted or bool(getattr(obj, "archived", False)),
        warnings=warnings,
        shown_stage=_shown_stage(properties, accounts),
        **values,
    )


def _shown_stage(properties: Mapping[str, str | None], accounts: AccountMapping) -> str | None:
    """What the company's ScoreBridge stage property holds: what the core last wrote there."""
    prop = accounts.write_back.get("stage")
    return (properties.get(prop.name) or None) if prop else None


def merged_ids(obj: Any) -> list[str]:
    """The ids merged into this company, without its own (HubSpot leaves it out; a stray one must not orphan it)."""
    raw = (obj.properties or {}).get(MERGED_IDS) or ""
    own = str(obj.id)
    return list(dict.fromkeys(part.strip() for part in raw.split(";") if part.strip() and part.strip() != own))


def _merged(merged_id: str, survivor: AccountRecord) -> AccountRecord:
    return AccountRecord(
        object_type=survivor.object_type,
        crm_id=merged_id,
        modified_at=survivor.modified_at,
        deleted=True,
        merged_into=survivor.crm_id,
    )
