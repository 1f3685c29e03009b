"""What the HubSpot stand-in refuses or always returns as HubSpot does, through hubspot-api-client as a user would:
a batch update naming an id twice, and the identity and system dates on every list and read with `properties=`."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectInput,
)

from tests.sandbox.hubspot_support import client_for, error_body

ALWAYS = {"hs_object_id", "createdate", "lastmodifieddate"}


def _contacts(sandbox, count: int) -> list[str]:
    return [sandbox.app.insert("contacts", {"email": f"dup{i}@example.com"}) for i in range(count)]


def test_a_batch_update_naming_an_id_twice_is_refused_whole_and_writes_nothing(hubspot_sandbox):
    first, second = _contacts(hubspot_sandbox, 2)
    inputs = [
        {"id": first, "properties": {"jobtitle": "CTO"}, "objectWriteTraceId": "0"},
        {"id": second, "properties": {"jobtitle": "CEO"}, "objectWriteTraceId": "1"},
        {"id": first, "properties": {"jobtitle": "CFO"}, "objectWriteTraceId": "2"},
    ]
    api = client_for(hubspot_sandbox).crm.contacts
    with pytest.raises(ApiException) as refused:
        api.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert refused.value.status == 400
    body = error_body(refused.value)
    assert body["message"] == f"Duplicate IDs found in batch input: [{first}]. IDs must be unique"
    assert (body["category"], body["context"], body["status"]) == ("VALIDATION_ERROR", {"ids": [first]}, "error")
    assert "correlationId" in body
    read = api.basic_api.get_by_id(second, properties=["jobtitle"])
    assert read.properties["jobtitle"] is None


def test_list_read_and_batch_read_with_properties_return_the_identity_and_system_dates(hubspot_sandbox):
    (contact_id,) = _contacts(hubspot_sandbox, 1)
    api = client_for(hubspot_sandbox).crm.contacts
    listed = api.basic_api.get_page(properties=["email"]).results[0]
    read = api.basic_api.get_by_id(contact_id, properties=["email"])
    batch = api.batch_api.read(
        BatchReadInputSimplePublicObjectId(inputs=[{"id": contact_id}], properties=["email"])
    ).results[0]
    for record in (listed, read, batch):
        assert set(record.properties) == ALWAYS | {"email"}
        assert record.properties["hs_object_id"] == contact_id


def test_a_value_for_a_calculated_property_is_refused_as_read_only(hubspot_sandbox):
    (contact_id,) = _contacts(hubspot_sandbox, 1)
    api = client_for(hubspot_sandbox).crm.contacts.basic_api
    with pytest.raises(ApiException) as refused:
        api.update(contact_id, SimplePublicObjectInput(properties={"lastmodifieddate": "2020-01-01T00:00:00Z"}))
    body = error_body(refused.value)
    assert refused.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "READ_ONLY_VALUE"
    assert body["errors"][0]["context"] == {"propertyName": ["lastmodifieddate"]}


def test_a_date_property_takes_midnight_utc_only(hubspot_sandbox):
    from hubspot.crm.properties import PropertyCreate

    client = client_for(hubspot_sandbox)
    client.crm.properties.core_api.create(
        "contacts",
        PropertyCreate(
            name="renewal_day", label="Renewal day", type="date", field_type="date", group_name="contactinformation"
        ),
    )
    (contact_id,) = _contacts(hubspot_sandbox, 1)
    api = client.crm.contacts.basic_api
    for accepted in ("2026-12-01", "1764547200000"):  # a day, and 2025-12-01T00:00:00Z in epoch milliseconds
        api.update(contact_id, SimplePublicObjectInput(properties={"renewal_day": accepted}))
    with pytest.raises(ApiException) as refused:
        api.update(contact_id, SimplePublicObjectInput(properties={"renewal_day": "1764547200123"}))
    assert error_body(refused.value)["errors"][0]["code"] == "INVALID_DATE"
