"""Follow-up Tasks for sales, created at most once per idempotency key.

Creating is not idempotent: a create that timed out may still have happened, and retrying it blindly makes a
duplicate. So the key is written into a Task field (`tasks.key_field`, created by `scorebridge setup`) and before
any retry we look the keys up and create only the tasks that are really missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.salesforce import soql
from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.composite import MAX_QUERIES_PER_CALL, Query, first_pages, pages_from
from adapters.salesforce.mapping import TaskOptions
from adapters.salesforce.retry import retry_policy
from adapters.salesforce.write import COLLECTION_LIMIT, NOT_SENT, first_save_error
from connector.crm import TaskRequest, TaskResult
from connector.errors import FatalCrmError, LimitReachedError, RetriableError

#: Keys per look-up query: an IN list of 100 keys of up to 120 characters keeps each query far below the 16,384
#: bytes Salesforce allows a request's URI and headers (https://help.salesforce.com/s/articleView?id=000386264).
#: The queries go in one Composite call, five at a time, so a batch of 200 tasks costs one look-up call.
#: A look-up that needs more calls first asks, beside its first four key queries, whether the org holds any task
#: of ours at all: on a first sync it holds none, and the other calls are skipped.
KEYS_PER_QUERY = 100
SUBJECT_LIMIT = 255
UNCONFIRMED = "UNCONFIRMED"
#: Ids of Groups (queues among them) start with 00G; Lead.OwnerId may hold one.
GROUP_KEY_PREFIX = "00G"


#: Task.WhoId references a Lead or Contact only; an Account goes in WhatId ("Related To"), with no WhoId
#: (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm).
#: An Account in WhoId is refused: FIELD_INTEGRITY_EXCEPTION "Name ID: id value of incorrect type".
WHAT_OBJECTS = frozenset({"Account"})


def task_record(task: TaskRequest, options: TaskOptions) -> dict[str, Any]:
    record: dict[str, Any] = {
        "attributes": {"type": "Task"},
        "WhatId" if task.object_type in WHAT_OBJECTS else "WhoId": task.crm_id,
        "Subject": task.subject[:SUBJECT_LIMIT],
        "Description": task.description,
        "ActivityDate": task.due_at.date().isoformat(),
        "Status": options.status,
        "Priority": options.priority,
        options.key_field: task.idempotency_key,
    }
    owner = task_owner(task.owner_id, options)
    if owner:
        record["OwnerId"] = owner
    return record


def task_owner(owner_id: str | None, options: TaskOptions) -> str | None:
    """Who a task is assigned to: the record's owner, unless that is a queue (a Group, key prefix 00G), which
    cannot own tasks; then the mapping's `tasks.queue_owner` (None leaves it to Salesforce: the integration user)."""
    if owner_id and owner_id.startswith(GROUP_KEY_PREFIX):
        return options.queue_owner
    return owner_id


def find_tasks(
    client: SalesforceClient, keys: Sequence[str], options: TaskOptions, *, retry: bool = True
) -> dict[str, str]:
    """Existing tasks by key (key -> Task id, the oldest when a key has several): a query per 100 keys, up to five
    queries per API call. Salesforce compares text case-insensitively; only exact keys count as found."""
    wanted = list(dict.fromkeys(keys))
    queries = [
        Query(_key_query(chunk, options), "look-up of tasks by key") for chunk in soql.chunked(wanted, KEYS_PER_QUERY)
    ]
    firsts = []
    if len(queries) > MAX_QUERIES_PER_CALL:
        probe = Query(any_task_query(options), "look-up of any task with a key")
        ours, *firsts = first_pages(client, [probe, *queries[: MAX_QUERIES_PER_CALL - 1]], retry=retry)
        if not ours["records"]:
            return {}
        queries = queries[MAX_QUERIES_PER_CALL - 1 :]
    found: dict[str, str] = {}
    for first in [*firsts, *first_pages(client, queries, retry=retry)]:
        for page in pages_from(client, first, what="look-up of tasks by key"):
            for row in page:
                found.setdefault(row[options.key_field], row["Id"])
    return {key: found[key] for key in wanted if key in found}


def any_task_query(options: TaskOptions) -> str:
    """One of our tasks, if the org holds any: its ``totalSize`` is 0 or 1."""
    return soql.select("Task", ["Id"], [f"{options.key_field} != null"]) + " LIMIT 1"


def _key_query(keys: Sequence[str], options: TaskOptions) -> str:
    where = [soql.in_condition(options.key_field, keys)]
    return soql.select("Task", ["Id", options.key_field], where, order_by=("CreatedDate", "Id"))


def create_tasks(client: SalesforceClient, tasks: Sequence[TaskRequest], options: TaskOptions) -> list[TaskResult]:
    """One result per task, in order; a chunk whose outcome is unknown is checked by key before being re-sent.

    When retries or the daily allocation run out, that chunk is reported UNCONFIRMED (it may exist: the outbox
    looks it up next run) or NOT_SENT, and the chunks after it NOT_SENT.
    """
    results: dict[str, TaskResult] = {}
    stopped: str | None = None
    for start in range(0, len(tasks), COLLECTION_LIMIT):
        chunk = tasks[start : start + COLLECTION_LIMIT]
        if stopped is not None:
            results.update(_failed(chunk, NOT_SENT, stopped))
            continue
        try:
            results.update(_create_chunk(client, chunk, options))
        except FatalCrmError as error:
            results.update(_failed(chunk, "REQUEST_REFUSED", str(error)))
        except RetriableError as error:
            stopped = str(error)
            results.update(_failed(chunk, UNCONFIRMED, stopped))
        except LimitReachedError as error:
            stopped = str(error)
            results.update(_failed(chunk, NOT_SENT, stopped))
    return [results[task.idempotency_key] for task in tasks]


def _failed(chunk: Sequence[TaskRequest], code: str, message: str) -> dict[str, TaskResult]:
    return {task.idempotency_key: TaskResult(task.idempotency_key, None, code, message) for task in chunk}


def _create_chunk(
    client: SalesforceClient, chunk: Sequence[TaskRequest], options: TaskOptions
) -> dict[str, TaskResult]:
    results: dict[str, TaskResult] = {}
    missing = list(chunk)
    for attempt in retry_policy(client.settings.retry, sleep=client.sleep):
        with attempt:
            if attempt.retry_state.attempt_number > 1:
                existing = find_tasks(client, [t.idempotency_key for t in missing], options, retry=False)
                results.update({key: TaskResult(key, task_id) for key, task_id in existing.items()})
                missing = [task for task in missing if task.idempotency_key not in existing]
            if missing:
                results.update(_send(client, missing, options))
    return results


def _send(client: SalesforceClient, tasks: Sequence[TaskRequest], options: TaskOptions) -> dict[str, TaskResult]:
    body = {"allOrNone": False, "records": [task_record(task, options) for task in tasks]}
    answer = client.call(
        f"creation of {len(tasks)} tasks",
        lambda sf: sf.restful("composite/sobjects", method="POST", json=body),
        retry=False,  # never blindly: `_create_chunk` checks by key first
    )
    items = list(answer or [])
    results = {}
    for position, task in enumerate(tasks):
        item = items[position] if position < len(items) else {"errors": [{"statusCode": "NO_RESULT"}]}
        if item.get("success"):
            results[task.idempotency_key] = TaskResult(task.idempotency_key, str(item["id"]))
        else:
            code, message = first_save_error(item)
            results[task.idempotency_key] = TaskResult(task.idempotency_key, None, code, message)
    return results
