"""One HubSpot portal in memory: objects, associations, properties, owners and marketing activity."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.sandbox.hubspot.associations import DEFAULT_TYPE, AssociationStore
from adapters.sandbox.hubspot.marketing import MarketingStore
from adapters.sandbox.hubspot.object_types import canonical_type
from adapters.sandbox.hubspot.objects import ObjectStore
from adapters.sandbox.hubspot.pipelines import DEFAULT_DEAL_PIPELINE, Pipeline, PipelineStore
from adapters.sandbox.hubspot.properties import PropertyCatalog
from adapters.sandbox.hubspot.wire import Clock, epoch_ms, from_epoch_ms, iso, parse_moment
from connector.errors import InputError

FIRST_OWNER_ID = 70_000_001


@dataclass(frozen=True)
class Owner:
    id: str
    email: str
    first_name: str
    last_name: str
    user_id: int
    created_at: datetime
    archived: bool = False

    def to_json(self) -> dict[str, Any]:
        """`PublicOwner` of the owners API."""
        return {
            "id": self.id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "userId": self.user_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.created_at),
            "archived": self.archived,
            "teams": [],
            "type": "PERSON",
        }


class Portal:
    """The data of one portal; callers hold `lock` while they read or write it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        """Forget every record, custom property, owner and event: a fresh portal."""
        self.pipelines = PipelineStore()
        self.objects = ObjectStore(derive=self._derived)
        self.associations = AssociationStore()
        self.catalog = PropertyCatalog()
        self.marketing = MarketingStore()
        self.owners: dict[str, Owner] = {}
        #: Search results by query and store versions; emptied whenever the stores are replaced.
        self.search_cache: dict[tuple, list[Any]] = {}

    def _derived(self, object_type: str, properties: Mapping[str, str], now: datetime) -> dict[str, str]:
        """Calculated properties HubSpot keeps from others: a deal's closed / won flags from its stage."""
        if object_type != "deals":
            return {}
        derived = self.pipelines.deal_flags(properties.get("pipeline"), properties.get("dealstage"))
        if derived and not properties.get("pipeline"):
            derived["pipeline"] = DEFAULT_DEAL_PIPELINE.id  # a deal given only a stage lands in the default one
        if derived.get("hs_is_closed") == "true" and not properties.get("closedate"):
            derived["closedate"] = iso(now)  # HubSpot sets the close date when a deal closes without one
        return derived

    def add_pipeline(self, pipeline: Pipeline) -> None:
        """Add (or replace) a deal pipeline, as an admin would; its ids become valid deal values."""
        with self.lock:
            self.pipelines.add(pipeline)
            self._widen_deal_options()

    def _widen_deal_options(self) -> None:
        self.catalog.add_options("deals", "pipeline", [pipeline.id for pipeline in self.pipelines.all()])
        self.catalog.add_options("deals", "dealstage", self.pipelines.stage_ids())

    def add_owner(self, email: str, first_name: str, last_name: str, created_at: datetime | None = None) -> Owner:
        number = FIRST_OWNER_ID + len(self.owners)
        owner = Owner(str(number), email, first_name, last_name, number - 60_000_000, created_at or self.clock())
        self.owners[owner.id] = owner
        return owner

    def insert(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        associations: Mapping[str, Iterable[str | int]] | None = None,
        *,
        record_id: int | None = None,
        modified_at: datetime | None = None,
    ) -> str:
        """Add a record as a script would, in HubSpot's property names; `associations` maps a type to ids.

        Raises `InputError` naming the property when a value or name is refused, as the API would.
        """
        name = canonical_type(object_type)
        if name is None:
            raise InputError(f"unknown HubSpot object type {object_type!r}")
        values, problems = self.catalog.normalize(name, properties)
        if problems:
            details = "; ".join(f"{p.name}: {p.code} ({p.message})" for p in problems)
            raise InputError(f"{name} record refused: {details}")
        with self.lock:
            email = values.get("email") if name == "contacts" else None
            if email and self.objects.contact_by_email(email) is not None:
                raise InputError(f"contacts record refused: a contact with email {email} exists (HubSpot answers 409)")
            record = self.objects.create(name, values, self.clock(), record_id=record_id, modified_at=modified_at)
            for to_type, ids in (associations or {}).items():
                self._associate(name, record.id, to_type, ids)
        return str(record.id)

    def _associate(self, from_type: str, from_id: int, to_type: str, ids: Iterable[str | int]) -> None:
        target = canonical_type(to_type)
        if target is None or (from_type, target) not in DEFAULT_TYPE:
            raise InputError(f"no default association from {from_type} to {to_type}")
        for to_id in ids:
            if self.objects.get(target, to_id) is None:
                raise InputError(f"cannot associate {from_type} {from_id} with missing {target} {to_id}")
            self.associations.add_default(from_type, from_id, target, int(to_id))

    def load_records(self, payload: Mapping[str, Any]) -> dict[str, list[str]]:
        """Load `{"owners": [...], "<object type>": [{"id"?, "properties": {...}, "associations"?: {...}}]}`.

        Records are loaded in payload order, so associations may point at records listed earlier.
        """
        created: dict[str, list[str]] = {}
        for owner in payload.get("owners", []):
            self.add_owner(owner["email"], owner.get("firstName", ""), owner.get("lastName", ""))
        for object_type, records in payload.items():
            if object_type == "owners":
                continue
            for item in records:
                properties = item.get("properties", item)
                record_id = int(item["id"]) if "id" in item else None
                modified_at = parse_moment(str(properties.get("lastmodifieddate") or ""))
                new_id = self.insert(
                    object_type, properties, item.get("associations"), record_id=record_id, modified_at=modified_at
                )
                created.setdefault(object_type, []).append(new_id)
        return created

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {
                "version": 1,
                "objects": self.objects.dump(),
                "associations": self.associations.dump(),
                "pipelines": self.pipelines.dump(),
                "properties": self.catalog.dump(),
                "marketing": self.marketing.dump(),
                "owners": [
                    {"id": o.id, "email": o.email, "first_name": o.first_name, "last_name": o.last_name,
                     "user_id": o.user_id, "created_at": epoch_ms(o.created_at), "archived": o.archived}
                    for o in self.owners.values()
                ],
            }  # fmt: skip

    def restore(self, state: Mapping[str, Any]) -> None:
        with self.lock:
            self.search_cache.clear()
            self.pipelines.restore(state.get("pipelines", []))
            self.objects.restore(state["objects"])
            self.associations.restore(state["associations"])
            self.catalog.restore(state["properties"])
            self._widen_deal_options()
            self.marketing.restore(state["marketing"])
            self.owners = {
                o["id"]: Owner(**(o | {"created_at": from_epoch_ms(o["created_at"])})) for o in state["owners"]
            }
