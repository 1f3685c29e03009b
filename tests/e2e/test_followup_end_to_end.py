"""Worked example of the follow-up SLA in both CRMs: the reps complete some tasks and leave the rest alone for
longer than `follow_up.sla_hours`; each task left open is escalated exactly once (to the owner's manager in
Salesforce, to `escalate_to` in HubSpot), across a second run and across a kill, and a completed task never is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import yaml

from adapters.sandbox.hubspot import reps as hubspot_reps
from adapters.sandbox.salesforce import reps as salesforce_reps
from connector.config import load_config
from connector.sync import SyncReport
from tests.e2e import crm_state
from tests.e2e.conftest import SandboxWorld
from tests.e2e.test_kill_and_restart import TASK_ROUTES, KillPoint, run_killed_at, run_to_the_end

SLA_HOURS = 24
PREFIX = "escalation:"


def with_follow_up(world: SandboxWorld) -> str:
    """Turn the follow-up on in the connector file (so `scorebridge sync` children see it too); returns who the
    escalations go to: the population's sales director in Salesforce, the first owner in HubSpot.

    In Salesforce the director is every population user's manager and also `escalate_to`: a lead a queue owns
    gets its task assigned to the integration user, who (as in a real org) reports to nobody. Whether the
    population holds such a lead with a task depends on the time of day the population is generated."""
    document = yaml.safe_load(world.config_file.read_text())
    policy: dict = {"sla_hours": SLA_HOURS, "escalate": "manager"}
    if world.crm == "salesforce":
        [director] = [row["Id"] for row in world.app.store.rows("User") if row["Title"] == "Sales Director"]
        manager = policy["escalate_to"] = director
    else:
        manager = policy["escalate_to"] = min(world.app.portal.owners)
    document["connections"][0]["follow_up"] = policy
    world.config_file.write_text(yaml.safe_dump(document, sort_keys=False))
    world.config = load_config(world.config_file)
    return manager


def leave_alone(world: SandboxWorld, task_ids: list[str], hours: float) -> None:
    """The tasks were created `hours` ago and nobody touched them since."""
    if world.crm == "salesforce":
        salesforce_reps.age_tasks(world.app.store, hours, task_ids)
    else:
        hubspot_reps.age_tasks(world.app.portal, hours, task_ids)


def reps_complete_some(world: SandboxWorld) -> tuple[set[str], set[str]]:
    """The reps complete every other task (by key); returns the keys of the (completed, still open) tasks, and
    makes every one of them older than the SLA."""
    held = crm_state.held_tasks(world.crm, world.app)
    completed = set(sorted(held)[::2])
    for key in completed:
        if world.crm == "salesforce":
            salesforce_reps.complete_task(world.app.store, held[key].task_id)
        else:
            hubspot_reps.complete_task(world.app.portal, held[key].task_id)
    leave_alone(world, [task.task_id for task in held.values()], SLA_HOURS + 1)
    assert completed and len(completed) < len(held), f"{len(completed)} of {len(held)} completed"
    return completed, set(held) - completed


def escalations(world: SandboxWorld) -> dict[str, crm_state.HeldTask]:
    """Original key -> the escalation task the CRM holds for it."""
    held = crm_state.held_tasks(world.crm, world.app)
    return {key.removeprefix(PREFIX): task for key, task in held.items() if key.startswith(PREFIX)}


def a_later_second(run: SyncReport) -> Callable[[], datetime]:
    """The clock of the next run: the wall clock, but never within the second `run` started. The store keeps whole
    seconds, so a run started within that second cannot tell `run`'s tasks from its own and leaves them to the
    next run (connector/followup.py `_open_tasks`); both syncs here often fit in one second."""
    floor = run.started_at.replace(microsecond=0) + timedelta(seconds=1)
    return lambda: max(datetime.now(UTC), floor)


def duplicated_keys(world: SandboxWorld) -> dict[str, int]:
    return {key: count for key, count in crm_state.task_keys(world.crm, world.app).items() if count > 1}


def test_an_unworked_task_is_escalated_once_and_a_completed_one_never(world, store):
    manager = with_follow_up(world)
    first = world.sync(store)
    assert first.status == "succeeded" and first.counts["tasks_created"] > 0, first.message
    completed, left_open = reps_complete_some(world)

    second = world.sync(store, clock=a_later_second(first))
    third = world.sync(store, clock=a_later_second(second))

    assert second.status == third.status == "succeeded", (second.message, third.message)
    assert second.counts["tasks_completed"] == len(completed), second.counts
    assert second.counts["tasks_escalated"] == len(left_open), second.warnings
    escalated = escalations(world)
    assert set(escalated) == left_open and not set(escalated) & completed
    assert {task.owner_id for task in escalated.values()} == {manager}
    assert third.counts["tasks_escalated"] == 0 and third.counts["tasks_completed"] == 0
    assert escalations(world) == escalated and duplicated_keys(world) == {}


def test_a_run_killed_while_creating_escalations_makes_none_twice(world, store):
    with_follow_up(world)
    run_to_the_end(world)
    run_to_the_end(world)  # nothing new: the next run's first task creation is an escalation
    _, left_open = reps_complete_some(world)

    killed = run_killed_at(world, KillPoint(1, TASK_ROUTES[world.crm]))
    run_to_the_end(world)

    assert killed, "the run must be killed while the CRM creates the escalations"
    assert set(escalations(world)) == left_open
    assert duplicated_keys(world) == {}
    assert Counter(key.startswith(PREFIX) for key in crm_state.task_keys(world.crm, world.app))[True] == len(left_open)
