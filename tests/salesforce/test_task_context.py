"""What a task's text gets from the org: the Lightning page of the record, and the org's words for the stages."""

from __future__ import annotations

from adapters.salesforce.task_context import stage_words
from tests.salesforce.conftest import INSTANCE, example_mapping, small_mapping


def test_the_record_link_is_the_lightning_page_on_the_sessions_instance(adapter):
    context = adapter.task_context()

    assert context.record_link("Lead", "00Q5g00000AbCdEAAZ") == f"{INSTANCE}/lightning/r/Lead/00Q5g00000AbCdEAAZ/view"


def test_a_stage_is_named_by_the_one_lead_status_that_gives_it():
    # The shipped map gives `lead` from five statuses and `other` from two: no single word for them.
    assert stage_words(example_mapping()) == {"sales_qualified": "Qualified", "opportunity": "Closed - Converted"}


def test_an_org_whose_statuses_name_the_models_stages_lends_its_words():
    statuses = {"Marketing Qualified": "mql", "Sales Qualified": "sql", "Open": "lead", "Working": "lead"}
    lead = {"fields": {"email": "Email", "lifecycle": {"field": "Status", "values": statuses}}}

    assert stage_words(small_mapping(objects={"Lead": lead})) == {
        "mql": "Marketing Qualified",
        "sql": "Sales Qualified",
    }
