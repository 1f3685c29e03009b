"""Deals as outcomes: the first pull, increments after a stage or association change, archived deals, the mapping's
stages and pipelines checked against the portal, and what a pull costs (nothing without an `outcomes` section)."""

from __future__ import annotations

import pytest
from hubspot import HubSpot

from adapters.hubspot.mapping import HubSpotMapping
from adapters.sandbox.hubspot import RateLimits
from adapters.sandbox.hubspot.associations import DEAL_CONTACT_LABELS
from adapters.sandbox.hubspot.pipelines import Pipeline, Stage
from connector.crm import Bookmark, OutcomeContact
from tests.hubspot.conftest import START, add_contact, route_calls

DEAL_TO_CONTACT = 3


def add_deal(sandbox, contacts=(), **properties) -> str:
    """A deal with its contacts, each `(contact id, role label or None)`."""
    deal = sandbox.app.insert("deals", {"dealname": "Acme", "pipeline": "default", **properties})
    for contact, role in contacts:
        labels = [DEAL_CONTACT_LABELS[role][0]] if role else []
        sandbox.app.portal.associations.add("deals", int(deal), "contacts", int(contact), [DEAL_TO_CONTACT, *labels])
    return deal


def portal_client(sandbox) -> HubSpot:
    """Someone working in the portal (a rep, a workflow): their calls are not the adapter's."""
    return HubSpot(access_token=sandbox.token, host=sandbox.base_url)


def pulled(adapter, since=None) -> tuple[list, list[Bookmark]]:
    records, bookmarks = [], []
    for page in adapter.pull_outcomes(since):
        records += page.records
        bookmarks += [page.bookmark] if page.bookmark else []
    return records, bookmarks


def caught_up(adapter, fake_time) -> Bookmark:
    """The bookmark after a backfill and one increment an hour later (which re-reads the lookback once)."""
    _, bookmarks = pulled(adapter)
    fake_time.advance(3600)
    _, bookmarks = pulled(adapter, bookmarks[-1])
    fake_time.advance(3600)
    return bookmarks[-1]


def with_outcomes(mapping: HubSpotMapping, **changes) -> HubSpotMapping:
    assert mapping.outcomes is not None
    return mapping.model_copy(update={"outcomes": mapping.outcomes.model_copy(update=changes)})


def test_the_first_pull_reads_every_deal_with_its_stage_label_flags_and_contacts(sandbox, adapter):
    ann, bob = add_contact(sandbox, "ann@example.com"), add_contact(sandbox, "bob@example.com")
    won = add_deal(
        sandbox,
        [(ann, "Decision Maker"), (bob, "Evaluator")],
        dealstage="closedwon",
        amount="12000",
        createdate="2026-09-01T00:00:00Z",
        closedate="2026-10-15T00:00:00Z",
        hs_analytics_source="PAID_SEARCH",
    )
    lost = add_deal(sandbox, [(bob, None)], dealstage="closedlost")
    open_deal = add_deal(sandbox, dealstage="qualifiedtobuy", closedate="2026-12-24T00:00:00Z")
    records, bookmarks = pulled(adapter)
    by_id = {record.crm_id: record for record in records}
    assert set(by_id) == {won, lost, open_deal}
    deal = by_id[won]
    assert (deal.object_type, deal.stage, deal.pipeline, deal.closed, deal.won) == (
        "deal", "Closed Won", "Sales Pipeline", True, True
    )  # fmt: skip
    assert (deal.amount, deal.lead_source, deal.currency) == (12000.0, "Paid Search", None)
    assert (deal.created_at.isoformat(), deal.closed_at.isoformat()) == (
        "2026-09-01T00:00:00+00:00", "2026-10-15T00:00:00+00:00"
    )  # fmt: skip
    assert list(deal.contacts) == [
        OutcomeContact("contact", ann, role="Decision Maker", primary=True),
        OutcomeContact("contact", bob, role="Evaluator", primary=False),
    ]
    assert (by_id[lost].closed, by_id[lost].won, by_id[lost].stage) == (True, False, "Closed Lost")
    assert list(by_id[lost].contacts) == [OutcomeContact("contact", bob)]
    # An open deal's close date is only the expected one.
    assert (by_id[open_deal].closed, by_id[open_deal].closed_at, by_id[open_deal].contacts) == (False, None, [])
    assert bookmarks[-1] == Bookmark("outcomes", START)


def test_an_increment_after_a_stage_change_reads_that_deal_only(sandbox, adapter, make_adapter, fake_time):
    ann = add_contact(sandbox, "ann@example.com")
    moving = add_deal(sandbox, [(ann, "Economic Buyer")], dealstage="contractsent", amount="500")
    add_deal(sandbox, dealstage="qualifiedtobuy")
    bookmark = caught_up(adapter, fake_time)
    closed_at = fake_time.now()
    portal_client(sandbox).crm.deals.basic_api.update(moving, {"properties": {"dealstage": "closedwon"}})
    fake_time.advance(60)
    next_run = make_adapter(sandbox)  # every run builds its adapter
    searches = route_calls(sandbox, "hubspot.search")
    records, later = pulled(next_run, bookmark)
    assert [(r.crm_id, r.stage, r.won) for r in records] == [(moving, "Closed Won", True)]
    assert records[0].closed_at == closed_at  # HubSpot dated the close when the deal closed
    assert list(records[0].contacts) == [OutcomeContact("contact", ann, role="Economic Buyer", primary=True)]
    # one search, the page's associations, the pipelines; the shipped mapping reads archived deals at backfills only
    assert route_calls(sandbox, "hubspot.search") - searches == 1 and next_run.usage().calls == 3
    assert later[-1] == Bookmark("outcomes", fake_time.now())
    pipelines = route_calls(sandbox, "hubspot.pipelines.list")
    next_run.check()  # the run's mapping check uses the pipelines the pull read
    assert route_calls(sandbox, "hubspot.pipelines.list") == pipelines


def test_a_change_of_associations_alone_is_seen_when_the_deal_next_changes(sandbox, adapter, fake_time):
    ann, bob = add_contact(sandbox, "ann@example.com"), add_contact(sandbox, "bob@example.com")
    deal = add_deal(sandbox, [(ann, None)], dealstage="qualifiedtobuy")
    bookmark = caught_up(adapter, fake_time)
    client = portal_client(sandbox)
    client.crm.associations.v4.basic_api.create_default("deals", deal, "contacts", bob)
    records, bookmarks = pulled(adapter, bookmark)
    assert records == []  # HubSpot does not promise a new hs_lastmodifieddate for an association change
    assert {c.crm_id for r in pulled(adapter)[0] for c in r.contacts} == {ann, bob}  # a full re-read sees it
    fake_time.advance(3600)
    client.crm.deals.basic_api.update(deal, {"properties": {"amount": "900"}})
    records, _ = pulled(adapter, bookmarks[-1])
    assert [[c.crm_id for c in r.contacts] for r in records] == [[ann, bob]]


def test_an_archived_deal_is_flagged_deleted_by_the_next_increment_or_full_read(
    sandbox, make_adapter, mapping, fake_time
):
    deal = add_deal(sandbox, dealstage="qualifiedtobuy")
    shipped = make_adapter(sandbox)  # archived: backfill
    adapter = make_adapter(sandbox, mapping=with_outcomes(mapping, archived="every_run"))
    bookmark = caught_up(adapter, fake_time)
    portal_client(sandbox).crm.deals.basic_api.archive(deal)
    records, _ = pulled(adapter, bookmark)
    assert [(r.crm_id, r.deleted) for r in records] == [(deal, True)]
    assert pulled(shipped, bookmark)[0] == []
    assert [(r.crm_id, r.deleted) for r in pulled(shipped)[0]] == [(deal, True)]


def test_deals_of_pipelines_the_mapping_leaves_out_are_not_read(sandbox, make_adapter, mapping, fake_time):
    sandbox.app.portal.add_pipeline(Pipeline("renewals", "Renewals", 1, (Stage("r-open", "Open", 0, 0.5),)))
    kept = add_deal(sandbox, dealstage="qualifiedtobuy")
    add_deal(sandbox, pipeline="renewals", dealstage="r-open")
    adapter = make_adapter(sandbox, mapping=with_outcomes(mapping, pipelines=("default",)))
    assert [r.crm_id for r in pulled(adapter)[0]] == [kept]
    bookmark = caught_up(adapter, fake_time)
    add_deal(sandbox, pipeline="renewals", dealstage="r-open")
    assert pulled(adapter, bookmark)[0] == []


def test_the_mappings_won_and_lost_stages_decide_over_hubspots_flags(sandbox, make_adapter, mapping):
    stages = (Stage("signed", "Signed", 0, 0.9, True), Stage("gone", "Went dark", 1, 0.1))
    sandbox.app.portal.add_pipeline(Pipeline("renewals", "Renewals", 1, stages))
    signed = add_deal(sandbox, pipeline="renewals", dealstage="signed")
    dark = add_deal(sandbox, pipeline="renewals", dealstage="gone")
    adapter = make_adapter(
        sandbox, mapping=with_outcomes(mapping, pipelines=(), won_stages=("signed",), lost_stages=("gone",))
    )
    by_id = {r.crm_id: r for r in pulled(adapter)[0]}
    assert (by_id[signed].won, by_id[signed].closed, by_id[signed].pipeline) == (True, True, "Renewals")
    assert (by_id[dark].won, by_id[dark].closed, by_id[dark].stage) == (False, True, "Went dark")


def test_an_amount_that_is_not_a_number_is_left_empty_and_named(sandbox, adapter):
    portal = sandbox.app.portal
    deal = portal.objects.create("deals", {"dealname": "Odd", "amount": "lots", "dealstage": "closedwon"}, START)
    (record,) = pulled(adapter)[0]
    assert (record.crm_id, record.amount, record.won) == (str(deal.id), None, True)
    assert record.warnings == {"amount": "amount='lots': not a number"}


def test_without_an_outcomes_section_pulling_outcomes_calls_nothing(sandbox, make_adapter, mapping):
    add_deal(sandbox, dealstage="closedwon")
    adapter = make_adapter(sandbox, mapping=mapping.model_copy(update={"outcomes": None}))
    assert pulled(adapter) == ([], []) and pulled(adapter, Bookmark("outcomes", START)) == ([], [])
    assert adapter.usage().calls == 0 and sandbox.server.stats.snapshot()["by_route"] == {}


@pytest.mark.parametrize(("archived", "calls"), [("every_run", 2), ("backfill", 1)])
def test_a_quiet_increment_costs_one_deals_search(sandbox, make_adapter, mapping, fake_time, archived, calls):
    add_deal(sandbox, dealstage="closedwon")
    adapter = make_adapter(sandbox, mapping=with_outcomes(mapping, archived=archived))
    bookmark = caught_up(adapter, fake_time)
    before, searches = adapter.usage().calls, route_calls(sandbox, "hubspot.search")
    assert pulled(adapter, bookmark)[0] == []
    assert route_calls(sandbox, "hubspot.search") - searches == 1
    assert adapter.usage().calls - before == calls  # no pipelines, no associations: nothing to resolve


def test_check_names_the_pipelines_and_stages_the_portal_does_not_have(sandbox, make_adapter, mapping):
    adapter = make_adapter(
        sandbox, mapping=with_outcomes(mapping, pipelines=("default", "renewals"), won_stages=("closedwon", "signed"))
    )
    problems = [line for line in adapter.check() if "outcomes" in line]
    assert len(problems) == 2
    assert "outcomes.pipelines: deal pipeline 'renewals' does not exist" in problems[0]
    assert "default (Sales Pipeline)" in problems[0]
    assert "outcomes.won_stages: deal stage 'signed' is not a stage" in problems[1]
    assert "closedwon (Closed Won)" in problems[1]


def test_check_passes_a_mapping_whose_stages_the_portal_has(sandbox, make_adapter, mapping):
    adapter = make_adapter(
        sandbox, mapping=with_outcomes(mapping, won_stages=("closedwon",), lost_stages=("closedlost",))
    )
    assert [line for line in adapter.check() if "outcomes" in line] == []


def test_a_long_deals_backfill_reads_associations_in_batches_of_1000_within_the_burst_limit(
    start_sandbox, make_adapter, fake_time
):
    sandbox = start_sandbox(RateLimits(per_ten_seconds=10))
    ann = add_contact(sandbox, "ann@example.com")
    for _ in range(1_050):
        add_deal(sandbox, [(ann, "Influencer")], dealstage="qualifiedtobuy")
    adapter = make_adapter(sandbox, burst_limit=10)
    records, _ = pulled(adapter)
    assert len(records) == 1_050 and all(r.contacts for r in records)
    # 11 list pages, an association read per 1,000 deals, the pipelines once, the archived listing
    assert adapter.usage().calls == 11 + 2 + 1 + 1 and adapter.usage().rate_limited == 0
    assert route_calls(sandbox, "hubspot.associations.batch_read") == 2
    assert sandbox.server.stats.snapshot()["by_status"].get("429") is None
    assert (fake_time.now() - START).total_seconds() >= 10.0  # the limiter waited for the next window
