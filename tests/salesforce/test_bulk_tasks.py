"""Many follow-up tasks through one Bulk API 2.0 insert job: results matched by key, passing failures sent again
through collections, and nothing sent twice while a job may still be creating tasks."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.settings import SalesforceSettings
from adapters.salesforce.tasks import UNCONFIRMED
from adapters.sandbox.salesforce.schema import FieldSpec
from connector.errors import RetriableError
from tests.salesforce.conftest import (
    API,
    READ_AT,
    SECRETS,
    SESSION_TOKEN,
    RecordedSleep,
    json_body,
    sandbox_login,
    session_settings,
    small_mapping,
)
from tests.salesforce.test_tasks import COLLECTIONS, _created, _task

JOBS = f"{API}/jobs/ingest"
JOB = f"{JOBS}/750J"
BULK_ON = {"bulk_threshold": 3, "bulk_poll_seconds": 2, "bulk_timeout_seconds": 6}


@pytest.fixture
def bulk_adapter(org, sleep) -> SalesforceAdapter:
    mapping = small_mapping(write=BULK_ON)
    environ = {"SF_SESSION": SESSION_TOKEN}
    return SalesforceAdapter(session_settings(), mapping, sleep=sleep, environ=environ, clock=lambda: READ_AT)


def _csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["sf__Id"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _job(org, *, processed: int, failed: int, successful=(), refused=(), state="JobComplete") -> None:
    org.add("POST", JOBS, json={"id": "750J", "state": "Open"})
    org.add("PUT", f"{JOB}/batches", status=201)
    org.add("PATCH", JOB, json={"id": "750J", "state": "UploadComplete"})
    info = {"id": "750J", "state": state, "numberRecordsProcessed": processed, "numberRecordsFailed": failed}
    org.add("GET", JOB, json=info)
    done = [{"sf__Id": f"00Tbulk{n}", "sf__Created": "true", "ScoreBridge_Key__c": key} for n, key in successful]
    org.add("GET", f"{JOB}/successfulResults", body=_csv(done), content_type="text/csv")
    errors = [{"sf__Id": "", "sf__Error": error, "ScoreBridge_Key__c": key} for key, error in refused]
    org.add("GET", f"{JOB}/failedResults", body=_csv(errors), content_type="text/csv")


def test_three_tasks_go_in_one_insert_job_as_csv_and_come_back_matched_by_key(org, bulk_adapter, sleep):
    tasks = [_task(1), _task(2), _task(3)]
    # results in no promised order: the job reports the third task first
    _job(
        org,
        processed=3,
        failed=0,
        successful=[(3, tasks[2].idempotency_key), (1, tasks[0].idempotency_key), (2, tasks[1].idempotency_key)],
    )
    results = bulk_adapter.create_tasks(tasks)
    assert [r.crm_task_id for r in results] == ["00Tbulk1", "00Tbulk2", "00Tbulk3"]
    assert json_body(org.calls[0].request) == {
        "object": "Task",
        "operation": "insert",
        "contentType": "CSV",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
    }
    uploaded = list(csv.DictReader(io.StringIO(org.calls[1].request.body.decode())))
    assert uploaded[0]["WhoId"] == "00Q1" and uploaded[0]["ScoreBridge_Key__c"] == tasks[0].idempotency_key
    assert uploaded[0]["ActivityDate"] == "2026-11-02" and uploaded[0]["Status"] == "Not Started"
    assert len(org.calls) == 5 and sleep.waits == [2]  # create, upload, close, one poll, the successful results


def test_a_task_refused_for_a_row_lock_is_sent_again_through_collections_and_others_keep_their_error(org, bulk_adapter):
    tasks = [_task(1), _task(2), _task(3)]
    lock = "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--"
    owner = "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:OwnerId --"
    _job(
        org,
        processed=3,
        failed=2,
        successful=[(1, tasks[0].idempotency_key)],
        refused=[(tasks[1].idempotency_key, lock), (tasks[2].idempotency_key, owner)],
    )
    org.add_callback("POST", COLLECTIONS, callback=_created)

    results = bulk_adapter.create_tasks(tasks)

    resent = json_body(org.calls[-1].request)["records"]
    assert [r["WhoId"] for r in resent] == ["00Q2"]
    assert [r.crm_task_id for r in results] == ["00Tbulk1", "00T0", None]
    assert (results[2].error_code, results[2].error_message) == (
        "INVALID_CROSS_REFERENCE_KEY",
        "invalid cross reference id (fields: OwnerId)",
    )


def test_a_job_that_failed_before_processing_sends_every_task_through_collections(org, bulk_adapter):
    tasks = [_task(1), _task(2), _task(3)]
    _job(org, processed=0, failed=0, state="Failed")
    unprocessed = [{"ScoreBridge_Key__c": task.idempotency_key} for task in tasks]
    org.add("GET", f"{JOB}/unprocessedrecords", body=_csv(unprocessed), content_type="text/csv")
    org.add_callback("POST", COLLECTIONS, callback=_created)

    results = bulk_adapter.create_tasks(tasks)

    assert [r.crm_task_id for r in results] == ["00T0", "00T1", "00T2"]


def test_a_job_whose_end_we_cannot_learn_leaves_its_tasks_unconfirmed_and_sends_nothing_else(org, bulk_adapter):
    org.add("POST", JOBS, json={"id": "750J", "state": "Open"})
    org.add("PUT", f"{JOB}/batches", status=201)
    org.add("PATCH", JOB, json={"id": "750J", "state": "UploadComplete"})
    for _ in range(5):
        org.add("GET", JOB, status=503, json=[{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}])

    results = bulk_adapter.create_tasks([_task(1), _task(2), _task(3)])

    assert {r.error_code for r in results} == {UNCONFIRMED}
    assert not any(call.request.url.endswith("composite/sobjects") for call in org.calls)


def test_below_the_threshold_tasks_go_through_collections(org, bulk_adapter):
    org.add_callback("POST", COLLECTIONS, callback=_created)
    results = bulk_adapter.create_tasks([_task(1), _task(2)])
    assert [r.crm_task_id for r in results] == ["00T0", "00T1"] and len(org.calls) == 1


def test_settling_task_creates_waits_for_a_task_insert_a_killed_run_left(org, bulk_adapter, sleep):
    running = {"id": "750K", "object": "Task", "operation": "insert", "state": "InProgress"}
    other = {"id": "750L", "object": "Lead", "operation": "update", "state": "InProgress"}
    org.add("GET", JOBS, json={"done": True, "records": [running, other], "nextRecordsUrl": None})
    org.add("GET", f"{JOBS}/750K", json={**running, "state": "InProgress"})
    org.add("GET", f"{JOBS}/750K", json={**running, "state": "JobComplete"})

    bulk_adapter.settle_task_creates()

    assert [call.request.url.split("?")[0] for call in org.calls] == [JOBS, f"{JOBS}/750K", f"{JOBS}/750K"]
    assert sleep.waits == [2]


def test_a_task_insert_that_outlasts_the_timeout_stops_the_delivery_for_this_run(org, bulk_adapter):
    running = {"id": "750K", "object": "Task", "operation": "insert", "state": "UploadComplete"}
    org.add("GET", JOBS, json={"done": True, "records": [running]})
    org.add("GET", f"{JOBS}/750K", json=running)
    with pytest.raises(RetriableError, match="750K is still creating Tasks"):
        bulk_adapter.settle_task_creates()


def test_a_look_up_of_many_keys_in_an_org_without_tasks_of_ours_costs_one_call(org, adapter):
    def reply(request):
        subrequests = json_body(request)["compositeRequest"]
        empty = {"totalSize": 0, "done": True, "records": []}
        answers = [{"body": empty, "httpStatusCode": 200, "referenceId": s["referenceId"]} for s in subrequests]
        return 200, {}, json.dumps({"compositeResponse": answers})

    org.add_callback("POST", f"{API}/composite", callback=reply)

    assert adapter.find_tasks([f"k{n:04d}" for n in range(1135)]) == {}

    [call] = org.calls
    statements = [s["url"] for s in json_body(call.request)["compositeRequest"]]
    assert len(statements) == 5 and "LIMIT+1" in statements[0]


def test_tasks_go_through_one_job_on_the_sandbox_and_land_once(sandbox):
    app = sandbox.app
    app.store.add_custom_field("Task", FieldSpec("ScoreBridge_Key__c", "string", length=128, custom=True))
    leads = [app.insert("Lead", {"LastName": f"L{n}", "Company": "Acme"}) for n in range(3)]
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5))
    adapter = SalesforceAdapter(
        settings, small_mapping(write=BULK_ON), sleep=RecordedSleep(), environ=SECRETS, clock=app.clock
    )
    tasks = [_task(n, owner=None) for n in range(3)]
    tasks = [replace(task, crm_id=lead) for task, lead in zip(tasks, leads, strict=True)]
    sandbox.server.stats.reset()

    results = adapter.create_tasks(tasks)

    assert all(r.crm_task_id for r in results)
    stored = {row["ScoreBridge_Key__c"]: row for row in app.store.rows("Task")}
    assert [stored[t.idempotency_key]["Id"] for t in tasks] == [r.crm_task_id for r in results]
    assert stored[tasks[0].idempotency_key]["WhoId"] == leads[0]
    assert sandbox.server.stats.snapshot()["by_route"]["sf.bulk2.ingest.create"] == 1
