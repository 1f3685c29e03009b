"""The object types the HubSpot sandbox holds, and the names HubSpot accepts for them in paths."""

from __future__ import annotations

OBJECT_TYPES = ("contacts", "companies", "deals", "tasks", "calls", "emails", "meetings", "notes")
ENGAGEMENT_TYPES = ("tasks", "calls", "emails", "meetings", "notes")

#: HubSpot's object type ids; the generic object API accepts them in place of names.
OBJECT_TYPE_IDS = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tasks": "0-27",
    "calls": "0-48",
    "emails": "0-49",
    "meetings": "0-47",
    "notes": "0-46",
}

#: The singular names HubSpot accepts in paths (`/crm/v4/objects/contact/...`) map to the plural ones.
SINGULAR = {name: "company" if name == "companies" else name[:-1] for name in OBJECT_TYPES}
_ALIASES = {type_id: name for name, type_id in OBJECT_TYPE_IDS.items()} | {one: name for name, one in SINGULAR.items()}


def canonical_type(name: str) -> str | None:
    """'contacts', 'contact' or '0-1' -> 'contacts'; None for an object type the sandbox does not hold."""
    lowered = name.lower()
    if lowered in OBJECT_TYPES:
        return lowered
    return _ALIASES.get(lowered)
