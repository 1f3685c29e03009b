"""Incremental pulls against a mocked org: queries, order, paging, bookmarks, deletions, Bulk API 2.0 backfills."""

from datetime import UTC, datetime

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from connector.crm import Bookmark, Page
from connector.errors import FatalCrmError
from tests.salesforce.conftest import (
    API,
    INSTANCE,
    READ_AT,
    SESSION_TOKEN,
    json_body,
    query_page,
    record,
    serve_queries,
    session_settings,
    small_mapping,
)

EMPTY = query_page([])
SINCE = Bookmark("contacts", datetime(2026, 11, 1, 12, 0, tzinfo=UTC), "00Q000000000009")
#: Where a quiet read that began at READ_AT leaves the contacts stream: the whole second it began.
READ_BEGAN = Bookmark("contacts", datetime(2026, 11, 1, 13, 0, tzinfo=UTC))


def _records(pages):
    return [record for page in pages for record in page.records]


def test_an_incremental_pull_reads_each_object_with_queryall_from_the_lookback(org, adapter):
    seen = serve_queries(org, {"Lead": [query_page([])], "Contact": [query_page([])]})
    assert _records(adapter.pull_contacts(SINCE)) == []
    endpoints = {endpoint for endpoint, _ in seen}
    assert endpoints == {"queryAll"}
    lead_query = next(statement for _, statement in seen if " FROM Lead" in statement)
    assert "WHERE SystemModstamp >= 2026-11-01T11:50:00Z ORDER BY SystemModstamp, Id" in lead_query
    assert "IsConverted" in lead_query and "IsConverted = false" not in lead_query
    contact_query = next(statement for _, statement in seen if " FROM Contact" in statement)
    assert "Account.Industry" in contact_query


def test_leads_and_contacts_merge_in_stamp_order_and_each_page_carries_its_bookmark(org, sleep):
    mapping = small_mapping(pull={"page_size": 200})
    adapter = SalesforceAdapter(
        session_settings(), mapping, sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN}, clock=lambda: READ_AT
    )
    leads = [
        record("Lead", f"00Q{n:012d}", f"2026-11-01T12:{n // 60:02d}:{n % 60:02d}.000+0000") for n in range(0, 300, 2)
    ]
    contacts = [
        record("Contact", f"003{n:012d}", f"2026-11-01T12:{n // 60:02d}:{n % 60:02d}.000+0000")
        for n in range(1, 300, 2)
    ]
    serve_queries(
        org,
        {
            "Lead": [query_page(leads[:100], "/services/data/v59.0/query/Lead-1"), query_page(leads[100:])],
            "Contact": [query_page(contacts)],
        },
    )
    pages = list(adapter.pull_contacts(SINCE))
    assert [len(page.records) for page in pages] == [200, 100, 0]  # the last one only moves the bookmark on
    stamps = [r.modified_at for page in pages for r in page.records]
    assert stamps == sorted(stamps)
    assert pages[0].bookmark == Bookmark("contacts", pages[0].records[-1].modified_at, pages[0].records[-1].crm_id)
    assert pages[1].bookmark.last_id == "003000000000299"


def test_deleted_rows_arrive_flagged_in_the_same_query(org, adapter):
    gone = record("Lead", "00Q1", "2026-11-01T12:05:00.000+0000", IsDeleted=True)
    serve_queries(org, {"Lead": [query_page([gone])], "Contact": [query_page([])]})
    page = next(iter(adapter.pull_contacts(SINCE)))
    assert page.records[0].deleted is True


def test_the_first_sync_reads_unconverted_leads_only_with_rest_below_the_bulk_threshold(org, adapter):
    seen = serve_queries(org, {"Lead": [query_page([])], "Contact": [query_page([])]}, counts={"Lead": 12})
    assert list(adapter.pull_contacts(None)) == []
    lead_query = next(
        statement for endpoint, statement in seen if " FROM Lead" in statement and "COUNT" not in statement
    )
    assert "IsConverted = false" in lead_query
    assert "SystemModstamp >=" not in lead_query
    assert all(endpoint == "query" for endpoint, _ in seen)


def test_activity_rules_become_one_filtered_query_per_object(org, adapter):
    seen = serve_queries(org, {"Task": [query_page([])]})
    list(adapter.pull_activities(Bookmark("activities", SINCE.modified_at)))
    (statement,) = [statement for _, statement in seen]
    assert "FROM Task WHERE ((TaskSubtype = 'Call') OR (Subject LIKE 'Email Opened%'))" in statement


def test_rows_naming_no_lead_or_contact_are_counted_as_skipped(org, adapter):
    tasks = [
        record("Task", "00T1", "2026-11-01T12:00:00.000+0000", TaskSubtype="Call", WhoId="00Q1"),
        record("Task", "00T2", "2026-11-01T12:00:01.000+0000", TaskSubtype="Call", WhoId=None),
    ]
    serve_queries(org, {"Task": [query_page(tasks)]})
    page = next(iter(adapter.pull_activities(Bookmark("activities", SINCE.modified_at))))
    assert [a.source_id for a in page.records] == ["00T1"] and page.skipped == 1
    assert page.bookmark.last_id == "00T2"


# -- where a read leaves the bookmark ------------------------------------------------------------------------------


def test_a_quiet_incremental_read_moves_the_bookmark_to_the_whole_second_the_read_began(org, adapter):
    serve_queries(org, {"Lead": [query_page([])], "Contact": [query_page([])]})
    assert list(adapter.pull_contacts(SINCE)) == [Page(records=[], bookmark=READ_BEGAN)]


def test_the_read_after_a_quiet_one_still_covers_the_lookback_before_the_quiet_read_began(org, adapter):
    seen = serve_queries(org, {"Lead": [query_page([])], "Contact": [query_page([])]})
    anchor = [page.bookmark for page in adapter.pull_contacts(SINCE)][-1]
    list(adapter.pull_contacts(anchor))
    lead_query = [statement for _, statement in seen if " FROM Lead" in statement][-1]
    # a lead saved at 12:59:59 that committed after the quiet read began is still read
    assert "WHERE SystemModstamp >= 2026-11-01T12:50:00Z ORDER BY" in lead_query


@pytest.mark.parametrize("stamp", ["2026-11-01T13:00:00.000+0000", "2026-11-01T13:00:05.000+0000"])
def test_a_row_stamped_as_or_after_the_read_began_keeps_its_own_bookmark(org, adapter, stamp):
    lead = record("Lead", "00Q7", stamp)  # the org's clock a little ahead of ours: no anchor may pass the row
    serve_queries(org, {"Lead": [query_page([lead])], "Contact": [query_page([])]})
    pages = list(adapter.pull_contacts(SINCE))
    assert [page.bookmark for page in pages] == [Bookmark("contacts", datetime.fromisoformat(stamp), "00Q7")]


def test_a_read_that_fails_before_its_end_commits_no_bookmark(org, adapter):
    lead = record("Lead", "00Q7", "2026-11-01T12:30:00.000+0000")
    serve_queries(org, {"Lead": [query_page([lead], "/services/data/v59.0/query/01gLost-200")], "Contact": [EMPTY]})
    refused = [{"errorCode": "INVALID_QUERY_LOCATOR", "message": "invalid query locator"}]
    org.add("GET", f"{INSTANCE}/services/data/v59.0/query/01gLost-200", json=refused, status=400)
    pages = []
    with pytest.raises(FatalCrmError, match="INVALID_QUERY_LOCATOR"):
        pages.extend(adapter.pull_contacts(SINCE))
    assert pages == []


def test_a_first_sync_keeps_the_bookmark_of_its_last_row(org, adapter):
    lead = record("Lead", "00Q7", "2026-11-01T12:30:00.000+0000")
    serve_queries(org, {"Lead": [query_page([lead])], "Contact": [EMPTY]}, counts={"Lead": 1})
    pages = list(adapter.pull_contacts(None))
    assert [page.bookmark for page in pages] == [
        Bookmark("contacts", datetime(2026, 11, 1, 12, 30, tzinfo=UTC), "00Q7")
    ]


def test_without_a_lookback_a_quiet_read_leaves_the_bookmark_where_it_was(org, sleep):
    mapping = small_mapping(pull={"lookback_seconds": 0})
    adapter = SalesforceAdapter(
        session_settings(), mapping, sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN}, clock=lambda: READ_AT
    )
    serve_queries(org, {"Lead": [query_page([])], "Contact": [query_page([])]})
    assert list(adapter.pull_contacts(SINCE)) == []


BULK_CSV_PAGE_1 = (
    '"Id","SystemModstamp","CreatedDate","IsDeleted","Email","NumberOfEmployees","Industry","IsConverted","ConvertedContactId"\n'
    '"00Q2","2026-10-02T00:00:00.000+0000","2026-10-01T00:00:00.000+0000","false","b@x.io","12","Software","false",""\n'
)
BULK_CSV_PAGE_2 = (
    '"Id","SystemModstamp","CreatedDate","IsDeleted","Email","NumberOfEmployees","Industry","IsConverted","ConvertedContactId"\n'
    '"00Q1","2026-10-05T00:00:00.000+0000","2026-10-01T00:00:00.000+0000","false","a@x.io","n/a","","false",""\n'
)


def test_a_large_first_sync_uses_bulk_api_2_and_commits_its_bookmark_after_the_last_page(org, sleep):
    adapter = SalesforceAdapter(
        session_settings(),
        small_mapping(objects={"Lead": {"fields": {"email": "Email", "employees": "NumberOfEmployees"}}}),
        sleep=sleep,
        environ={"SF_SESSION": SESSION_TOKEN},
    )
    serve_queries(org, {}, counts={"Lead": 5000})
    org.add("POST", f"{API}/jobs/query", json={"id": "750R0000000z1", "state": "UploadComplete"})
    org.add("GET", f"{API}/jobs/query/750R0000000z1", json={"id": "750R0000000z1", "state": "InProgress"})
    org.add("GET", f"{API}/jobs/query/750R0000000z1", json={"id": "750R0000000z1", "state": "JobComplete"})
    results = f"{API}/jobs/query/750R0000000z1/results"
    org.add("GET", results, body=BULK_CSV_PAGE_1, headers={"Sforce-Locator": "MTAwMDA", "Sforce-NumberOfRecords": "1"})
    org.add("GET", results, body=BULK_CSV_PAGE_2, headers={"Sforce-Locator": "null", "Sforce-NumberOfRecords": "1"})

    pages = list(adapter.pull_contacts(None))

    job = json_body(next(call.request for call in org.calls if call.request.url.endswith("/jobs/query")))
    assert job["operation"] == "query" and "IsConverted = false" in job["query"]
    assert [page.bookmark for page in pages[:-1]] == [None]
    assert [r.crm_id for page in pages for r in page.records] == ["00Q2", "00Q1"]
    assert pages[-1].bookmark == Bookmark("contacts", datetime(2026, 10, 5, tzinfo=UTC), "00Q1")
    assert pages[0].records[1].warnings["employees"].startswith("NumberOfEmployees")
    assert sleep.waits == [5, 5]  # polled twice, waiting as configured, never really sleeping
    second_results_call = [c.request.url for c in org.calls if "/results" in c.request.url][1]
    assert "locator=MTAwMDA" in second_results_call


def test_the_count_call_of_a_first_sync_carries_the_counts_of_later_streams(org, adapter):
    seen = serve_queries(org, {"Lead": [EMPTY], "Contact": [EMPTY], "Task": [EMPTY]}, counts={"Lead": 10})
    list(adapter.pull_contacts(None))
    list(adapter.pull_activities(None))
    counted = [statement.split(" FROM ")[1].split(" ")[0] for _, statement in seen if "COUNT()" in statement]
    assert counted == ["Lead", "Contact", "Task"]  # asked once, in the contacts stream's one Composite call
    count_calls = [c for c in org.calls if c.request.method == "POST" and "COUNT" in c.request.body.decode()]
    assert len(count_calls) == 1
