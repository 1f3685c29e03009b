"""HubSpot contacts as ScoreBridge `ContactRecord`s: the first backfill, increments, archived contacts, companies."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.company_links import LIST_ASSOCIATIONS, company_links, listed_links
from adapters.hubspot.field_values import read_fields
from adapters.hubspot.lifecycle_history import EXTRA_KEY, lifecycle_entered
from adapters.hubspot.mapping import HubSpotMapping
from adapters.hubspot.portal import WriteEchoes
from adapters.hubspot.pull import (
    LIST_PAGE_SIZE,
    MODIFIED,
    archived_at,
    aware,
    list_pages,
    modified_at,
    parse_timestamp,
    read_start,
    search_modified_since,
)
from connector.crm import AccountLink, Bookmark, ContactRecord, Page

STREAM = "contacts"
OBJECT_TYPE = "contacts"
BOOKMARK_PRECISION = timedelta(seconds=1)


class ContactReader:
    """Pulls contacts for one portal with one mapping.

    After an increment has been read to its end, `changed_since_bookmark` says whether any contact changed after
    the bookmark it started from (records inside the lookback, already seen last time, do not count); the
    activity reader consumes that verdict to skip a quiet portal's activity sources. Its last page, without
    records, moves the bookmark to the moment the read started.
    """

    def __init__(
        self,
        client: HubSpotClient,
        mapping: HubSpotMapping,
        *,
        lookback: timedelta,
        now: Callable[[], datetime],
        echoes: WriteEchoes,
    ) -> None:
        self.client = client
        self.mapping = mapping
        self.lookback = lookback
        self.now = now
        self.echoes = echoes
        self.changed_since_bookmark: bool | None = None

    def pull(self, since: Bookmark | None) -> Iterator[Page[ContactRecord]]:
        run_start = self.now()
        self.changed_since_bookmark = None
        if since is None:
            yield from self._backfill(run_start)
            return
        changed, last = False, since
        for page in self._increment(since.modified_at - self.lookback, run_start):
            news = [record for record in page.records if _newer(record, since.modified_at)]
            changed = changed or any(not self.echoes.is_echo(r.crm_id, r.modified_at) for r in news)
            last = page.bookmark or last
            yield page
        self.changed_since_bookmark = changed
        yield Page([], read_start(last, run_start))

    def take_verdict(self) -> bool | None:
        """Whether the last complete increment saw a change; None when unknown or already taken."""
        verdict, self.changed_since_bookmark = self.changed_since_bookmark, None
        return verdict

    def _backfill(self, run_start: datetime) -> Iterator[Page[ContactRecord]]:
        # The list endpoint sees records the search index has not caught up with, and archived ones.
        seen: list[datetime] = []
        for archived in (False, True):
            # Asked with the list page, each contact's companies cost no call of their own (company_links.py).
            linked = LIST_ASSOCIATIONS if self._needs_links() and not archived else ()
            properties = self.mapping.contact_properties()
            for objects in list_pages(self.client, OBJECT_TYPE, properties, archived=archived, associations=linked):
                links = listed_links(self.client, objects) if linked else None
                records = self._records(objects, archived=archived, links=links)
                seen.extend(record.modified_at for record in records if record.modified_at)
                yield Page(records, None)
                seen = [max(seen)] if seen else []
        # List order is by id, so only the whole pass is a safe checkpoint.
        yield Page([], Bookmark(STREAM, min(seen[0] if seen else run_start, run_start)))

    def _increment(self, start: datetime, run_start: datetime) -> Iterator[Page[ContactRecord]]:
        for objects, checkpoint in search_modified_since(
            self.client, OBJECT_TYPE, start, self.mapping.contact_properties()
        ):
            bookmark = Bookmark(STREAM, min(checkpoint.modified_at, run_start), checkpoint.last_id)
            yield Page(self._records(objects, archived=False), bookmark)
        if self.mapping.contact.archived == "every_run":
            yield from self._archived_since(start)

    def _archived_since(self, start: datetime) -> Iterator[Page[ContactRecord]]:
        # Search never returns archived records, and the archived list cannot be filtered: read it and keep
        # those archived since the start of this increment.
        for objects in list_pages(self.client, OBJECT_TYPE, ["hs_object_id", "email", MODIFIED], archived=True):
            recent = [obj for obj in objects if (archived_at(obj) or start) >= start]
            if recent:
                yield Page(self._records(recent, archived=True), None)

    def _records(
        self, objects: list[Any], *, archived: bool, links: dict[str, list[AccountLink]] | None = None
    ) -> list[ContactRecord]:
        if links is None:
            links = self._links_of(objects) if not archived else {}
        companies = self._companies_of(links) if self.mapping.contact.company_properties else {}
        keep_links = self.mapping.accounts is not None
        records = [
            contact_record(
                obj,
                self.mapping,
                companies.get(str(obj.id)),
                deleted=archived,
                accounts=links.get(str(obj.id), []) if keep_links else (),
            )
            for obj in objects
        ]
        if not self.mapping.contact.lifecycle_history or archived or not records:
            return records
        entered = lifecycle_entered(self.client, self.mapping, [record.crm_id for record in records])
        return [_with_entered(record, entered.get(record.crm_id)) for record in records]

    def _needs_links(self) -> bool:
        return self.mapping.accounts is not None or bool(self.mapping.contact.company_properties)

    def _links_of(self, objects: list[Any]) -> dict[str, list[AccountLink]]:
        """Each contact's companies (one association read per page), when accounts or company fields need them."""
        if not self._needs_links():
            return {}
        return company_links(self.client, [str(obj.id) for obj in objects])

    def _companies_of(self, links: Mapping[str, list[AccountLink]]) -> dict[str, Mapping[str, str | None]]:
        """Each contact's primary (else first) company's properties (one more call per page of contacts)."""
        first = {contact: companies[0].account_crm_id for contact, companies in links.items() if companies}
        wanted = sorted(set(self.mapping.contact.company_properties.values()))
        company_ids = sorted(set(first.values()))
        found: dict[str, Mapping[str, str | None]] = {}
        api = self.client.sdk.crm.objects.batch_api
        for start in range(0, len(company_ids), LIST_PAGE_SIZE):
            body = {
                "inputs": [{"id": cid} for cid in company_ids[start : start + LIST_PAGE_SIZE]],
                "properties": wanted,
            }
            answer = self.client.call("read companies", api.read, "companies", body)
            found.update({str(company.id): company.properties or {} for company in answer.results or []})
        return {contact: found[company] for contact, company in first.items() if company in found}


def _with_entered(record: ContactRecord, entered: dict[str, str] | None) -> ContactRecord:
    return replace(record, extra={**record.extra, EXTRA_KEY: entered}) if entered else record


def _newer(record: ContactRecord, bookmark: datetime) -> bool:
    """Changed after the bookmark; the store keeps bookmarks to the second, so the same second is not newer."""
    return record.deleted or record.modified_at is None or record.modified_at >= bookmark + BOOKMARK_PRECISION


def contact_record(
    obj: Any,
    mapping: HubSpotMapping,
    company: Mapping[str, str | None] | None,
    *,
    deleted: bool = False,
    accounts: Sequence[AccountLink] = (),
) -> ContactRecord:
    """One HubSpot contact in ScoreBridge's shape; unparsable values are left empty and named in warnings."""
    properties: Mapping[str, str | None] = obj.properties or {}
    contact = mapping.contact
    values, warnings = read_fields(contact.properties, contact.values, properties)
    from_company, company_warnings = read_fields(contact.company_properties, contact.values, company or {})
    values, warnings = values | from_company, warnings | company_warnings
    stage = properties.get(mapping.contact.properties.get("lifecycle", "lifecyclestage"))
    if stage:
        values["lifecycle"] = mapping.contact.lifecycle_stages.get(stage, stage)
        values["is_customer"] = values.get("is_customer") or stage in mapping.contact.customer_stages
    extra = {name: properties.get(name) for name in mapping.contact.extra if properties.get(name) not in (None, "")}
    status = properties.get("hs_lead_status")
    if status and mapping.contact.lead_statuses:
        extra["lead_status"] = mapping.contact.lead_statuses.get(status, status)
    return ContactRecord(
        object_type="contact",
        crm_id=str(obj.id),
        created_at=parse_timestamp(properties.get("createdate")) or aware(obj.created_at),
        modified_at=modified_at(obj),
        extra=extra,
        deleted=deleted or bool(getattr(obj, "archived", False)),
        warnings=warnings,
        accounts=tuple(accounts),
        **values,
    )
