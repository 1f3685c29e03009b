"""Deals in the HubSpot sandbox: the pipelines API, the generated outcomes as deals with their contacts, the flags
HubSpot derives from a deal's stage, and what HubSpot refuses on these routes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hubspot.crm.objects.exceptions import ApiException

from adapters.sandbox.hubspot import HubSpotApp, start_hubspot_sandbox
from adapters.sandbox.hubspot.pipelines import Pipeline, Stage
from adapters.sandbox.outcomes import generate_outcomes, outcome_counts
from adapters.sandbox.population import generate_population
from tests.sandbox.hubspot_support import FakeClock, client_for, error_body

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DEAL_PROPERTIES = ["dealname", "dealstage", "pipeline", "amount", "closedate", "hs_is_closed", "hs_is_closed_won"]


@pytest.fixture(scope="module")
def population():
    return generate_population(300, seed=7, now=NOW)


@pytest.fixture(scope="module")
def portal_sandbox(population):
    with start_hubspot_sandbox(population=population, clock=FakeClock(NOW)) as sandbox:
        yield sandbox


def all_deals(client) -> list:
    deals, after = [], None
    while True:
        page = client.crm.deals.basic_api.get_page(limit=100, properties=DEAL_PROPERTIES, after=after)
        deals += page.results
        if page.paging is None:
            return deals
        after = page.paging.next.after


def test_the_default_deal_pipeline_marks_won_as_the_closed_stage_of_probability_one(hubspot_sandbox):
    (pipeline,) = client_for(hubspot_sandbox).crm.pipelines.pipelines_api.get_all("deals").results
    assert (pipeline.id, pipeline.label) == ("default", "Sales Pipeline")
    closed = {
        stage.id: stage.metadata["probability"] for stage in pipeline.stages if stage.metadata["isClosed"] == "true"
    }
    assert closed == {"closedwon": "1.0", "closedlost": "0.0"}
    stages = client_for(hubspot_sandbox).crm.pipelines.pipeline_stages_api.get_all("deals", "default").results
    assert [stage.id for stage in stages] == [stage.id for stage in pipeline.stages]


def test_pipelines_of_an_unknown_pipeline_or_object_type_are_refused(hubspot_sandbox):
    api = client_for(hubspot_sandbox).crm.pipelines.pipelines_api
    with pytest.raises(Exception) as missing:
        api.get_by_id("deals", "renewals")
    assert missing.value.status == 404
    with pytest.raises(Exception) as unknown:
        api.get_all("contacts")
    assert unknown.value.status == 400


def test_every_generated_outcome_is_a_deal_whose_flags_follow_its_stage(portal_sandbox, population):
    deals = all_deals(client_for(portal_sandbox))
    expected = outcome_counts(generate_outcomes(population, seed=population.seed))
    won = [d for d in deals if d.properties["hs_is_closed_won"] == "true"]
    lost = [d for d in deals if d.properties["hs_is_closed"] == "true" and d not in won]
    assert (len(won), len(lost), len(deals) - len(won) - len(lost)) == (
        expected["won"],
        expected["lost"],
        expected["open"],
    )
    assert {d.properties["dealstage"] for d in won} == {"closedwon"}
    assert all(d.properties["closedate"] for d in won + lost)
    assert all(float(d.properties["amount"]) > 0 for d in deals)


def test_a_deals_contacts_carry_their_roles_as_user_defined_labels(portal_sandbox, population):
    client = client_for(portal_sandbox)
    deal = generate_outcomes(population, seed=population.seed)[0]
    first = all_deals(client)[0]
    answer = client.crm.associations.v4.batch_api.get_page("deals", "contacts", {"inputs": [{"id": first.id}]})
    (result,) = answer.results
    labels = [[t.label for t in target.association_types] for target in result.to]
    assert labels == [[None, contact.role] for contact in deal.contacts]
    assert {t.category for target in result.to for t in target.association_types} == {"HUBSPOT_DEFINED", "USER_DEFINED"}
    back = client.crm.associations.v4.batch_api.get_page(
        "contacts", "deals", {"inputs": [{"id": result.to[0].to_object_id}]}
    )
    assert first.id in [str(target.to_object_id) for target in back.results[0].to]


def test_moving_a_deal_to_closed_won_sets_the_flags_the_close_date_and_the_modification(hubspot_sandbox, hubspot_clock):
    client = client_for(hubspot_sandbox)
    deal = hubspot_sandbox.app.insert("deals", {"dealname": "Acme", "dealstage": "qualifiedtobuy", "amount": "100"})
    hubspot_clock.advance(60)
    moved = client.crm.deals.basic_api.update(deal, {"properties": {"dealstage": "closedwon"}})
    assert moved.properties["hs_is_closed_won"] == "true" and moved.properties["hs_is_closed"] == "true"
    assert moved.properties["pipeline"] == "default"
    assert moved.properties["closedate"] == moved.properties["hs_lastmodifieddate"] == "2026-11-02T09:01:00.000Z"


def test_a_stage_of_another_pipeline_follows_that_pipelines_metadata(hubspot_sandbox):
    renewals = Pipeline(
        "renewals", "Renewals", 1, (Stage("r-open", "Open", 0, 0.5), Stage("r-won", "Renewed", 1, 1.0, True))
    )
    hubspot_sandbox.app.portal.add_pipeline(renewals)
    deal = hubspot_sandbox.app.insert("deals", {"dealname": "Acme", "pipeline": "renewals", "dealstage": "r-won"})
    read = client_for(hubspot_sandbox).crm.deals.basic_api.get_by_id(deal, properties=["hs_is_closed_won"])
    assert read.properties["hs_is_closed_won"] == "true"


def test_deal_search_finds_changes_by_modification_and_refuses_unknown_properties(hubspot_sandbox, hubspot_clock):
    client = client_for(hubspot_sandbox)
    hubspot_sandbox.app.insert("deals", {"dealname": "Old"})
    hubspot_clock.advance(3600)
    new = hubspot_sandbox.app.insert("deals", {"dealname": "New"})
    since = {
        "propertyName": "hs_lastmodifieddate",
        "operator": "GTE",
        "value": str(int(hubspot_clock.now.timestamp() * 1000)),
    }
    found = client.crm.deals.search_api.do_search({"filterGroups": [{"filters": [since]}], "properties": ["dealname"]})
    assert [deal.id for deal in found.results] == [new]
    unknown = {"propertyName": "dealstatus", "operator": "EQ", "value": "won"}
    with pytest.raises(Exception) as refused:
        client.crm.deals.search_api.do_search({"filterGroups": [{"filters": [unknown]}]})
    assert refused.value.status == 400 and "dealstatus" in error_body(refused.value)["message"]


def test_a_batch_read_of_more_than_100_deals_is_refused(hubspot_sandbox):
    inputs = [{"id": str(1001 + n)} for n in range(101)]
    with pytest.raises(ApiException) as refused:
        client_for(hubspot_sandbox).crm.objects.batch_api.read("deals", {"inputs": inputs, "properties": ["dealname"]})
    assert refused.value.status == 400


def test_archived_deals_leave_search_and_are_listed_as_archived(hubspot_sandbox):
    client = client_for(hubspot_sandbox)
    deal = hubspot_sandbox.app.insert("deals", {"dealname": "Gone"})
    client.crm.deals.basic_api.archive(deal)
    assert client.crm.deals.search_api.do_search({"limit": 10}).total == 0
    archived = client.crm.deals.basic_api.get_page(archived=True).results
    assert [(d.id, d.archived) for d in archived] == [(deal, True)]


def test_deals_survive_a_saved_state(portal_sandbox):
    saved = portal_sandbox.app.dump_state()
    restored = HubSpotApp(clock=FakeClock(NOW))
    restored.restore_state(saved)
    assert restored.portal.objects.count("deals") == portal_sandbox.app.portal.objects.count("deals") > 0
    assert [p.id for p in restored.portal.pipelines.all()] == ["default"]
