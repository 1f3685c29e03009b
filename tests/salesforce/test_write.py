"""Write-back through sObject Collections: chunks of 200, allOrNone false, one result per write in order."""

import json

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.write import NO_TARGETS, NOT_SENT
from connector.crm import ScoreWrite
from tests.salesforce.conftest import API, SESSION_TOKEN, json_body, session_settings, small_mapping

COLLECTIONS = f"{API}/composite/sobjects"


def _writes(count, object_type="Lead", prefix="00Q"):
    return [ScoreWrite(object_type, f"{prefix}{n:012d}", {"fit": 40.0 + n % 50, "stage": "MQL"}) for n in range(count)]


def _all_saved(request):
    records = json_body(request)["records"]
    return 200, {}, json.dumps([{"id": r["id"], "success": True, "errors": []} for r in records])


def test_450_writes_go_out_in_chunks_of_200_with_all_or_none_false(org, adapter):
    org.add_callback("PATCH", COLLECTIONS, callback=_all_saved)
    results = adapter.write_scores(_writes(450))
    bodies = [json_body(call.request) for call in org.calls]
    assert [len(body["records"]) for body in bodies] == [200, 200, 50]
    assert all(body["allOrNone"] is False for body in bodies)
    assert bodies[0]["records"][0] == {
        "attributes": {"type": "Lead"},
        "id": "00Q000000000000",
        "ScoreBridge_Fit__c": 40.0,
        "ScoreBridge_Stage__c": "MQL",
    }
    assert len(results) == 450 and all(result.ok for result in results)


def test_a_rejected_record_fails_alone_with_the_crms_error(org, adapter):
    answer = [
        {"id": "00Q000000000000", "success": True, "errors": []},
        {
            "success": False,
            "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}],
        },
        {"id": "00Q000000000002", "success": True, "errors": []},
    ]
    org.add("PATCH", COLLECTIONS, json=answer)
    results = adapter.write_scores(_writes(3))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].crm_id == "00Q000000000001"
    assert (results[1].error_code, results[1].error_message) == ("ENTITY_IS_DELETED", "entity is deleted")


def test_mixed_leads_and_contacts_share_one_call_and_are_answered_in_the_callers_order(org, adapter):
    org.add_callback("PATCH", COLLECTIONS, callback=_all_saved)
    writes = [_writes(1)[0], _writes(1, "Contact", "003")[0], _writes(2)[1]]
    results = adapter.write_scores(writes)
    [call] = org.calls
    records = json_body(call.request)["records"]
    assert [r["attributes"]["type"] for r in records] == ["Contact", "Lead", "Lead"]  # one run per type
    assert [r.crm_id for r in results] == [w.crm_id for w in writes]
    assert "ScoreBridge_Stage__c" not in records[0]  # the Contact mapping has no stage target


def test_a_chunk_refused_as_a_whole_fails_its_records_and_the_next_chunk_still_goes(org, adapter):
    org.add("PATCH", COLLECTIONS, status=400, json=[{"errorCode": "JSON_PARSER_ERROR", "message": "bad"}])
    org.add_callback("PATCH", COLLECTIONS, callback=_all_saved)
    results = adapter.write_scores(_writes(201))
    assert {r.error_code for r in results[:200]} == {"REQUEST_REFUSED"}
    assert results[200].ok


def test_writes_for_an_object_without_targets_are_reported_not_sent(org, sleep):
    mapping = small_mapping(objects={"Lead": {"fields": {}, "write_back": {"fit": "ScoreBridge_Fit__c"}}})
    adapter = SalesforceAdapter(session_settings(), mapping, sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN})
    (result,) = adapter.write_scores(_writes(1, "Contact", "003"))
    assert (result.ok, result.error_code) == (False, NO_TARGETS)
    assert len(org.calls) == 0


def test_when_retries_run_out_the_chunk_and_the_rest_are_not_sent(org, adapter, sleep):
    for _ in range(5):
        org.add("PATCH", COLLECTIONS, status=503, json=[{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}])
    results = adapter.write_scores(_writes(250))
    assert len(org.calls) == 5 and len(sleep.waits) == 4
    assert {r.error_code for r in results} == {NOT_SENT}
