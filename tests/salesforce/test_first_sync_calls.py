"""What a first sync spends before it reads: the check's one describe call also carries the COUNT() queries that
choose Bulk or REST, so the reads that follow ask for no count of their own."""

from __future__ import annotations

from dataclasses import replace

from adapters.salesforce.adapter import SalesforceAdapter, described_objects
from adapters.salesforce.settings import SalesforceSettings
from adapters.sandbox.salesforce.schema import FieldSpec
from tests.salesforce.conftest import SECRETS, RecordedSleep, example_mapping, sandbox_login, small_mapping
from tests.salesforce.test_tasks import _task


def _adapter(sandbox) -> SalesforceAdapter:
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5))
    return SalesforceAdapter(settings, small_mapping(), sleep=RecordedSleep(), environ=SECRETS, clock=sandbox.app.clock)


def _routes(sandbox) -> dict[str, int]:
    return sandbox.server.stats.snapshot()["by_route"]


def test_after_the_check_a_first_read_of_contacts_and_activities_costs_one_call_each(sandbox):
    for number in range(3):
        sandbox.app.insert("Lead", {"LastName": f"L{number}", "Company": "Acme"})
    adapter = _adapter(sandbox)
    adapter.check()
    sandbox.server.stats.reset()

    contacts = [record for page in adapter.pull_contacts(None) for record in page.records]
    assert len(contacts) == 3
    assert _routes(sandbox) == {"sf.composite": 1}  # the first pages of Lead and Contact, no count

    list(adapter.pull_activities(None))
    assert _routes(sandbox) == {"sf.composite": 1, "sf.query": 1}  # Task's first page alone, no count


def test_without_a_check_the_counts_of_later_streams_ride_in_the_first_count_call(sandbox):
    adapter = _adapter(sandbox)
    list(adapter.pull_contacts(None))
    list(adapter.pull_activities(None))
    # contacts: one call for the counts of Lead, Contact and Task, one for the first pages; activities: one page
    assert _routes(sandbox) == {"sf.oauth.token": 1, "sf.composite": 2, "sf.query": 1}


def test_the_shipped_mappings_related_objects_are_described_in_the_same_batch():
    named = described_objects(example_mapping())
    assert {"Campaign", "Account"} <= set(named) and len(set(named)) <= 20


def _tasked_org(sandbox):
    sandbox.app.store.add_custom_field("Task", FieldSpec("ScoreBridge_Key__c", "string", length=128, custom=True))
    return sandbox.app.insert("Lead", {"LastName": "L", "Company": "Acme"})


def test_an_org_without_tasks_of_ours_at_the_check_makes_the_first_look_up_free(sandbox):
    lead = _tasked_org(sandbox)
    adapter = _adapter(sandbox)
    adapter.check()
    sandbox.server.stats.reset()
    assert adapter.find_tasks(["k1"]) == {}
    assert _routes(sandbox) == {}
    adapter.create_tasks([replace(_task(1, owner=None), crm_id=lead, idempotency_key="k1")])
    assert adapter.find_tasks(["k1"]) != {}  # the answer served once: later look-ups ask the org


def test_after_an_earlier_attempt_the_look_up_asks_the_org_whatever_the_check_saw(sandbox):
    lead = _tasked_org(sandbox)
    adapter = _adapter(sandbox)
    adapter.check()
    adapter.create_tasks(
        [replace(_task(1, owner=None), crm_id=lead, idempotency_key="k1")]
    )  # as a killed run might have
    adapter.settle_task_creates()
    assert list(adapter.find_tasks(["k1"])) == ["k1"]
