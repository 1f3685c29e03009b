"""CRM objects in the HubSpot sandbox, driven through hubspot-api-client as a user would."""

from __future__ import annotations

import pytest
import requests
from hubspot.crm.companies import ApiException as CompaniesApiException
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyInput
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.tasks import ApiException as TasksApiException

from tests.sandbox.hubspot_support import client_for, error_body


def _contacts(sandbox, count: int) -> list[str]:
    return [
        sandbox.app.insert("contacts", {"email": f"person{i}@example.com", "firstname": f"P{i}"}) for i in range(count)
    ]


def test_get_page_walks_every_contact_once_with_after_cursors(hubspot_sandbox):
    ids = _contacts(hubspot_sandbox, 25)
    api = client_for(hubspot_sandbox).crm.contacts.basic_api
    seen, after = [], None
    while True:
        page = api.get_page(limit=10, after=after, properties=["email", "firstname"], archived=False)
        seen.extend(record.id for record in page.results)
        if page.paging is None:
            break
        after = page.paging.next.after
    assert seen == ids
    assert page.results[-1].properties["firstname"] == "P24"


def test_get_page_defaults_to_ten_records_with_contacts_default_properties(hubspot_sandbox):
    _contacts(hubspot_sandbox, 12)
    page = client_for(hubspot_sandbox).crm.contacts.basic_api.get_page()
    assert len(page.results) == 10
    assert set(page.results[0].properties) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }


def test_list_accepts_comma_separated_properties_and_lowercase_archived(hubspot_sandbox):
    _contacts(hubspot_sandbox, 1)
    response = requests.get(
        f"{hubspot_sandbox.base_url}/crm/v3/objects/contacts?properties=email,firstname&archived=false",
        headers={"Authorization": f"Bearer {hubspot_sandbox.token}"},
        timeout=5,
    )
    assert response.status_code == 200
    expected = {"email", "firstname", "hs_object_id", "createdate", "lastmodifieddate"}  # asked + always returned
    assert set(response.json()["results"][0]["properties"]) == expected


def test_list_refuses_a_page_larger_than_one_hundred(hubspot_sandbox):
    with pytest.raises(ApiException) as refused:
        client_for(hubspot_sandbox).crm.contacts.basic_api.get_page(limit=101)
    assert refused.value.status == 400


def test_requested_but_unset_properties_come_back_as_null(hubspot_sandbox):
    (contact_id,) = _contacts(hubspot_sandbox, 1)
    record = client_for(hubspot_sandbox).crm.contacts.basic_api.get_by_id(contact_id, properties=["jobtitle"])
    assert record.properties["jobtitle"] is None
    assert set(record.properties) == {"jobtitle", "hs_object_id", "createdate", "lastmodifieddate"}


def test_create_returns_201_object_with_system_properties(hubspot_sandbox, hubspot_clock):
    api = client_for(hubspot_sandbox).crm.contacts.basic_api
    created = api.create(SimplePublicObjectInputForCreate(properties={"email": "a@b.com", "numemployees": "25-50"}))
    assert created is not None  # the client returns None on any code but 201
    assert created.properties["hs_object_id"] == created.id
    assert created.properties["createdate"] == "2026-11-02T09:00:00.000Z"
    assert created.archived is False


def test_update_moves_lastmodifieddate_and_updated_at(hubspot_sandbox, hubspot_clock):
    (contact_id,) = _contacts(hubspot_sandbox, 1)
    hubspot_clock.advance(3600)
    api = client_for(hubspot_sandbox).crm.contacts.basic_api
    updated = api.update(contact_id, SimplePublicObjectInput(properties={"jobtitle": "CEO"}))
    assert updated.properties["jobtitle"] == "CEO"
    assert (
        updated.properties["hs_lastmodifieddate"]
        == updated.properties["lastmodifieddate"]
        == "2026-11-02T10:00:00.000Z"
    )
    assert updated.updated_at.hour == 10


def test_single_create_with_a_bad_number_is_a_400_validation_error(hubspot_sandbox):
    api = client_for(hubspot_sandbox).crm.companies.basic_api
    with pytest.raises(CompaniesApiException) as refused:
        api.create(CompanyInput(properties={"name": "Acme", "numberofemployees": "abc"}))
    body = error_body(refused.value)
    assert refused.value.status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "INVALID_FLOAT"
    assert body["errors"][0]["context"] == {"propertyName": ["numberofemployees"]}


def test_writing_an_unknown_property_is_property_doesnt_exist(hubspot_sandbox):
    with pytest.raises(ApiException) as refused:
        client_for(hubspot_sandbox).crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"lead_score_x": "10"})
        )
    assert "PROPERTY_DOESNT_EXIST" in error_body(refused.value)["message"]


def test_creating_a_contact_with_a_known_email_is_a_409_conflict(hubspot_sandbox):
    (existing,) = _contacts(hubspot_sandbox, 1)
    with pytest.raises(ApiException) as refused:
        client_for(hubspot_sandbox).crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"email": "PERSON0@example.com"})
        )
    assert refused.value.status == 409
    assert existing in error_body(refused.value)["message"]


def test_get_by_email_with_id_property(hubspot_sandbox):
    (contact_id,) = _contacts(hubspot_sandbox, 1)
    record = client_for(hubspot_sandbox).crm.contacts.basic_api.get_by_id("person0@example.com", id_property="email")
    assert record.id == contact_id


def test_archive_hides_the_record_except_from_archived_reads(hubspot_sandbox):
    first, second = _contacts(hubspot_sandbox, 2)
    api = client_for(hubspot_sandbox).crm.contacts.basic_api
    api.archive(first)
    assert [r.id for r in api.get_page().results] == [second]
    archived = api.get_page(archived=True).results
    assert [r.id for r in archived] == [first] and archived[0].archived_at is not None
    with pytest.raises(ApiException) as missing:
        api.get_by_id(first)
    assert missing.value.status == 404
    assert error_body(missing.value)["category"] == "OBJECT_NOT_FOUND"


def test_batch_read_reports_missing_ids_in_a_207(hubspot_sandbox):
    ids = _contacts(hubspot_sandbox, 2)
    batch = client_for(hubspot_sandbox).crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": ids[0]}, {"id": ids[1]}, {"id": "999999"}], properties=["email"], properties_with_history=[]
        ),
    )
    assert sorted(r.id for r in batch.results) == ids
    assert batch.num_errors == 1
    assert batch.errors[0].category == "OBJECT_NOT_FOUND"
    assert batch.errors[0].context == {"ids": ["999999"]}


def test_batch_create_answers_201(hubspot_sandbox):
    inputs = [{"properties": {"email": f"n{i}@example.com"}} for i in range(3)]
    batch = client_for(hubspot_sandbox).crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
    )
    assert batch is not None and batch.status == "COMPLETE"
    assert len(batch.results) == 3


def test_batch_create_with_trace_ids_keeps_good_inputs_and_reports_bad_ones_in_a_207(hubspot_sandbox):
    inputs = [
        {"properties": {"email": "good@example.com"}, "objectWriteTraceId": "t-good"},
        {"properties": {"email": "bad@example.com", "hs_email_bounce": "abc"}, "objectWriteTraceId": "t-bad"},
        {"properties": {"unknown_prop": "x"}, "objectWriteTraceId": "t-unknown"},
    ]
    batch = client_for(hubspot_sandbox).crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
    )
    assert [r.object_write_trace_id for r in batch.results] == ["t-good"]
    assert batch.num_errors == 2
    assert [e.context["objectWriteTraceId"] for e in batch.errors] == [["t-bad"], ["t-unknown"]]
    assert batch.errors[0].errors[0].code == "INVALID_FLOAT"
    assert "PROPERTY_DOESNT_EXIST" in batch.errors[1].message


def test_batch_create_without_trace_ids_fails_whole_batch_with_400(hubspot_sandbox):
    inputs = [{"properties": {"email": "good@example.com"}}, {"properties": {"hs_email_bounce": "abc"}}]
    with pytest.raises(ApiException) as refused:
        client_for(hubspot_sandbox).crm.contacts.batch_api.create(
            BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
        )
    assert refused.value.status == 400
    assert hubspot_sandbox.app.portal.objects.count("contacts") == 0


def test_batch_update_answers_200_and_207_for_unknown_ids_with_trace_ids(hubspot_sandbox):
    first, second = _contacts(hubspot_sandbox, 2)
    api = client_for(hubspot_sandbox).crm.contacts.batch_api
    updated = api.update(
        BatchInputSimplePublicObjectBatchInput(inputs=[{"id": first, "properties": {"jobtitle": "CTO"}}])
    )
    assert updated.results[0].properties["jobtitle"] == "CTO"
    partial = api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                {"id": second, "properties": {"jobtitle": "CFO"}, "objectWriteTraceId": "a"},
                {"id": "424242", "properties": {"jobtitle": "CFO"}, "objectWriteTraceId": "b"},
            ]
        )
    )
    assert [r.id for r in partial.results] == [second]
    assert partial.errors[0].category == "OBJECT_NOT_FOUND"


def test_batches_hold_at_most_one_hundred_inputs(hubspot_sandbox):
    inputs = [{"properties": {"email": f"n{i}@example.com"}} for i in range(101)]
    with pytest.raises(ApiException) as refused:
        client_for(hubspot_sandbox).crm.contacts.batch_api.create(
            BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
        )
    assert refused.value.status == 400


def test_batch_archive_answers_204_and_archives(hubspot_sandbox):
    ids = _contacts(hubspot_sandbox, 2)
    client_for(hubspot_sandbox).crm.contacts.batch_api.archive(
        BatchInputSimplePublicObjectId(inputs=[{"id": i} for i in ids])
    )
    assert hubspot_sandbox.app.portal.objects.count("contacts") == 0


def test_task_created_with_associations_is_linked_to_its_contact(hubspot_sandbox):
    (contact_id,) = _contacts(hubspot_sandbox, 1)
    client = client_for(hubspot_sandbox)
    task = client.crm.objects.tasks.basic_api.create(
        {
            "properties": {
                "hs_task_subject": "Call back",
                "hs_timestamp": "2026-11-03T09:00:00Z",
                "hs_task_priority": "HIGH",
            },
            "associations": [
                {
                    "to": {"id": contact_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}],
                }
            ],
        }
    )
    assert task.properties["hs_timestamp"] == "2026-11-03T09:00:00.000Z"
    linked = client.crm.contacts.basic_api.get_by_id(contact_id, associations=["tasks"])
    assert [(a.id, a.type) for a in linked.associations["tasks"].results] == [(task.id, "contact_to_task")]


def test_task_association_to_a_missing_contact_is_refused(hubspot_sandbox):
    with pytest.raises(TasksApiException) as refused:
        client_for(hubspot_sandbox).crm.objects.tasks.basic_api.create(
            {
                "properties": {"hs_task_subject": "x", "hs_timestamp": "2026-11-03T09:00:00Z"},
                "associations": [
                    {"to": {"id": "5"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}
                ],
            }
        )
    assert refused.value.status == 400


def test_generic_objects_api_accepts_object_type_ids(hubspot_sandbox):
    _contacts(hubspot_sandbox, 3)
    page = client_for(hubspot_sandbox).crm.objects.basic_api.get_page(object_type="0-1", limit=2)
    assert len(page.results) == 2 and page.paging.next.after


def test_unknown_requested_properties_are_left_out(hubspot_sandbox):
    (contact_id,) = _contacts(hubspot_sandbox, 1)
    record = client_for(hubspot_sandbox).crm.contacts.basic_api.get_by_id(contact_id, properties=["email", "no_such"])
    assert "no_such" not in record.properties and record.properties["email"] == "person0@example.com"


def test_client_get_all_collects_every_page(hubspot_sandbox):
    ids = _contacts(hubspot_sandbox, 230)
    everything = client_for(hubspot_sandbox).crm.contacts.get_all(properties=["email"])
    assert [record.id for record in everything] == ids
