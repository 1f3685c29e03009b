"""Bulk API 2.0 ingest on the Salesforce stand-in, driven through simple-salesforce's real `bulk2` client."""

from __future__ import annotations

import csv
import io

import pytest
from simple_salesforce.exceptions import SalesforceOperationError

from tests.sandbox.test_salesforce_client_fidelity import add_leads, client, inject


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_bulk2_update_changes_the_records_and_reports_per_record_results(salesforce_sandbox):
    app = salesforce_sandbox.app
    ids = add_leads(salesforce_sandbox, 4)
    app.convert_lead(ids[1])
    app.store.delete("Lead", ids[2])
    sf = client(salesforce_sandbox)
    records = [{"Id": record_id, "Title": f"VP {n}"} for n, record_id in enumerate(ids)]
    [outcome] = sf.bulk2.Lead.update(records=records, wait=0)
    assert outcome["numberRecordsProcessed"] == 4 and outcome["numberRecordsFailed"] == 2
    assert app.store.get(ids[0])["Title"] == "VP 0" and app.store.get(ids[3])["Title"] == "VP 3"
    job_id = outcome["job_id"]
    successful = rows_of(sf.bulk2.Lead.get_successful_records(job_id))
    assert {row["sf__Id"] for row in successful} == {ids[0], ids[3]}
    assert {row["sf__Created"] for row in successful} == {"false"}
    failed = {row["Id"]: row["sf__Error"] for row in rows_of(sf.bulk2.Lead.get_failed_records(job_id))}
    assert failed[ids[1]].startswith("CANNOT_UPDATE_CONVERTED_LEAD:cannot reference converted lead:")
    assert failed[ids[2]].startswith("ENTITY_IS_DELETED:entity is deleted:")
    assert rows_of(sf.bulk2.Lead.get_unprocessed_records(job_id)) == []


def test_invalid_values_and_a_missing_id_fail_their_record_only(salesforce_sandbox):
    ids = add_leads(salesforce_sandbox, 2)
    sf = client(salesforce_sandbox)
    records = [
        {"Id": ids[0], "NumberOfEmployees": "many"},
        {"Id": "", "NumberOfEmployees": "5"},
        {"Id": ids[1], "NumberOfEmployees": "12"},
    ]
    [outcome] = sf.bulk2.Lead.update(records=records, wait=0)
    assert outcome["numberRecordsFailed"] == 2
    failed = rows_of(sf.bulk2.Lead.get_failed_records(outcome["job_id"]))
    errors = sorted(row["sf__Error"].split(":")[0] for row in failed)
    assert errors == ["INVALID_TYPE_ON_FIELD_IN_RECORD", "MISSING_ARGUMENT"]
    assert salesforce_sandbox.app.store.get(ids[1])["NumberOfEmployees"] == 12


def test_a_header_naming_an_unknown_field_fails_the_job_and_leaves_every_record_unprocessed(salesforce_sandbox):
    ids = add_leads(salesforce_sandbox, 2)
    sf = client(salesforce_sandbox)
    with pytest.raises(SalesforceOperationError, match="Field name not found : Nope__c"):
        sf.bulk2.Lead.update(records=[{"Id": record_id, "Nope__c": "1"} for record_id in ids], wait=0)
    [job] = salesforce_sandbox.app.ingest._jobs.values()
    unprocessed = rows_of(sf.bulk2.Lead.get_unprocessed_records(job.job_id))
    assert [row["Id"] for row in unprocessed] == ids


def test_an_empty_cell_keeps_a_value_and_na_clears_it(salesforce_sandbox):
    [lead] = add_leads(salesforce_sandbox, 1, Title="CEO", Industry="Retail")
    sf = client(salesforce_sandbox)
    sf.bulk2.Lead.update(records=[{"Id": lead, "Title": "", "Industry": "#N/A"}], wait=0)
    stored = salesforce_sandbox.app.store.get(lead)
    assert stored["Title"] == "CEO" and stored["Industry"] is None


def test_a_job_completes_after_the_configured_polls_and_every_step_is_an_api_call(salesforce_sandbox):
    app = salesforce_sandbox.app
    app.ingest.polls_to_complete = 3
    ids = add_leads(salesforce_sandbox, 3)
    salesforce_sandbox.server.stats.reset()
    sf = client(salesforce_sandbox)
    job = sf.restful("jobs/ingest", method="POST", json={"object": "Lead", "operation": "update", "lineEnding": "LF"})
    assert job["state"] == "Open" and job["contentUrl"].endswith(f"{job['id']}/batches")
    sf.bulk2.Lead._client.upload_job_data(job["id"], "Id,Title\n" + "".join(f"{i},CTO\n" for i in ids))
    assert sf.restful(f"jobs/ingest/{job['id']}", method="PATCH", json={"state": "UploadComplete"})["state"] == (
        "UploadComplete"
    )
    states = [sf.restful(f"jobs/ingest/{job['id']}")["state"] for _ in range(3)]
    assert states == ["InProgress", "InProgress", "JobComplete"]
    assert app.store.get(ids[0])["Title"] == "CTO"
    routes = salesforce_sandbox.server.stats.snapshot()["by_route"]
    assert routes == {
        "sf.bulk2.ingest.create": 1,
        "sf.bulk2.ingest.upload": 1,
        "sf.bulk2.ingest.state": 1,
        "sf.bulk2.ingest.poll": 3,
    }
    assert sf.api_usage["api-usage"].used == 6


def test_results_before_completion_uploads_after_close_and_wrong_line_endings_are_refused(salesforce_sandbox):
    [lead] = add_leads(salesforce_sandbox, 1)
    sf = client(salesforce_sandbox)
    job = sf.restful("jobs/ingest", method="POST", json={"object": "Lead", "operation": "update", "lineEnding": "LF"})
    bulk = sf.bulk2.Lead._client
    bulk.upload_job_data(job["id"], f"Id,Title\r\n{lead},CTO\r\n")
    bulk.close_job(job["id"])
    with pytest.raises(Exception, match="INVALIDJOBSTATE"):
        bulk.get_ingest_results(job["id"], "successfulResults")
    with pytest.raises(Exception, match="INVALIDJOBSTATE"):
        bulk.upload_job_data(job["id"], f"Id,Title\n{lead},CTO\n")
    info = sf.restful(f"jobs/ingest/{job['id']}")
    assert info["state"] == "Failed" and "LineEnding is invalid" in info["errorMessage"]


def test_unknown_objects_and_operations_and_oversized_uploads_are_refused(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    with pytest.raises(Exception, match="Unable to find object: Nope"):
        sf.restful("jobs/ingest", method="POST", json={"object": "Nope", "operation": "update"})
    with pytest.raises(Exception, match="INVALIDJOB"):
        sf.restful("jobs/ingest", method="POST", json={"object": "Lead", "operation": "merge"})
    salesforce_sandbox.app.ingest.max_upload_base64_bytes = 40
    job = sf.restful("jobs/ingest", method="POST", json={"object": "Lead", "operation": "update"})
    with pytest.raises(Exception, match="150 MB"):
        sf.bulk2.Lead._client.upload_job_data(job["id"], "Id,Title\n" + "00Q000000000001AAA,CTO\n")


def test_abort_leaves_records_unprocessed_and_a_closed_job_can_be_deleted(salesforce_sandbox):
    [lead] = add_leads(salesforce_sandbox, 1, Title="CEO")
    sf = client(salesforce_sandbox)
    bulk = sf.bulk2.Lead._client
    job = bulk.create_job("update")
    bulk.upload_job_data(job["id"], f"Id,Title\n{lead},CTO\n")
    assert bulk.abort_job(job["id"], False)["state"] == "Aborted"
    assert [row["Id"] for row in rows_of(bulk.get_ingest_results(job["id"], "unprocessedrecords"))] == [lead]
    assert salesforce_sandbox.app.store.get(lead)["Title"] == "CEO"
    assert sf.restful(f"jobs/ingest/{job['id']}", method="DELETE") is None
    with pytest.raises(Exception, match="NOT_FOUND"):
        sf.restful(f"jobs/ingest/{job['id']}")


def test_the_reject_share_fault_fails_bulk_rows_with_a_lock_error(salesforce_sandbox):
    ids = add_leads(salesforce_sandbox, 4)
    inject(salesforce_sandbox, kind="reject_share", share=0.5, count=1)
    sf = client(salesforce_sandbox)
    [outcome] = sf.bulk2.Lead.update(records=[{"Id": i, "Title": "CTO"} for i in ids], wait=0)
    failed = rows_of(sf.bulk2.Lead.get_failed_records(outcome["job_id"]))
    assert [row["sf__Error"].split(":")[0] for row in failed] == ["UNABLE_TO_LOCK_ROW"] * 2


def test_bulk2_insert_creates_records_and_reports_new_ids_and_refusals(salesforce_sandbox):
    app = salesforce_sandbox.app
    [lead] = add_leads(salesforce_sandbox, 1)
    converted = add_leads(salesforce_sandbox, 1)[0]
    app.convert_lead(converted)
    sf = client(salesforce_sandbox)
    records = [{"Subject": "Call", "WhoId": lead}, {"Subject": "Call", "WhoId": converted}]
    [outcome] = sf.bulk2.Task.insert(records=records, wait=0)
    assert outcome["numberRecordsProcessed"] == 2 and outcome["numberRecordsFailed"] == 1
    [created] = rows_of(sf.bulk2.Task.get_successful_records(outcome["job_id"]))
    assert created["sf__Created"] == "true" and app.store.get(created["sf__Id"])["WhoId"] == lead
    [refused] = rows_of(sf.bulk2.Task.get_failed_records(outcome["job_id"]))
    assert refused["sf__Id"] == "" and refused["WhoId"] == converted and refused["sf__Error"]


def test_get_all_jobs_lists_the_ingest_jobs_with_their_object_operation_and_state(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    job = sf.restful("jobs/ingest", method="POST", json={"object": "Task", "operation": "insert"})
    listing = sf.restful("jobs/ingest")
    assert listing["done"] is True
    assert [(j["id"], j["object"], j["operation"], j["state"]) for j in listing["records"]] == [
        (job["id"], "Task", "insert", "Open")
    ]
