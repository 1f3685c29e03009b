"""HubSpot engagement as ScoreBridge `ActivityRecord`s: CRM engagements through their contact associations,
marketing email events, form submissions and behavioral web events, each read in its own API's shape.

Every source is read from the same start (the bookmark minus the lookback) to the run's start; only after all
of them is the bookmark safe to move, so intermediate pages carry none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.mapping import EngagementSource, HubSpotMapping
from adapters.hubspot.marketing import EmailIndex, email_events, form_submissions, web_events
from adapters.hubspot.overlap import merged
from adapters.hubspot.pull import (
    any_modified_since,
    aware,
    lacks_property,
    list_pages,
    parse_timestamp,
    read_associations,
    search_modified_since,
)
from connector.crm import ActivityRecord, Bookmark, Page

STREAM = "activities"
CONTACT = "contact"


class ActivityReader:
    def __init__(
        self,
        client: HubSpotClient,
        mapping: HubSpotMapping,
        *,
        lookback: timedelta,
        now: Callable[[], datetime],
        threads: int = 1,
    ) -> None:
        self.client = client
        self.mapping = mapping
        self.lookback = lookback
        self.now = now
        self.threads = threads
        self.emails = EmailIndex(client)
        #: Whether the contact increment just read saw a change (None: unknown); set by the adapter.
        self.contacts_verdict: Callable[[], bool | None] = lambda: None

    def pull(self, since: Bookmark | None) -> Iterator[Page[ActivityRecord]]:
        run_start = self.now()
        start = since.modified_at - self.lookback if since else None
        if (
            start is not None
            and self.mapping.activities.skip_unless_contacts_changed
            and not self._contacts_changed(start)
        ):
            yield Page([], Bookmark(STREAM, run_start))
            return
        # The sources are read at once (overlap.py); the bookmark below is yielded only after every page of every
        # source was taken, and so stored, by the caller.
        for page in merged(list(self._sources(start, run_start)), threads=self.threads):
            if page.records or page.skipped:
                yield page
        yield Page([], Bookmark(STREAM, run_start))

    def _contacts_changed(self, start: datetime) -> bool:
        """The verdict of this run's contact increment when there is one (used once), else one search."""
        verdict = self.contacts_verdict()
        return verdict if verdict is not None else any_modified_since(self.client, "contacts", start)

    def _sources(self, start: datetime | None, end: datetime) -> Iterator[Iterator[Page[ActivityRecord]]]:
        """Each mapped source's pages. Under a rate limit a run ends one window after its last calls began, so
        the sources whose calls answer fastest (form submissions: 50 small records a call) go last: workers take
        the sources in this order."""
        marketing = self.mapping.activities
        for object_type, source in marketing.engagements.items():
            yield self._engagements(object_type, source, start)
        if marketing.marketing_email:
            yield email_events(self.client, marketing.marketing_email, self.emails, start, end)
        if marketing.web_events:
            yield web_events(self.client, marketing, start, end)
        if marketing.form_submissions:
            yield form_submissions(self.client, marketing.form_submissions, self.emails, start, end)

    def _engagements(
        self, object_type: str, source: EngagementSource, start: datetime | None
    ) -> Iterator[Page[ActivityRecord]]:
        properties = source.properties()
        where: list[dict[str, str]] = []
        if object_type == "tasks":
            properties = sorted({*properties, self.mapping.tasks.key_property})
            # Our own follow-up tasks carry the key; search leaves them out rather than reading and dropping them.
            where.append(lacks_property(self.mapping.tasks.key_property))
        if start is None:
            for objects in list_pages(self.client, object_type, properties, associations=["contacts"]):
                yield Page(self._records(object_type, source, objects, _inline_contacts(objects)), None)
            return
        for objects, _ in search_modified_since(self.client, object_type, start, properties, where=where):
            links = read_associations(self.client, object_type, "contacts", [str(obj.id) for obj in objects])
            yield Page(self._records(object_type, source, objects, links), None)

    def _records(
        self, object_type: str, source: EngagementSource, objects: list[Any], contacts: dict[str, list[str]]
    ) -> list[ActivityRecord]:
        records: list[ActivityRecord] = []
        for obj in objects:
            properties = obj.properties or {}
            if object_type == "tasks" and properties.get(self.mapping.tasks.key_property):
                continue  # our own follow-up tasks are not the contact's engagement (the list endpoint cannot filter)
            occurred = _occurred_at(obj)
            attributes = {
                attr: value
                for attr, prop in source.attributes.items()
                if properties.get(prop) and (value := source.attribute(attr, str(properties[prop]))) is not None
            }
            kind = source.classify(properties)
            for contact_id in contacts.get(str(obj.id), []):
                records.append(
                    ActivityRecord(
                        source_id=f"{object_type}:{obj.id}",
                        contact_object_type=CONTACT,
                        contact_crm_id=contact_id,
                        type=kind,
                        occurred_at=occurred,
                        attributes=attributes,
                        deleted=bool(getattr(obj, "archived", False)),
                    )
                )
        return records


def _inline_contacts(objects: list[Any]) -> dict[str, list[str]]:
    """Contact ids the list endpoint returned with each object (``associations=contacts``)."""
    found: dict[str, list[str]] = {}
    for obj in objects:
        linked = (getattr(obj, "associations", None) or {}).get("contacts")
        found[str(obj.id)] = list(dict.fromkeys(str(item.id) for item in (linked.results if linked else []) or []))
    return found


def _occurred_at(obj: Any) -> datetime:
    properties = obj.properties or {}
    moment = parse_timestamp(properties.get("hs_timestamp")) or parse_timestamp(properties.get("hs_createdate"))
    return moment or aware(obj.created_at) or datetime.min.replace(tzinfo=UTC)
