"""Salesforce sandbox details below the client library: raw paths, headers, cursors, jobs and concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest


def api(sandbox, method: str, path: str, **kwargs):
    headers = {"Authorization": f"Bearer {sandbox.token}", **kwargs.pop("headers", {})}
    return sandbox.session().request(
        method, f"{sandbox.instance_url}/services/data/v59.0/{path}", headers=headers, timeout=10, **kwargs
    )


def test_query_works_with_and_without_the_trailing_slash(salesforce_sandbox):
    salesforce_sandbox.app.insert("Lead", {"LastName": "Ng", "Company": "Acme"})
    for path in ("query", "query/"):
        assert api(salesforce_sandbox, "GET", path, params={"q": "SELECT Id FROM Lead"}).json()["totalSize"] == 1


def test_query_all_pages_keep_deleted_rows(salesforce_sandbox):
    app = salesforce_sandbox.app
    ids = [app.insert("Lead", {"LastName": f"L{n}", "Company": "Acme"}) for n in range(250)]
    app.store.delete("Lead", ids[-1])
    first = api(
        salesforce_sandbox,
        "GET",
        "queryAll",
        params={"q": "SELECT Id, IsDeleted FROM Lead"},
        headers={"Sforce-Query-Options": "batchSize=200"},
    ).json()
    assert first["totalSize"] == 250 and len(first["records"]) == 200
    more = (
        salesforce_sandbox.session()
        .get(
            salesforce_sandbox.instance_url + first["nextRecordsUrl"],
            headers={"Authorization": f"Bearer {salesforce_sandbox.token}"},
        )
        .json()
    )
    assert more["done"] is True and more["records"][-1]["IsDeleted"] is True


def test_batch_size_below_two_hundred_is_raised_to_two_hundred(salesforce_sandbox):
    for n in range(201):
        salesforce_sandbox.app.insert("Lead", {"LastName": f"L{n}", "Company": "Acme"})
    page = api(
        salesforce_sandbox,
        "GET",
        "query",
        params={"q": "SELECT Id FROM Lead"},
        headers={"Sforce-Query-Options": "batchSize=10"},
    ).json()
    assert len(page["records"]) == 200


def test_unknown_query_locator_is_invalid_query_locator(salesforce_sandbox):
    answer = api(salesforce_sandbox, "GET", "query/01g5g0000000zzzAAA-2000")
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_every_api_response_reports_usage_with_api_usage_first(salesforce_sandbox):
    answer = api(salesforce_sandbox, "GET", "sobjects")
    assert answer.headers["Sforce-Limit-Info"] == "api-usage=1/100000"
    assert {"Lead", "CampaignMember", "Opportunity"} <= {obj["name"] for obj in answer.json()["sobjects"]}


def test_unknown_paths_answer_a_salesforce_not_found_list(salesforce_sandbox):
    answer = api(salesforce_sandbox, "GET", "nothing/here")
    assert answer.status_code == 404 and answer.json()[0]["errorCode"] == "NOT_FOUND"


def test_collections_retrieve_returns_records_in_the_order_asked_and_null_for_unknown_ids(salesforce_sandbox):
    app = salesforce_sandbox.app
    first, second = (app.insert("Lead", {"LastName": name, "Company": "Acme"}) for name in ("A", "B"))
    missing = "00Q5g000000zzzzAAA"
    answer = api(
        salesforce_sandbox,
        "GET",
        "composite/sobjects/Lead",
        params={"ids": f"{second},{missing},{first}", "fields": "LastName"},
    ).json()
    assert [row and row["LastName"] for row in answer] == ["B", None, "A"]


def test_bulk_results_before_the_job_is_polled_complete_are_412(salesforce_sandbox):
    job = api(salesforce_sandbox, "POST", "jobs/query", json={"operation": "query", "query": "SELECT Id FROM Lead"})
    assert job.json()["state"] == "UploadComplete"
    early = api(salesforce_sandbox, "GET", f"jobs/query/{job.json()['id']}/results")
    assert early.status_code == 412
    assert api(salesforce_sandbox, "GET", f"jobs/query/{job.json()['id']}").json()["state"] == "JobComplete"
    results = api(salesforce_sandbox, "GET", f"jobs/query/{job.json()['id']}/results")
    assert results.headers["Sforce-NumberOfRecords"] == "0" and results.headers["Sforce-Locator"] == "null"
    assert results.text == '"Id"\n'


def test_bulk_job_with_a_bad_query_is_refused_at_creation(salesforce_sandbox):
    answer = api(
        salesforce_sandbox, "POST", "jobs/query", json={"operation": "query", "query": "SELECT Nope FROM Lead"}
    )
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_FIELD"


def test_concurrent_collection_creates_and_queries_lose_nothing(salesforce_sandbox):
    def create_batch(batch: int) -> int:
        records = [{"attributes": {"type": "Lead"}, "LastName": f"B{batch}-{n}", "Company": "Acme"} for n in range(25)]
        results = api(salesforce_sandbox, "POST", "composite/sobjects", json={"records": records}).json()
        api(salesforce_sandbox, "GET", "query", params={"q": "SELECT Id, Name FROM Lead ORDER BY Name"})
        return sum(result["success"] for result in results)

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = sum(pool.map(create_batch, range(16)))
    count = api(salesforce_sandbox, "GET", "query", params={"q": "SELECT COUNT() FROM Lead"}).json()["totalSize"]
    assert created == count == 400


@pytest.mark.parametrize("body", [{"records": "x"}, {"records": [{"LastName": "no type"}]}, ["not", "an", "object"]])
def test_malformed_collection_requests_are_400(salesforce_sandbox, body):
    assert api(salesforce_sandbox, "POST", "composite/sobjects", json=body).status_code == 400


def test_custom_field_on_activity_appears_on_task_and_event(salesforce_sandbox):
    body = {"FullName": "Activity.ScoreBridge_Key__c", "Metadata": {"type": "Text", "label": "Key", "length": 128}}
    assert api(salesforce_sandbox, "POST", "tooling/sobjects/CustomField/", json=body).status_code == 201
    for object_name in ("Task", "Event"):
        fields = api(salesforce_sandbox, "GET", f"sobjects/{object_name}/describe").json()["fields"]
        assert {"name": "ScoreBridge_Key__c", "length": 128} in [
            {"name": field["name"], "length": field["length"]} for field in fields
        ]
    again = api(salesforce_sandbox, "POST", "tooling/sobjects/CustomField/", json=body)
    assert again.status_code == 400 and again.json()[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"


def test_the_older_oauth_authorization_scheme_is_accepted(salesforce_sandbox):
    answer = api(salesforce_sandbox, "GET", "limits", headers={"Authorization": f"OAuth {salesforce_sandbox.token}"})
    assert answer.status_code == 200
