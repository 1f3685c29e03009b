"""The properties and owners APIs of the HubSpot sandbox, as `scorebridge setup` uses them."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.properties import ApiException, PropertyCreate, PropertyGroupCreate

from tests.sandbox.hubspot_support import client_for, error_body

SCORE = PropertyCreate(
    name="sb_lead_score", label="Lead score", type="number", field_type="number", group_name="scorebridge"
)


def test_setup_creates_a_group_then_a_number_property_and_can_write_it(hubspot_sandbox):
    client = client_for(hubspot_sandbox)
    group = client.crm.properties.groups_api.create(
        "contacts", PropertyGroupCreate(name="scorebridge", label="ScoreBridge")
    )
    assert group.name == "scorebridge"
    created = client.crm.properties.core_api.create("contacts", SCORE)
    assert created is not None and created.type == "number" and created.options == []
    names = [p.name for p in client.crm.properties.core_api.get_all("contacts").results]
    assert "sb_lead_score" in names and "lifecyclestage" in names
    contact = hubspot_sandbox.app.insert("contacts", {"email": "a@example.com"})
    written = client.crm.contacts.basic_api.update(contact, SimplePublicObjectInput(properties={"sb_lead_score": "42"}))
    assert written.properties["sb_lead_score"] == "42"


def test_creating_an_existing_property_is_a_409(hubspot_sandbox):
    client = client_for(hubspot_sandbox)
    client.crm.properties.groups_api.create("contacts", PropertyGroupCreate(name="scorebridge", label="ScoreBridge"))
    client.crm.properties.core_api.create("contacts", SCORE)
    with pytest.raises(ApiException) as conflict:
        client.crm.properties.core_api.create("contacts", SCORE)
    assert conflict.value.status == 409
    assert error_body(conflict.value)["category"] == "OBJECT_ALREADY_EXISTS"


def test_a_property_in_a_missing_group_is_refused(hubspot_sandbox):
    with pytest.raises(ApiException) as refused:
        client_for(hubspot_sandbox).crm.properties.core_api.create("contacts", SCORE)
    assert refused.value.status == 400


def test_lifecycle_stage_options_come_from_the_properties_api(hubspot_sandbox):
    stage = client_for(hubspot_sandbox).crm.properties.core_api.get_by_name("contacts", "lifecyclestage")
    assert [o.value for o in stage.options][:6] == [
        "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
    ]  # fmt: skip


def test_an_option_outside_an_enumeration_is_refused(hubspot_sandbox):
    with pytest.raises(ContactsApiException) as refused:
        client_for(hubspot_sandbox).crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"lifecyclestage": "hot"})
        )
    assert "INVALID_OPTION" in error_body(refused.value)["message"]


def test_owners_are_listed_and_read_by_id(hubspot_sandbox):
    portal = hubspot_sandbox.app.portal
    first = portal.add_owner("ann@acme.com", "Ann", "Lee")
    portal.add_owner("bo@acme.com", "Bo", "Kim")
    owners = client_for(hubspot_sandbox).crm.owners.owners_api
    page = owners.get_page(limit=1)
    assert [o.email for o in page.results] == ["ann@acme.com"] and page.paging.next.after == "1"
    assert owners.get_page(email="bo@acme.com").results[0].first_name == "Bo"
    assert owners.get_by_id(int(first.id)).type == "PERSON"
