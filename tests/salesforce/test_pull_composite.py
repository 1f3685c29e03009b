"""Pulls through the Composite resource against a mocked org: the first page of every object of a stream in one
call, only unfinished objects paging on, subrequest errors mapped as direct calls are, five queries per call."""

import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.composite import Query, first_pages
from adapters.salesforce.mapping import PullOptions
from adapters.salesforce.pull import StreamObject, StreamReader
from connector.crm import Bookmark
from connector.errors import AuthError, FatalCrmError
from tests.salesforce.conftest import API, READ_AT, SESSION_TOKEN, json_body, query_page, record, session_settings

COMPOSITE = f"{API}/composite"
SINCE = Bookmark("contacts", datetime(2026, 11, 1, 12, 0, tzinfo=UTC), "00Q000000000009")
EMPTY = query_page([])


def _ok(body, reference_id):
    return {"body": body, "httpHeaders": {}, "httpStatusCode": 200, "referenceId": reference_id}


def _failed(status, code, message, reference_id):
    return {
        "body": [{"message": message, "errorCode": code}],
        "httpHeaders": {},
        "httpStatusCode": status,
        "referenceId": reference_id,
    }


def _answer(org, *entries):
    org.add("POST", COMPOSITE, json={"compositeResponse": list(entries)})


def _subrequests(org):
    return [json_body(call.request)["compositeRequest"] for call in org.calls if call.request.url == COMPOSITE]


def _soql(subrequest):
    return parse_qs(urlsplit(subrequest["url"]).query)["q"][0]


def _stamp(second):
    return f"2026-11-01T12:00:{second:02d}.000+0000"


def _reader(sleep, **options):
    client = SalesforceClient(session_settings(), sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN})
    options = {"page_size": 200, "bulk_threshold": None} | options
    return client, StreamReader(client, PullOptions(**options), now=lambda: READ_AT)


def _records(pages):
    return [record for page in pages for record in page.records]


def _objects(*names):
    return [StreamObject(name, ("Id", "SystemModstamp"), lambda row: row["Id"]) for name in names]


def test_a_no_change_pull_of_leads_and_contacts_is_one_composite_call_of_two_queryall_subrequests(org, adapter):
    _answer(org, _ok(EMPTY, "q0"), _ok(EMPTY, "q1"))
    assert _records(adapter.pull_contacts(SINCE)) == []
    (subrequests,) = _subrequests(org)
    assert [sub["method"] for sub in subrequests] == ["GET", "GET"]
    assert all(sub["url"].startswith("/services/data/v59.0/queryAll/?q=SELECT+") for sub in subrequests)
    assert [re.search(r" FROM (\w+)", _soql(sub)).group(1) for sub in subrequests] == ["Lead", "Contact"]
    assert "SystemModstamp >= 2026-11-01T11:50:00Z" in _soql(subrequests[0])
    assert subrequests[0]["httpHeaders"] == {"Sforce-Query-Options": "batchSize=200"}
    assert json_body(org.calls[0].request)["allOrNone"] is False
    assert adapter.usage().calls == 1


def test_only_the_object_whose_first_page_is_not_done_pages_on_and_the_merge_keeps_stamp_order(org, adapter):
    leads = [record("Lead", f"00Q{n:012d}", _stamp(n)) for n in range(0, 6, 2)]
    contacts = [record("Contact", f"003{n:012d}", _stamp(n)) for n in range(1, 6, 2)]
    more = "/services/data/v59.0/queryAll/01gR0000000abcd-2"
    _answer(org, _ok(query_page(leads[:2], more) | {"totalSize": 3}, "q0"), _ok(query_page(contacts), "q1"))
    org.add("GET", f"https://acme.my.salesforce.com{more}", json=query_page(leads[2:]))

    page, read_to_the_end = list(adapter.pull_contacts(SINCE))

    assert read_to_the_end.records == []
    assert [r.crm_id for r in page.records] == sorted([r["Id"] for r in leads + contacts], key=lambda i: i[-1])
    assert [r.modified_at for r in page.records] == sorted(r.modified_at for r in page.records)
    assert page.bookmark == Bookmark("contacts", datetime(2026, 11, 1, 12, 0, 5, tzinfo=UTC), "003000000000005")
    assert [call.request.method for call in org.calls] == ["POST", "GET"]
    assert org.calls[1].request.headers["Sforce-Query-Options"] == "batchSize=200"
    assert adapter.usage().calls == 2


def test_a_subrequest_refused_for_a_bad_field_fails_as_a_direct_query_would_without_retrying(org, adapter, sleep):
    _answer(
        org,
        _failed(400, "INVALID_FIELD", "No such column 'Industry' on entity 'Lead'.", "q0"),
        _ok(EMPTY, "q1"),
    )
    with pytest.raises(FatalCrmError) as failed:
        list(adapter.pull_contacts(SINCE))
    assert "HTTP 400 INVALID_FIELD: No such column 'Industry'" in str(failed.value)
    assert "scorebridge validate --config connector.yaml --online" in str(failed.value)
    assert "query of Lead" in str(failed.value)
    assert sleep.waits == [] and len(org.calls) == 1


def test_a_subrequest_answering_server_unavailable_retries_the_whole_composite_call(org, adapter, sleep):
    _answer(org, _ok(EMPTY, "q0"), _failed(503, "SERVER_UNAVAILABLE", "try again later", "q1"))
    _answer(org, _ok(EMPTY, "q0"), _ok(EMPTY, "q1"))
    assert _records(adapter.pull_contacts(SINCE)) == []
    assert len(sleep.waits) == 1 and adapter.usage().calls == 2


def test_a_subrequest_answering_invalid_session_is_an_expired_session(org, adapter):
    _answer(org, _failed(401, "INVALID_SESSION_ID", "Session expired or invalid", "q0"), _ok(EMPTY, "q1"))
    with pytest.raises(AuthError, match="cannot renew"):
        list(adapter.pull_contacts(SINCE))


def test_a_composite_request_refused_as_a_whole_fails_with_salesforce_s_error(org, adapter):
    refused = _failed(400, "LIMIT_EXCEEDED", "The request can’t contain more than 25 operations.", None)
    _answer(org, refused)
    with pytest.raises(FatalCrmError, match="LIMIT_EXCEEDED"):
        list(adapter.pull_contacts(SINCE))


def test_seven_objects_take_two_composite_calls_of_five_and_two_queries(org, sleep):
    names = [f"Obj{n}__c" for n in range(7)]
    _answer(org, *(_ok(EMPTY, f"q{n}") for n in range(5)))
    _answer(org, *(_ok(EMPTY, f"q{n}") for n in range(2)))
    client, reader = _reader(sleep)
    assert _records(reader.pages("things", _objects(*names), SINCE)) == []
    first, second = _subrequests(org)
    assert [len(first), len(second)] == [5, 2]
    assert [re.search(r" FROM (\w+)", _soql(sub)).group(1) for sub in first + second] == names
    assert client.usage().calls == 2


def test_a_lone_object_is_queried_directly_without_the_composite_envelope(org, sleep):
    org.add("GET", re.compile(re.escape(API) + r"/queryAll/"), json=EMPTY)
    client, reader = _reader(sleep)
    assert _records(reader.pages("activities", _objects("Task"), SINCE)) == []
    assert [call.request.method for call in org.calls] == ["GET"] and client.usage().calls == 1


def test_a_first_sync_counts_every_object_in_one_composite_call_before_reading(org, sleep):
    counts = [{"totalSize": n, "done": True, "records": []} for n in (12, 30)]
    _answer(org, _ok(counts[0], "q0"), _ok(counts[1], "q1"))
    _answer(org, _ok(EMPTY, "q0"), _ok(EMPTY, "q1"))
    client, reader = _reader(sleep, bulk_threshold=1000)
    assert list(reader.pages("contacts", _objects("Lead", "Contact"), None)) == []
    count_calls, read_calls = _subrequests(org)
    assert [_soql(sub) for sub in count_calls] == ["SELECT COUNT() FROM Lead", "SELECT COUNT() FROM Contact"]
    assert all(sub["url"].startswith("/services/data/v59.0/query/") for sub in count_calls + read_calls)
    assert client.usage().calls == 2


def test_subrequest_bodies_are_matched_by_reference_id_not_by_position(org, sleep):
    lead = record("Lead", "00Q1", _stamp(1))
    contact = record("Contact", "0031", _stamp(2))
    _answer(org, _ok(query_page([contact]), "q1"), _ok(query_page([lead]), "q0"))
    _, reader = _reader(sleep)
    objects = [StreamObject(name, ("Id",), lambda row, name=name: (name, row["Id"])) for name in ("Lead", "Contact")]
    assert _records(reader.pages("contacts", objects, SINCE)) == [("Lead", "00Q1"), ("Contact", "0031")]


def test_the_composite_payload_is_valid_json_with_url_encoded_soql(org, adapter):
    _answer(org, _ok(EMPTY, "q0"), _ok(EMPTY, "q1"))
    list(adapter.pull_contacts(SINCE))
    body = json.loads(org.calls[0].request.body)
    assert {sub["referenceId"] for sub in body["compositeRequest"]} == {"q0", "q1"}
    assert all(" " not in sub["url"] for sub in body["compositeRequest"])


def test_a_query_too_long_for_a_url_goes_alone_in_a_composite_body_and_a_short_one_directly(org, sleep):
    client = SalesforceClient(session_settings(), sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN})
    ids = ", ".join(f"'006{number:015d}'" for number in range(400))  # 9,200 characters: a 414 as a URL
    _answer(org, _ok(EMPTY, "q0"))
    org.add("GET", re.compile(re.escape(API) + r"/query/.*"), json=EMPTY)
    first_pages(client, [Query(f"SELECT Id FROM Opportunity WHERE Id IN ({ids})", "look-up")])
    first_pages(client, [Query("SELECT Id FROM Opportunity WHERE Id IN ('006000000000000001')", "look-up")])
    assert [call.request.method for call in org.calls] == ["POST", "GET"]
    assert len(_subrequests(org)) == 1
