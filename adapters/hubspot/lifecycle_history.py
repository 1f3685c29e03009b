"""When each contact entered each lifecycle stage, from HubSpot's property history (`propertiesWithHistory`).

The contact's current `lifecyclestage` says where it is, not when it became an MQL or a customer; the property's
history does. Search cannot return history, so a page of contacts costs batch reads of 50 (HubSpot's limit for a
batch read with property history). The stages are in ScoreBridge's words (the mapping's `lifecycle_stages`), each
with the first time the contact entered it, as ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.mapping import HubSpotMapping
from adapters.hubspot.pull import aware

HISTORY_BATCH = 50  # "The maximum number of inputs supported in a batch request for property histories is 50"
EXTRA_KEY = "lifecycle_entered"


def lifecycle_entered(client: HubSpotClient, mapping: HubSpotMapping, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Contact id -> {ScoreBridge stage: when first entered}, for the contacts that have a history."""
    name = mapping.contact.properties.get("lifecycle", "lifecyclestage")
    api = client.sdk.crm.objects.batch_api
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), HISTORY_BATCH):
        body = {
            "inputs": [{"id": contact_id} for contact_id in ids[start : start + HISTORY_BATCH]],
            "properties": [name],
            "propertiesWithHistory": [name],
        }
        answer = client.call("read contacts lifecycle history", api.read, "contacts", body)
        for contact in answer.results or []:
            entries = (getattr(contact, "properties_with_history", None) or {}).get(name) or []
            entered = first_entered(entries, mapping.contact.lifecycle_stages)
            if entered:
                found[str(contact.id)] = entered
    return found


def first_entered(entries: Sequence[Any], stages: dict[str, str]) -> dict[str, str]:
    """Each stage's earliest moment among the history's values (HubSpot lists them newest first)."""
    dated = [(aware(entry.timestamp), entry.value) for entry in entries if entry.value and entry.timestamp]
    entered: dict[str, str] = {}
    for moment, value in sorted(dated):
        stage = stages.get(value, value)
        entered.setdefault(stage, moment.isoformat().replace("+00:00", "Z"))
    return entered
