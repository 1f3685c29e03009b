"""Follow-up against the HubSpot stand-in: task states by batch read (100 a call), no managers, reassignment by
batch update, and reps who complete tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.sandbox.http import Fault
from adapters.sandbox.hubspot.reps import age_tasks, complete_share, complete_task
from connector.crm import TaskReassignment, TaskRequest, TaskState
from tests.hubspot.conftest import START, add_contact, route_calls

DUE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BATCH_READ = "hubspot.objects.batch_read"


def _tasks(sandbox, adapter, count: int, owner: str | None = None) -> list[str]:
    adapter.setup()
    ann = add_contact(sandbox, "ann@example.com")
    asked = [TaskRequest(f"k-{n}", "contact", ann, owner, "Call Ann", "Call her.", DUE) for n in range(count)]
    return [result.crm_task_id for result in adapter.create_tasks(asked)]


def test_states_of_two_hundred_and_one_tasks_cost_three_batch_reads(sandbox, adapter):
    owner = sandbox.app.portal.add_owner("rep@example.com", "Rita", "Rep").id
    task_ids = _tasks(sandbox, adapter, 201, owner)
    complete_task(sandbox.app.portal, task_ids[0])
    with sandbox.app.portal.lock:
        sandbox.app.portal.objects.archive(sandbox.app.portal.objects.get("tasks", task_ids[1]), START)
    calls = adapter.usage().calls

    states = adapter.task_states(task_ids)

    assert adapter.usage().calls - calls == 3 and route_calls(sandbox, BATCH_READ) == 3
    assert states[task_ids[0]] == TaskState(task_ids[0], "COMPLETED", True, owner, START)
    assert task_ids[1] not in states and len(states) == 200
    assert states[task_ids[2]].status == "NOT_STARTED" and not states[task_ids[2]].closed


def test_waiting_in_progress_and_deferred_are_still_open(sandbox, adapter):
    task_ids = _tasks(sandbox, adapter, 3)
    with sandbox.app.portal.lock:
        for task_id, status in zip(task_ids, ("WAITING", "IN_PROGRESS", "DEFERRED"), strict=True):
            task = sandbox.app.portal.objects.get("tasks", task_id)
            sandbox.app.portal.objects.update(task, {"hs_task_status": status}, START)
    states = adapter.task_states(task_ids)
    assert [states[task_id].closed for task_id in task_ids] == [False, False, False]


def test_hubspot_knows_no_managers_and_asks_nothing(sandbox, adapter):
    calls = adapter.usage().calls
    assert adapter.owner_managers(["70000001"]) == {}
    assert adapter.usage().calls == calls


def test_a_reassignment_sets_the_owner_and_reports_a_missing_task(sandbox, adapter):
    rep = sandbox.app.portal.add_owner("rep@example.com", "Rita", "Rep").id
    lead = sandbox.app.portal.add_owner("lead@example.com", "Lou", "Lead").id
    task_id, other = _tasks(sandbox, adapter, 2, rep)
    with sandbox.app.portal.lock:
        sandbox.app.portal.objects.archive(sandbox.app.portal.objects.get("tasks", other), START)

    results = adapter.reassign_tasks([TaskReassignment(task_id, lead), TaskReassignment(other, lead)])

    assert [result.ok for result in results] == [True, False]
    assert [result.crm_id for result in results] == [task_id, other]
    assert adapter.task_states([task_id])[task_id].owner_id == lead


def test_the_reps_complete_a_seeded_share_of_the_open_tasks(sandbox, adapter):
    task_ids = _tasks(sandbox, adapter, 100)

    sandbox.server.app.apply_fault(Fault(kind="reps_work", share=0.5))
    completed = {task_id for task_id, state in adapter.task_states(task_ids).items() if state.closed}

    assert 30 <= len(completed) <= 70
    assert complete_share(sandbox.app.portal, 0.5) == []  # the same draw: those are done already


def test_aged_tasks_read_as_created_that_long_ago(sandbox, adapter):
    [task_id] = _tasks(sandbox, adapter, 1)
    age_tasks(sandbox.app.portal, 30)
    assert adapter.task_states([task_id])[task_id].created_at == START - timedelta(hours=30)
