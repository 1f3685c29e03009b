"""`check()` against the org's describe, and `setup()` creating missing fields through the Tooling API."""

import json

from tests.salesforce.conftest import API, json_body

TOOLING_FIELDS = f"{API}/tooling/sobjects/CustomField/"


def _field(name, type_="string", **extra):
    return {"name": name, "type": type_, "updateable": True, "relationshipName": None, "referenceTo": [], **extra}


LEAD_FIELDS = [
    _field("Id", "id", updateable=False),
    _field("Email", "email"),
    _field("Industry", "picklist"),
    _field("NumberOfEmployees", "int"),
    _field("ScoreBridge_Fit__c", "double"),
    _field("ScoreBridge_Stage__c", "string"),
]
CONTACT_FIELDS = [
    _field("Email", "email"),
    _field("AccountId", "reference", relationshipName="Account", referenceTo=["Account"]),
    _field("ScoreBridge_Fit__c", "double"),
]
ACCOUNT_FIELDS = [_field("Industry", "picklist"), _field("Name")]
TASK_FIELDS = [
    _field("Subject"),
    _field("TaskSubtype", "picklist"),
    _field("WhoId", "reference"),
    _field("CreatedDate", "datetime"),
]


def _describe(org, object_name, fields):
    org.add("GET", f"{API}/sobjects/{object_name}/describe/", json={"name": object_name, "fields": fields})


def _org_with(org, lead=LEAD_FIELDS, contact=CONTACT_FIELDS, task=TASK_FIELDS):
    _describe(org, "Lead", lead)
    _describe(org, "Contact", contact)
    _describe(org, "Account", ACCOUNT_FIELDS)
    _describe(org, "Task", task)


def test_a_matching_org_has_only_the_missing_task_key_field_to_report(org, adapter):
    _org_with(org)
    (problem,) = adapter.check()
    assert problem.startswith("test-mapping.yaml: tasks.key_field: Task has no field 'ScoreBridge_Key__c'")
    assert "scorebridge setup" in problem


def test_a_misspelt_field_is_reported_with_file_key_suggestion_and_field_list(org, adapter):
    _org_with(
        org, lead=[f for f in LEAD_FIELDS if f["name"] != "NumberOfEmployees"] + [_field("NumberOfEmployes", "int")]
    )
    problems = adapter.check()
    (problem,) = [p for p in problems if "employees" in p]
    assert problem.startswith("test-mapping.yaml: objects.Lead.fields.employees: Lead has no field 'NumberOfEmployees'")
    assert "did you mean NumberOfEmployes?" in problem
    assert "Lead fields: Email, Id, Industry, NumberOfEmployes" in problem


def test_a_broken_parent_path_names_the_relationships_available(org, adapter):
    _org_with(org, contact=[f for f in CONTACT_FIELDS if f["name"] != "AccountId"])
    (problem,) = [p for p in adapter.check() if "Contact.fields.industry" in p]
    assert "Contact has no relationship 'Account'" in problem


def test_a_write_back_field_that_cannot_hold_a_number_is_reported(org, adapter):
    lead = [f for f in LEAD_FIELDS if f["name"] != "ScoreBridge_Fit__c"] + [_field("ScoreBridge_Fit__c", "boolean")]
    _org_with(org, lead=lead)
    (problem,) = [p for p in adapter.check() if "write_back.fit" in p and "Lead" in p]
    assert "is of type boolean, which cannot hold a number" in problem


def test_an_object_the_user_cannot_see_is_reported(org, adapter):
    org.add("GET", f"{API}/sobjects/Lead/describe/", status=404, json=[{"errorCode": "NOT_FOUND", "message": "nope"}])
    _describe(org, "Contact", CONTACT_FIELDS)
    _describe(org, "Account", ACCOUNT_FIELDS)
    _describe(org, "Task", TASK_FIELDS)
    assert any(p.startswith("test-mapping.yaml: objects.Lead: the org has no object 'Lead'") for p in adapter.check())


def test_setup_creates_only_the_missing_fields_and_reports_each(org, adapter):
    _org_with(org, contact=[f for f in CONTACT_FIELDS if f["name"] != "ScoreBridge_Fit__c"])
    org.add("POST", TOOLING_FIELDS, status=201, json={"id": "00N1", "success": True, "errors": []})
    _describe(org, "Contact", CONTACT_FIELDS)  # re-read after the create
    actions = adapter.setup()
    created = [json_body(call.request) for call in org.calls if call.request.url == TOOLING_FIELDS]
    assert [body["FullName"] for body in created] == ["Contact.ScoreBridge_Fit__c", "Activity.ScoreBridge_Key__c"]
    assert created[0]["Metadata"]["type"] == "Number" and created[1]["Metadata"] == {
        "type": "Text",
        "length": 128,
        "label": "ScoreBridge Key",
        "description": "ScoreBridge idempotency key.",
    }
    assert actions == [
        "Lead.ScoreBridge_Fit__c already exists",
        "Lead.ScoreBridge_Stage__c already exists",
        "created Contact.ScoreBridge_Fit__c (Number)",
        "created Activity.ScoreBridge_Key__c (Text(128))",
    ]


def test_setup_run_again_on_a_complete_org_changes_nothing(org, adapter):
    _org_with(org, task=[*TASK_FIELDS, _field("ScoreBridge_Key__c")])
    actions = adapter.setup()
    assert all(action.endswith("already exists") for action in actions)
    assert not any("/tooling/" in call.request.url for call in org.calls)  # no field created


def test_setup_treats_a_field_created_meanwhile_as_existing(org, adapter):
    _org_with(org, task=[*TASK_FIELDS, _field("ScoreBridge_Key__c")], contact=CONTACT_FIELDS[:2])
    duplicate = [{"errorCode": "DUPLICATE_DEVELOPER_NAME", "message": "already used"}]
    org.add("POST", TOOLING_FIELDS, status=400, body=json.dumps(duplicate))
    assert "Contact.ScoreBridge_Fit__c already exists" in adapter.setup()
