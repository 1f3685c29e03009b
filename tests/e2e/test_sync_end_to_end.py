"""Generated data -> sync through the real clients -> the CRM holds the scores, stages and tasks computed apart."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from connector.store import make_engine
from connector.store.tables import Contact, StageTransition
from tests.e2e import crm_state, reference
from tests.e2e.activity import add_activity
from tests.e2e.conftest import MODEL, SandboxWorld


def notifying_stages() -> set[str]:
    return {stage["name"] for stage in yaml.safe_load(MODEL.read_text())["stages"] if stage.get("notify")}


def reference_of(world: SandboxWorld, workdir: Path, as_of, label: str) -> dict[str, dict]:
    """Expected CRM values per crm_id, from the sandbox's records through `scorebridge import` and `score`."""
    exported = reference.reference_export(world, workdir, model=MODEL, as_of=as_of, label=label)
    return {crm_id: reference.expected_crm_values(row) for crm_id, row in exported.items()}


def differences(world: SandboxWorld, expected: dict[str, dict]) -> dict[str, dict]:
    """crm_id -> {target: (CRM holds, expected)} for every value the CRM has wrong."""
    held = world.scores()
    found = {}
    for crm_id, wanted in expected.items():
        have = held.get(crm_id)
        assert have is not None, f"{crm_id} is scored in the reference but not in the CRM"
        wrong = {key: (have[key], wanted[key]) for key in have if have[key] != wanted[key]}
        if wrong:
            found[crm_id] = wrong
    return found


def expected_first_tasks(expected: dict[str, dict], recent: set[str] | None = None) -> Counter[str]:
    """A task for each contact in a notifying stage (only those in `recent`, when given)."""
    notify = notifying_stages()
    return Counter(
        {
            crm_id: 1
            for crm_id, values in expected.items()
            if values["stage"] in notify and (recent is None or crm_id in recent)
        }
    )


def returning_tasks(world: SandboxWorld) -> Counter[str]:
    """crm_id -> returning-customer tasks in the CRM, read from their keys (`Contact:<id>:reengaged:<moment>`)."""
    keys = crm_state.task_keys(world.crm, world.app)
    return Counter(key.split(":")[1] for key in keys if key.split(":")[2] == "reengaged")


def entered_since(reference_dir: Path, since: datetime) -> set[str]:
    """crm_ids whose stage began to hold at or after `since`, by the reference store's transitions."""
    engine = make_engine(f"sqlite:///{reference_dir / 'reference.db'}")
    query = (
        select(Contact.crm_id, StageTransition.triggered_at, StageTransition.at)
        .join(Contact, Contact.id == StageTransition.contact_id)
        .order_by(StageTransition.id)
    )
    with engine.connect() as connection:
        began = {crm_id: triggered or at for crm_id, triggered, at in connection.execute(query)}  # the last wins
    engine.dispose()
    return {crm_id for crm_id, moment in began.items() if moment >= since}


def test_first_sync_leaves_the_crm_with_the_scores_stages_and_tasks_computed_from_the_model(world, engine, tmp_path):
    world.with_default_task_policy()

    report = world.sync(engine)

    assert report.status == "succeeded", report.message
    expected = reference_of(world, tmp_path / "reference", report.started_at, "first")
    assert len(expected) == report.counts["scored"]
    assert differences(world, expected) == {}
    recent = entered_since(tmp_path / "reference", report.started_at - timedelta(days=7))
    tasks = expected_first_tasks(expected, recent)
    assert report.counts["tasks_historic"] > 0, "the population should hold MQL/SQL contacts from before this week"
    assert world.tasks() == tasks


def test_second_sync_writes_nothing_and_creates_no_task(world, store):
    first = world.sync(store)
    held, tasks = world.scores(), world.tasks()

    second = world.sync(store)

    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert second.counts.get("written", 0) == 0
    assert second.counts.get("tasks_created", 0) == 0
    assert world.scores() == held
    assert world.tasks() == tasks


@pytest.mark.slow
def test_new_activity_moves_exactly_the_contacts_it_touched(world, store, tmp_path):
    first = world.sync(store)
    before = reference_of(world, tmp_path / "reference", first.started_at, "first")
    held_before, tasks_before, returns_before = world.scores(), world.tasks(), returning_tasks(world)
    touched = add_activity(world)

    second = world.sync(store)

    assert second.status == "succeeded", second.message
    after = reference_of(world, tmp_path / "reference", second.started_at, "second")
    assert differences(world, after) == {}
    held_after = world.scores()
    moved_in_crm = {crm_id for crm_id in after if held_after[crm_id] != held_before[crm_id]}
    moved_in_reference = {crm_id for crm_id in after if after[crm_id] != before[crm_id]}
    assert moved_in_crm == moved_in_reference
    assert moved_in_crm and moved_in_crm <= touched
    assert second.counts["written"] == len(moved_in_crm)
    notify = notifying_stages()
    new_tasks = Counter(
        {
            crm_id: 1
            for crm_id in moved_in_crm
            if after[crm_id]["stage"] in notify and before[crm_id]["stage"] != after[crm_id]["stage"]
        }
    )
    # Customers the new activity brought back after a quiet period get a returning-customer task (docs/tasks.md).
    returned = returning_tasks(world) - returns_before
    assert all(crm_id in touched and after[crm_id]["stage"] == "customer" for crm_id in returned)
    assert world.tasks() == tasks_before + new_tasks
