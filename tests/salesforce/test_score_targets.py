"""Group scores and the fall-below day in Salesforce: mapping keys, the fields `setup` creates, the values sent."""

from __future__ import annotations

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.schema import mapping_problems
from adapters.salesforce.settings import SalesforceSettings
from adapters.salesforce.setup import field_metadata
from connector.crm import ScoreWrite
from connector.errors import ConfigError
from tests.salesforce.conftest import SECRETS, RecordedSleep, sandbox_login, small_mapping

TARGETS = {
    "fit": "ScoreBridge_Fit__c",
    "stage_until": "ScoreBridge_Stage_Until__c",
    "groups.analytics.lead": "Analytics_Lead__c",
    "groups.analytics.stage": "Analytics_Stage__c",
}


def _mapping(write_back=TARGETS):
    lead = {"fields": {"email": "Email"}, "write_back": write_back}
    return small_mapping(objects={"Lead": lead}, pull={"page_size": 200, "lookback_seconds": 0, "bulk_threshold": None})


def test_the_mapping_takes_group_and_date_targets():
    assert _mapping().objects["Lead"].write_back == TARGETS


@pytest.mark.parametrize("target", ["groups.analytics.recency", "stage_untill", "groups.analytics"])
def test_an_unknown_target_is_refused_in_one_line_naming_file_and_key(target):
    with pytest.raises(ConfigError) as refused:
        _mapping({target: "Some_Field__c"})
    message = str(refused.value)
    assert "test-mapping.yaml" in message and "objects.Lead.write_back" in message
    assert f"unknown write-back target {target!r}" in message and "\n" not in message


def test_setup_shapes_each_field_by_what_its_target_holds():
    assert field_metadata("stage_until", "ScoreBridge_Stage_Until__c")["type"] == "Date"
    assert field_metadata("groups.analytics.lead", "Analytics_Lead__c")["type"] == "Number"
    stage = field_metadata("groups.analytics.stage", "Analytics_Stage__c")
    assert (stage["type"], stage["length"]) == ("Text", 40)  # as long as the contact's own stage field


def _adapter(sandbox) -> SalesforceAdapter:
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5))
    return SalesforceAdapter(settings, _mapping(), sleep=RecordedSleep(), environ=SECRETS, clock=sandbox.app.clock)


def test_setup_creates_date_number_and_text_fields_that_then_take_the_values(sandbox):
    adapter = _adapter(sandbox)
    actions = adapter.setup()
    assert "created Lead.ScoreBridge_Stage_Until__c (Date)" in actions
    assert "created Lead.Analytics_Lead__c (Number)" in actions
    assert "created Lead.Analytics_Stage__c (Text(40))" in actions
    assert adapter.write_targets() == frozenset(TARGETS)
    lead = sandbox.app.insert("Lead", {"LastName": "Ann", "Company": "Acme"})
    values = {"fit": 12, "stage_until": "2026-12-20", "groups.analytics.lead": 40, "groups.analytics.stage": "mql"}
    [result] = adapter.write_scores([ScoreWrite("Lead", lead, values)])
    assert result.ok, result
    record = sandbox.app.store.get(lead)
    assert record["ScoreBridge_Stage_Until__c"] == "2026-12-20"
    assert (record["Analytics_Lead__c"], record["Analytics_Stage__c"]) == (40, "mql")
    [cleared] = adapter.write_scores([ScoreWrite("Lead", lead, {"stage_until": None})])
    assert cleared.ok and sandbox.app.store.get(lead)["ScoreBridge_Stage_Until__c"] is None


def test_a_date_target_on_a_number_field_is_a_problem_naming_the_key(sandbox):
    adapter = _adapter(sandbox)
    adapter.setup()
    wrong = _mapping(TARGETS | {"stage_until": "Analytics_Lead__c"})
    problems = mapping_problems(adapter._schema, wrong)
    [problem] = [p for p in problems if "stage_until" in p]
    assert "objects.Lead.write_back.stage_until: Lead.Analytics_Lead__c is of type double" in problem
    assert problem.endswith("cannot hold a date")
