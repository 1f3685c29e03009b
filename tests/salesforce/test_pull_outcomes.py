"""The outcomes stream against a mocked org: what it asks Salesforce and in how many calls, and rows it cannot
read in full."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.outcomes import IDS_PER_QUERY
from connector.crm import Bookmark
from tests.salesforce.conftest import (
    API,
    READ_AT,
    SESSION_TOKEN,
    json_body,
    query_page,
    record,
    serve_queries,
    session_settings,
    small_mapping,
)

STAMP = "2026-11-01T12:00:00.000+0000"
SINCE = Bookmark("outcomes", datetime(2026, 11, 1, 12, 0, tzinfo=UTC), "006000000000009")


def _adapter(sleep, **pull) -> SalesforceAdapter:
    mapping = small_mapping(outcomes={}, pull={"page_size": 2000, "bulk_threshold": None} | pull)
    settings = session_settings()
    return SalesforceAdapter(
        settings, mapping, sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN}, clock=lambda: READ_AT
    )


def _opportunity(number: int, **fields) -> dict:
    values = {"StageName": "Prospecting", "IsClosed": False, "IsWon": False, "CloseDate": "2026-12-01",
              "Amount": 1000.0, "LeadSource": "Web"} | fields  # fmt: skip
    return record("Opportunity", f"006{number:012d}", STAMP, **values)


def _composites(org) -> list[list[str]]:
    """The SOQL of each Composite call's subrequests."""
    calls = [call for call in org.calls if call.request.url == f"{API}/composite"]
    return [[parse_qs(urlsplit(sub["url"]).query)["q"][0] for sub in json_body(call.request)["compositeRequest"]]
            for call in calls]  # fmt: skip


def test_a_value_it_cannot_read_is_left_empty_with_a_warning_and_the_rest_is_kept(org, sleep):
    unreadable = _opportunity(1, Amount="n/a", StageName="Closed Won", IsClosed=True, IsWon=True)
    serve_queries(org, {"Opportunity": [query_page([unreadable])], "OpportunityContactRole": [query_page([])],
                        "Lead": [query_page([])]})  # fmt: skip
    ((deal,),) = [page.records for page in _adapter(sleep).pull_outcomes(None)]
    assert deal.amount is None and deal.warnings == {"amount": "Amount: 'n/a' is not a number"}
    assert (deal.won, deal.closed, deal.closed_at) == (True, True, datetime(2026, 12, 1, tzinfo=UTC))


def test_a_role_of_an_opportunity_this_user_cannot_read_is_counted_as_skipped(org, sleep):
    role = record("OpportunityContactRole", "00K000000000001", STAMP, OpportunityId="006000000000404")
    seen = serve_queries(org, {"Opportunity": [query_page([])], "OpportunityContactRole": [query_page([role])],
                               "Lead": [query_page([])]})  # fmt: skip
    pages = list(_adapter(sleep).pull_outcomes(SINCE))
    assert [page.records for page in pages] == [[], []] and pages[0].skipped == 1
    assert ("queryAll", "SELECT Id, SystemModstamp, CreatedDate, IsDeleted, StageName, IsClosed, IsWon, CloseDate, "
            "Amount, LeadSource FROM Opportunity WHERE Id IN ('006000000000404')") in seen  # fmt: skip


def test_a_first_pull_reads_opportunities_alone_then_their_roles_and_leads_in_one_composite_call(org, sleep):
    deals = [_opportunity(number) for number in range(IDS_PER_QUERY + 500)]
    serve_queries(org, {"Opportunity": [query_page(deals)], "OpportunityContactRole": [query_page([])],
                        "Lead": [query_page([])]})  # fmt: skip
    adapter = _adapter(sleep)
    assert sum(len(page.records) for page in adapter.pull_outcomes(None)) == IDS_PER_QUERY + 500
    (look_up,) = _composites(org)
    assert [re.search(r"FROM (\w+) WHERE (\w+) IN", soql).groups() for soql in look_up] == [
        ("OpportunityContactRole", "OpportunityId"),
        ("OpportunityContactRole", "OpportunityId"),
        ("Lead", "ConvertedOpportunityId"),
        ("Lead", "ConvertedOpportunityId"),
    ]
    assert [soql.count("'006") for soql in look_up] == [IDS_PER_QUERY, 500, IDS_PER_QUERY, 500]
    assert adapter.usage().calls == 2  # the Opportunity query, then one Composite call for the look-ups


def test_an_incremental_pull_reads_opportunities_and_contact_roles_from_the_lookback_in_one_call(org, sleep):
    seen = serve_queries(org, {"Opportunity": [query_page([])], "OpportunityContactRole": [query_page([])]})
    adapter = _adapter(sleep)
    assert [page.records for page in adapter.pull_outcomes(SINCE)] == [[]]  # only the read-to-the-end page
    assert [(route, re.search(r"FROM (\w+)", soql).group(1)) for route, soql in seen] == [
        ("queryAll", "Opportunity"),
        ("queryAll", "OpportunityContactRole"),
    ]
    assert all("SystemModstamp >= 2026-11-01T11:50:00Z" in soql for _, soql in seen)
    assert adapter.usage().calls == 1


def test_a_converted_lead_is_linked_only_when_no_contact_is_read():
    from adapters.salesforce.normalize import outcome_contacts

    roles = [{"ContactId": "003B", "Role": "Decision Maker", "IsPrimary": True}]
    leads = [{"Id": "00QB", "ConvertedContactId": "003B"}]
    contacts_read = outcome_contacts(roles, leads, with_leads=False)
    leads_only = outcome_contacts(roles, leads, with_leads=True)
    assert [(c.object_type, c.crm_id) for c in contacts_read] == [("Contact", "003B")]
    people = [(c.object_type, c.crm_id, c.role, c.primary) for c in leads_only]
    assert ("Lead", "00QB", "Decision Maker", True) in people
