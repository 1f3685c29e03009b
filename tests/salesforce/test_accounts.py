"""Accounts on a mocked org (`responses`): the mapping's `accounts` section, the accounts stream (deleted and
merged accounts, the Website as a bare domain), the links of contacts and converted leads, account write-back,
`setup` and `check` of the Account fields, and tasks on an Account."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.salesforce.accounts import web_domain
from adapters.salesforce.adapter import SalesforceAdapter
from connector.crm import AccountLink, Bookmark, ScoreWrite, TaskRequest
from connector.errors import ConfigError
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
from tests.salesforce.test_schema_setup import TOOLING_FIELDS, _describe, _field

ACCOUNTS = {
    "fields": {
        "name": "Name",
        "domain": "Website",
        "employees": "NumberOfEmployees",
        "is_customer": {"field": "Type", "values": {"Customer - Direct": True}, "default": False},
        "tier": "Tier__c",
    },
    "match_leads_by": ["domain", "company"],
    "write_back": {"score": "SB_Account_Score__c", "stage": "SB_Account_Stage__c", "engaged_contacts": "SB_Engaged__c"},
}
SINCE = Bookmark("accounts", datetime(2026, 11, 1, 12, 0, tzinfo=UTC), "001000000000009")
STAMP = "2026-11-01T12:05:00.000+0000"
COLLECTIONS = f"{API}/composite/sobjects"


def _adapter(sleep, accounts=ACCOUNTS) -> SalesforceAdapter:
    mapping = small_mapping(accounts=accounts) if accounts is not None else small_mapping()
    return SalesforceAdapter(
        session_settings(), mapping, sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN}, clock=lambda: READ_AT
    )


@pytest.fixture
def accounts_adapter(org, sleep) -> SalesforceAdapter:
    return _adapter(sleep)


def _records(pages):
    return [item for page in pages for item in page.records]


# -- the mapping ---------------------------------------------------------------------------------------------


def test_the_mapping_says_how_leads_are_matched_and_what_accounts_receive(accounts_adapter):
    assert accounts_adapter.account_matching() == ("domain", "company")
    assert accounts_adapter.account_write_targets() == {"score", "stage", "engaged_contacts"}
    assert accounts_adapter.mapping.accounts.fields["domain"].field == "Website"


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"object": "Company"}, "accounts.object"),
        ({"feilds": {"name": "Name"}}, "accounts.feilds"),
        ({"write_back": {"lead": "X__c"}}, "accounts.write_back"),
        ({"match_leads_by": ["email"]}, "accounts.match_leads_by[0]"),
        ({"match_leads_by": ["domain", "domain"]}, "accounts.match_leads_by"),
        ({"fields": {"domain": "Web site"}}, "accounts.fields.domain.field"),
    ],
)
def test_a_bad_accounts_key_is_one_line_naming_the_file_and_the_key(section, key):
    with pytest.raises(ConfigError) as refused:
        small_mapping(accounts=section)
    message = str(refused.value)
    assert message.startswith(f"test-mapping.yaml: {key}: ") and "\n" not in message


def test_an_unknown_account_target_names_the_targets_there_are():
    with pytest.raises(ConfigError, match="unknown account write-back target 'lead'; targets are fit, engagement"):
        small_mapping(accounts={"write_back": {"lead": "X__c"}})


def test_without_an_accounts_section_nothing_about_accounts_is_read_or_called(org, sleep):
    adapter = _adapter(sleep, accounts=None)
    seen = serve_queries(org, {"Lead": [query_page([])], "Contact": [query_page([])]})
    assert list(adapter.pull_accounts(SINCE)) == [] and list(adapter.pull_accounts(None)) == []
    assert adapter.account_matching() == () and adapter.account_write_targets() == frozenset()
    list(adapter.pull_contacts(SINCE))
    assert not any("AccountId" in statement for _, statement in seen)
    assert len(org.calls) == 1  # the contacts' one Composite call


# -- the accounts stream -------------------------------------------------------------------------------------


def test_an_incremental_read_queries_accounts_with_queryall_from_the_lookback_in_cursor_order(org, accounts_adapter):
    seen = serve_queries(org, {"Account": [query_page([])]})
    assert _records(accounts_adapter.pull_accounts(SINCE)) == []
    ((endpoint, statement),) = seen
    assert endpoint == "queryAll"
    assert statement.startswith(
        "SELECT Id, SystemModstamp, CreatedDate, IsDeleted, MasterRecordId, Name, Website, NumberOfEmployees, Type, "
        "Tier__c, SB_Account_Stage__c FROM Account WHERE SystemModstamp >= 2026-11-01T11:50:00Z "
        "ORDER BY SystemModstamp, Id"
    )  # the stage ScoreBridge wrote, read back: a store that never scored the account starts from it


def test_an_account_row_becomes_an_account_with_its_domain_and_extra_fields(org, accounts_adapter):
    row = record(
        "Account", "001A", STAMP, Name="Acme", Website="https://www.Acme.com/about", NumberOfEmployees=120,
        Type="Customer - Direct", Tier__c="Gold", MasterRecordId=None, SB_Account_Stage__c="hot",
    )  # fmt: skip
    serve_queries(org, {"Account": [query_page([row])]})
    (account,) = _records(accounts_adapter.pull_accounts(SINCE))
    assert account.shown_stage == "hot"
    assert (account.object_type, account.crm_id, account.name, account.domain) == (
        "Account",
        "001A",
        "Acme",
        "acme.com",
    )
    assert (account.employees, account.is_customer, dict(account.extra)) == (120, True, {"tier": "Gold"})
    assert account.modified_at == datetime(2026, 11, 1, 12, 5, tzinfo=UTC)
    assert not account.deleted and account.merged_into is None


def test_deleted_and_merged_accounts_come_flagged_the_merged_one_naming_its_master(org, accounts_adapter):
    deleted = record("Account", "001D", STAMP, IsDeleted=True, MasterRecordId=None, Name="Gone")
    merged = record("Account", "001M", STAMP, IsDeleted=True, MasterRecordId="001A", Name="Acme Inc")
    serve_queries(org, {"Account": [query_page([deleted, merged])]})
    gone, folded = _records(accounts_adapter.pull_accounts(SINCE))
    assert (gone.deleted, gone.merged_into) == (True, None)
    assert (folded.deleted, folded.merged_into) == (True, "001A")


def test_an_unreadable_value_is_left_empty_with_a_warning(org, accounts_adapter):
    row = record("Account", "001A", STAMP, Name="Acme", NumberOfEmployees="lots", Website="http://[not a host")
    serve_queries(org, {"Account": [query_page([row])]})
    (account,) = _records(accounts_adapter.pull_accounts(SINCE))
    assert account.employees is None and account.domain is None
    assert set(account.warnings) == {"employees", "domain"}
    assert account.warnings["domain"].startswith("Website: ")


def test_a_first_read_of_many_accounts_counts_them_and_uses_bulk_api_2(org, accounts_adapter):
    seen = serve_queries(org, {"Account": [query_page([])]}, counts={"Account": 5000})
    org.add("POST", f"{API}/jobs/query", json={"id": "750A", "state": "UploadComplete"})
    org.add("GET", f"{API}/jobs/query/750A", json={"id": "750A", "state": "JobComplete"})
    csv = '"Id","SystemModstamp","CreatedDate","IsDeleted","MasterRecordId","Name","Website"\n'
    csv += f'"001B","{STAMP}","{STAMP}","false","","Beta","beta.io"\n'
    headers = {"Sforce-Locator": "null", "Sforce-NumberOfRecords": "1"}
    org.add("GET", f"{API}/jobs/query/750A/results", body=csv, headers=headers)
    pages = list(accounts_adapter.pull_accounts(None))
    assert any("COUNT()" in statement and "FROM Account" in statement for _, statement in seen)
    assert [(a.crm_id, a.domain) for a in _records(pages)] == [("001B", "beta.io")]
    assert pages[-1].bookmark == Bookmark("accounts", datetime(2026, 11, 1, 12, 5, tzinfo=UTC), "001B")


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("http://acme.co.uk:8080", "acme.co.uk"),
        ("www.acme.io", "acme.io"),
        ("ACME.IO/", "acme.io"),
        ("  acme.de  ", "acme.de"),
        ("https://shop.acme.com?x=1", "shop.acme.com"),
        ("acme.com.", "acme.com"),
        ("", None),
        ("not a site", None),
    ],
)
def test_a_website_is_read_as_its_bare_lower_case_domain(website, domain):
    assert web_domain(website) == domain


# -- contacts' links to accounts -----------------------------------------------------------------------------


def test_contacts_and_converted_leads_carry_their_account_and_open_leads_none(org, accounts_adapter):
    contact = record("Contact", "003C", STAMP, Email="c@acme.com", AccountId="001A")
    orphan = record("Contact", "003O", STAMP, Email="o@acme.com", AccountId=None)
    converted = record("Lead", "00QV", STAMP, IsConverted=True, ConvertedContactId="003C", ConvertedAccountId="001A")
    open_lead = record("Lead", "00QL", STAMP, IsConverted=False, ConvertedContactId=None, ConvertedAccountId=None)
    seen = serve_queries(
        org, {"Lead": [query_page([converted, open_lead])], "Contact": [query_page([contact, orphan])]}
    )
    links = {r.crm_id: tuple(r.accounts) for r in _records(accounts_adapter.pull_contacts(SINCE))}
    assert links == {
        "003C": (AccountLink("001A", True, "account"),),
        "003O": (),
        "00QV": (AccountLink("001A", True, "converted"),),
        "00QL": (),
    }
    statements = dict((statement.split(" FROM ")[1].split()[0], statement) for _, statement in seen)
    assert ", AccountId FROM" in statements["Contact"] and ", ConvertedAccountId FROM" in statements["Lead"]


# -- writing, setup and check --------------------------------------------------------------------------------


def _all_saved(request):
    records = json_body(request)["records"]
    return 200, {}, json.dumps([{"id": r["id"], "success": True, "errors": []} for r in records])


def test_account_values_go_to_the_mapped_account_fields_beside_leads_in_one_call(org, accounts_adapter):
    org.add_callback("PATCH", COLLECTIONS, callback=_all_saved)
    writes = [
        ScoreWrite("Lead", "00Q1", {"fit": 40.0}),
        ScoreWrite("Account", "001A", {"score": 71.5, "stage": "hot", "engaged_contacts": 3, "grade": "A"}),
    ]
    results = accounts_adapter.write_scores(writes)
    assert [r.ok for r in results] == [True, True] and [r.crm_id for r in results] == ["00Q1", "001A"]
    (call,) = org.calls
    by_type = {item["attributes"]["type"]: item for item in json_body(call.request)["records"]}
    assert by_type["Account"] == {
        "attributes": {"type": "Account"},
        "id": "001A",
        "SB_Account_Score__c": 71.5,
        "SB_Account_Stage__c": "hot",
        "SB_Engaged__c": 3,
    }  # grade is mapped nowhere: left out


def test_account_writes_without_an_accounts_section_fail_without_a_call(org, sleep):
    (result,) = _adapter(sleep, accounts=None).write_scores([ScoreWrite("Account", "001A", {"score": 50})])
    assert (result.ok, result.error_code) == (False, "NO_WRITE_TARGETS") and not org.calls


ACCOUNT_DESCRIBE = [
    _field("Name"),
    _field("Website", "url"),
    _field("NumberOfEmployees", "int"),
    _field("Type", "picklist"),
    _field("Tier__c", "picklist"),
]


def _org_with_accounts(org, account_fields=ACCOUNT_DESCRIBE):
    lead = [_field(n) for n in ("Email", "NumberOfEmployees", "Industry", "ScoreBridge_Fit__c", "ScoreBridge_Stage__c")]
    _describe(org, "Lead", lead)
    contact = [_field("Email"), _field("AccountId", "reference", relationshipName="Account", referenceTo=["Account"])]
    _describe(org, "Contact", [*contact, _field("ScoreBridge_Fit__c", "double")])
    _describe(org, "Account", [*account_fields, _field("Industry", "picklist")])
    _describe(org, "Task", [_field("Subject"), _field("TaskSubtype", "picklist"), _field("ScoreBridge_Key__c")])


def test_setup_creates_the_account_fields_as_numbers_and_text(org, accounts_adapter):
    _org_with_accounts(org)
    org.add("POST", TOOLING_FIELDS, json={"id": "00N1", "success": True, "errors": []})
    actions = accounts_adapter.setup()
    assert "created Account.SB_Account_Score__c (Number)" in actions
    assert "created Account.SB_Account_Stage__c (Text(40))" in actions
    bodies = {
        json_body(c.request)["FullName"]: json_body(c.request)["Metadata"]
        for c in org.calls
        if "tooling" in c.request.url
    }
    assert bodies["Account.SB_Account_Score__c"]["scale"] == 2
    assert (bodies["Account.SB_Engaged__c"]["type"], bodies["Account.SB_Engaged__c"]["scale"]) == ("Number", 0)


def test_check_names_an_unknown_account_field_in_one_line(org, accounts_adapter):
    fields = [f for f in ACCOUNT_DESCRIBE if f["name"] != "Website"] + [_field("Websit", "url")]
    _org_with_accounts(org, fields)
    (problem,) = [p for p in accounts_adapter.check() if "accounts.fields" in p]
    assert problem.startswith("test-mapping.yaml: accounts.fields.domain: Account has no field 'Website'")
    assert "did you mean Websit?" in problem
    missing = [p for p in accounts_adapter.check() if "accounts.write_back" in p]
    assert len(missing) == 3 and all("run `scorebridge setup`" in p for p in missing)


def test_check_refuses_an_account_field_that_cannot_hold_a_number(org, accounts_adapter):
    written = [_field("SB_Account_Score__c", "date"), _field("SB_Account_Stage__c"), _field("SB_Engaged__c", "double")]
    _org_with_accounts(org, [*ACCOUNT_DESCRIBE, *written])
    (problem,) = [p for p in accounts_adapter.check() if "accounts.write_back" in p]
    assert (
        "accounts.write_back.score: Account.SB_Account_Score__c is of type date, which cannot hold a number" in problem
    )


# -- tasks ---------------------------------------------------------------------------------------------------


def test_a_task_on_an_account_is_related_to_it_and_assigned_to_the_owner_given(org, accounts_adapter):
    org.add("POST", COLLECTIONS, json=[{"id": "00T1", "success": True, "errors": []}])
    task = TaskRequest(
        "conn:account:001A:hot:2026-11-01", "Account", "001A", "0055e000001", "Acme is hot", "3 engaged",
        datetime(2026, 11, 2, 17, tzinfo=UTC),
    )  # fmt: skip
    (result,) = accounts_adapter.create_tasks([task])
    (sent,) = json_body(org.calls[0].request)["records"]
    assert sent["WhatId"] == "001A" and "WhoId" not in sent and sent["OwnerId"] == "0055e000001"
    assert result.crm_task_id == "00T1"
