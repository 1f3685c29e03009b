"""Follow-up against the Salesforce stand-in: Task states read back by Id, managers from User.ManagerId, and a
reassignment through sObject Collections, each in the fewest calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.settings import SalesforceSettings
from adapters.sandbox.http import Fault
from adapters.sandbox.salesforce.reps import age_tasks, complete_share, complete_task
from adapters.sandbox.salesforce.schema import FieldSpec
from connector.crm import TaskReassignment, TaskRequest, TaskState
from tests.salesforce.conftest import SECRETS, T0, RecordedSleep, sandbox_login, small_mapping


def _adapter(sandbox) -> SalesforceAdapter:
    return SalesforceAdapter(
        SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5)),
        small_mapping(),
        sleep=RecordedSleep(),
        environ=SECRETS,
        clock=sandbox.app.clock,
    )


def _user(sandbox, name: str, manager: str | None = None) -> str:
    fields = {"Username": f"{name}@acme.io", "LastName": name, "Email": f"{name}@acme.io"}
    return sandbox.app.insert("User", fields | ({"ManagerId": manager} if manager else {}))


def _tasks(sandbox, adapter, count: int, owner: str) -> list[str]:
    sandbox.app.store.add_custom_field("Task", FieldSpec("ScoreBridge_Key__c", "string", length=80, custom=True))
    lead = sandbox.app.insert("Lead", {"LastName": "Lee", "Company": "Acme", "Email": "sarah@acme.io"})
    due = datetime(2026, 11, 3, tzinfo=UTC)
    requests = [
        TaskRequest(f"Lead:{lead}:sql:{n}", "Lead", lead, owner, "Call", "Call her.", due) for n in range(count)
    ]
    return [result.crm_task_id for result in adapter.create_tasks(requests)]


def _calls(adapter) -> int:
    """API calls as Salesforce counts them (logins are not)."""
    return adapter.usage().calls


def test_states_of_a_thousand_tasks_cost_one_call_and_say_who_completed_what(sandbox, clock):
    owner = _user(sandbox, "rep")
    adapter = _adapter(sandbox)
    task_ids = _tasks(sandbox, adapter, 1001, owner)
    complete_task(sandbox.app.store, task_ids[0])
    sandbox.app.store.delete("Task", task_ids[1])
    sandbox.app.store.update("Task", task_ids[2], {"Status": "In Progress"})
    before = _calls(adapter)

    states = adapter.task_states(task_ids)

    assert _calls(adapter) - before == 2  # 1,000 ids in five Composite queries, then the last one alone
    assert states[task_ids[0]] == TaskState(task_ids[0], "Completed", True, owner, T0)
    assert task_ids[1] not in states
    assert (states[task_ids[2]].status, states[task_ids[2]].closed) == ("In Progress", False)
    assert len(states) == 1000


def test_a_fifteen_character_id_is_answered_under_the_id_given(sandbox):
    adapter = _adapter(sandbox)
    [task_id] = _tasks(sandbox, adapter, 1, _user(sandbox, "rep"))
    assert set(adapter.task_states([task_id[:15]])) == {task_id[:15]}


def test_managers_come_from_user_manager_id_in_one_call(sandbox):
    director = _user(sandbox, "director")
    rep, loner = _user(sandbox, "rep", manager=director), _user(sandbox, "loner")
    adapter = _adapter(sandbox)
    before = _calls(adapter)

    managers = adapter.owner_managers([rep, loner, "00G000000000001"])  # a queue owns no manager

    assert managers == {rep: director}
    assert _calls(adapter) - before == 1


def test_a_reassignment_sets_the_task_owner_and_reports_a_refusal_per_task(sandbox):
    rep, director = _user(sandbox, "rep"), _user(sandbox, "director")
    adapter = _adapter(sandbox)
    task_id, other = _tasks(sandbox, adapter, 2, rep)
    sandbox.app.store.delete("Task", other)

    results = adapter.reassign_tasks([TaskReassignment(task_id, director), TaskReassignment(other, director)])

    assert [result.ok for result in results] == [True, False]
    assert sandbox.app.store.get(task_id)["OwnerId"] == director


def test_the_reps_complete_a_seeded_share_of_the_open_tasks(sandbox):
    adapter = _adapter(sandbox)
    task_ids = _tasks(sandbox, adapter, 200, _user(sandbox, "rep"))

    sandbox.server.app.apply_fault(Fault(kind="reps_work", share=0.25))
    states = adapter.task_states(task_ids)
    completed = {task_id for task_id, state in states.items() if state.closed}

    assert 30 <= len(completed) <= 70  # a quarter, give or take the draw
    assert complete_share(sandbox.app.store, 0.25) == []  # the same draw: those are done already


def test_aged_tasks_read_as_created_that_long_ago(sandbox):
    adapter = _adapter(sandbox)
    [task_id] = _tasks(sandbox, adapter, 1, _user(sandbox, "rep"))
    age_tasks(sandbox.app.store, 30)
    assert adapter.task_states([task_id])[task_id].created_at == T0 - timedelta(hours=30)


def test_the_generated_population_reports_to_a_sales_director(sandbox):
    from adapters.sandbox.population import generate_population

    sandbox.app.load_population(generate_population(10, seed=3, now=T0))
    users = [row for row in sandbox.app.store.rows("User") if row["Title"] == "Account Executive"]
    [director] = [row for row in sandbox.app.store.rows("User") if row["Title"] == "Sales Director"]
    assert users and {row["ManagerId"] for row in users} == {director["Id"]}
    assert director["ManagerId"] is None
