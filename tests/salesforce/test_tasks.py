"""Follow-up tasks: created once per idempotency key, looked up by key before any re-send."""

import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import requests

from adapters.salesforce.tasks import UNCONFIRMED
from connector.crm import TaskRequest
from tests.salesforce.conftest import API, json_body

COLLECTIONS = f"{API}/composite/sobjects"
QUERY = re.compile(re.escape(API) + r"/query/")


def _task(n, owner="0055e000001"):
    return TaskRequest(
        idempotency_key=f"conn:lead:00Q{n}:MQL:2026-11-01",
        object_type="Lead",
        crm_id=f"00Q{n}",
        owner_id=owner,
        subject="Follow up: reached MQL",
        description="Touchpoints: webinar attended 2026-10-20; pricing page 3 times",
        due_at=datetime(2026, 11, 2, 17, tzinfo=UTC),
    )


def _created(request):
    records = json_body(request)["records"]
    return 200, {}, json.dumps([{"id": f"00T{n}", "success": True, "errors": []} for n, _ in enumerate(records)])


def test_a_task_is_created_for_the_record_with_its_owner_due_date_and_key(org, adapter):
    org.add_callback("POST", COLLECTIONS, callback=_created)
    (result,) = adapter.create_tasks([_task(1)])
    sent = json_body(org.calls[0].request)
    assert sent["allOrNone"] is False
    assert sent["records"][0] == {
        "attributes": {"type": "Task"},
        "WhoId": "00Q1",
        "OwnerId": "0055e000001",
        "Subject": "Follow up: reached MQL",
        "Description": "Touchpoints: webinar attended 2026-10-20; pricing page 3 times",
        "ActivityDate": "2026-11-02",
        "Status": "Not Started",
        "Priority": "Normal",
        "ScoreBridge_Key__c": "conn:lead:00Q1:MQL:2026-11-01",
    }
    assert (result.crm_task_id, result.error_code) == ("00T0", None)


def test_without_an_owner_the_task_goes_to_the_api_user(org, adapter):
    org.add_callback("POST", COLLECTIONS, callback=_created)
    adapter.create_tasks([_task(1, owner=None)])
    assert "OwnerId" not in json_body(org.calls[0].request)["records"][0]


def test_find_tasks_looks_two_hundred_keys_up_in_one_composite_call(org, adapter):
    def reply(request):
        queries = json_body(request)["compositeRequest"]
        answers = []
        for query in queries:
            keys = re.findall(r"'([^']+)'", parse_qs(urlsplit(query["url"]).query)["q"][0])
            rows = [{"attributes": {"type": "Task"}, "Id": "00T" + k[-3:], "ScoreBridge_Key__c": k} for k in keys[:1]]
            body = {"totalSize": len(rows), "done": True, "records": rows}
            answers.append(
                {"body": body, "httpHeaders": {}, "httpStatusCode": 200, "referenceId": query["referenceId"]}
            )
        return 200, {}, json.dumps({"compositeResponse": answers})

    org.add_callback("POST", f"{API}/composite", callback=reply)
    keys = [f"k{n:03d}" for n in range(200)]

    found = adapter.find_tasks(keys)

    [call] = org.calls
    statements = [parse_qs(urlsplit(q["url"]).query)["q"][0] for q in json_body(call.request)["compositeRequest"]]
    assert len(statements) == 2
    assert statements[0].startswith("SELECT Id, ScoreBridge_Key__c FROM Task WHERE ScoreBridge_Key__c IN ('k000', ")
    assert found == {"k000": "00T000", "k100": "00T100"}


def test_a_create_that_timed_out_is_checked_by_key_and_only_the_missing_task_is_sent_again(org, adapter, sleep):
    org.add("POST", COLLECTIONS, body=requests.exceptions.ReadTimeout("read timed out"))
    already = {"attributes": {"type": "Task"}, "Id": "00Tlanded", "ScoreBridge_Key__c": _task(1).idempotency_key}
    org.add("GET", QUERY, json={"totalSize": 1, "done": True, "records": [already]})
    org.add_callback("POST", COLLECTIONS, callback=_created)

    results = adapter.create_tasks([_task(1), _task(2)])

    resent = json_body(org.calls[2].request)["records"]
    assert [r["WhoId"] for r in resent] == ["00Q2"]
    assert [r.crm_task_id for r in results] == ["00Tlanded", "00T0"]
    assert len(sleep.waits) == 1


def test_tasks_whose_fate_is_unknown_after_all_retries_are_reported_unconfirmed(org, adapter):
    for _ in range(5):
        org.add("POST", COLLECTIONS, body=requests.exceptions.ConnectionError("reset by peer"))
        org.add("GET", QUERY, json={"totalSize": 0, "done": True, "records": []})
    results = adapter.create_tasks([_task(1)])
    assert results[0].error_code == UNCONFIRMED and results[0].crm_task_id is None
    assert sum(call.request.method == "POST" for call in org.calls) == 5
