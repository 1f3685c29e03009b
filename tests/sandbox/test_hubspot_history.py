"""A contact's lifecycle stage history through `propertiesWithHistory`: generated climbs, later changes, limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.sandbox.hubspot import HubSpotApp, start_hubspot_sandbox
from adapters.sandbox.hubspot.lifecycle import STAGES
from adapters.sandbox.population import generate_population
from tests.sandbox.hubspot_support import FakeClock, client_for, error_body

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def portal_sandbox():
    with start_hubspot_sandbox(population=generate_population(300, seed=7, now=NOW), clock=FakeClock(NOW)) as sandbox:
        yield sandbox


def history_of(contact) -> list[tuple[str, datetime]]:
    """Oldest first (HubSpot answers newest first)."""
    return [(entry.value, entry.timestamp) for entry in reversed(contact.properties_with_history["lifecyclestage"])]


def test_generated_contacts_climb_the_lifecycle_in_order_up_to_their_stage(portal_sandbox):
    page = client_for(portal_sandbox).crm.contacts.basic_api.get_page(
        limit=100, properties=["lifecyclestage", "createdate"], properties_with_history=["lifecyclestage"]
    )
    climbed = 0
    for contact in page.results:
        history = history_of(contact)
        stages, moments = [stage for stage, _ in history], [moment for _, moment in history]
        assert stages[-1] == contact.properties["lifecyclestage"]
        assert moments == sorted(moments) and moments[-1] <= NOW
        assert moments[0].isoformat().startswith(contact.properties["createdate"][:19])
        if len(stages) > 1:
            assert stages == list(STAGES[1 : len(stages) + 1])
            climbed += 1
    assert climbed > 10


def test_a_stage_written_later_is_added_to_the_history_newest_first(hubspot_sandbox, hubspot_clock):
    client = client_for(hubspot_sandbox)
    created = hubspot_clock.now
    ann = hubspot_sandbox.app.insert("contacts", {"email": "ann@example.com", "lifecyclestage": "lead"})
    hubspot_clock.advance(3600)
    client.crm.contacts.basic_api.update(ann, {"properties": {"lifecyclestage": "marketingqualifiedlead"}})
    read = client.crm.contacts.basic_api.get_by_id(ann, properties_with_history=["lifecyclestage", "nope"])
    values = read.properties_with_history["lifecyclestage"]
    assert [(v.value, v.timestamp) for v in values] == [
        ("marketingqualifiedlead", hubspot_clock.now),
        ("lead", created),
    ]
    assert set(read.properties_with_history) == {"lifecyclestage"}


def test_a_batch_read_with_history_takes_at_most_50_inputs(hubspot_sandbox):
    ids = [hubspot_sandbox.app.insert("contacts", {"email": f"p{n}@example.com"}) for n in range(51)]
    api = client_for(hubspot_sandbox).crm.contacts.batch_api
    body = {"inputs": [{"id": i} for i in ids], "properties": ["email"], "propertiesWithHistory": ["lifecyclestage"]}
    with pytest.raises(Exception) as refused:
        api.read(body)
    assert refused.value.status == 400 and "property histories is 50" in error_body(refused.value)["message"]
    answer = api.read({**body, "inputs": body["inputs"][:50]})
    assert len(answer.results) == 50 and all(
        r.properties_with_history == {"lifecyclestage": []} for r in answer.results
    )


def test_the_history_survives_a_saved_state(portal_sandbox):
    restored = HubSpotApp(clock=FakeClock(NOW))
    restored.restore_state(portal_sandbox.app.dump_state())
    original = portal_sandbox.app.portal.objects.get("contacts", 1100)
    assert restored.portal.objects.get("contacts", 1100).history == original.history
