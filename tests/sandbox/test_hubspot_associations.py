"""Associations v4 in the HubSpot sandbox, through hubspot-api-client's basic and batch APIs."""

from __future__ import annotations

import pytest
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)
from hubspot.crm.associations.v4.exceptions import ApiException

from tests.sandbox.hubspot_support import client_for


@pytest.fixture
def records(hubspot_sandbox):
    app = hubspot_sandbox.app
    contact = app.insert("contacts", {"email": "a@example.com"})
    other = app.insert("contacts", {"email": "b@example.com"})
    task = app.insert("tasks", {"hs_task_subject": "Follow up", "hs_timestamp": "2026-11-03T00:00:00Z"})
    call = app.insert("calls", {"hs_call_title": "Intro", "hs_timestamp": "2026-11-01T00:00:00Z"})
    company = app.insert("companies", {"name": "Acme"})
    return {"contact": contact, "other": other, "task": task, "call": call, "company": company}


def test_default_association_uses_hubspot_type_ids_both_ways(hubspot_sandbox, records):
    v4 = client_for(hubspot_sandbox).crm.associations.v4
    created = v4.basic_api.create_default("tasks", records["task"], "contacts", records["contact"])
    assert created.results[0].association_spec.association_type_id == 204
    from_contact = v4.basic_api.get_page("contacts", records["contact"], "tasks")
    assert [(r.to_object_id, r.association_types[0].type_id) for r in from_contact.results] == [(records["task"], 203)]


def test_labeled_put_answers_201_with_the_pair(hubspot_sandbox, records):
    v4 = client_for(hubspot_sandbox).crm.associations.v4
    spec = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)]
    pair = v4.basic_api.create("contacts", records["contact"], "companies", records["company"], spec)
    assert pair is not None
    assert (pair.from_object_type_id, pair.to_object_type_id, pair.labels) == ("0-1", "0-2", ["Primary"])
    types = v4.basic_api.get_page("companies", records["company"], "contacts").results[0].association_types
    assert [(t.type_id, t.label) for t in types] == [(2, "Primary")]


def test_archive_removes_both_directions(hubspot_sandbox, records):
    v4 = client_for(hubspot_sandbox).crm.associations.v4
    v4.basic_api.create_default("calls", records["call"], "contacts", records["contact"])
    v4.basic_api.archive("contacts", records["contact"], "calls", records["call"])
    assert v4.basic_api.get_page("calls", records["call"], "contacts").results == []


def test_single_put_to_a_missing_record_is_404(hubspot_sandbox, records):
    with pytest.raises(ApiException) as refused:
        client_for(hubspot_sandbox).crm.associations.v4.basic_api.create_default(
            "tasks", records["task"], "contacts", "999999"
        )
    assert refused.value.status == 404


def test_batch_create_then_batch_read_with_a_207_for_an_unassociated_record(hubspot_sandbox, records):
    batch = client_for(hubspot_sandbox).crm.associations.v4.batch_api
    created = batch.create(
        "contacts",
        "tasks",
        BatchInputPublicAssociationMultiPost(
            inputs=[{"from": {"id": records["contact"]}, "to": {"id": records["task"]},
                     "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 203}]}]
        ),
    )  # fmt: skip
    assert created is not None and created.results[0].to_object_id == records["task"]
    read = batch.get_page(
        "contacts",
        "tasks",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": records["contact"]}, {"id": records["other"]}]),
    )
    assert [(r._from.id, [t.to_object_id for t in r.to]) for r in read.results] == [
        (records["contact"], [records["task"]])
    ]
    assert len(read.errors) == 1 and read.errors[0].context == {"fromObjectId": [records["other"]]}


def test_batch_default_and_batch_archive(hubspot_sandbox, records):
    batch = client_for(hubspot_sandbox).crm.associations.v4.batch_api
    pairs = [{"from": {"id": records["contact"]}, "to": {"id": records["company"]}}]
    done = batch.create_default("contacts", "companies", BatchInputPublicDefaultAssociationMultiPost(inputs=pairs))
    assert done.results[0].association_spec.association_type_id == 279
    batch.archive("contacts", "companies", BatchInputPublicAssociationMultiArchive(
        inputs=[{"from": {"id": records["contact"]}, "to": [{"id": records["company"]}]}]))  # fmt: skip
    assert hubspot_sandbox.app.portal.associations.targets("contacts", int(records["contact"]), "companies") == []


def test_archiving_a_record_drops_its_associations(hubspot_sandbox, records):
    client = client_for(hubspot_sandbox)
    client.crm.associations.v4.basic_api.create_default("tasks", records["task"], "contacts", records["contact"])
    client.crm.objects.tasks.basic_api.archive(records["task"])
    assert client.crm.associations.v4.basic_api.get_page("contacts", records["contact"], "tasks").results == []


def test_a_type_id_of_another_pair_of_objects_is_refused(hubspot_sandbox, records):
    v4 = client_for(hubspot_sandbox).crm.associations.v4
    task_to_company = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=192)]
    with pytest.raises(ApiException) as refused:
        v4.basic_api.create("contacts", records["contact"], "companies", records["company"], task_to_company)
    assert refused.value.status == 400
    inputs = [
        {"from": {"id": records["contact"]}, "to": {"id": records["company"]},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}
        for type_id in (192, 279)
    ]  # fmt: skip
    answer = v4.batch_api.create("contacts", "companies", BatchInputPublicAssociationMultiPost(inputs=inputs))
    assert answer.num_errors == 1 and answer.errors[0].category == "VALIDATION_ERROR"
    assert hubspot_sandbox.app.portal.associations.type_ids("contacts", int(records["contact"]), "companies",
                                                            int(records["company"])) == [279]  # fmt: skip
