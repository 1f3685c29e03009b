"""Accounts end to end against the Salesforce sandbox, through simple-salesforce over HTTPS, with the shipped
mapping: `setup` then `check` clean, a merge followed by the next reads, a large account write-back as one Bulk
ingest job, a first read of many accounts through Bulk API 2.0, and a task on an Account."""

from __future__ import annotations

from datetime import timedelta

import yaml

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.mapping import parse_mapping
from adapters.salesforce.settings import SalesforceSettings
from connector.crm import AccountLink, Bookmark, ScoreWrite, TaskRequest
from tests.salesforce.conftest import EXAMPLE_MAPPING, SECRETS, T0, RecordedSleep, sandbox_login


def _mapping(**changes):
    document = yaml.safe_load(EXAMPLE_MAPPING.read_text())
    for section, values in changes.items():
        document[section] = {**document[section], **values}
    return parse_mapping(document, source="salesforce.yaml")


def _adapter(sandbox, mapping=None) -> SalesforceAdapter:
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5))
    mapping = mapping or _mapping(pull={"bulk_threshold": None})
    return SalesforceAdapter(settings, mapping, sleep=RecordedSleep(), environ=SECRETS, clock=sandbox.app.clock)


def _account(sandbox, name, website, **fields) -> str:
    return sandbox.app.insert("Account", {"Name": name, "Website": website, **fields})


def _records(pages):
    return [item for page in pages for item in page.records]


def test_setup_creates_the_account_fields_and_check_then_finds_nothing(sandbox):
    adapter = _adapter(sandbox)
    actions = adapter.setup()
    assert "created Account.ScoreBridge_Account_Engaged_Contacts__c (Number)" in actions
    assert "created Account.ScoreBridge_Account_Reasons__c (Text(255))" in actions
    assert _adapter(sandbox).check() == []


def test_accounts_are_read_with_their_domain_and_a_merge_reaches_the_next_reads(sandbox, clock):
    master = _account(sandbox, "Acme", "https://www.acme.com/", Type="Customer - Channel", NumberOfEmployees=80)
    duplicate = _account(sandbox, "Acme Inc", "acme.com")
    moved = sandbox.app.insert("Contact", {"LastName": "Ng", "Email": "ng@acme.com", "AccountId": duplicate})
    _adapter(sandbox).setup()  # as a sync requires first: the stream reads back the account stage field it creates
    first = _records(_adapter(sandbox).pull_accounts(None))
    assert {(a.crm_id, a.domain, a.is_customer) for a in first} == {
        (master, "acme.com", True),
        (duplicate, "acme.com", False),
    }
    contacts = _adapter(sandbox).pull_contacts(None)
    bookmark = next(page.bookmark for page in reversed(list(contacts)) if page.bookmark)
    clock.advance(hours=1)
    sandbox.app.merge_accounts(master, [duplicate])
    clock.advance(hours=1)
    since = next(a.modified_at for a in first)
    later = {a.crm_id: a for a in _records(_adapter(sandbox).pull_accounts(Bookmark("accounts", since)))}
    assert (later[duplicate].deleted, later[duplicate].merged_into) == (True, master)
    (contact,) = [c for c in _records(_adapter(sandbox).pull_contacts(bookmark)) if c.crm_id == moved]
    assert tuple(contact.accounts) == (AccountLink(master, True, "account"),)


def test_a_converted_lead_links_to_the_account_it_was_converted_into(sandbox, clock):
    lead = sandbox.app.insert("Lead", {"LastName": "Lee", "Company": "Beta", "Email": "lee@beta.io"})
    clock.advance(minutes=5)
    contact = sandbox.app.convert_lead(lead)
    account = sandbox.app.store.get(contact)["AccountId"]
    mapping = _mapping(pull={"bulk_threshold": None}, leads={"include_converted": True})
    people = {r.crm_id: r for r in _records(_adapter(sandbox, mapping).pull_contacts(None))}
    assert tuple(people[lead].accounts) == (AccountLink(account, True, "converted"),)
    assert tuple(people[contact].accounts) == (AccountLink(account, True, "account"),)


def test_a_first_read_of_many_accounts_goes_through_bulk_api_2(sandbox):
    ids = [_account(sandbox, f"Firm {n}", f"firm{n}.io") for n in range(12)]
    mapping = _mapping(pull={"bulk_threshold": 10, "bulk_poll_seconds": 0})
    _adapter(sandbox, mapping).setup()  # as a sync requires first: the stream reads back the stage field it creates
    sandbox.server.stats.reset()
    read = _records(_adapter(sandbox, mapping).pull_accounts(None))
    assert sorted(a.crm_id for a in read) == sorted(ids) and {a.domain for a in read} >= {"firm0.io", "firm11.io"}
    assert sandbox.server.stats.snapshot()["by_route"].get("sf.bulk2.create") == 1


def test_a_large_account_write_back_is_one_bulk_ingest_job(sandbox):
    ids = [_account(sandbox, f"Firm {n}", f"firm{n}.io") for n in range(5)]
    _adapter(sandbox).setup()
    sandbox.server.stats.reset()
    mapping = _mapping(pull={"bulk_threshold": None}, write={"bulk_threshold": 3, "bulk_poll_seconds": 0})
    writes = [
        ScoreWrite("Account", i, {"score": 60 + n, "stage": "hot", "engaged_contacts": n}) for n, i in enumerate(ids)
    ]
    results = _adapter(sandbox, mapping).write_scores(writes)
    assert [r.crm_id for r in results] == ids and all(r.ok for r in results)
    stored = sandbox.app.store.get(ids[4])
    assert (stored["ScoreBridge_Account_Score__c"], stored["ScoreBridge_Account_Engaged_Contacts__c"]) == (64, 4)
    routes = sandbox.server.stats.snapshot()["by_route"]
    assert routes["sf.bulk2.ingest.create"] == 1 and "sf.composite.update" not in routes


def test_a_task_on_an_account_is_created_related_to_it(sandbox):
    account = _account(sandbox, "Acme", "acme.com")
    owner = sandbox.app.store.api_user_id
    _adapter(sandbox).setup()
    task = TaskRequest("conn:account:1", "Account", account, owner, "Acme is hot", "3 engaged", T0 + timedelta(days=1))
    (result,) = _adapter(sandbox).create_tasks([task])
    stored = sandbox.app.store.get(result.crm_task_id)
    assert (stored["WhatId"], stored["WhoId"], stored["OwnerId"]) == (account, None, owner)
