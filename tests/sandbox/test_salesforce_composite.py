"""The sandbox's Composite resource (`POST composite`) driven through simple-salesforce: subrequests answered by the
org's own handlers, one API call for the whole series, Salesforce's limits of 25 subrequests and 5 queries."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceMalformedRequest

API = "/services/data/v59.0"


def client(sandbox) -> Salesforce:
    return Salesforce(instance_url=sandbox.instance_url, session_id=sandbox.token, session=sandbox.session())


def query(reference_id: str, soql: str, *, route: str = "query", headers: dict | None = None) -> dict:
    sub = {"method": "GET", "url": f"{API}/{route}/?q={quote_plus(soql)}", "referenceId": reference_id}
    return sub | ({"httpHeaders": headers} if headers else {})


def composite(sf: Salesforce, subrequests: list[dict], *, all_or_none: bool = False) -> dict[str, dict]:
    answer = sf.restful("composite", method="POST", json={"allOrNone": all_or_none, "compositeRequest": subrequests})
    return {entry["referenceId"]: entry for entry in answer["compositeResponse"]}


def add_leads(sandbox, count: int, **fields) -> list[str]:
    return [
        sandbox.app.insert("Lead", {"LastName": f"Lead {n:05d}", "Company": "Acme", **fields}) for n in range(count)
    ]


def test_each_subrequest_answers_as_its_direct_call_would_under_its_reference_id(salesforce_sandbox):
    add_leads(salesforce_sandbox, 3)
    salesforce_sandbox.app.insert("Contact", {"LastName": "Ng"})
    sf = client(salesforce_sandbox)
    lead_soql, contact_soql = "SELECT Id, LastName FROM Lead ORDER BY LastName", "SELECT Id FROM Contact"
    answers = composite(sf, [query("lead", lead_soql), query("contact", contact_soql, route="queryAll")])
    assert list(answers) == ["lead", "contact"]
    assert answers["lead"]["httpStatusCode"] == 200 and answers["lead"]["httpHeaders"] == {}
    assert answers["lead"]["body"] == sf.query(lead_soql)
    assert answers["contact"]["body"] == sf.query_all(contact_soql)


def test_the_whole_series_counts_as_one_api_call_in_the_counter_and_sforce_limit_info(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    used_before = salesforce_sandbox.app.api_counter.used
    composite(sf, [query(f"q{n}", "SELECT Id FROM Lead") for n in range(5)])
    assert salesforce_sandbox.app.api_counter.used == used_before + 1
    assert sf.api_usage["api-usage"].used == used_before + 1
    routes = salesforce_sandbox.server.stats.snapshot()["by_route"]
    assert routes == {"sf.composite": 1}


def test_a_subrequest_batch_size_header_pages_and_its_next_records_url_continues_outside(salesforce_sandbox):
    add_leads(salesforce_sandbox, 450)
    sf = client(salesforce_sandbox)
    soql = "SELECT Id, LastName FROM Lead ORDER BY LastName"
    first = composite(sf, [query("lead", soql, headers={"Sforce-Query-Options": "batchSize=200"})])["lead"]["body"]
    assert first["done"] is False and len(first["records"]) == 200 and first["totalSize"] == 450
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["records"][0]["LastName"] == "Lead 00200"


def test_a_failing_subrequest_carries_its_own_status_and_error_list_and_the_others_still_run(salesforce_sandbox):
    add_leads(salesforce_sandbox, 2)
    sf = client(salesforce_sandbox)
    answers = composite(sf, [query("bad", "SELECT Nope__c FROM Lead"), query("good", "SELECT Id FROM Lead")])
    assert answers["bad"]["httpStatusCode"] == 400
    (error,) = answers["bad"]["body"]
    assert error["errorCode"] == "INVALID_FIELD" and "Nope__c" in error["message"]
    assert answers["good"]["httpStatusCode"] == 200 and answers["good"]["body"]["totalSize"] == 2


def test_an_unknown_resource_in_a_subrequest_is_its_own_404(salesforce_sandbox):
    answers = composite(client(salesforce_sandbox), [{"method": "GET", "url": f"{API}/nowhere", "referenceId": "x"}])
    assert answers["x"]["httpStatusCode"] == 404 and answers["x"]["body"][0]["errorCode"] == "NOT_FOUND"


def test_more_than_twenty_five_subrequests_is_refused_whole_with_limit_exceeded(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    lead_id = add_leads(salesforce_sandbox, 1)[0]
    reads = [{"method": "GET", "url": f"{API}/sobjects/Lead/{lead_id}", "referenceId": f"r{n}"} for n in range(26)]
    used_before = salesforce_sandbox.app.api_counter.used
    with pytest.raises(SalesforceMalformedRequest) as refused:
        composite(sf, reads)
    assert refused.value.status == 400 and refused.value.content[0]["errorCode"] == "LIMIT_EXCEEDED"
    assert salesforce_sandbox.app.api_counter.used == used_before + 1  # the sandbox counts every refused call
    assert len(composite(sf, reads[:25])) == 25


def test_more_than_five_query_operations_is_refused_whole_with_limit_exceeded(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        composite(sf, [query(f"q{n}", "SELECT Id FROM Lead", route="queryAll") for n in range(6)])
    assert refused.value.content[0]["errorCode"] == "LIMIT_EXCEEDED"
    assert "5 query" in refused.value.content[0]["message"]


def test_a_later_subrequest_reads_an_earlier_result_through_a_reference(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    created = {"method": "POST", "url": f"{API}/sobjects/Lead", "referenceId": "newLead"}
    created["body"] = {"LastName": "Ada", "Company": "Acme"}
    read = {"method": "GET", "url": f"{API}/sobjects/Lead/@{{newLead.id}}?fields=LastName", "referenceId": "readLead"}
    answers = composite(sf, [created, read])
    assert answers["newLead"]["httpStatusCode"] == 201
    assert answers["readLead"]["body"]["LastName"] == "Ada"


def test_all_or_none_rolls_back_the_writes_when_a_subrequest_fails(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    good = {"method": "POST", "url": f"{API}/sobjects/Lead", "referenceId": "good"}
    good["body"] = {"LastName": "Ada", "Company": "Acme"}
    bad = {"method": "POST", "url": f"{API}/sobjects/Lead", "referenceId": "bad", "body": {"Company": "No name"}}
    answers = composite(sf, [good, bad], all_or_none=True)
    assert answers["bad"]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert answers["good"]["httpStatusCode"] == 400
    assert answers["good"]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0


def test_an_expired_session_refuses_the_whole_composite_request(salesforce_sandbox, sf_clock):
    sf = client(salesforce_sandbox)
    sf_clock.advance(minutes=31)
    with pytest.raises(SalesforceExpiredSession) as refused:
        composite(sf, [query("lead", "SELECT Id FROM Lead")])
    assert refused.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
