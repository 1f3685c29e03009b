"""Many follow-up Tasks at once through a Bulk API 2.0 ``insert`` job, still at most once per idempotency key.

A job costs about five API calls whatever its size (bulk_write.py), collections one per 200 tasks, so the same
``write.bulk_threshold`` that sends large score write-backs to Bulk sends this many tasks too. Results come back in
no promised order; each result row repeats the uploaded columns, so it is matched to its task by the key field.
A task the job left unprocessed, or refused for a passing reason (a row lock), goes again through collections
(tasks.py) in the same run; other refusals are reported with Salesforce's error.

Crash safety: a closed job runs on in Salesforce even if we are killed, so a later look-up by key could miss tasks
it has not created yet, and sending them again would make duplicates. So once the job is closed, an error leaves
its tasks UNCONFIRMED (the outbox looks them up next run), and before the outbox looks up tasks it tried to
create before, the adapter waits for the org's unfinished Task insert jobs to end (Get All Jobs, one call).
https://developer.salesforce.com/docs/platform/api-asynch/guide/bulk-api-2-0-ingest.html
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.salesforce.bulk_write import (
    NO_RESULT,
    NOT_PROCESSED,
    POLLS_WITHOUT_WAITING,
    TERMINAL_STATES,
    close_ingest_job,
    csv_line,
    csv_value,
    open_ingest_job,
    parse_sf_error,
    result_rows,
    wait_for_job,
    worth_resending,
)
from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.mapping import TaskOptions, WriteOptions
from adapters.salesforce.tasks import UNCONFIRMED, create_tasks, task_record
from adapters.salesforce.write import NOT_SENT
from connector.crm import TaskRequest, TaskResult
from connector.errors import LimitReachedError, RetriableError, ScoreBridgeError

TASK_OBJECT = "Task"
INSERT = "insert"
#: Job states in which Salesforce may still create records (an Open job is never processed until closed).
RUNNING_STATES = frozenset({"UploadComplete", "InProgress"})


def create_tasks_by_size(
    client: SalesforceClient, tasks: Sequence[TaskRequest], options: TaskOptions, write: WriteOptions
) -> list[TaskResult]:
    """One result per task, in order: through one insert job when there are at least ``write.bulk_threshold``,
    else (and for the tasks the job left to be sent again) through collections."""
    if write.bulk_threshold is None or len(tasks) < write.bulk_threshold:
        return create_tasks(client, tasks, options)
    results = insert_job(client, tasks, options, write)
    again = [task for task in tasks if worth_resending(results[task.idempotency_key].error_code)]
    if again:
        results.update((result.idempotency_key, result) for result in create_tasks(client, again, options))
    return [results[task.idempotency_key] for task in tasks]


def insert_job(
    client: SalesforceClient, tasks: Sequence[TaskRequest], options: TaskOptions, write: WriteOptions
) -> dict[str, TaskResult]:
    """Each task's result by key. Before the job is closed nothing can have been created: a failure then leaves
    the tasks NOT_PROCESSED (sent through collections at once, or NOT_SENT when the daily allocation is spent);
    after it, UNCONFIRMED."""
    what = f"bulk insert of {len(tasks)} tasks"
    try:
        job_id = open_ingest_job(client, TASK_OBJECT, INSERT, task_csv(tasks, options), what)
    except LimitReachedError as error:
        return _all(tasks, NOT_SENT, str(error))
    except ScoreBridgeError as error:
        return _all(tasks, NOT_PROCESSED, str(error))
    try:
        close_ingest_job(client, job_id, what)  # a close that failed may still have happened
        info = wait_for_job(client, job_id, what, write)
        return _job_results(client, info, tasks, options, what)
    except ScoreBridgeError as error:
        return _all(tasks, UNCONFIRMED, f"bulk job {job_id}: {error}")


def task_csv(tasks: Sequence[TaskRequest], options: TaskOptions) -> bytes:
    """The tasks as Bulk CSV: the collection record's fields as columns; an empty cell leaves a field unset."""
    records = [task_record(task, options) for task in tasks]
    columns = list(dict.fromkeys(name for record in records for name in record if name != "attributes"))
    lines = [csv_line([_cell(record.get(name)) for name in columns]) for record in records]
    return (csv_line(columns) + "".join(lines)).encode("utf-8")


def _cell(value: Any) -> str:
    # LF line endings are declared for the job, so a CR LF inside a quoted description is written as LF alone.
    return "" if value is None else csv_value(value).replace("\r\n", "\n")


def _job_results(
    client: SalesforceClient,
    info: Mapping[str, Any],
    tasks: Sequence[TaskRequest],
    options: TaskOptions,
    what: str,
) -> dict[str, TaskResult]:
    job_id = str(info["id"])
    processed, failed = int(info.get("numberRecordsProcessed") or 0), int(info.get("numberRecordsFailed") or 0)
    results: dict[str, TaskResult] = {}
    if processed > failed:
        for row in result_rows(client, job_id, "successfulResults", what):
            key = row.get(options.key_field, "")
            results[key] = TaskResult(key, row["sf__Id"])
    if failed:
        for row in result_rows(client, job_id, "failedResults", what):
            key = row.get(options.key_field, "")
            results[key] = TaskResult(key, None, *parse_sf_error(row.get("sf__Error", "")))
    if processed < len(tasks):
        ended = f"bulk job {job_id} ended {info.get('state')} before this task: {info.get('errorMessage', '')}"
        for row in result_rows(client, job_id, "unprocessedrecords", what):
            key = row.get(options.key_field, "")
            results[key] = TaskResult(key, None, NOT_PROCESSED, ended.strip())
    missing = f"bulk job {job_id} reported no result for this task"
    return {
        task.idempotency_key: results.get(task.idempotency_key)
        or TaskResult(task.idempotency_key, None, NO_RESULT, missing)
        for task in tasks
    }


def _all(tasks: Sequence[TaskRequest], code: str, message: str) -> dict[str, TaskResult]:
    return {task.idempotency_key: TaskResult(task.idempotency_key, None, code, message) for task in tasks}


def wait_for_running_inserts(client: SalesforceClient, write: WriteOptions) -> None:
    """Wait until no Task insert job is still running in the org (one a killed run left behind may be creating the
    very tasks about to be looked up). Raises RetriableError when one outlasts ``bulk_timeout_seconds``: the
    tasks stay pending and are looked up next run."""
    listing = client.call("list of bulk jobs", lambda sf: sf.restful("jobs/ingest"))
    running = [
        str(job["id"])
        for job in listing.get("records", [])
        if job.get("object") == TASK_OBJECT and job.get("operation") == INSERT and job.get("state") in RUNNING_STATES
    ]
    for job_id in running:
        if not _ends_in_time(client, job_id, write):
            raise RetriableError(f"Salesforce bulk job {job_id} is still creating Tasks; their look-up waits for it")


def _ends_in_time(client: SalesforceClient, job_id: str, write: WriteOptions) -> bool:
    pause = write.bulk_poll_seconds
    polls = math.ceil(write.bulk_timeout_seconds / pause) if pause > 0 else POLLS_WITHOUT_WAITING
    what = f"bulk task insert {job_id} left running"
    for _ in range(polls):
        if client.call(what, lambda sf: sf.restful(f"jobs/ingest/{job_id}")).get("state") in TERMINAL_STATES:
            return True
        client.sleep(pause)
    return False
