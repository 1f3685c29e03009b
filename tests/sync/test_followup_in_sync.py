"""The follow-up step inside `run_sync`: after task delivery, counted in the run record and /metrics, planned
only in a dry run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from connector.config import ConnectionConfig, ConnectorConfig, FollowUpPolicy
from connector.crm import ActivityRecord, ContactRecord
from connector.followup import escalation_key
from connector.metrics import metrics_registry, render_metrics
from connector.store import session_scope
from connector.store.tables import SyncRun
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
POLICY = FollowUpPolicy(sla_hours=24, escalate="manager")


def _setup(policy: FollowUpPolicy = POLICY):
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"), follow_up=policy)
    config = ConnectorConfig(model=MODEL, connections=[connection])
    people = [
        ContactRecord("Lead", crm_id, email=f"{crm_id}@example.com", title="VP Marketing", owner_id="005A")
        for crm_id in ("00Q1", "00Q2")
    ]
    demos = [
        ActivityRecord(f"d{n}", "Lead", p.crm_id, "demo_attended", NOW - timedelta(days=1))
        for n, p in enumerate(people)
    ]
    return config, connection, MemoryCrm(contacts=people, activities=demos, managers={"005A": "005BOSS"})


def _sync(engine, setup, hours: float, **options):
    config, connection, crm = setup
    report = run_sync(engine, config, connection, crm, clock=lambda: NOW + timedelta(hours=hours), **options)
    assert report.status in ("succeeded", "dry_run"), report.message
    return report


def test_a_sync_reads_back_its_tasks_and_escalates_the_unworked_one_once(engine):
    setup = _setup()
    crm = setup[2]
    created = _sync(engine, setup, 0)
    [sarah_key, other_key] = sorted(crm.tasks)
    crm.complete(sarah_key)

    quiet = _sync(engine, setup, 1)
    overdue = _sync(engine, setup, 25)
    again = _sync(engine, setup, 26)

    assert created.counts["tasks_created"] == 2 and created.counts.get("tasks_checked", 0) == 0
    counted = ("tasks_checked", "tasks_completed", "tasks_escalated")
    assert [quiet.counts[name] for name in counted] == [2, 1, 0]
    assert (overdue.counts["tasks_escalated"], overdue.counts["tasks_created"]) == (1, 1)
    assert crm.tasks[escalation_key(other_key)].owner_id == "005BOSS"
    assert again.counts["tasks_escalated"] == 0 and again.counts["tasks_checked"] == 2
    with session_scope(engine) as session:
        recorded = [run.counts for run in session.execute(select(SyncRun).order_by(SyncRun.id)).scalars()]
    assert [counts.get("tasks_escalated", 0) for counts in recorded] == [0, 0, 1, 0]

    text = render_metrics(metrics_registry(engine, {"acme": "salesforce"}, clock=lambda: NOW)).decode()
    samples = {
        sample.name: sample.value for family in text_string_to_metric_families(text) for sample in family.samples
    }
    assert samples["scorebridge_tasks_escalated_total"] == 1
    assert samples["scorebridge_tasks_completed_total"] == 1
    # both tasks, then the open one, then it and its escalation: a completed task is not read again
    assert samples["scorebridge_task_states_read_total"] == 2 + 1 + 2


def test_a_dry_run_lists_the_escalation_it_would_create_and_creates_nothing(engine):
    setup = _setup()
    crm = setup[2]
    _sync(engine, setup, 0)

    planned = _sync(engine, setup, 25, dry_run=True)

    assert [task["owner_id"] for task in planned.planned_tasks] == ["005BOSS", "005BOSS"]
    assert planned.counts.get("tasks_escalated", 0) == 0 and len(crm.tasks) == 2
    assert _sync(engine, setup, 25).counts["tasks_escalated"] == 2  # the dry run left them unescalated


def test_a_connection_without_sla_hours_reads_no_task_back(engine):
    setup = _setup(FollowUpPolicy())
    _sync(engine, setup, 0)
    report = _sync(engine, setup, 48)
    assert setup[2].state_reads == [] and "tasks_checked" not in report.counts
