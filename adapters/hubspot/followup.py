"""Reading back the tasks ScoreBridge created, and handing them to another owner.

States come from the tasks batch read, 100 ids per call
(https://developers.hubspot.com/docs/api-reference/crm-tasks-v3/batch/post-crm-v3-objects-tasks-batch-read):
a task a rep deleted is missing from the answer (a 207 with OBJECT_NOT_FOUND), which the port reports by leaving
it out. HubSpot owners have no manager field (https://developers.hubspot.com/docs/api-reference/crm-owners-v3/guide),
so `owner_managers` knows none and the connection's `follow_up.escalate_to` names who gets escalations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.pull import aware, parse_timestamp
from adapters.hubspot.write import batch_results
from connector.crm import TaskReassignment, TaskState, WriteResult

OBJECT_TYPE = "tasks"
BATCH_SIZE = 100  # batch read and update take at most 100 inputs
STATUS = "hs_task_status"
OWNER = "hubspot_owner_id"
#: hs_task_status values: NOT_STARTED, IN_PROGRESS, WAITING, DEFERRED and COMPLETED; only the last one is done.
COMPLETED = "COMPLETED"
STATE_PROPERTIES = [STATUS, OWNER, "hs_createdate"]


def task_states(client: HubSpotClient, crm_task_ids: Sequence[str]) -> dict[str, TaskState]:
    """Task id -> state, one batch read per 100 ids; deleted tasks are left out."""
    wanted = list(dict.fromkeys(crm_task_ids))
    api = client.sdk.crm.objects.batch_api
    states: dict[str, TaskState] = {}
    for start in range(0, len(wanted), BATCH_SIZE):
        body = {
            "inputs": [{"id": task_id} for task_id in wanted[start : start + BATCH_SIZE]],
            "properties": STATE_PROPERTIES,
            "propertiesWithHistory": [],
        }
        answer = client.call("read task states", api.read, OBJECT_TYPE, body)
        for task in answer.results or []:
            states[str(task.id)] = _state(task)
    return states


def _state(task: Any) -> TaskState:
    properties = task.properties or {}
    status = properties.get(STATUS)
    created = parse_timestamp(properties.get("hs_createdate")) or aware(getattr(task, "created_at", None))
    return TaskState(str(task.id), status, status == COMPLETED, properties.get(OWNER) or None, created)


def reassign_tasks(client: HubSpotClient, changes: Sequence[TaskReassignment]) -> list[WriteResult]:
    """Set hubspot_owner_id on each task, 100 per batch update; one result per change, in order."""
    api = client.sdk.crm.objects.batch_api
    results: list[WriteResult] = []
    for start in range(0, len(changes), BATCH_SIZE):
        batch = [
            (
                index,
                {"id": change.crm_task_id, "properties": {OWNER: change.owner_id}, "objectWriteTraceId": str(index)},
            )
            for index, change in enumerate(changes[start : start + BATCH_SIZE], start=start)
        ]
        answer = client.call("reassign tasks", api.update, OBJECT_TYPE, {"inputs": [item for _, item in batch]})
        by_index = batch_results(batch, answer)
        results.extend(by_index[index] for index, _ in batch)
    return results
