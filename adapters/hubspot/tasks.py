"""Follow-up tasks for sales: created on the tasks object, linked to the contact or company, findable by key.

A create is not idempotent: if the answer is lost (timeout, reset), HubSpot may have created the tasks anyway.
So every task carries ScoreBridge's key in a property of its own, and before any retry we search for the keys
and create only the tasks that are not there yet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from adapters.hubspot.account_mapping import is_company_object
from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.errors import HubSpotApiError, HubSpotRetriableError
from adapters.hubspot.mapping import TaskMapping
from connector.crm import TaskRequest, TaskResult

OBJECT_TYPE = "tasks"
#: HUBSPOT_DEFINED association type ids from a task (https://developers.hubspot.com/docs/api/crm/associations).
TASK_TO_CONTACT = 204
TASK_TO_COMPANY = 192
BATCH_SIZE = 100
#: An IN filter takes up to 100 values. HubSpot compares IN values of string properties in lower case, so a key
#: with capitals goes in both spellings. Keys for HubSpot records (connector/outbox.py `task_key`: object type,
#: numeric id, stage, digits) are lower case unless a stage name has capitals: 100 keys per search.
VALUES_PER_SEARCH = 100


def task_input(task: TaskRequest, mapping: TaskMapping) -> dict[str, Any]:
    """The batch-create input for one task, associated to its contact or, for an account's task, its company."""
    properties = {
        "hs_timestamp": str(int(task.due_at.timestamp() * 1000)),
        "hs_task_subject": task.subject,
        "hs_task_body": _body_html(task.description),
        "hs_task_status": "NOT_STARTED",
        "hs_task_type": mapping.task_type,
        "hs_task_priority": mapping.priority,
        mapping.key_property: task.idempotency_key,
    }
    if task.owner_id:
        properties["hubspot_owner_id"] = task.owner_id
    association = {
        "to": {"id": task.crm_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": association_type(task)}],
    }
    return {"properties": properties, "associations": [association], "objectWriteTraceId": task.idempotency_key}


def association_type(task: TaskRequest) -> int:
    return TASK_TO_COMPANY if is_company_object(task.object_type) else TASK_TO_CONTACT


def find_tasks(client: HubSpotClient, mapping: TaskMapping, keys: Sequence[str]) -> dict[str, str]:
    """Tasks already in HubSpot for these keys: key -> task id (the oldest task when a key has several); one
    search per 100 lower-case keys, so a create batch of 100 costs one look-up."""
    wanted = {key.lower(): key for key in keys}
    found: dict[str, str] = {}
    for values in _spellings_per_search(list(wanted.values())):
        for task in _search_all(client, _key_search(mapping.key_property, values)):
            stored = (task.properties or {}).get(mapping.key_property) or ""
            if stored.lower() in wanted:
                found.setdefault(wanted[stored.lower()], str(task.id))
    return found


def _spellings_per_search(keys: list[str]) -> Iterator[list[str]]:
    """The IN values of each search: every key as given and in lower case, at most VALUES_PER_SEARCH per search."""
    values: list[str] = []
    for key in keys:
        spellings = list(dict.fromkeys([key, key.lower()]))
        if len(values) + len(spellings) > VALUES_PER_SEARCH:
            yield values
            values = []
        values.extend(spellings)
    if values:
        yield values


def _key_search(name: str, values: list[str]) -> dict[str, Any]:
    return {
        "filterGroups": [{"filters": [{"propertyName": name, "operator": "IN", "values": values}]}],
        "properties": [name],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "limit": 200,
    }


def _search_all(client: HubSpotClient, body: dict[str, Any]) -> Iterator[Any]:
    api = client.sdk.crm.objects.search_api
    while True:
        page = client.call("search tasks by key", api.do_search, OBJECT_TYPE, body)
        yield from page.results or []
        following = getattr(getattr(page, "paging", None), "next", None)
        if not following or not following.after:
            return
        body = body | {"after": following.after}


def create_tasks(client: HubSpotClient, mapping: TaskMapping, tasks: Sequence[TaskRequest]) -> list[TaskResult]:
    """One TaskResult per task, in order; never creates a key twice, even when an answer was lost."""
    results: dict[str, TaskResult] = {}
    for start in range(0, len(tasks), BATCH_SIZE):
        results.update(_create_batch(client, mapping, list(tasks[start : start + BATCH_SIZE])))
    return [results[task.idempotency_key] for task in tasks]


def _create_batch(client: HubSpotClient, mapping: TaskMapping, tasks: list[TaskRequest]) -> dict[str, TaskResult]:
    api = client.sdk.crm.objects.batch_api
    waiting = tasks
    results: dict[str, TaskResult] = {}
    for attempt in range(1, client.max_attempts + 1):
        body = {"inputs": [task_input(task, mapping) for task in waiting]}
        try:
            answer = client.call_once("create tasks", api.create, OBJECT_TYPE, body)
        except HubSpotRetriableError as error:
            if attempt == client.max_attempts:
                raise
            client.wait_before_retry(error, attempt)
            already = find_tasks(client, mapping, [task.idempotency_key for task in waiting])
            results.update({key: TaskResult(key, task_id) for key, task_id in already.items()})
            waiting = [task for task in waiting if task.idempotency_key not in already]
            if not waiting:
                break
            continue
        except HubSpotApiError as error:
            if error.status != 400:
                raise
            return results | {
                t.idempotency_key: TaskResult(t.idempotency_key, None, error.category, str(error)) for t in waiting
            }
        results.update(_results_of(answer, waiting, mapping))
        break
    return results


def _results_of(answer: Any, tasks: list[TaskRequest], mapping: TaskMapping) -> dict[str, TaskResult]:
    created: dict[str, str] = {}
    for task in answer.results or []:
        key = (task.properties or {}).get(mapping.key_property) or task.object_write_trace_id
        if key:
            created[str(key)] = str(task.id)
    failures: dict[str, tuple[str, str]] = {}
    for error in getattr(answer, "errors", None) or []:
        for key in (error.context or {}).get("objectWriteTraceId", ()):
            failures[str(key)] = (str(error.category or "ERROR"), str(error.message or ""))
    results: dict[str, TaskResult] = {}
    for task in tasks:
        key = task.idempotency_key
        if key in created:
            results[key] = TaskResult(key, created[key])
        else:
            code, message = failures.get(key, ("NOT_CONFIRMED", "HubSpot's answer did not mention this task"))
            results[key] = TaskResult(key, None, code, message)
    return results


def _body_html(description: str) -> str:
    # hs_task_body is rich text: keep the touchpoint lines apart, and make the record link one a rep can click.
    return "<br>".join(_LINK.sub(_anchor, html.escape(line)) for line in description.splitlines())


_LINK = re.compile(r"https://[^\s<>\"]+")


def _anchor(match: re.Match[str]) -> str:
    return f'<a href="{match.group(0)}">{match.group(0)}</a>'
