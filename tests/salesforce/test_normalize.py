from datetime import UTC, datetime

from adapters.salesforce.normalize import activity_record, contact_record
from tests.salesforce.conftest import example_mapping, record

STAMP = "2026-11-01T12:00:00.000+0000"


def test_lead_fields_become_a_normalized_contact():
    lead = contact_record(
        "Lead",
        record(
            "Lead",
            "00Q1",
            STAMP,
            Email="Ana@Example.COM",
            NumberOfEmployees=250,
            AnnualRevenue=1.5e6,
            Status="Working - Contacted",
        ),
        example_mapping().objects["Lead"],
    )
    assert (lead.email, lead.employees, lead.annual_revenue, lead.lifecycle) == ("ana@example.com", 250, 1.5e6, "lead")
    assert lead.modified_at == datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert lead.warnings == {}


def test_an_unreadable_number_leaves_the_field_empty_with_a_warning():
    lead = contact_record(
        "Lead", record("Lead", "00Q1", STAMP, NumberOfEmployees="lots"), example_mapping().objects["Lead"]
    )
    assert lead.employees is None
    assert "NumberOfEmployees" in lead.warnings["employees"] and "lots" in lead.warnings["employees"]


def test_an_unexpected_picklist_value_leaves_the_field_empty_with_a_warning():
    lead = contact_record("Lead", record("Lead", "00Q1", STAMP, Status="Nurture"), example_mapping().objects["Lead"])
    assert lead.lifecycle is None
    assert "Nurture" in lead.warnings["lifecycle"]


def test_numbers_written_as_text_are_parsed():
    lead = contact_record(
        "Lead", record("Lead", "00Q1", STAMP, NumberOfEmployees="1,200"), example_mapping().objects["Lead"]
    )
    assert lead.employees == 1200


def test_contact_parent_fields_are_read_from_nested_json_and_from_flat_bulk_columns():
    mapping = example_mapping().objects["Contact"]
    nested = record("Contact", "0031", STAMP, Account={"Industry": "Software", "Type": "Customer - Direct"})
    flat = record("Contact", "0032", STAMP, **{"Account.Industry": "Software", "Account.Type": "Prospect"})
    assert contact_record("Contact", nested, mapping).industry == "Software"
    assert contact_record("Contact", nested, mapping).is_customer is True
    assert contact_record("Contact", flat, mapping).industry == "Software"
    assert contact_record("Contact", flat, mapping).is_customer is False


def test_a_converted_lead_points_at_the_contact_it_became():
    row = record("Lead", "00Q1", STAMP, IsConverted=True, ConvertedContactId="0035e00000AbCdE")
    assert contact_record("Lead", row, example_mapping().objects["Lead"]).merged_into == "Contact:0035e00000AbCdE"


def test_fields_outside_the_standard_set_land_in_extra():
    lead = contact_record("Lead", record("Lead", "00Q1", STAMP, Rating="Hot"), example_mapping().objects["Lead"])
    assert lead.extra["rating"] == "Hot"


def test_bulk_csv_booleans_and_deletion_flags_are_read():
    row = {"Id": "00Q1", "SystemModstamp": STAMP, "IsDeleted": "true", "HasOptedOutOfEmail": "true", "Email": ""}
    lead = contact_record("Lead", row, example_mapping().objects["Lead"])
    assert lead.deleted and lead.email_opt_out and lead.email is None


def _task(**fields):
    return record("Task", "00T1", STAMP, **fields)


def test_a_call_task_becomes_a_call_of_its_lead():
    rules = example_mapping().activity_objects()["Task"]
    activity = activity_record(_task(TaskSubtype="Call", WhoId="00Q5e000001", CallDisposition="Reached"), rules)
    assert (activity.type, activity.contact_object_type, activity.contact_crm_id) == ("call", "Lead", "00Q5e000001")
    assert activity.attributes == {"outcome": "Reached"}


def test_an_email_opened_task_becomes_an_email_open_of_its_contact():
    rules = example_mapping().activity_objects()["Task"]
    activity = activity_record(_task(TaskSubtype="Task", Subject="Email Opened: Q4 offer", WhoId="0035e000002"), rules)
    assert (activity.type, activity.contact_object_type) == ("email_open", "Contact")


def test_a_task_linked_to_no_lead_or_contact_is_skipped():
    rules = example_mapping().activity_objects()["Task"]
    assert activity_record(_task(TaskSubtype="Call", WhoId=None), rules) is None
    assert activity_record(_task(TaskSubtype="Call", WhoId="0015e000003"), rules) is None  # an Account


def test_a_webinar_attendance_becomes_webinar_attended_of_the_contact_before_the_lead():
    rules = example_mapping().activity_objects()["CampaignMember"]
    member = record(
        "CampaignMember",
        "00v1",
        STAMP,
        Status="Attended",
        HasResponded=True,
        Campaign={"Type": "Webinar", "Name": "Scaling RevOps"},
        ContactId="0035e000002",
        LeadId="00Q5e000001",
        FirstRespondedDate="2026-10-20",
    )
    activity = activity_record(member, rules)
    assert (activity.type, activity.contact_crm_id) == ("webinar_attended", "0035e000002")
    assert activity.occurred_at == datetime(2026, 10, 20, tzinfo=UTC)
    assert activity.attributes == {"campaign": "Scaling RevOps"}


def test_a_campaign_member_of_another_campaign_type_matches_no_rule():
    rules = example_mapping().activity_objects()["CampaignMember"]
    member = record("CampaignMember", "00v1", STAMP, HasResponded=True, Campaign={"Type": "Email"}, LeadId="00Q5e1")
    assert activity_record(member, rules) is None
