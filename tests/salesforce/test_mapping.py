import pytest

from adapters.salesforce.mapping import parse_mapping
from connector.errors import ConfigError
from tests.salesforce.conftest import example_mapping


def test_the_documented_example_mapping_is_valid():
    mapping = example_mapping()
    assert set(mapping.objects) == {"Lead", "Contact"}
    assert mapping.objects["Contact"].fields["industry"].field == "Account.Industry"
    assert [rule.type for rule in mapping.activity_objects()["Task"]] == ["not_interested", "call", "email_open"]
    assert mapping.pull.lookback_seconds == 600


def test_a_field_given_as_a_string_is_short_for_field_only():
    mapping = parse_mapping({"objects": {"Lead": {"fields": {"email": "Email"}}}}, source="m.yaml")
    assert mapping.objects["Lead"].fields["email"].field == "Email"


def test_an_unknown_object_is_reported_with_file_and_key():
    with pytest.raises(ConfigError) as raised:
        parse_mapping({"objects": {"Opportunity": {}}}, source="m.yaml")
    assert str(raised.value).startswith("m.yaml: objects.Opportunity")


def test_an_activity_rule_on_a_custom_object_must_say_where_its_contact_is():
    raw = {"objects": {"Lead": {}}, "activities": [{"object": "Visit__c", "type": "page_view"}]}
    with pytest.raises(ConfigError) as raised:
        parse_mapping(raw, source="m.yaml")
    assert "activities[0]" in str(raised.value) and "who" in str(raised.value)


def test_page_size_outside_salesforce_bounds_is_refused():
    with pytest.raises(ConfigError) as raised:
        parse_mapping({"objects": {"Lead": {}}, "pull": {"page_size": 5000}}, source="m.yaml")
    assert "pull.page_size" in str(raised.value)


def test_the_example_mapping_reads_outcomes_with_the_contacts_lead_source_vocabulary():
    outcomes = example_mapping().outcomes
    assert (outcomes.won_stages, outcomes.lost_stages) == (("Closed Won",), ("Closed Lost",))
    assert outcomes.lead_source.translate("Partner Referral") == "Referrals"


def test_without_an_outcomes_section_no_outcomes_are_read():
    assert parse_mapping({"objects": {"Lead": {}}}, source="m.yaml").outcomes is None


def test_a_stage_counted_both_won_and_lost_is_refused_with_its_key():
    raw = {"objects": {"Lead": {}}, "outcomes": {"won_stages": ["Signed"], "lost_stages": ["Signed", "Lost"]}}
    with pytest.raises(ConfigError, match=r"^m\.yaml: outcomes: .*'Signed' cannot count as both won and lost"):
        parse_mapping(raw, source="m.yaml")


def test_an_outcome_field_that_would_break_soql_is_refused():
    raw = {"objects": {"Lead": {}}, "outcomes": {"amount": "Amount) OR (Id != null"}}
    with pytest.raises(ConfigError, match=r"^m\.yaml: outcomes\.amount: .*not a Salesforce field name"):
        parse_mapping(raw, source="m.yaml")
