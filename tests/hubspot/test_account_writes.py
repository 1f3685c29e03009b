"""Account scores onto companies (batched as contacts' are), the company properties `setup` creates and `check`
reads, and tasks for an account's owner linked to the company."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.hubspot.tasks import TASK_TO_COMPANY
from connector.crm import ScoreWrite, TaskRequest, WriteResult
from tests.hubspot.conftest import add_contact, route_calls

DUE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def company(sandbox, name: str = "Acme", **properties) -> str:
    return sandbox.app.insert("companies", {"name": name, **properties})


def stored(sandbox, object_type: str, crm_id: str) -> dict[str, str]:
    return sandbox.app.portal.objects.get(object_type, crm_id).properties


def test_setup_creates_the_company_properties_in_the_scorebridge_group_and_is_idempotent(sandbox, adapter):
    actions = adapter.setup()
    assert "created companies property group 'scorebridge'" in actions
    assert "created companies property 'scorebridge_account_score' (number) in group 'scorebridge'" in actions
    assert "created companies property 'scorebridge_account_stage' (string) in group 'scorebridge'" in actions
    catalog = sandbox.app.portal.catalog
    assert catalog.get("companies", "scorebridge_account_reasons").field_type == "textarea"
    assert catalog.get("companies", "scorebridge_account_engaged_contacts").type == "number"
    assert adapter.setup() == [] and adapter.check() == []


def test_check_names_a_missing_company_property_and_a_stage_the_portal_lacks(sandbox, make_adapter, mapping):
    accounts = mapping.accounts.model_copy(
        update={
            "fields": {**mapping.accounts.fields, "industry": "sector"},
            "values": {"is_customer": mapping.accounts.values["is_customer"].model_copy(
                update={"values": {"customer": True, "champion": True}})},
        }
    )  # fmt: skip
    adapter = make_adapter(sandbox, mapping=mapping.model_copy(update={"accounts": accounts}))
    problems = adapter.check()
    assert "mapping accounts.fields: companies property 'sector' does not exist in this portal (fix the mapping)" in (
        problems
    )
    assert any(p.startswith("mapping accounts.fields.is_customer: 'champion' is not a companies") for p in problems)
    assert any("companies property 'scorebridge_account_score' does not exist" in p for p in problems)  # run setup


def test_account_scores_go_to_company_properties_and_contact_scores_to_contacts_in_the_given_order(sandbox, adapter):
    adapter.setup()
    acme, ann = company(sandbox), add_contact(sandbox, "ann@acme.com")
    results = adapter.write_scores(
        [
            ScoreWrite("companies", acme, {"score": 81.5, "stage": "hot", "engaged_contacts": 3, "grade": "A"}),
            ScoreWrite("contact", ann, {"fit": 40}),
            ScoreWrite("companies", acme, {"reasons": "3 engaged contacts\nDemo attended"}),
        ]
    )
    assert results == [WriteResult(acme, True), WriteResult(ann, True), WriteResult(acme, True)]
    values = stored(sandbox, "companies", acme)
    assert values["scorebridge_account_score"] == "81.5" and values["scorebridge_account_stage"] == "hot"
    assert (
        values["scorebridge_account_engaged_contacts"] == "3"
        and "Demo attended" in values["scorebridge_account_reasons"]
    )
    assert stored(sandbox, "contacts", ann)["scorebridge_fit_score"] == "40"


def test_company_writes_are_batched_100_per_call_and_an_unknown_company_fails_alone(sandbox, adapter):
    adapter.setup()
    ids = [company(sandbox, f"C{n}") for n in range(150)]
    before = route_calls(sandbox, "hubspot.objects.batch_update")
    writes = [ScoreWrite("companies", crm_id, {"score": 10}) for crm_id in ids] + [
        ScoreWrite("companies", "987654321", {"score": 10})
    ]
    results = adapter.write_scores(writes)
    assert route_calls(sandbox, "hubspot.objects.batch_update") - before == 2
    assert all(result.ok for result in results[:-1])
    assert not results[-1].ok and results[-1].error_code == "OBJECT_NOT_FOUND"


def test_an_account_task_is_linked_to_the_company_and_given_to_its_owner(sandbox, adapter):
    adapter.setup()
    owner = sandbox.app.portal.add_owner("owner@example.com", "Olga", "Owner").id
    acme = company(sandbox, hubspot_owner_id=owner)
    task = TaskRequest("acct-1", "companies", acme, owner, "Acme is hot", "Ann Lee: demo attended", DUE)
    (result,) = adapter.create_tasks([task])
    assert result.crm_task_id and result.error_code is None
    assert stored(sandbox, "tasks", result.crm_task_id)["hubspot_owner_id"] == owner
    links = sandbox.app.portal.associations.targets("tasks", int(result.crm_task_id), "companies")
    assert links == [(int(acme), [TASK_TO_COMPANY])]
    assert sandbox.app.portal.associations.targets("tasks", int(result.crm_task_id), "contacts") == []
    assert adapter.find_tasks(["acct-1"]) == {"acct-1": result.crm_task_id}
