"""Filling the HubSpot sandbox: a generated population, JSON records, scripts, and saved state."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.sandbox.http import Fault
from adapters.sandbox.hubspot import HubSpotApp, start_hubspot_sandbox
from adapters.sandbox.hubspot.seeding import employee_range
from adapters.sandbox.population import generate_population
from connector.errors import InputError
from tests.sandbox.hubspot_support import FakeClock, client_for

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def population():
    return generate_population(300, seed=7, now=NOW)


@pytest.fixture(scope="module")
def seeded(population) -> HubSpotApp:
    app = HubSpotApp(clock=FakeClock(NOW))
    app.load_population(population)
    return app


def test_every_person_becomes_a_contact_with_hubspot_properties(seeded, population):
    contacts = list(seeded.portal.objects.active("contacts"))
    assert len(contacts) == len(population.people)
    stages = {c.properties["lifecyclestage"] for c in contacts}
    assert {"subscriber", "lead", "salesqualifiedlead", "customer"} <= stages
    person, contact = population.people[0], contacts[0]
    assert contact.properties.get("email") == person.email
    assert contact.properties["createdate"].startswith(person.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    owners = {o.id for o in seeded.portal.owners.values()}
    assert {c.properties["hubspot_owner_id"] for c in contacts} <= owners


def test_contacts_are_linked_to_their_company_with_primary_and_unlabeled_types(seeded):
    contact = next(seeded.portal.objects.active("contacts"))
    ((company_id, type_ids),) = seeded.portal.associations.targets("contacts", contact.id, "companies")
    assert type_ids == [1, 279]
    assert seeded.portal.objects.get("companies", company_id).properties["name"] == contact.properties["company"]


def test_touches_become_engagements_email_events_submissions_and_web_events(seeded, population):
    kinds = {t.kind for t in population.touches}
    marketing = seeded.portal.marketing
    assert {"OPEN", "CLICK"} <= {e.type for e in marketing.email_events}
    assert ("unsubscribe" in kinds) == any(e.type == "STATUSCHANGE" for e in marketing.email_events)
    assert any(
        e.event_type == "e_visited_page" and e.properties["hs_url"].startswith("https://") for e in marketing.web_events
    )
    assert sum(len(s) for s in marketing.submissions.values()) == sum(
        1 for t in population.touches if t.kind in ("form_fill", "webinar_registered")
    )
    calls = list(seeded.portal.objects.active("calls"))
    assert len(calls) == sum(1 for t in population.touches if t.kind in ("call", "not_interested"))
    assert seeded.portal.associations.targets("calls", calls[0].id, "contacts")


def test_employee_counts_fall_into_hubspot_ranges():
    assert [employee_range(n) for n in (None, 3, 25, 26, 999, 5000)] == [
        None,
        "1-5",
        "5-25",
        "25-50",
        "500-1000",
        "1000+",
    ]


def test_dump_and_restore_keep_everything(seeded):
    state = json.loads(json.dumps(seeded.dump_state()))
    restored = HubSpotApp(clock=FakeClock(NOW))
    restored.restore_state(state)
    assert json.loads(json.dumps(restored.dump_state())) == state
    new_id = restored.insert("contacts", {"email": "after-restore@example.com"})
    assert int(new_id) > max(r.id for r in seeded.portal.objects.active("contacts"))


def test_load_records_in_hubspot_property_names_with_associations():
    app = HubSpotApp(clock=FakeClock(NOW))
    created = app.load_records({
        "owners": [{"email": "ann@acme.com", "firstName": "Ann", "lastName": "Lee"}],
        "companies": [{"id": "501", "properties": {"name": "Acme", "numberofemployees": "40"}}],
        "contacts": [{"properties": {"email": "x@acme.com", "createdate": "2025-01-01T00:00:00Z"},
                      "associations": {"companies": ["501"]}}],
    })  # fmt: skip
    (contact_id,) = created["contacts"]
    contact = app.portal.objects.get("contacts", contact_id)
    assert contact.properties["createdate"] == "2025-01-01T00:00:00.000Z"
    assert app.portal.associations.targets("contacts", int(contact_id), "companies") == [(501, [279])]


def test_insert_refuses_values_the_api_would_refuse():
    app = HubSpotApp(clock=FakeClock(NOW))
    with pytest.raises(InputError, match="numberofemployees: INVALID_FLOAT"):
        app.insert("companies", {"numberofemployees": "many"})
    with pytest.raises(InputError, match="unknown HubSpot object type"):
        app.insert("tickets", {})
    app.insert("contacts", {"email": "one@example.com"})
    with pytest.raises(InputError, match="exists"):
        app.insert("contacts", {"email": "ONE@example.com"})


def test_factory_serves_a_generated_portal_plus_loaded_records_to_the_client():
    people = generate_population(15, seed=3, now=NOW)
    records = {"contacts": [{"properties": {"email": "extra@example.com"}}]}
    with start_hubspot_sandbox(population=people, records=records, clock=FakeClock(NOW)) as sandbox:
        page = client_for(sandbox).crm.contacts.basic_api.get_page(limit=100, properties=["email"])
    assert len(page.results) == len(people.people) + 1
    assert page.results[-1].properties["email"] == "extra@example.com"


def test_an_unknown_fault_kind_is_an_input_error():
    with pytest.raises(InputError, match="unknown HubSpot sandbox fault"):
        HubSpotApp().apply_fault(Fault(kind="explode"))
