"""Outcomes from the Salesforce sandbox through simple-salesforce: opportunities with their contact roles, stage
and role changes read incrementally, deletions, converted leads linked, and the mapping's stages checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.settings import SalesforceSettings
from adapters.sandbox.salesforce.server import SalesforceSandbox
from connector.crm import Bookmark, OutcomeContact, OutcomeRecord
from tests.salesforce.conftest import SECRETS, T0, RecordedSleep, sandbox_login, small_mapping

OUTCOMES = {"lead_source": {"field": "LeadSource", "values": {"Web": "Direct Traffic"}, "unlisted": "keep"}}
PULL = {"page_size": 200, "lookback_seconds": 0, "bulk_threshold": None}


def _adapter(sandbox, outcomes=OUTCOMES, pull=PULL) -> SalesforceAdapter:
    mapping = small_mapping(pull=pull) if outcomes is None else small_mapping(outcomes=outcomes, pull=pull)
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5))
    return SalesforceAdapter(settings, mapping, sleep=RecordedSleep(), environ=SECRETS, clock=sandbox.app.clock)


class Org:
    """An account with people on one opportunity, built through the sandbox app."""

    def __init__(self, sandbox: SalesforceSandbox) -> None:
        self.app = sandbox.app
        self.account = self.app.insert("Account", {"Name": "Acme"})
        self.buyer = self.contact("Buyer")
        self.evaluator = self.contact("Evaluator")
        self.deal = self.app.insert(
            "Opportunity",
            {"Name": "Acme: Analytics", "AccountId": self.account, "StageName": "Proposal/Price Quote",
             "CloseDate": "2026-12-15", "Amount": 24000, "LeadSource": "Web"},
        )  # fmt: skip
        self.buyer_role = self.role(self.buyer, "Decision Maker", primary=True)
        self.evaluator_role = self.role(self.evaluator, "Evaluator")
        # The buyer came in as a lead, converted together with the opportunity.
        self.lead = self.app.insert(
            "Lead",
            {"LastName": "Buyer", "Company": "Acme", "IsConverted": True, "ConvertedContactId": self.buyer,
             "ConvertedAccountId": self.account, "ConvertedOpportunityId": self.deal},
        )  # fmt: skip

    def contact(self, name: str) -> str:
        return self.app.insert("Contact", {"LastName": name, "AccountId": self.account})

    def role(self, contact: str, role: str, *, primary: bool = False) -> str:
        fields = {"OpportunityId": self.deal, "ContactId": contact, "Role": role, "IsPrimary": primary}
        return self.app.insert("OpportunityContactRole", fields)


@pytest.fixture
def org(sandbox) -> Org:
    return Org(sandbox)


def _pull(adapter: SalesforceAdapter, since: Bookmark | None) -> tuple[list[OutcomeRecord], Bookmark | None]:
    pages = list(adapter.pull_outcomes(since))
    bookmarks = [page.bookmark for page in pages if page.bookmark is not None]
    return [record for page in pages for record in page.records], bookmarks[-1] if bookmarks else since


def _people(record: OutcomeRecord) -> list[tuple[str, str, str | None, bool]]:
    return [(c.object_type, c.crm_id, c.role, c.primary) for c in record.contacts]


def test_a_first_pull_reads_each_opportunity_with_its_contact_roles(sandbox, org):
    (deal,), _ = _pull(_adapter(sandbox), None)
    assert (deal.object_type, deal.crm_id, deal.stage) == ("Opportunity", org.deal, "Proposal/Price Quote")
    assert (deal.closed, deal.won, deal.amount, deal.lead_source) == (False, False, 24000.0, "Direct Traffic")
    assert deal.created_at == T0 and deal.closed_at is None and not deal.deleted
    assert _people(deal) == [
        ("Contact", org.buyer, "Decision Maker", True),  # the lead converted into the deal is merged into it
        ("Contact", org.evaluator, "Evaluator", False),
    ]


def test_a_stage_change_to_closed_won_comes_back_won_and_closed_on_its_close_date(sandbox, org, clock):
    adapter = _adapter(sandbox)
    _, bookmark = _pull(adapter, None)
    clock.advance(days=3)
    sandbox.app.store.update("Opportunity", org.deal, {"StageName": "Closed Won", "CloseDate": "2026-11-04"})
    (deal,), _ = _pull(adapter, bookmark)
    assert (deal.stage, deal.closed, deal.won) == ("Closed Won", True, True)
    assert deal.closed_at == datetime(2026, 11, 4, tzinfo=UTC)
    assert deal.modified_at == T0 + timedelta(days=3)
    assert len(deal.contacts) == 2  # a stage change keeps every contact


def test_a_new_contact_role_re_emits_its_opportunity_with_every_contact(sandbox, org, clock):
    adapter = _adapter(sandbox)
    _, bookmark = _pull(adapter, None)
    clock.advance(hours=2)
    champion = org.contact("Champion")
    org.role(champion, "Executive Sponsor")
    (deal,), bookmark = _pull(adapter, bookmark)
    assert deal.crm_id == org.deal and ("Contact", champion, "Executive Sponsor", False) in _people(deal)
    assert len(deal.contacts) == 3
    clock.advance(hours=2)
    sandbox.app.store.update("OpportunityContactRole", org.evaluator_role, {"Role": "Influencer"})
    (deal,), _ = _pull(adapter, bookmark)
    assert ("Contact", org.evaluator, "Influencer", False) in _people(deal)


def test_a_removed_contact_role_re_emits_the_opportunity_without_that_contact(sandbox, org, clock):
    adapter = _adapter(sandbox)
    _, bookmark = _pull(adapter, None)
    clock.advance(hours=1)
    sandbox.app.store.delete("OpportunityContactRole", org.evaluator_role)
    (deal,), _ = _pull(adapter, bookmark)
    assert org.evaluator not in {contact.crm_id for contact in deal.contacts}
    assert not deal.deleted


def test_a_deleted_opportunity_comes_back_flagged_deleted_once(sandbox, org, clock):
    adapter = _adapter(sandbox)
    _, bookmark = _pull(adapter, None)
    clock.advance(hours=1)
    sandbox.app.store.delete("Opportunity", org.deal)  # its contact roles go with it, as in Salesforce
    (deal,), _ = _pull(adapter, bookmark)
    assert (deal.crm_id, deal.deleted, deal.contacts) == (org.deal, True, ())


def test_won_and_lost_follow_the_mappings_stages_over_salesforces_flags(sandbox, org, clock):
    sandbox.app.store.update("Opportunity", org.deal, {"StageName": "Negotiation/Review"})
    outcomes = OUTCOMES | {"won_stages": ["Negotiation/Review"], "lost_stages": ["Closed Lost"]}
    (deal,), _ = _pull(_adapter(sandbox, outcomes), None)
    assert (deal.closed, deal.won) == (True, True)


def test_check_names_a_stage_the_org_does_not_have(sandbox):
    adapter = _adapter(sandbox, OUTCOMES | {"won_stages": ["Closed Wonn"], "lost_stages": ["Closed Lost"]})
    (problem,) = [line for line in adapter.check() if "outcomes" in line]
    assert problem.startswith("test-mapping.yaml: outcomes.won_stages: StageName has no value 'Closed Wonn'")
    assert "(did you mean Closed Won" in problem and "Negotiation/Review" in problem


def test_check_names_an_opportunity_field_a_single_currency_org_lacks(sandbox):
    adapter = _adapter(sandbox, OUTCOMES | {"currency": "CurrencyIsoCode"})
    (problem,) = [line for line in adapter.check() if "outcomes" in line]
    assert "outcomes.currency: Opportunity has no field 'CurrencyIsoCode'" in problem


def test_without_an_outcomes_section_nothing_is_read_and_no_call_is_made(sandbox, org):
    adapter = _adapter(sandbox, outcomes=None)
    assert list(adapter.pull_outcomes(None)) == []
    assert list(adapter.pull_outcomes(Bookmark("outcomes", T0))) == []
    assert adapter.usage().calls == 0


def test_an_incremental_pull_with_nothing_changed_costs_one_call(sandbox, org, clock):
    _, bookmark = _pull(_adapter(sandbox), None)
    # The first pull read no roles of their own: the next one reads those stamped at or after its bookmark once.
    _, bookmark = _pull(_adapter(sandbox), bookmark)
    clock.advance(hours=1)
    adapter = _adapter(sandbox)
    assert _pull(adapter, bookmark)[0] == []
    assert adapter.usage().calls == 1  # Opportunity and OpportunityContactRole share one Composite call


def test_a_large_first_pull_reads_opportunities_through_bulk_api_2(sandbox, org):
    for number in range(5):
        sandbox.app.insert(
            "Opportunity", {"Name": f"Deal {number}", "StageName": "Closed Lost", "CloseDate": "2026-10-01"}
        )
    records, bookmark = _pull(_adapter(sandbox, pull=PULL | {"bulk_threshold": 3}), None)
    assert len(records) == 6 and bookmark is not None
    lost = [record for record in records if record.crm_id != org.deal]
    assert {(r.closed, r.won, r.closed_at) for r in lost} == {(True, False, datetime(2026, 10, 1, tzinfo=UTC))}
    (deal,) = [record for record in records if record.crm_id == org.deal]
    assert len(deal.contacts) == 2 and deal.amount == 24000.0
    assert sandbox.server.stats.snapshot()["by_route"]["sf.bulk2.create"] == 1


def test_contacts_are_listed_once_even_with_two_roles(sandbox, org):
    org.role(org.buyer, "Economic Buyer")
    (deal,), _ = _pull(_adapter(sandbox), None)
    assert [c for c in deal.contacts if c.crm_id == org.buyer] == [
        OutcomeContact("Contact", org.buyer, "Decision Maker", True)
    ]


def test_a_mapping_that_reads_no_leads_links_the_contact_a_lead_became_and_not_the_lead(sandbox, org):
    sandbox.app.store.delete("OpportunityContactRole", org.buyer_role)  # the converted buyer has no role left
    mapping = small_mapping(objects={"Contact": {"fields": {"email": "Email"}}}, outcomes=OUTCOMES, pull=PULL)
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5))
    adapter = SalesforceAdapter(settings, mapping, sleep=RecordedSleep(), environ=SECRETS, clock=sandbox.app.clock)
    (deal,), _ = _pull(adapter, None)
    assert _people(deal) == [("Contact", org.buyer, None, False), ("Contact", org.evaluator, "Evaluator", False)]


def test_a_stage_the_org_adds_counts_as_salesforce_marks_it_and_passes_the_check(sandbox, org, clock):
    stage = {"MasterLabel": "Signed", "ApiName": "Signed", "IsActive": True, "IsClosed": True, "IsWon": True}
    sandbox.app.store.insert("OpportunityStage", stage)
    sandbox.app.store.update("Opportunity", org.deal, {"StageName": "Signed"})
    adapter = _adapter(sandbox, OUTCOMES | {"won_stages": ["Signed", "Closed Won"]})
    assert not [line for line in adapter.check() if "outcomes" in line]
    (deal,), _ = _pull(_adapter(sandbox), None)  # no stage lists: Salesforce's IsWon decides
    assert (deal.stage, deal.closed, deal.won) == ("Signed", True, True)
