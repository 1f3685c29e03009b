"""Follow-up tasks: created with due time, owner, subject and touchpoints, linked to the contact, never twice."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.hubspot.tasks import TASK_TO_CONTACT
from adapters.sandbox.http import Fault
from connector.crm import TaskRequest
from tests.hubspot.conftest import add_contact, route_calls

DUE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def request(key: str, crm_id: str, owner: str | None = None) -> TaskRequest:
    touchpoints = "Score 87 (A), MQL since today\nVisited /pricing 3 times\nOpened 'Launch' email"
    return TaskRequest(key, "contact", crm_id, owner, "Follow up: Ann Lee is now an MQL", touchpoints, DUE)


def stored_task(sandbox, task_id: str):
    return sandbox.app.portal.objects.get("tasks", task_id)


def test_a_task_carries_due_time_owner_subject_touchpoints_and_key_and_is_linked_to_the_contact(sandbox, adapter):
    adapter.setup()
    owner = sandbox.app.portal.add_owner("rep@example.com", "Rita", "Rep").id
    ann = add_contact(sandbox, "ann@example.com")
    (result,) = adapter.create_tasks([request("k-1", ann, owner)])
    assert result.crm_task_id and result.error_code is None
    task = stored_task(sandbox, result.crm_task_id).properties
    assert task["hs_task_subject"] == "Follow up: Ann Lee is now an MQL"
    assert task["hubspot_owner_id"] == owner and task["scorebridge_task_key"] == "k-1"
    assert "Visited /pricing 3 times" in task["hs_task_body"] and "<br>" in task["hs_task_body"]
    assert task["hs_timestamp"] == "2026-11-02T09:00:00.000Z"  # sent as epoch ms, stored as HubSpot shows it
    links = sandbox.app.portal.associations.targets("tasks", int(result.crm_task_id), "contacts")
    assert links == [(int(ann), [TASK_TO_CONTACT])]


def test_find_tasks_returns_the_tasks_already_created_for_each_key(sandbox, adapter):
    adapter.setup()
    ann = add_contact(sandbox, "ann@example.com")
    (created,) = adapter.create_tasks([request("k-1", ann)])
    assert adapter.find_tasks(["k-1", "k-2"]) == {"k-1": created.crm_task_id}


def test_a_create_whose_answer_was_lost_is_not_repeated_for_tasks_that_exist(sandbox, adapter):
    adapter.setup()
    ann, bob = add_contact(sandbox, "ann@example.com"), add_contact(sandbox, "bob@example.com")
    # HubSpot creates the tasks, then the connection drops before the answer arrives.
    sandbox.server.faults.add(Fault(kind="reset", count=1, route="hubspot.objects.batch_create"))
    results = adapter.create_tasks([request("k-1", ann), request("k-2", bob)])
    assert all(r.crm_task_id for r in results)
    assert route_calls(sandbox, "hubspot.objects.batch_create") == 1
    assert adapter.find_tasks(["k-1", "k-2"]) == {r.idempotency_key: r.crm_task_id for r in results}
    all_tasks = [t for t in sandbox.app.portal.objects._records["tasks"].values() if not t.archived]
    assert len(all_tasks) == 2


def test_a_task_for_a_missing_contact_fails_alone(sandbox, adapter):
    adapter.setup()
    ann = add_contact(sandbox, "ann@example.com")
    results = adapter.create_tasks([request("k-1", "999999"), request("k-2", ann)])
    assert results[0].crm_task_id is None and results[0].error_code == "VALIDATION_ERROR"
    assert results[1].crm_task_id is not None


def test_find_tasks_matches_keys_whatever_their_case(sandbox, adapter):
    adapter.setup()
    ann = add_contact(sandbox, "ann@example.com")
    (created,) = adapter.create_tasks([request("Acme-HubSpot:transition:42", ann)])
    assert adapter.find_tasks(["Acme-HubSpot:transition:42"]) == {"Acme-HubSpot:transition:42": created.crm_task_id}


def test_a_hundred_lower_case_keys_are_looked_up_in_one_search(sandbox, adapter):
    adapter.setup()
    ann = add_contact(sandbox, "ann@example.com")
    keys = [f"contact:{ann}:mql:202611{day:02d}{hour:02d}0000" for day in range(1, 26) for hour in range(4)]
    created = {r.idempotency_key: r.crm_task_id for r in adapter.create_tasks([request(keys[0], ann)])}
    searches = route_calls(sandbox, "hubspot.search")

    assert adapter.find_tasks(keys) == created
    assert route_calls(sandbox, "hubspot.search") - searches == 1
