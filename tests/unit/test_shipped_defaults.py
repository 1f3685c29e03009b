"""The shipped model and mappings score what the CRMs really hold: calls by their outcome, registrations apart
from attendance, meetings that did not happen for nothing, a reachable SAL stage, one lead source vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from adapters.hubspot.contacts import contact_record as hubspot_contact
from adapters.hubspot.mapping import load_mapping as load_hubspot_mapping
from adapters.salesforce.mapping import load_mapping as load_salesforce_mapping
from adapters.salesforce.normalize import activity_record, contact_record
from adapters.sandbox.hubspot.seeding import ANALYTICS_SOURCE, CALL_DISPOSITIONS
from adapters.sandbox.population import generate_population
from connector.scoring import load_model
from connector.scoring.behavior import NO_RULE
from connector.scoring.conditions import value_matches
from connector.scoring.kinds import KindRow, classify_kinds

ROOT = Path(__file__).parents[2]
MODEL = load_model(ROOT / "mappings" / "scoring.yaml")
SALESFORCE = load_salesforce_mapping(ROOT / "mappings" / "salesforce.yaml")
HUBSPOT = load_hubspot_mapping(ROOT / "mappings" / "hubspot.yaml")
STAMP = "2026-11-01T12:00:00.000+0000"


def scored_as(activity_type: str, attributes: dict) -> str | None:
    """The label of the model rule an activity of this kind scores under, None when none does."""
    table = classify_kinds(MODEL, [KindRow(1, activity_type, attributes)])
    index = int(table.rule_of_kind[1])
    return None if index == NO_RULE else MODEL.behavior.rules[index].name


def salesforce_activity(object_name: str, **fields):
    row = {"Id": "00T000000000001", "CreatedDate": STAMP, "SystemModstamp": STAMP, "WhoId": "00Q000000000001"}
    return activity_record(row | fields, SALESFORCE.activity_objects()[object_name])


def webinar_member(status: str):
    campaign = {"Type": "Webinar", "Name": "Webinar - Integrations Deep Dive"}
    return salesforce_activity(
        "CampaignMember", Status=status, HasResponded=True, Campaign=campaign, LeadId="00Q000000000001",
        FirstRespondedDate="2026-10-30",
    )  # fmt: skip


def test_a_connected_salesforce_call_scores_as_a_sales_call():
    call = salesforce_activity("Task", TaskSubtype="Call", CallDisposition="Connected")
    assert (call.type, call.attributes) == ("call", {"outcome": "Connected"})
    assert scored_as(call.type, call.attributes) == "Sales call"


def test_a_salesforce_voicemail_is_a_call_that_earns_nothing():
    call = salesforce_activity("Task", TaskSubtype="Call", CallDisposition="Left voicemail")
    assert scored_as(call.type, call.attributes) is None


def test_a_salesforce_not_interested_call_takes_points_away():
    call = salesforce_activity("Task", TaskSubtype="Call", CallDisposition="Not interested")
    assert scored_as(call.type, call.attributes) == "Not interested"


def test_a_connected_hubspot_call_scores_as_a_sales_call():
    calls = HUBSPOT.activities.engagements["calls"]
    outcome = calls.attribute("outcome", CALL_DISPOSITIONS["connected"])
    assert outcome == "connected"
    assert scored_as(calls.classify({"hs_call_body": "Outcome: connected"}), {"outcome": outcome}) == "Sales call"


def test_a_salesforce_webinar_registration_is_not_attendance():
    registered, attended = webinar_member("Registered"), webinar_member("Attended")
    assert scored_as(registered.type, registered.attributes) == "Webinar registration"
    assert scored_as(attended.type, attended.attributes) == "Webinar attended"


@pytest.mark.parametrize("subject", ["Meeting (no show)", "No show: intro call"])
def test_a_salesforce_meeting_that_did_not_happen_earns_nothing(subject):
    missed = salesforce_activity("Event", Subject=subject, ActivityDateTime=STAMP)
    assert missed.type == "meeting_missed"
    assert scored_as(missed.type, missed.attributes) is None
    held = salesforce_activity("Event", Subject="Meeting", ActivityDateTime=STAMP)
    assert scored_as(held.type, held.attributes) == "Sales meeting"


@pytest.mark.parametrize("outcome", ["NO_SHOW", "CANCELED"])
def test_a_hubspot_meeting_that_did_not_happen_earns_nothing(outcome):
    meetings = HUBSPOT.activities.engagements["meetings"]
    kind = meetings.classify({"hs_meeting_title": "Meeting (video)", "hs_meeting_outcome": outcome})
    assert kind == "meeting_missed"
    assert scored_as(kind, {"outcome": outcome}) is None


def _sal_condition():
    (stage,) = [stage for stage in MODEL.stages if stage.name == "sal"]
    return stage.when[0]


def test_a_salesforce_lead_sales_is_working_reaches_sal():
    lead = contact_record("Lead", {"Id": "00Q000000000001", "Status": "Working"}, SALESFORCE.objects["Lead"])
    condition = _sal_condition()
    assert condition.field == "extra.lead_status"
    assert value_matches(condition.field_match(), lead.extra["lead_status"])


def test_a_hubspot_contact_sales_is_working_reaches_sal():
    contact = hubspot_contact(_hubspot_object({"hs_lead_status": "IN_PROGRESS"}), HUBSPOT, None)
    assert value_matches(_sal_condition().field_match(), contact.extra["lead_status"])


def test_salesforce_product_interest_is_read():
    lead = contact_record(
        "Lead", {"Id": "00Q000000000001", "ProductInterest__c": "Analytics"}, SALESFORCE.objects["Lead"]
    )
    assert lead.product_interest == "Analytics"


def _hubspot_object(properties: dict) -> SimpleNamespace:
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    values = {"createdate": "2026-11-01T00:00:00Z", "hs_lastmodifieddate": "2026-11-01T00:00:00Z"} | properties
    return SimpleNamespace(id="101", properties=values, created_at=moment, updated_at=moment, archived=False)


def test_demo_people_get_one_lead_source_group_whichever_crm_holds_them():
    """The same generated people as the two sandboxes hold them (Salesforce LeadSource, HubSpot's source
    bucket): each lands in the same group from both, and the index has one group per source, not 22."""
    population = generate_population(300, seed=3, now=datetime(2026, 11, 1, tzinfo=UTC), days=365)
    salesforce_groups, hubspot_groups = set(), set()
    for person in population.people:
        lead = contact_record(
            "Lead", {"Id": "00Q000000000001", "LeadSource": person.lead_source}, SALESFORCE.objects["Lead"]
        )
        bucket = ANALYTICS_SOURCE.get(person.lead_source or "", "OFFLINE")
        contact = hubspot_contact(_hubspot_object({"hs_analytics_source": bucket}), HUBSPOT, None)
        if person.lead_source is not None:
            assert lead.lead_source == contact.lead_source, person.lead_source
        salesforce_groups.add(lead.lead_source)
        hubspot_groups.add(contact.lead_source)
    assert hubspot_groups <= salesforce_groups | {"Offline Sources"}
    assert len(salesforce_groups | hubspot_groups) == len(set(ANALYTICS_SOURCE.values())) + 1  # + no source
