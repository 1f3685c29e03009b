"""The CRM object store: records per object type with HubSpot's ids, system properties and archiving."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.sandbox.hubspot.object_types import OBJECT_TYPES
from adapters.sandbox.hubspot.wire import iso, parse_moment

FIRST_ID = 1001

#: Contacts carry `createdate`/`lastmodifieddate`, other objects `hs_createdate`/`hs_lastmodifieddate`; the sandbox
#: sets both spellings on every type so that a connector may filter on either.
CREATED_PROPERTIES = ("createdate", "hs_createdate")
MODIFIED_PROPERTIES = ("lastmodifieddate", "hs_lastmodifieddate")
#: The properties whose past values the sandbox keeps (HubSpot keeps every property's; these are the stages a
#: connector asks `propertiesWithHistory` about).
HISTORY_PROPERTIES = frozenset({"lifecyclestage", "hs_lead_status", "dealstage"})


@dataclass
class StoredObject:
    id: int
    object_type: str
    properties: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived_at: datetime | None = None
    #: Property -> (value, when it was set), oldest first, for HISTORY_PROPERTIES.
    history: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def history_json(self, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        """`propertiesWithHistory`: each asked property's values, newest first, as `ValueWithTimestamp`."""
        return {
            name: [{"value": value, "timestamp": iso(at), "sourceType": "CRM_UI"} for value, at in reversed(entries)]
            for name in names
            for entries in [self.history.get(name, [])]
        }

    def to_json(self, names: list[str] | None, history: list[str] | None = None) -> dict[str, Any]:
        """`SimplePublicObject`: the requested properties (null when unset, as HubSpot returns them)."""
        if names is None:
            properties: dict[str, str | None] = dict(self.properties)
        else:
            properties = {name: self.properties.get(name) for name in names}
        body: dict[str, Any] = {
            "id": str(self.id),
            "properties": properties,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "archived": self.archived,
        }
        if self.archived_at is not None:
            body["archivedAt"] = iso(self.archived_at)
        if history:
            body["propertiesWithHistory"] = self.history_json(history)
        return body


#: Calculated properties for a record's properties after a write (object type, properties, now) -> values.
Derive = Callable[[str, Mapping[str, str], datetime], dict[str, str]]


def _nothing_derived(object_type: str, properties: Mapping[str, str], now: datetime) -> dict[str, str]:
    return {}


class ObjectStore:
    """Records by object type and numeric id; ids only grow, so id order is creation order."""

    def __init__(self, derive: Derive = _nothing_derived) -> None:
        self._derive = derive
        self._next_id = FIRST_ID
        self._records: dict[str, dict[int, StoredObject]] = {t: {} for t in OBJECT_TYPES}
        self._ids: dict[str, list[int]] = {t: [] for t in OBJECT_TYPES}
        self._emails: dict[str, int] = {}
        #: (object type, merged-away id) -> the surviving record's id: HubSpot answers an old id with the survivor.
        self._merged: dict[tuple[str, int], int] = {}
        #: Grows on every write, so readers can tell whether something they derived is still current.
        self.version = 0

    def create(
        self,
        object_type: str,
        values: Mapping[str, str | None],
        now: datetime,
        *,
        record_id: int | None = None,
        modified_at: datetime | None = None,
    ) -> StoredObject:
        """A new record; `createdate` in `values` back-dates it (HubSpot allows setting it, as imports do).

        `modified_at` lets fixtures hold history: loaded records keep their own last-modified time.
        """
        new_id = record_id if record_id is not None else self._next_id
        self._next_id = max(self._next_id, new_id + 1)
        created = _given_moment(values, "createdate") or _given_moment(values, "hs_createdate") or now
        record = StoredObject(new_id, object_type, created_at=created, updated_at=created)
        self._records[object_type][new_id] = record
        bisect.insort(self._ids[object_type], new_id)
        self._write(record, values, modified_at or now)
        return record

    def update(self, record: StoredObject, values: Mapping[str, str | None], now: datetime) -> StoredObject:
        self._write(record, values, now)
        return record

    def archive(self, record: StoredObject, now: datetime) -> None:
        self.version += 1
        record.archived_at = now
        record.updated_at = now
        if record.object_type == "contacts":
            self._emails.pop((record.properties.get("email") or "").lower(), None)

    def set_history(self, record: StoredObject, name: str, entries: list[tuple[str, datetime]]) -> None:
        """Give a record its past values of one property (oldest first), as a loaded population holds them."""
        self.version += 1
        record.history[name] = list(entries)

    def retire(self, record: StoredObject, survivor: StoredObject) -> None:
        """A record merged into `survivor`: gone from lists, searches and the archived list; its id now reads as
        the survivor (as a merged-away id does in HubSpot)."""
        self.version += 1
        del self._records[record.object_type][record.id]
        self._ids[record.object_type].remove(record.id)
        for key, target in list(self._merged.items()):
            if target == record.id and key[0] == record.object_type:
                self._merged[key] = survivor.id
        self._merged[(record.object_type, record.id)] = survivor.id

    def get(self, object_type: str, record_id: str | int, *, archived: bool = False) -> StoredObject | None:
        try:
            number = int(record_id)
        except (TypeError, ValueError):
            return None
        record = self._records[object_type].get(self._merged.get((object_type, number), number))
        if record is None or record.archived != archived:
            return None
        return record

    def contact_by_email(self, email: str) -> StoredObject | None:
        found = self._emails.get(email.strip().lower())
        return self._records["contacts"].get(found) if found is not None else None

    def find(self, object_type: str, name: str, value: str) -> StoredObject | None:
        """A record by a unique property (`idProperty=`): email for contacts, any property otherwise."""
        if object_type == "contacts" and name == "email":
            return self.contact_by_email(value)
        return next((r for r in self.active(object_type) if r.properties.get(name) == value), None)

    def page(
        self, object_type: str, after: int, limit: int, *, archived: bool
    ) -> tuple[list[StoredObject], int | None]:
        """Up to `limit` records with id >= `after`, and the id to continue from (None on the last page)."""
        ids = self._ids[object_type]
        records = self._records[object_type]
        found: list[StoredObject] = []
        position = bisect.bisect_left(ids, after)
        while position < len(ids):
            record = records[ids[position]]
            position += 1
            if record.archived != archived:
                continue
            if len(found) == limit:
                return found, record.id
            found.append(record)
        return found, None

    def active(self, object_type: str) -> Iterator[StoredObject]:
        return (record for record in self._records[object_type].values() if not record.archived)

    def count(self, object_type: str) -> int:
        return sum(1 for _ in self.active(object_type))

    def _write(self, record: StoredObject, values: Mapping[str, str | None], now: datetime) -> None:
        self.version += 1
        if record.object_type == "contacts" and "email" in values:
            self._reindex_email(record, values["email"])
        for name, value in values.items():
            if name in HISTORY_PROPERTIES and value != record.properties.get(name):
                record.history.setdefault(name, []).append((value or "", now))
            if value is None:
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
        record.properties.update(self._derive(record.object_type, record.properties, now))
        record.updated_at = now
        stamp = iso(now)
        record.properties["hs_object_id"] = str(record.id)
        for name in CREATED_PROPERTIES:
            record.properties[name] = iso(record.created_at)
        for name in MODIFIED_PROPERTIES:
            record.properties[name] = stamp

    def _reindex_email(self, record: StoredObject, new_email: str | None) -> None:
        old = (record.properties.get("email") or "").lower()
        if old and self._emails.get(old) == record.id:
            del self._emails[old]
        if new_email:
            self._emails[new_email.lower()] = record.id

    def dump(self) -> dict[str, Any]:
        return {
            "next_id": self._next_id,
            "merged": [[object_type, old, new] for (object_type, old), new in self._merged.items()],
            "records": {
                object_type: [_record_state(r) for r in records.values()]
                for object_type, records in self._records.items()
            },
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        self.__init__(self._derive)
        for object_type, items in state["records"].items():
            for item in sorted(items, key=lambda entry: entry["id"]):
                record = StoredObject(
                    id=item["id"],
                    object_type=object_type,
                    properties=dict(item["properties"]),
                    created_at=parse_moment(item["createdAt"]),
                    updated_at=parse_moment(item["updatedAt"]),
                    archived_at=parse_moment(item["archivedAt"]) if item.get("archivedAt") else None,
                    history={
                        name: [(value, parse_moment(at)) for value, at in entries]
                        for name, entries in (item.get("history") or {}).items()
                    },
                )
                self._records[object_type][record.id] = record
                self._ids[object_type].append(record.id)
                if object_type == "contacts" and record.properties.get("email") and not record.archived:
                    self._emails[record.properties["email"].lower()] = record.id
        self._next_id = state["next_id"]
        self._merged = {(object_type, old): new for object_type, old, new in state.get("merged", [])}


def _record_state(record: StoredObject) -> dict[str, Any]:
    return {
        "id": record.id,
        "properties": record.properties,
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
        "archivedAt": iso(record.archived_at) if record.archived_at else None,
        "history": {name: [[value, iso(at)] for value, at in entries] for name, entries in record.history.items()},
    }


def _given_moment(values: Mapping[str, str | None], name: str) -> datetime | None:
    raw = values.get(name)
    return parse_moment(raw) if raw else None
