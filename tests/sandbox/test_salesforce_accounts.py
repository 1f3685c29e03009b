"""Accounts in the Salesforce stand-in, driven through simple-salesforce as the adapter does: describe, queries with
the Account fields and the contacts' links, merges and deletions seen by queryAll, write-back to Account, and what
the org refuses (an unknown Account field, an Account as a task's WhoId). Also the generated org's accounts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from adapters.sandbox.population import generate_population
from adapters.sandbox.salesforce.app import SalesforceApp
from adapters.sandbox.salesforce.tooling import create_custom_field

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def client(sandbox) -> Salesforce:
    return Salesforce(instance_url=sandbox.instance_url, session_id=sandbox.token, session=sandbox.session())


def account(sandbox, name: str = "Acme", **fields) -> str:
    return sandbox.app.insert("Account", {"Name": name, "Website": "https://www.acme.com", **fields})


def contact(sandbox, account_id: str, last_name: str = "Ng") -> str:
    return sandbox.app.insert("Contact", {"LastName": last_name, "AccountId": account_id})


def test_describe_lists_the_account_fields_the_mapping_reads(salesforce_sandbox):
    fields = {field["name"]: field for field in client(salesforce_sandbox).Account.describe()["fields"]}
    read = {"Name", "Website", "Industry", "NumberOfEmployees", "AnnualRevenue", "BillingCountry", "Type", "OwnerId"}
    assert read <= set(fields)
    master = fields["MasterRecordId"]
    assert (master["type"], master["referenceTo"], master["updateable"]) == ("reference", ["Account"], False)


def test_contacts_carry_their_account_and_its_name_as_a_parent_field(salesforce_sandbox):
    account_id = account(salesforce_sandbox)
    contact_id = contact(salesforce_sandbox, account_id)
    row = client(salesforce_sandbox).query(f"SELECT AccountId, Account.Name FROM Contact WHERE Id = '{contact_id}'")
    record = row["records"][0]
    assert record["AccountId"] == account_id and record["Account"]["Name"] == "Acme"


def test_a_merged_account_is_deleted_naming_its_master_and_its_contacts_move(salesforce_sandbox, sf_clock):
    master, duplicate = account(salesforce_sandbox), account(salesforce_sandbox, "Acme Inc")
    moved = contact(salesforce_sandbox, duplicate)
    sf_clock.advance(minutes=5)
    salesforce_sandbox.app.merge_accounts(master, [duplicate])
    sf = client(salesforce_sandbox)
    assert sf.query(f"SELECT Id FROM Account WHERE Id = '{duplicate}'")["totalSize"] == 0
    gone = sf.query_all(f"SELECT IsDeleted, MasterRecordId FROM Account WHERE Id = '{duplicate}'", include_deleted=True)
    assert gone["records"][0]["IsDeleted"] is True and gone["records"][0]["MasterRecordId"] == master
    row = sf.query(f"SELECT AccountId, SystemModstamp FROM Contact WHERE Id = '{moved}'")["records"][0]
    assert row["AccountId"] == master and row["SystemModstamp"] == "2026-11-01T12:05:00.000+0000"


def test_a_merge_takes_live_accounts_only(salesforce_sandbox):
    master = account(salesforce_sandbox)
    with pytest.raises(ValueError, match="live Account"):
        salesforce_sandbox.app.merge_accounts(master, [contact(salesforce_sandbox, master)])


def test_deleting_an_account_deletes_its_contacts(salesforce_sandbox):
    account_id = account(salesforce_sandbox)
    contact_id = contact(salesforce_sandbox, account_id)
    client(salesforce_sandbox).Account.delete(account_id)
    rows = client(salesforce_sandbox).query_all(
        f"SELECT IsDeleted FROM Contact WHERE Id = '{contact_id}'", include_deleted=True
    )
    assert rows["records"][0]["IsDeleted"] is True


def test_an_unknown_account_field_is_refused_in_a_query_and_in_a_write(salesforce_sandbox):
    account_id = account(salesforce_sandbox)
    sf = client(salesforce_sandbox)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query("SELECT Id, Domain__c FROM Account")
    assert refused.value.content[0]["errorCode"] == "INVALID_FIELD"
    records = [{"attributes": {"type": "Account"}, "id": account_id, "Domain__c": "acme.com"}]
    answer = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records})
    assert answer[0]["success"] is False and answer[0]["errors"][0]["statusCode"] == "INVALID_FIELD"


def test_account_scores_are_written_to_fields_setup_created(salesforce_sandbox):
    account_id = account(salesforce_sandbox)
    metadata = {"type": "Number", "label": "Account Score", "precision": 8, "scale": 2}
    create_custom_field(salesforce_sandbox.app.store, {"FullName": "Account.Account_Score__c", "Metadata": metadata})
    sf = client(salesforce_sandbox)
    records = [{"attributes": {"type": "Account"}, "id": account_id, "Account_Score__c": 72.5}]
    answer = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records})
    assert answer == [{"id": account_id, "success": True, "errors": []}]
    assert sf.Account.get(account_id)["Account_Score__c"] == 72.5


def test_a_task_names_an_account_in_whatid_and_never_in_whoid(salesforce_sandbox):
    account_id = account(salesforce_sandbox)
    task = {"attributes": {"type": "Task"}, "Subject": "Account is hot", "Status": "Not Started"}
    body = {"allOrNone": False, "records": [{**task, "WhatId": account_id}, {**task, "WhoId": account_id}]}
    answer = client(salesforce_sandbox).restful("composite/sobjects", method="POST", json=body)
    assert answer[0]["success"] is True
    assert answer[1]["errors"] == [
        {
            "statusCode": "FIELD_INTEGRITY_EXCEPTION",
            "message": f"Name ID: id value of incorrect type: {account_id}",
            "fields": ["WhoId"],
        }
    ]


@pytest.fixture(scope="module")
def generated() -> SalesforceApp:
    app = SalesforceApp(clock=lambda: NOW)
    app.load_population(generate_population(600, seed=11, now=NOW))
    return app


def test_every_generated_contact_has_an_account_with_a_website_and_a_user_owner(generated):
    accounts = {row["Id"]: row for row in generated.store.rows("Account")}
    assert all(row["AccountId"] in accounts for row in generated.store.rows("Contact"))
    assert all(row["Website"].startswith("https://www.") for row in accounts.values())
    assert all(generated.store.object_of(row["OwnerId"]) == "User" for row in accounts.values())
    assert {row["Type"] for row in accounts.values()} >= {"Customer - Direct", "Prospect"}


def test_generated_accounts_have_several_contacts(generated):
    per_account = Counter(row["AccountId"] for row in generated.store.rows("Contact"))
    assert sum(per_account.values()) / len(per_account) >= 2
    assert sum(1 for count in per_account.values() if 2 <= count <= 6) > len(per_account) / 2


def test_some_open_leads_share_an_accounts_domain_and_some_match_no_account(generated):
    accounts = generated.store.rows("Account")
    domains = {row["Website"].removeprefix("https://www.") for row in accounts}
    names = {row["Name"] for row in accounts}
    leads = [row for row in generated.store.rows("Lead") if not row["IsConverted"]]
    by_domain = [row for row in leads if row["Email"] and row["Email"].partition("@")[2] in domains]
    unmatched = [row for row in leads if row not in by_domain and row["Company"] not in names]
    assert len(by_domain) > len(leads) / 4 and len(unmatched) > len(leads) / 10
