"""New activity in a sandbox after a sync, as the CRM's users would add it; returns the people it touched."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from adapters.sandbox.population import more_touches
from tests.e2e.conftest import SandboxWorld


def add_salesforce_touches(world: SandboxWorld, *, share: float, seed: int) -> set[str]:
    """Follow-up touches of about `share` of the people; returns the CRM ids of the leads/contacts they name."""
    touches = more_touches(world.population, share=share, seed=seed, now=datetime.now(UTC))
    before = {row["Id"] for name in ("Task", "Event", "CampaignMember") for row in world.app.store.rows(name)}
    assert world.app.add_touches(touches) > 0
    touched = set()
    for name, who in (("Task", "WhoId"), ("Event", "WhoId"), ("CampaignMember", "LeadOrContactId")):
        touched |= {row[who] for row in world.app.store.rows(name) if row["Id"] not in before}
    return touched


def add_hubspot_meetings(world: SandboxWorld, *, share: float, seed: int) -> set[str]:
    """A completed sales meeting logged on about `share` of the contacts; returns their ids.

    HubSpot rolls a logged engagement up onto the contact (`notes_last_updated`, "Last activity date"), which
    moves the contact's `lastmodifieddate`; the sandbox's `insert` is a plain record insert, so the roll-up is
    done here as HubSpot would do it.
    """
    rng = random.Random(seed)
    portal = world.app.portal
    now = datetime.now(UTC) - timedelta(seconds=1)
    with portal.lock:
        chosen = [person for person in portal.objects.active("contacts") if rng.random() < share]
    for person in chosen:
        properties = {
            "hs_meeting_title": "Meeting (video)",
            "hs_meeting_outcome": "COMPLETED",
            "hs_timestamp": now.isoformat().replace("+00:00", "Z"),
        }
        world.app.insert("meetings", properties, {"contacts": [person.id]})
        with portal.lock:
            portal.objects.update(person, {"notes_last_updated": str(int(now.timestamp() * 1000))}, portal.clock())
    return {str(person.id) for person in chosen}


def add_activity(world: SandboxWorld, *, share: float = 0.1, seed: int = 11) -> set[str]:
    if world.crm == "salesforce":
        return add_salesforce_touches(world, share=share, seed=seed)
    return add_hubspot_meetings(world, share=share, seed=seed)
