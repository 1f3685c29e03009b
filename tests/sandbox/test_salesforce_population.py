"""Loading data into the Salesforce sandbox: the generated population, JSON records, and saved state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from adapters.sandbox.outcomes import Deal, DealContact, generate_outcomes, outcome_counts
from adapters.sandbox.population import Company, Owner, Person, Population, Touch, generate_population
from adapters.sandbox.salesforce.app import SalesforceApp
from adapters.sandbox.salesforce.ids import to_18
from adapters.sandbox.salesforce.query_plan import bind
from adapters.sandbox.salesforce.soql import parse
from adapters.sandbox.salesforce.tooling import create_custom_field
from adapters.sandbox.salesforce.values import format_datetime
from connector.errors import InputError

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def query(app: SalesforceApp, soql: str, *, include_deleted: bool = False) -> list[dict]:
    return bind(parse(soql), app.store).run(app.store, include_deleted=include_deleted)


def person(key: str, **overrides) -> Person:
    values = dict(
        first_name="Ada",
        last_name=key.upper(),
        email=f"{key}@acme.com",
        title="CTO",
        company_key="c1",
        owner_key="o1",
        lead_source="Webinar",
        product_interest="Analytics",
        status="working",
        is_customer=False,
        converted=False,
        opted_out=False,
        created_at=NOW - timedelta(days=200),
    )
    return Person(key=key, **{**values, **overrides})


def touch(key: str, person_key: str, kind: str, days_ago: float, **detail: str) -> Touch:
    return Touch(key, person_key, kind, NOW - timedelta(days=days_ago), detail)


@pytest.fixture
def small_population() -> Population:
    people = (person("lead"), person("customer", is_customer=True), person("converted", converted=True))
    touches = (
        touch("t1", "lead", "email_open", 30, campaign="Product Launch", subject="Introducing Automation 2.0"),
        touch("t2", "lead", "page_view", 29, url="/pricing"),
        touch("t3", "lead", "webinar_registered", 20, campaign="Webinar - Integrations Deep Dive"),
        touch("t4", "lead", "webinar_attended", 10, campaign="Webinar - Integrations Deep Dive"),
        touch("t5", "customer", "call", 5, channel="phone", outcome="left voicemail"),
        touch("t6", "converted", "demo_attended", 40, product="Analytics"),
        touch("t7", "lead", "email_bounce", 3, campaign="Re-engagement", subject="Still interested?"),
    )
    return Population(
        seed=1,
        now=NOW,
        owners=(Owner("o1", "Sam", "Seller", "sam@vendor.com"),),
        companies=(Company("c1", "Acme", "acme.com", "Technology", 250, 3.0e7, "Germany"),),
        people=people,
        touches=touches,
    )


def test_people_become_leads_contacts_and_converted_leads(small_population):
    app = SalesforceApp(clock=lambda: NOW)
    app.load_population(small_population, deals=())
    (lead,) = query(app, "SELECT Id, Status, Industry, Country, OwnerId FROM Lead WHERE IsConverted = false")
    assert (lead["Status"], lead["Industry"], lead["Country"]) == ("Working", "Technology", "Germany")
    contacts = {row["LastName"]: row for row in query(app, "SELECT Id, LastName, AccountId FROM Contact")}
    assert set(contacts) == {"CUSTOMER", "CONVERTED"}
    (converted,) = query(app, "SELECT ConvertedContactId, ConvertedDate FROM Lead WHERE IsConverted = true")
    assert converted["ConvertedContactId"] == contacts["CONVERTED"]["Id"]
    assert converted["ConvertedDate"] == (NOW - timedelta(days=40)).date().isoformat()
    (owner,) = query(app, "SELECT Id FROM User WHERE Email = 'sam@vendor.com'")
    assert lead["OwnerId"] == owner["Id"]


def test_touches_become_tasks_events_and_campaign_members_backdated(small_population):
    app = SalesforceApp(clock=lambda: NOW)
    app.load_population(small_population, deals=())
    subjects = [row["Subject"] for row in query(app, "SELECT Subject FROM Task ORDER BY CreatedDate")]
    assert subjects == ["Email Opened: Product Launch", "Call", "Email Bounced: Re-engagement"]
    (call,) = query(app, "SELECT TaskSubtype, CallDisposition, SystemModstamp FROM Task WHERE TaskSubtype = 'Call'")
    assert call["CallDisposition"] == "Left voicemail"
    assert call["SystemModstamp"] == "2026-10-27T12:00:00.000+0000"
    (member,) = query(app, "SELECT Status, HasResponded, Campaign.Name, SystemModstamp FROM CampaignMember")
    assert (member["Status"], member["HasResponded"]) == ("Attended", True)
    assert member["SystemModstamp"] == "2026-10-22T12:00:00.000+0000"
    (event,) = query(app, "SELECT Subject, Who.Type FROM Event")
    assert event["Subject"] == "Demo: Analytics"
    (bounced,) = query(app, "SELECT EmailBouncedDate FROM Lead WHERE IsConverted = false")
    assert bounced["EmailBouncedDate"] == "2026-10-29T12:00:00.000+0000"


def test_page_views_are_skipped_because_salesforce_has_none(small_population):
    app = SalesforceApp(clock=lambda: NOW)
    app.load_population(small_population, deals=())
    assert not query(app, "SELECT Id FROM Task WHERE Subject LIKE '%pricing%'")


def test_later_touches_attach_to_the_records_already_loaded(small_population):
    app = SalesforceApp(clock=lambda: NOW)
    app.load_population(small_population, deals=())
    stored = app.add_touches([touch("t9", "lead", "email_click", -1, campaign="Product Launch", url="/x")])
    assert stored == 1
    (task,) = query(app, "SELECT WhoId FROM Task WHERE Subject = 'Email Clicked: Product Launch'")
    (lead,) = query(app, "SELECT Id FROM Lead WHERE LastName = 'LEAD'")
    assert task["WhoId"] == lead["Id"]


def test_generated_population_loads_with_every_object_populated():
    app = SalesforceApp(clock=lambda: NOW)
    counts = app.load_population(generate_population(60, seed=3, now=NOW))
    assert counts["Lead"] > 0 and counts["Contact"] > 0 and counts["Task"] > 0
    assert counts["User"] >= 5 and 0 < counts["Account"] < 15  # only companies with Contacts are Accounts


def test_load_records_takes_salesforce_field_names_and_explicit_ids():
    app = SalesforceApp(clock=lambda: NOW)
    account_id = to_18("0015g0000000abc")
    payload = {
        "Contact": [{"LastName": "Ng", "AccountId": account_id}],
        "Account": [{"Id": account_id, "Name": "Acme", "CreatedDate": "2025-01-01T00:00:00Z"}],
    }
    assert app.load_records(payload) == {"Account": 1, "Contact": 1}
    (contact,) = query(app, "SELECT AccountId FROM Contact WHERE Account.Name = 'Acme'")
    assert contact["AccountId"] == account_id
    assert app.store.get(account_id)["CreatedDate"] == "2025-01-01T00:00:00.000+0000"


def test_dump_and_restore_keep_records_custom_fields_and_fresh_ids(small_population):
    app = SalesforceApp(clock=lambda: NOW)
    app.load_population(small_population, deals=())
    create_custom_field(
        app.store,
        {"FullName": "Lead.Score__c", "Metadata": {"type": "Number", "label": "Score", "precision": 3, "scale": 0}},
    )
    state = json.loads(json.dumps(app.dump_state()))
    restored = SalesforceApp(clock=lambda: NOW)
    restored.restore_state(state)
    assert query(restored, "SELECT Id FROM Lead WHERE Score__c = null") == query(app, "SELECT Id FROM Lead")
    new_id = restored.insert("Lead", {"LastName": "New", "Company": "Co"})
    assert new_id not in {row["Id"] for row in query(app, "SELECT Id FROM Lead")}


def test_load_records_names_the_record_it_cannot_load():
    app = SalesforceApp(clock=lambda: NOW)
    with pytest.raises(InputError, match=r"Lead record 2: REQUIRED_FIELD_MISSING"):
        app.load_records({"Lead": [{"LastName": "Ok", "Company": "Co"}, {"LastName": "No company"}]})


def _deal(key: str, stage: str, *contacts: DealContact, closed_days_ago: float | None = None) -> Deal:
    closed_at = NOW - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    return Deal(key, f"Acme: {key}", contacts, 12_000.0, stage, NOW - timedelta(days=60), closed_at, "Webinar")


def test_deals_become_opportunities_with_contact_roles_and_their_people_contacts(small_population):
    app = SalesforceApp(clock=lambda: NOW)
    roles = DealContact("lead", "Decision Maker", True), DealContact("customer", "Evaluator", False)
    won = _deal("d0", "Closed Won", *roles, closed_days_ago=10)
    app.load_population(small_population, deals=[won])
    (opportunity,) = query(
        app, "SELECT Id, StageName, IsClosed, IsWon, CloseDate, Amount, SystemModstamp FROM Opportunity"
    )
    assert (opportunity["IsClosed"], opportunity["IsWon"], opportunity["Amount"]) == (True, True, 12_000.0)
    assert opportunity["CloseDate"] == (NOW - timedelta(days=10)).date().isoformat()
    assert opportunity["SystemModstamp"] == format_datetime(NOW - timedelta(days=10))
    roles = query(app, "SELECT ContactId, Role, IsPrimary FROM OpportunityContactRole ORDER BY Role")
    assert [(app.store.get(row["ContactId"])["LastName"], row["Role"], row["IsPrimary"]) for row in roles] == [
        ("LEAD", "Decision Maker", True),
        ("CUSTOMER", "Evaluator", False),
    ]
    # The lead on the deal was converted with it: its Lead names the Opportunity, no open Lead is left.
    (lead,) = query(app, "SELECT ConvertedOpportunityId, ConvertedDate FROM Lead WHERE LastName = 'LEAD'")
    assert lead["ConvertedOpportunityId"] == opportunity["Id"]
    assert lead["ConvertedDate"] == (NOW - timedelta(days=60)).date().isoformat()
    assert not query(app, "SELECT Id FROM Lead WHERE IsConverted = false")


def test_an_opportunity_is_closed_and_won_as_its_stage_says_in_opportunity_stage():
    app = SalesforceApp(clock=lambda: NOW)
    stages = {
        row["MasterLabel"]: row for row in query(app, "SELECT MasterLabel, IsClosed, IsWon FROM OpportunityStage")
    }
    assert (stages["Closed Won"]["IsWon"], stages["Closed Lost"]["IsClosed"], stages["Closed Lost"]["IsWon"]) == (
        True, True, False)  # fmt: skip
    app.store.insert(
        "OpportunityStage", {"MasterLabel": "Signed", "ApiName": "Signed", "IsClosed": True, "IsWon": True}
    )
    signed = app.insert("Opportunity", {"Name": "Big", "StageName": "Signed", "CloseDate": "2026-10-01"})
    assert (app.store.get(signed)["IsClosed"], app.store.get(signed)["IsWon"]) == (True, True)


def test_the_generated_population_has_open_won_and_lost_opportunities():
    app = SalesforceApp(clock=lambda: NOW)
    population = generate_population(300, seed=3, now=NOW)
    app.load_population(population)
    counts = outcome_counts(generate_outcomes(population, seed=3))
    rows = query(app, "SELECT IsClosed, IsWon FROM Opportunity")
    assert sum(row["IsWon"] for row in rows) == counts["won"] > 0
    assert sum(row["IsClosed"] and not row["IsWon"] for row in rows) == counts["lost"] > 0
    primaries = query(app, "SELECT OpportunityId FROM OpportunityContactRole WHERE IsPrimary = true")
    assert len(primaries) == len(rows)
